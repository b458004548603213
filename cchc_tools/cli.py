"""The ``cchc`` command line: a thin shell over the package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cchc_tools import __version__
from cchc_tools.paths import outputs_dir


def _summary(result) -> str:
    df = result.table
    files = df["source"].nunique() if len(df) else 0
    matched = int((df["code"] != "").sum()) if len(df) else 0
    blanks = int((df["raw_value"] == "").sum()) if len(df) else 0
    lines = [f"files loaded: {files}, failed: {len(result.errors)}, passed over: {len(result.skipped)}",
             f"rows: {len(df)}, matched to the catalog: {matched}, unmatched: {len(df) - matched}, "
             f"blank (not reported): {blanks}"]
    return "\n".join(lines)


def cmd_load(args: argparse.Namespace) -> int:
    from cchc_tools.atomic import write_table
    from cchc_tools.ingest.loader import load_appendices

    result = load_appendices(args.paths)
    print(_summary(result))
    for path in result.skipped:
        print(f"passed over (not an appendix file): {path}")
    if len(result.table):
        sheets = result.table[result.table["sheet"] != ""].drop_duplicates("source")
        for src, sheet in zip(sheets["source"], sheets["sheet"], strict=True):
            print(f"{src}: read sheet {sheet!r}")
    for err in result.errors:
        print(f"error: {err}", file=sys.stderr)
    if args.out:
        for out in args.out:
            write_table(result.table, out)
            print(f"wrote {out}")
    return 1 if result.errors else 0


def cmd_check(args: argparse.Namespace) -> int:
    import json

    from cchc_tools.analysis.checks import validate
    from cchc_tools.ingest.loader import load_appendices

    result = load_appendices(args.paths)
    findings = validate(result.table)
    if args.format == "csv":
        findings.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        payload = {"findings": findings.astype(object).where(findings.notna(), None).to_dict("records"),
                   "load_errors": [{"file": e.path, "line": e.line, "message": str(e)} for e in result.errors]}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=1, default=str)
        print()
    else:
        print(format_findings(findings))
    for err in result.errors:
        print(f"error: {err}", file=sys.stderr)
    n_err = int((findings["severity"] == "error").sum()) if len(findings) else 0
    counts = findings["severity"].value_counts().to_dict() if len(findings) else {}
    print(f"{len(findings)} findings: {counts.get('error', 0)} errors, {counts.get('warning', 0)} warnings, "
          f"{counts.get('info', 0)} info; {len(result.errors)} files failed to load", file=sys.stderr)
    return 1 if n_err or result.errors else 0


def format_findings(findings) -> str:
    """Findings as readable text, grouped by file and severity."""
    if findings.empty:
        return "No findings."
    out = []
    for source, by_file in findings.groupby("source", sort=False):
        first = by_file.iloc[0]
        out.append(f"== {source} ({first['unit']}, {first['period']} {first['year']})")
        for severity, group in by_file.groupby("severity", sort=False):
            out.append(f"  [{severity}] {len(group)}")
            for f in group.itertuples(index=False):
                where = f"dòng {f.lines}" if f.lines else ""
                out.append(f"    - {f.rule} {where}: {f.message_vi}")
    return "\n".join(out)


def cmd_brief(args: argparse.Namespace) -> int:
    from cchc_tools.errors import CchcError
    from cchc_tools.reporting.notebook_runner import BriefingError, brief_all, brief_unit
    from cchc_tools.reporting.tasks import check_formats, check_year

    data = Path(args.data).resolve() if args.data else None
    out = Path(args.out).resolve() if args.out else None
    try:
        formats = check_formats(args.formats)
        if args.year:
            check_year(args.year)
    except CchcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.all:
        try:
            batch = brief_all(data, out, jobs=args.jobs, timeout=args.timeout, progress=not args.quiet,
                              force=args.force, formats=formats)
        except CchcError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for line in batch.failure_lines():
            print(line, file=sys.stderr)
        print(f"{batch.summary()}; index: {(out or outputs_dir()) / 'index.html'}")
        if batch.interrupted:
            return 130 if batch.interrupted == "SIGINT" else 143
        return 1 if batch.problems else 0
    if not (args.year and args.unit):
        print("error: give --year and --unit, or --all", file=sys.stderr)
        return 2
    try:
        html = brief_unit(args.year, args.unit, data, out, period=args.period, timeout=args.timeout,
                          formats=formats)
    except (BriefingError, CchcError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: no briefing written", file=sys.stderr)
        return 130
    print(f"briefing written: {html}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from cchc_tools.demo import generate

    years = [int(y) for y in str(args.years).split(",") if y.strip()]
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    written = generate(args.out, units=args.units, years=years, seed=args.seed, formats=formats)
    print(f"wrote {len(written)} synthetic appendices (DỮ LIỆU MẪU) under {args.out}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from cchc_tools.ingest.template import write_workbook

    out = write_workbook(args.out, year=args.year, level=args.level)
    print(f"wrote the fill-in template {out} ({args.level}, {args.year})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cchc", description="CCHC appendix kit")
    parser.add_argument("--version", action="version", version=f"cchc-kit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load", help="load appendices into one tidy table")
    p.add_argument("paths", nargs="+", help="appendix files or folders")
    p.add_argument("--out", action="append", help="write the table (.parquet or .csv); repeatable")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("check", help="check appendices for inconsistent figures")
    p.add_argument("paths", nargs="+", help="appendix files or folders")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("brief", help="run briefings on warm kernels and export them (only changed ones with --all)")
    p.add_argument("--year", help="year of the report, e.g. 2022")
    p.add_argument("--unit", help="unit slug, e.g. vinh-chau")
    p.add_argument("--period", default="annual", help="annual (default), Q1..Q4, 6-month, 9-month")
    p.add_argument("--all", action="store_true", help="every unit and year, comparisons and trends")
    p.add_argument("--data", help="data folder (default: the bundled data/raw)")
    p.add_argument("--out", help="outputs folder (default: outputs/)")
    p.add_argument("--jobs", type=int, default=None, help="parallel notebooks (default: number of cores)")
    p.add_argument("--timeout", type=int, default=600, help="seconds per notebook cell")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="re-render every briefing, even those whose inputs did "
                   "not change")
    p.add_argument("--formats", default="html,docx,pdf,xlsx",
                   help="comma-separated outputs: html, docx, pdf, xlsx (default: all)")
    p.set_defaults(func=cmd_brief)

    p = sub.add_parser("template", help="write the blank fill-in Excel template for units")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--level", default="district", choices=["province", "department", "district", "commune"])
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("demo-data", help="write synthetic appendices of fictional units (never into data/raw)")
    p.add_argument("--units", type=int, default=12)
    p.add_argument("--years", default="2021,2022,2023", help="comma-separated years")
    p.add_argument("--out", default="data/demo")
    p.add_argument("--seed", type=int, default=2022)
    p.add_argument("--formats", default="txt", help="comma-separated: txt, xlsx")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
