"""`zero-dropout`: run the pipeline, write the province report and visit lists, review links, generate test data.

Every error is one line (what, which file or option, what to do): exit 2 when the command cannot run as given,
1 when a run or a step failed; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from pipelines.preflight import UsageError, check, unused
from zero_dropout import areas, privacy
from zero_dropout.errors import Told, describe
from zero_dropout.samples import BUNDLED_INBOX
from zero_dropout.terms import Term


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


def term_arg(text: str) -> str:
    try:
        return str(Term.parse(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a term: write YYYY-S in Buddhist era, semester 1 or 2 "
                                         "(e.g. 2567-1)") from None


def province_arg(text: str) -> str:
    code = text.strip()
    if code not in areas.province_codes():
        raise argparse.ArgumentTypeError(f"{text!r} is not a DOPA province code (two digits, e.g. 55 for Nan)")
    return code


def cmd_run(args: argparse.Namespace) -> int:
    inbox = Path(args.inbox)
    warehouse = Path(args.warehouse)
    started = time.perf_counter()
    check(inbox, warehouse, args.province, args.term)  # before any work, in a second: raises UsageError
    from pipelines.runner import RunFailed, run

    try:
        run(inbox, warehouse, provinces=args.province or None, terms=args.term or None, deployment=args.deployment)
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

    _warehouse_file(Path(args.warehouse) / "restricted.duckdb")
    n = decisions.export_queue(Path(args.warehouse), args.province, args.term, Path(args.out))
    column = "การตัดสิน column (yellow)" if args.out.lower().endswith(".xlsx") else "decision column with accept or reject"
    print(f"wrote {n} pairs to review to {args.out} (restricted: names and IDs): fill the {column}, then "
          f"run: zero-dropout review import {args.out} --by NAME")
    return 0


def cmd_review_import(args: argparse.Namespace) -> int:
    from zero_dropout import decisions

    n = decisions.import_decisions(Path(args.warehouse), Path(args.file), args.by)
    print(f"stored {n} decisions; they apply from the next run")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from zero_dropout import report

    _warehouse_file(Path(args.warehouse) / "analyst.duckdb")
    path = report.write_report(Path(args.warehouse), args.province, args.term, Path(args.out) if args.out else None)
    print(f"wrote {path} (built from analyst.duckdb: no names, IDs or addresses; counts under 5 shown as <5)")
    return 0


def cmd_worklist(args: argparse.Namespace) -> int:
    from zero_dropout import worklist

    _warehouse_file(Path(args.warehouse) / "restricted.duckdb")
    lists = worklist.write_worklists(Path(args.warehouse), args.province, args.term,
                                     Path(args.out) if args.out else None, args.amphoe, args.tambon, pdf=args.pdf)
    if not lists:
        print("no out-of-school child matches the chosen province, term and area")
        return 0
    for w in lists:
        print(f"{w.path}  tambon {w.tambon_code}: {w.children} children")
    print(f"{len(lists)} visit lists, {sum(w.children for w in lists)} children. RESTRICTED: the lists hold names and "
          "addresses; give each only to the team visiting that tambon. Filled-in lists go to inbox/survey/<province>/<term>/.")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from pipelines.purge import purge

    if not Path(args.inbox).is_dir():
        raise UsageError(f"inbox folder {args.inbox} does not exist")
    removed = purge(Path(args.inbox), Path(args.warehouse))
    print(f"removed {removed['cache_entries']} ingest cache entries and {removed['source_partitions']} source staging "
          "partitions of files no longer in the inbox; the next run loads the warehouse without them")
    return 0


def _warehouse_file(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"{path} does not exist: run `zero-dropout run --warehouse {path.parent}` first, "
                         "or give the --warehouse that holds it")
    unused(path)


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line (exit 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zero-dropout", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", parents=[common], help="materialise every asset for the chosen partitions, in process")
    run.add_argument("--inbox", default=str(BUNDLED_INBOX), help="inbox folder (default: the bundled samples)")
    run.add_argument("--warehouse", default="warehouse", help="output folder for restricted.duckdb and analyst.duckdb")
    run.add_argument("--province", action="append", metavar="CODE", type=province_arg,
                     help="2-digit DOPA province code; repeatable")
    run.add_argument("--term", action="append", metavar="YYYY-S", type=term_arg, help="term such as 2567-1; repeatable")
    run.add_argument("--deployment", metavar="URL",
                     help="submit each run to a deployment's queue (its Dagster webserver, e.g. http://dagster:3000; "
                          "$DAGSTER_HOME holds its instance settings) instead of running in this process")
    run.set_defaults(func=cmd_run)
    gen = sub.add_parser("generate", parents=[common], help="write a synthetic contract-conformant inbox with ground truth")
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
    review = sub.add_parser("review", parents=[common], help="export the review queue to a CSV, or import an officer's decisions")
    rsub = review.add_subparsers(dest="review_command", required=True, parser_class=_Parser)
    exp = rsub.add_parser("export", parents=[common], help="write the review queue of a province and term: a workbook "
                          "(.xlsx: both sides of every pair, a drop-down decision) or CSV (restricted: names and IDs)")
    exp.add_argument("--warehouse", default="warehouse")
    exp.add_argument("--province", required=True, type=province_arg)
    exp.add_argument("--term", required=True, type=term_arg)
    exp.add_argument("--out", required=True)
    exp.set_defaults(func=cmd_review_export)
    imp = rsub.add_parser("import", parents=[common], help="store the accept / reject decisions of a filled-in queue (workbook or CSV)")
    imp.add_argument("file")
    imp.add_argument("--warehouse", default="warehouse")
    imp.add_argument("--by", required=True, help="who decided (kept with each decision)")
    imp.set_defaults(func=cmd_review_import)
    rep = sub.add_parser("report", parents=[common], help="write the province report (self-contained HTML, from analyst.duckdb)")
    rep.add_argument("--province", required=True, metavar="CODE", type=province_arg)
    rep.add_argument("--term", required=True, metavar="YYYY-S", type=term_arg)
    rep.add_argument("--warehouse", default="warehouse")
    rep.add_argument("--out", help="HTML file to write (default: <warehouse>/reports/<province>/report_<province>_<term>.html)")
    rep.set_defaults(func=cmd_report)
    pg = sub.add_parser("purge", parents=[common],
                        help="remove cached and staged rows of input files that are no longer in the inbox")
    pg.add_argument("--inbox", default=str(BUNDLED_INBOX), help="inbox folder as it is now")
    pg.add_argument("--warehouse", default="warehouse")
    pg.set_defaults(func=cmd_purge)
    wl = sub.add_parser("worklist", parents=[common], help="write visit lists, one xlsx per tambon (restricted: names and addresses)")
    wl.add_argument("--province", required=True, metavar="CODE", type=province_arg)
    wl.add_argument("--term", required=True, metavar="YYYY-S", type=term_arg)
    wl.add_argument("--amphoe", metavar="CODE", help="4-digit amphoe code: only this amphoe")
    wl.add_argument("--tambon", metavar="CODE", help="6-digit tambon code: only this tambon")
    wl.add_argument("--warehouse", default="warehouse")
    wl.add_argument("--out", help="folder to write to (default: <warehouse>/worklists/<province>/<term>/)")
    wl.add_argument("--pdf", action="store_true",
                    help="also a visit pack per tambon as PDF (A5: cover, children by moo, tick boxes)")
    wl.set_defaults(func=cmd_worklist)
    return parser


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")  # no usage reports leave a provincial office
    privacy.owner_only()  # what the commands write holds personal data
    args = build_parser().parse_args(argv)
    name = " ".join(filter(None, ["zero-dropout", args.command, getattr(args, "review_command", None)]))
    signal.signal(signal.SIGTERM, _stop)  # a service manager's stop: end as Ctrl-C does, in one line
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"{name}: stopped before it finished; every province keeps the version published before "
              "(the next run removes what this one left)", file=sys.stderr)
        return 130
    except UsageError as err:
        if args.debug:
            raise
        print(f"{name}: {err}", file=sys.stderr)
        return 2
    except Told as err:  # already written for a person: which file or row, what to do
        if args.debug:
            raise
        print(f"{name}: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # one line, never a value of a row: the class, the masked message, what to do
        if args.debug:
            raise
        print(f"{name}: {describe(err)} (run it again with --debug to see where)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
