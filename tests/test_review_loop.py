"""The review loop as a data officer uses it: export the queue, decide, import, run again."""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.runner import run
from pipelines.cli import main as cli
from zero_dropout.decisions import DecisionError, import_decisions


def _q(warehouse, sql):
    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def test_decisions_are_applied_on_the_next_run_and_never_return_to_the_queue(tmp_path, samples, monkeypatch):
    # a province that wants every fallback link seen by a person first (settings from configuration)
    settings = tmp_path / "matching.toml"
    settings.write_text("accept_probability = 1.01\n", encoding="utf-8")
    monkeypatch.setenv("ZERO_DROPOUT_MATCHING", str(settings))
    warehouse = tmp_path / "wh"
    args = dict(provinces=["55"], terms=["2566-2"], pseudonym_key="k", progress=lambda _: None)
    run(samples / "inbox", warehouse, **args)
    queues = []
    for province in ("55",):
        for term in ("2566-2",):
            out = tmp_path / f"queue_{province}_{term}.csv"
            assert cli(["review", "export", "--warehouse", str(warehouse), "--province", province, "--term", term,
                        "--out", str(out)]) == 0
            queues.append(pl.read_csv(out, infer_schema=False))
    queue = pl.concat(queues)
    queue_file = tmp_path / "queue.csv"
    assert queue.height >= 20
    decided = queue.with_columns(pl.Series("decision", ["accept", "reject"] + [""] * (queue.height - 2)))
    decided.write_csv(queue_file)
    assert cli(["review", "import", str(queue_file), "--warehouse", str(warehouse), "--by", "test officer"]) == 0

    run(samples / "inbox", warehouse, **args)
    key = ["source_file", "source_row", "citizen_id"]
    accepted = decided.head(1).select(key).with_columns(pl.col("source_row").cast(pl.Int64))
    rejected = decided.slice(1, 1).select(key).with_columns(pl.col("source_row").cast(pl.Int64))
    links = _q(warehouse, "SELECT source_file, source_row, citizen_id, rule FROM record_links")
    review = _q(warehouse, "SELECT source_file, source_row, citizen_id FROM review_queue")
    assert links.join(accepted, on=key)["rule"].to_list() == ["officer_accepted"]
    assert links.join(rejected, on=key).height == 0
    assert review.join(pl.concat([accepted, rejected]), on=key).height == 0
    assert review.height == queue.height - 2
    assert _q(warehouse, "SELECT count(*) AS n FROM review_decisions")["n"][0] == 2


def test_a_bad_decision_value_is_refused_with_row_and_column(tmp_path):
    f = tmp_path / "d.csv"
    pl.DataFrame({"source": ["moe"], "source_file": ["x"], "source_sheet": [""], "source_row": ["1"],
                  "citizen_id": ["1"], "decision": ["maybe"]}).write_csv(f)
    try:
        import_decisions(tmp_path, f, "officer")
    except DecisionError as err:
        assert "row 1" in str(err) and "decision" in str(err)
    else:
        raise AssertionError("a decision other than accept or reject must be refused")
