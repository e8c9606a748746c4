"""`zero-dropout`: run the pipeline, write the province report and visit lists, review links, generate test data."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from zero_dropout.terms import Term
from zero_dropout.samples import BUNDLED_INBOX


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _print_summary(warehouse: Path) -> None:
    import duckdb

    con = duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT province_code, term, target_population, in_school, out_of_school, never_enrolled, dropped_out "
            "FROM partition_summary ORDER BY province_code, term").fetchall()
        files = con.execute("SELECT outcome, count(*), sum(rows_quarantined) FROM ingest_files GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        con.close()
    print()
    print(f"{'province':>8} {'term':>7} {'target':>8} {'in school':>10} {'out of school':>14} {'never enrolled':>15} {'dropped out':>12}")
    for r in rows:
        print(f"{r[0]:>8} {r[1]:>7} {r[2]:>8} {r[3]:>10} {r[4]:>14} {r[5]:>15} {r[6]:>12}")
    print()
    print("input files: " + ", ".join(f"{n} {o}" for o, n, _ in files)
          + f"; rows quarantined: {sum(q or 0 for _, _, q in files)}")
    print(f"warehouse: {warehouse / 'restricted.duckdb'} (restricted), {warehouse / 'analyst.duckdb'} (analyst)")
    print(f"reports: {warehouse / 'reports'}/<province>/report_<province>_<term>.html")


def cmd_run(args: argparse.Namespace) -> int:
    from pipelines.runner import RunFailed, run

    inbox = Path(args.inbox)
    warehouse = Path(args.warehouse)
    terms = [str(Term.parse(t)) for t in (args.term or [])]
    started = time.perf_counter()
    try:
        run(inbox, warehouse, provinces=args.province or None, terms=terms or None)
    except RunFailed as err:
        print(f"zero-dropout run: {err}", file=sys.stderr)
        return 1
    _print_summary(warehouse)
    print(f"finished in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from zero_dropout.generator import PROFILES, GeneratorConfig, generate

    noise, style = PROFILES[args.noise_profile]
    cfg = GeneratorConfig(
        provinces=tuple(_codes(args.provinces)),
        terms=tuple(Term.parse(t) for t in _codes(args.terms)),
        children_per_province=args.children_per_province,
        seed=args.seed,
        forms=args.forms,
        noise=noise,
        style=style,
    )
    started = time.perf_counter()
    summary = generate(cfg, Path(args.out))
    print(f"wrote {len(summary.files)} files to {Path(args.out) / 'inbox'} and truth to {Path(args.out) / 'truth'}: "
          f"{summary.registry_rows} registry rows, {summary.moe_rows} MOE rows, {summary.survey_rows} survey rows "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_review_export(args: argparse.Namespace) -> int:
    from zero_dropout import decisions

    n = decisions.export_queue(Path(args.warehouse), args.province, str(Term.parse(args.term)), Path(args.out))
    print(f"wrote {n} pairs to review to {args.out}: fill the decision column with accept or reject, then "
          f"run: zero-dropout review import {args.out} --by NAME")
    return 0


def cmd_review_import(args: argparse.Namespace) -> int:
    from zero_dropout import decisions

    try:
        n = decisions.import_decisions(Path(args.warehouse), Path(args.file), args.by)
    except decisions.DecisionError as err:
        print(f"zero-dropout review import: {err}", file=sys.stderr)
        return 1
    print(f"stored {n} decisions; they apply from the next run")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from zero_dropout import report

    try:
        path = report.write_report(Path(args.warehouse), args.province, str(Term.parse(args.term)),
                                   Path(args.out) if args.out else None)
    except report.ReportError as err:
        print(f"zero-dropout report: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path} (built from analyst.duckdb: no names, IDs or addresses; counts under 5 shown as <5)")
    return 0


def cmd_worklist(args: argparse.Namespace) -> int:
    from zero_dropout import worklist

    try:
        lists = worklist.write_worklists(Path(args.warehouse), args.province, str(Term.parse(args.term)),
                                         Path(args.out) if args.out else None, args.amphoe, args.tambon)
    except worklist.WorklistError as err:
        print(f"zero-dropout worklist: {err}", file=sys.stderr)
        return 1
    if not lists:
        print("no out-of-school child matches the chosen province, term and area")
        return 0
    for w in lists:
        print(f"{w.path}  tambon {w.tambon_code}: {w.children} children")
    print(f"{len(lists)} visit lists, {sum(w.children for w in lists)} children. RESTRICTED: the lists hold names and "
          "addresses; give each only to the team visiting that tambon. Filled-in lists go to inbox/survey/<province>/<term>/.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zero-dropout", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialise every asset for the chosen partitions, in process")
    run.add_argument("--inbox", default=str(BUNDLED_INBOX), help="inbox folder (default: the bundled samples)")
    run.add_argument("--warehouse", default="warehouse", help="output folder for restricted.duckdb and analyst.duckdb")
    run.add_argument("--province", action="append", metavar="CODE", help="2-digit DOPA province code; repeatable")
    run.add_argument("--term", action="append", metavar="YYYY-S", help="term such as 2567-1; repeatable")
    run.set_defaults(func=cmd_run)
    gen = sub.add_parser("generate", help="write a synthetic contract-conformant inbox with ground truth")
    gen.add_argument("--out", required=True, help="output folder (inbox/ and truth/ are written inside)")
    gen.add_argument("--provinces", default="55,40", help="comma-separated province codes")
    gen.add_argument("--terms", default="2566-2,2567-1", help="comma-separated terms")
    gen.add_argument("--children-per-province", type=int, default=3000)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--forms", choices=["mixed", "csv", "parquet"], default="mixed",
                     help="mixed: every form the contract names; csv or parquet: one form")
    gen.add_argument("--noise-profile", choices=["default", "harsh", "other_tools"], default="default",
                     help="default: the noise the priors were calibrated on; harsh: more of every error, sibling IDs, "
                          "mistyped address codes; other_tools: files as other software writes them (typed xlsx and "
                          "Parquet cells, other header spellings, other date forms)")
    gen.set_defaults(func=cmd_generate)
    review = sub.add_parser("review", help="export the review queue to a CSV, or import an officer's decisions")
    rsub = review.add_subparsers(dest="review_command", required=True)
    exp = rsub.add_parser("export", help="write the review queue of a province and term to CSV (restricted: holds IDs)")
    exp.add_argument("--warehouse", default="warehouse")
    exp.add_argument("--province", required=True)
    exp.add_argument("--term", required=True)
    exp.add_argument("--out", required=True)
    exp.set_defaults(func=cmd_review_export)
    imp = rsub.add_parser("import", help="store the accept / reject decisions of a filled-in queue CSV")
    imp.add_argument("file")
    imp.add_argument("--warehouse", default="warehouse")
    imp.add_argument("--by", required=True, help="who decided (kept with each decision)")
    imp.set_defaults(func=cmd_review_import)
    rep = sub.add_parser("report", help="write the province report (self-contained HTML, from analyst.duckdb)")
    rep.add_argument("--province", required=True, metavar="CODE")
    rep.add_argument("--term", required=True, metavar="YYYY-S")
    rep.add_argument("--warehouse", default="warehouse")
    rep.add_argument("--out", help="HTML file to write (default: <warehouse>/reports/<province>/report_<province>_<term>.html)")
    rep.set_defaults(func=cmd_report)
    wl = sub.add_parser("worklist", help="write visit lists, one xlsx per tambon (restricted: names and addresses)")
    wl.add_argument("--province", required=True, metavar="CODE")
    wl.add_argument("--term", required=True, metavar="YYYY-S")
    wl.add_argument("--amphoe", metavar="CODE", help="4-digit amphoe code: only this amphoe")
    wl.add_argument("--tambon", metavar="CODE", help="6-digit tambon code: only this tambon")
    wl.add_argument("--warehouse", default="warehouse")
    wl.add_argument("--out", help="folder to write to (default: <warehouse>/worklists/<province>/<term>/)")
    wl.set_defaults(func=cmd_worklist)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")  # no usage reports leave a provincial office
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
