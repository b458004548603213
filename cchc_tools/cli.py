"""The ``cchc`` command line: a thin shell over the package."""

from __future__ import annotations

import argparse
import sys

from . import __version__


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
    from .io import write_table
    from .loader import load_appendices

    result = load_appendices(args.paths)
    print(_summary(result))
    for path in result.skipped:
        print(f"passed over (not an appendix file): {path}")
    for err in result.errors:
        print(f"error: {err}", file=sys.stderr)
    if args.out:
        for out in args.out:
            write_table(result.table, out)
            print(f"wrote {out}")
    return 1 if result.errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cchc", description="CCHC appendix kit")
    parser.add_argument("--version", action="version", version=f"cchc-kit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load", help="load appendices into one tidy table")
    p.add_argument("paths", nargs="+", help="appendix files or folders")
    p.add_argument("--out", action="append", help="write the table (.parquet or .csv); repeatable")
    p.set_defaults(func=cmd_load)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
