"""Parquet files that partitions write, and the versions of each province that the warehouse load reads.

    <warehouse>/staging/<dataset>/[province=<p>/][term=<t>/]<name>.parquet     working files
    <warehouse>/staging/drafts/province=<p>/<run>/term=<t>/<dataset>/<name>.parquet
    <warehouse>/staging/published/province=<p>/<version>/term=<t>/<dataset>/<name>.parquet
    <warehouse>/staging/published/province=<p>/CURRENT       the version in use (JSON)
    <warehouse>/staging/published/province=<p>/REFUSED       the last attempt that a blocking check stopped

Sources and each term's linkage write working files (a temporary name renamed into place, so a reader
never sees half a file and parallel partitions never touch the same path). A province's history writes a
draft for its run; the publish step, which Dagster runs only when every blocking check passed, makes one
new version of the province out of the working files of its terms and that draft, and then switches
CURRENT to it with one rename. The warehouse load reads CURRENT versions only, so a failed or killed
partition leaves the last good version in use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import polars as pl

from zero_dropout import leftovers
from zero_dropout.tables import PUBLICATION_STATUS

PUBLISHED, DRAFTS = "published", "drafts"
# zstd at level 1: a national province's people written in 0.15 s instead of 0.21 s at the default level, and the
# file no larger (8.2 MB against 8.5 MB); read as fast
COMPRESSION = {"compression": "zstd", "compression_level": 1}
KEEP_VERSIONS = 2  # the version in use and the one before it (a load that started earlier may still read it)
KEEP_RECENT_SECONDS = 600  # and any version published in the last 10 minutes (concurrent runs' loads may read it)

# where each province-term source's accepted rows are staged: (dataset, name)
SOURCE_RECORDS = {"survey": ("survey", "responses"), "aid": ("aid", "payments"), "justice": ("justice", "records")}


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, sort_keys=True))
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


class Staging:
    def __init__(self, warehouse_dir: str | Path):
        self.root = Path(warehouse_dir) / "staging"

    # working files ---------------------------------------------------------------------------------
    def path(self, dataset: str, name: str, province: str | None = None, term: str | None = None) -> Path:
        p = self.root / dataset
        if province is not None:
            p = p / f"province={province}"
        if term is not None:
            p = p / f"term={term}"
        return p / f"{name}.parquet"

    def write(self, frame: pl.DataFrame, dataset: str, name: str, province: str | None = None, term: str | None = None) -> Path:
        return _write_parquet(frame, self.path(dataset, name, province, term))

    def sink(self, frame: pl.LazyFrame, dataset: str, name: str, province: str | None = None,
             term: str | None = None) -> Path:
        """Write a lazy frame by the streaming engine (rows larger than memory), replacing the file at once."""
        target = self.path(dataset, name, province, term)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        frame.sink_parquet(tmp, **COMPRESSION)
        os.replace(tmp, target)
        return target

    def exists(self, dataset: str, name: str, province: str | None = None, term: str | None = None) -> bool:
        return self.path(dataset, name, province, term).exists()

    def scan(self, dataset: str, name: str, province: str | None = None, term: str | None = None) -> pl.LazyFrame:
        return pl.scan_parquet(self.path(dataset, name, province, term))

    def files(self, dataset: str, name: str) -> list[Path]:
        return sorted((self.root / dataset).rglob(f"{name}.parquet"))

    def terms_of(self, dataset: str, name: str, province: str | None = None) -> list[str]:
        base = self.root / dataset / (f"province={province}" if province else "")
        return sorted(p.parent.name.split("=", 1)[1] for p in base.glob(f"term=*/{name}.parquet"))

    # a term's steps: a step's files count only once the step finished (a killed step leaves its marker out)
    def _step_marker(self, step: str, province: str, term: str) -> Path:
        return self.root / "terms" / f"province={province}" / f"term={term}" / f"{step}.done"

    def step_started(self, step: str, province: str, term: str) -> None:
        self._step_marker(step, province, term).unlink(missing_ok=True)

    def step_done(self, step: str, province: str, term: str) -> None:
        marker = self._step_marker(step, province, term)
        marker.parent.mkdir(parents=True, exist_ok=True)
        _write_json(marker, {"done_at": _now()})

    def steps_done(self, steps: list[str], province: str, term: str) -> bool:
        return all(self._step_marker(s, province, term).exists() for s in steps)

    # drafts and published versions of a province -------------------------------------------------------
    def _province_dir(self, kind: str, province: str) -> Path:
        return self.root / kind / f"province={province}"

    def draft_path(self, province: str, run_id: str, term: str, dataset: str, name: str) -> Path:
        return self._province_dir(DRAFTS, province) / run_id / f"term={term}" / dataset / f"{name}.parquet"

    def write_draft(self, frame: pl.DataFrame, province: str, run_id: str, dataset: str, name: str) -> None:
        """A frame with a ``term`` column, one file per term, into the run's draft of the province."""
        leftovers.mark_owner(self._province_dir(DRAFTS, province) / run_id)
        for (term,), part in frame.partition_by("term", as_dict=True, maintain_order=True).items():
            _write_parquet(part, self.draft_path(province, run_id, term, dataset, name))

    def complete_draft(self, province: str, run_id: str) -> None:
        """Mark the run's draft whole and passed: only a complete draft is ever published."""
        draft = self._province_dir(DRAFTS, province) / run_id
        draft.mkdir(parents=True, exist_ok=True)
        _write_json(draft / "COMPLETE", {"run_id": run_id, "completed_at": _now()})

    def _draft_to_publish(self, province: str, run_id: str) -> Path | None:
        """The run's own complete draft; else (the history ran in an earlier run) the newest complete one; None
        when a concurrent run already published a newer version and removed this one as superseded."""
        base = self._province_dir(DRAFTS, province)
        own = base / run_id
        if (own / "COMPLETE").exists():
            return own
        done = sorted((t, p) for p in base.glob("*") if (t := _completed_at(p)) is not None)
        if done:
            return done[-1][1]
        if self.current(province):
            return None
        raise FileNotFoundError(f"province {province}: no complete history draft to publish (run the province history first)")

    def draft_runs(self, province: str | None = None) -> list[tuple[str, str]]:
        """(province, run id) of every draft not published (a failed, refused or killed attempt)."""
        base = self.root / DRAFTS
        pattern = f"province={province}/*" if province else "province=*/*"
        return sorted((p.parent.name.split("=", 1)[1], p.name) for p in base.glob(pattern)
                      if p.is_dir() and not p.name.startswith("."))  # a dot name: a draft folder being created

    def current(self, province: str) -> dict | None:
        return _read_json(self._province_dir(PUBLISHED, province) / "CURRENT")

    def refused(self, province: str) -> dict | None:
        return _read_json(self._province_dir(PUBLISHED, province) / "REFUSED")

    def refuse(self, province: str, run_id: str, checks: list[str], terms: list[str]) -> None:
        """Note that a blocking check stopped the run's version (check names and terms only)."""
        base = self._province_dir(PUBLISHED, province)
        base.mkdir(parents=True, exist_ok=True)
        _write_json(base / "REFUSED", {"run_id": run_id, "checks": sorted(checks), "terms": sorted(terms),
                                        "refused_at": _now()})
        shutil.rmtree(self._province_dir(DRAFTS, province) / run_id, ignore_errors=True)

    def publish(self, province: str, run_id: str, terms: list[str], working: list[tuple[str, str]]) -> dict:
        """One new version of the province: the working files ``working`` (dataset, name) of each term and the
        run's draft, hard-linked (copied where links are not possible); then CURRENT switches to it."""
        draft = self._draft_to_publish(province, run_id)
        base = self._province_dir(PUBLISHED, province)
        if draft is None:  # a concurrent run of the province published a newer version meanwhile: it stays
            return {**self.current(province), "superseded": True}
        version = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%fZ}-{run_id[:8]}"
        building = base / f".{version}.{os.getpid()}.building"
        shutil.rmtree(building, ignore_errors=True)
        for term in terms:
            for dataset, name in working:
                src = self.path(dataset, name, province, term)
                if src.exists():
                    _link(src, building / f"term={term}" / dataset / f"{name}.parquet")
        base.mkdir(parents=True, exist_ok=True)
        completed = _completed_at(draft)
        if completed is None:
            raise FileNotFoundError(f"province {province}: the draft to publish was removed while it was published")
        for src in draft.rglob("*.parquet"):
            _link(src, building / src.relative_to(draft))
        os.replace(building, base / version)
        record = {"version": version, "run_id": run_id, "terms": sorted(terms), "published_at": _now()}
        _write_json(base / "CURRENT", record)
        (base / "REFUSED").unlink(missing_ok=True)
        # this draft, and complete drafts it supersedes; a draft still being written (another run of the
        # province, now) is never touched, and one a killed run left is removed at the next start (leftovers)
        for other in list(draft.parent.iterdir()):
            if other == draft or (other_at := _completed_at(other)) is not None and other_at <= completed:
                shutil.rmtree(other, ignore_errors=True)
        versions = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
        now = dt.datetime.now().timestamp()
        for old in versions[:-KEEP_VERSIONS]:
            if now - old.stat().st_mtime > KEEP_RECENT_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        return record

    def published_files(self, dataset: str, name: str) -> list[Path]:
        """The files of ``dataset/name`` in every province's version in use."""
        out = []
        for base in sorted((self.root / PUBLISHED).glob("province=*")):
            record = _read_json(base / "CURRENT")
            if record:
                out += sorted((base / record["version"]).glob(f"term=*/{dataset}/{name}.parquet"))
        return out

    def publication_status(self) -> pl.DataFrame:
        """Per province: the version in use, and the last attempt that was not published (counts and names only)."""
        rows = []
        provinces = {p.name.split("=", 1)[1] for kind in (PUBLISHED, DRAFTS) for p in (self.root / kind).glob("province=*")}
        drafts = self.draft_runs()
        for province in sorted(provinces):
            cur, ref = self.current(province) or {}, self.refused(province) or {}
            pending = [run for p, run in drafts if p == province
                       and not (self._province_dir(DRAFTS, p) / run / "COMPLETE").exists()]
            rows.append({
                "province_code": province, "published_version": cur.get("version"), "published_at": cur.get("published_at"),
                "published_terms": ", ".join(cur.get("terms", [])) or None,
                "refused_at": ref.get("refused_at"), "refused_checks": ", ".join(ref.get("checks", [])) or None,
                "refused_terms": ", ".join(ref.get("terms", [])) or None,
                "unfinished_attempts": len(pending),
            })
        return pl.DataFrame(rows, schema=PUBLICATION_SCHEMA)


PUBLICATION_SCHEMA = PUBLICATION_STATUS.schema


def _completed_at(draft: Path) -> float | None:
    """When the draft was marked complete; None while it is not (or is gone: another run of the province may
    remove a draft it supersedes while this one looks)."""
    try:
        return (draft / "COMPLETE").stat().st_mtime
    except OSError:
        return None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _write_parquet(frame: pl.DataFrame, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp, **COMPRESSION)
    os.replace(tmp, target)
    return target


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
