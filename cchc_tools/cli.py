"""The ``cchc`` command line: a thin shell over the package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cchc_tools.i18n import _, language, ngettext
from cchc_tools.version import __version__


def _project(args: argparse.Namespace):
    """The project every command works in (``--project``, else ``$CCHC_PROJECT``, else the nearest
    ``cchc.toml`` above the working directory), loaded and checked before any work starts; its notices
    (a project rule or target replacing a shipped one) are said once."""
    from cchc_tools.project import load_project

    project = load_project(getattr(args, "project", None) or None)
    for notice in project.notices:
        print(_("notice: {text}").format(text=notice), file=sys.stderr)
    return project


def _summary(result) -> str:
    df = result.table
    files = df["source"].nunique() if len(df) else 0
    matched = int((df["code"] != "").sum()) if len(df) else 0
    blanks = int((df["raw_value"] == "").sum()) if len(df) else 0
    lines = [_("files loaded: {files}, failed: {failed}, passed over: {skipped}").format(
                 files=files, failed=len(result.errors), skipped=len(result.skipped)),
             _("rows: {rows}, matched to the catalog: {matched}, unmatched: {unmatched}, "
               "blank (not reported): {blanks}").format(rows=len(df), matched=matched, unmatched=len(df) - matched,
                                                        blanks=blanks)]
    return "\n".join(lines)


def _error_line(err) -> str:
    return _("error: {error}").format(error=err)


def cmd_load(args: argparse.Namespace) -> int:
    from cchc_tools.atomic import write_table
    from cchc_tools.ingest.loader import load_appendices

    project = _project(args)
    paths = [project.resolve(p) for p in args.paths] if args.paths else [project.data]
    result = load_appendices(paths, province=project.province, root=project.root, forms=project.forms)
    print(_summary(result))
    for path in result.skipped:
        print(_("passed over (not an appendix file): {path}").format(path=path))
    if len(result.table):
        sheets = result.table[result.table["sheet"] != ""].drop_duplicates("source")
        for src, sheet in zip(sheets["source"], sheets["sheet"], strict=True):
            print(_("{source}: read sheet {sheet!r}").format(source=src, sheet=sheet))
        # how a file was read: a legacy encoding converted, a PDF's digital signature (ingest/readers)
        read = result.table[result.table["reading"] != ""].drop_duplicates("source")
        for src, note in zip(read["source"], read["reading"], strict=True):
            print(f"{src}: {note}")
    for err in result.errors:
        print(_error_line(err), file=sys.stderr)
    if args.out:
        for out in args.out:
            write_table(result.table, out)
            print(_("wrote {path}").format(path=out))
    return 1 if result.errors else 0


def _check_summary(findings, n_failed: int) -> str:
    counts = findings["severity"].value_counts().to_dict() if len(findings) else {}
    parts = [ngettext("{n} finding", "{n} findings", len(findings)).format(n=len(findings)),
             ngettext("{n} error", "{n} errors", counts.get("error", 0)).format(n=counts.get("error", 0)),
             ngettext("{n} warning", "{n} warnings", counts.get("warning", 0)).format(n=counts.get("warning", 0)),
             _("{n} info").format(n=counts.get("info", 0)),
             ngettext("{n} file failed to load", "{n} files failed to load", n_failed).format(n=n_failed)]
    return _("{findings}: {errors}, {warnings}, {info}; {failed}").format(
        findings=parts[0], errors=parts[1], warnings=parts[2], info=parts[3], failed=parts[4])


def cmd_check(args: argparse.Namespace) -> int:
    import json
    import warnings

    from cchc_tools.analysis.checks import validate
    from cchc_tools.analysis.rules import RuleOverride, merge_rules, read_rules
    from cchc_tools.atomic import neutralize_csv
    from cchc_tools.ingest.loader import load_appendices

    project = _project(args)
    rules = project.rules
    if args.rules:  # more rules for this check only, after the project's
        from cchc_tools.analysis.checks import FAMILIES

        with warnings.catch_warnings(record=True) as notices:
            warnings.simplefilter("always", RuleOverride)
            for path in args.rules:
                rules = merge_rules(rules, read_rules(path, FAMILIES))
        for notice in notices:
            print(_("notice: {text}").format(text=notice.message), file=sys.stderr)
    paths = [project.resolve(p) for p in args.paths] if args.paths else [project.data]
    result = load_appendices(paths, province=project.province, root=project.root, forms=project.forms)
    findings = validate(result.table, rules=rules, province=project.province, forms=project.forms)
    if args.format == "csv":
        neutralize_csv(findings).to_csv(sys.stdout, index=False)
    elif args.format == "json":
        payload = {"findings": findings.astype(object).where(findings.notna(), None).to_dict("records"),
                   "load_errors": [{"file": e.path, "line": e.line, "message": str(e)} for e in result.errors]}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=1, default=str)
        print()
    else:
        print(format_findings(findings))
    for err in result.errors:
        print(_error_line(err), file=sys.stderr)
    n_err = int((findings["severity"] == "error").sum()) if len(findings) else 0
    print(_check_summary(findings, len(result.errors)), file=sys.stderr)
    return 1 if n_err or result.errors else 0


def severity_label(severity: str) -> str:
    """``error`` -> ``lỗi`` (``error`` in English)."""
    return {"error": _("error"), "warning": _("warning"), "info": _("info")}.get(severity, severity)


def _where(lines, pages) -> str:
    """A finding's place in the analyst's language: "line 40; 41", or for a PDF "page 3, table row 12"."""
    if not isinstance(lines, str) or not lines:
        return ""
    if not isinstance(pages, str) or not pages:
        return _("line {lines}").format(lines=lines)
    return "; ".join(_("page {page}, table row {lines}").format(page=pg, lines=ln) if pg not in ("", "0")
                     else _("line {lines}").format(lines=ln)
                     for ln, pg in zip(lines.split("; "), pages.split("; "), strict=False))


def format_findings(findings) -> str:
    """Findings as readable text, grouped by file and severity, in the analyst's language."""
    if findings.empty:
        return _("No findings.")
    english = language() == "en"
    out = []
    for source, by_file in findings.groupby("source", sort=False):
        first = by_file.iloc[0]
        out.append(f"== {source} ({first['unit']}, {first['period']} {first['year']})")
        for severity, group in by_file.groupby("severity", sort=False):
            out.append(f"  [{severity_label(severity)}] {len(group)}")
            for f in group.itertuples(index=False):
                where = _where(f.lines, getattr(f, "pages", ""))
                message = f.message_en if english else f.message_vi
                name = f.rule if english or not getattr(f, "title_vi", "") else f.title_vi
                out.append(f"    - {name} {where}: {message}")
    return "\n".join(out)


def cmd_brief(args: argparse.Namespace) -> int:
    from cchc_tools.batch.runner import BriefingError
    from cchc_tools.batch.tasks import check_formats, check_year
    from cchc_tools.errors import CchcError
    from cchc_tools.site import brief_all, brief_unit, check_run_folders

    project = _project(args)
    data = Path(args.data).resolve() if args.data else None
    out = Path(args.out).resolve() if args.out else None
    try:
        formats = check_formats(args.formats)
        if args.year:
            check_year(args.year)
        check_run_folders(project, data, out)  # a folder that would hurt the data, or cannot be written: exit 2
    except CchcError as exc:
        print(_error_line(exc), file=sys.stderr)
        return 2
    if args.all:
        try:
            batch = brief_all(project, data, out, jobs=args.jobs, timeout=args.timeout, progress=not args.quiet,
                              force=args.force, formats=formats)
        except CchcError as exc:
            print(_error_line(exc), file=sys.stderr)
            return 1
        for line in batch.failure_lines():
            print(line, file=sys.stderr)
        index = (out or project.outputs) / "index.html"
        print(_("{summary}; index: {path}").format(summary=batch.summary(), path=index))
        if batch.interrupted:
            return 130 if batch.interrupted == "SIGINT" else 143
        return 1 if batch.problems else 0
    if not (args.year and args.unit):
        print(_("error: give --year and --unit, or --all"), file=sys.stderr)
        return 2
    try:
        html = brief_unit(project, args.year, args.unit, data, out, period=args.period, timeout=args.timeout,
                          formats=formats)
    except (BriefingError, CchcError) as exc:
        print(_error_line(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(_("interrupted: no briefing written"), file=sys.stderr)
        return 130
    print(_("briefing written: {path}").format(path=html))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    if args.province or args.periods or args.project:  # the province of 2026: real communes, quarterly
        from cchc_tools.demo2026 import generate_province, parse_periods
        from cchc_tools.errors import CchcError

        try:
            departments: tuple[str, ...] = ()
            province = args.province
            if args.project:
                project = _project(args)
                departments = tuple(project.reporting.departments)
                province = province or project.province
            periods = parse_periods(args.periods or "Q1,Q2", args.year)
            written = generate_province(args.out, province or "Cần Thơ", periods,
                                        units=8 if args.units is None else args.units, departments=args.departments,
                                        seed=2026 if args.seed is None else args.seed, formats=formats,
                                        department_names=departments)
        except CchcError as exc:
            print(_error_line(exc), file=sys.stderr)
            return 2
    else:  # the 2022 district demo: fictional units, annual
        from cchc_tools.demo import generate

        years = [int(y) for y in str(args.years or "2021,2022,2023").split(",") if y.strip()]
        written = generate(args.out, units=12 if args.units is None else args.units, years=years,
                           seed=2022 if args.seed is None else args.seed, formats=formats)
    print(_("wrote {n} synthetic appendices (DỮ LIỆU MẪU) under {path}").format(n=len(written), path=args.out))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    import datetime

    from cchc_tools.ingest.template import template_form, write_workbook

    project = _project(args)
    if not (args.form or args.year):
        print("error: give --form NAME, or --year (and --level)", file=sys.stderr)
        return 2
    if not args.form and not args.level:  # no districts since 1 July 2025: communes fill the templates
        args.level = "district" if args.year < 2025 else "commune"
    try:
        form = template_form(args.year, args.level, args.form, project.forms)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    level = args.level or (form.levels[0] if form.levels and args.form else "district")
    year = args.year or max(form.first_year or 0, datetime.date.today().year if form.last_year is None
                            else form.last_year)
    out = write_workbook(project.resolve(args.out, None), year=year, level=level, form=form, forms=project.forms)
    print(f"wrote the fill-in template {out} (form {form.name}, {level}, {year})")
    return 0


def cmd_form(args: argparse.Namespace) -> int:
    from cchc_tools.errors import CchcError
    from cchc_tools.ingest.derive import derive_form

    project = _project(args)  # its forms folder is where the draft goes
    try:
        draft = derive_form(args.blank_form, args.name, out=args.out, forms=project.forms)
    except (CchcError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(draft.summary())
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from cchc_tools.project import init_project

    written = init_project(args.folder, args.province)
    for path in written:
        print(_("wrote {path}").format(path=path))
    print(_("a new project for {province} in {folder}: put the appendices under {folder}/data/raw/<year>/<unit>/, "
            "then run `cchc brief --all` there").format(province=args.province, folder=args.folder))
    return 0


def _unit_arg(text: str) -> str:
    from cchc_tools.analysis.selection import unit_from_name

    return unit_from_name(text)


def _date_arg(text: str):
    import datetime

    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"ngày không hợp lệ: {text!r} (viết dd/mm/yyyy, ví dụ 07/12/2026)")


# -- the reporting cycle (issue 21): status, letters, consolidated appendix, digest ----------------------

def _cycle(args: argparse.Namespace, steps: tuple[str, ...]) -> int:
    import datetime

    from cchc_tools.cycle.run import CycleInputError, run_cycle
    from cchc_tools.cycle.status import status_text
    from cchc_tools.errors import CchcError, UnknownUnitError
    from cchc_tools.render.formats import parse_formats

    project = _project(args)  # a bad project is refused by main(), exit 2, like every command's
    try:
        formats = parse_formats(args.formats)
        today = args.date or datetime.date.today()  # what is overdue, and the letters' date: given here, once
        res = run_cycle(project, args.year, args.period, data_dir=Path(args.data).resolve() if args.data else None,
                        out_root=Path(args.out).resolve() if args.out else None, steps=steps,
                        unit=getattr(args, "unit", "") or "", level=getattr(args, "level", "") or "",
                        formats=formats, produced=today, reminders=bool(getattr(args, "reminders", False)))
    except CycleInputError as exc:  # an unknown period, year or unit: nothing was written
        print(f"lỗi: {exc}", file=sys.stderr)
        return 2
    except UnknownUnitError as exc:  # no data folder: refused, nothing was written
        print(_error_line(exc), file=sys.stderr)
        return 2
    except CchcError as exc:
        print(_error_line(exc), file=sys.stderr)
        return 1
    if "status" in steps and res.status is not None:
        print(status_text(res.status))
    if steps == ("digest",) and res.digest is not None:
        print(res.digest.text)
    for note in res.notes:
        print(f"lưu ý: {note}", file=sys.stderr)
    for path in res.written:
        print(_("wrote {path}").format(path=path))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    return _cycle(args, ("status",))


def cmd_letters(args: argparse.Namespace) -> int:
    return _cycle(args, ("letters",))


def cmd_consolidate(args: argparse.Namespace) -> int:
    return _cycle(args, ("consolidate",))


def cmd_digest(args: argparse.Namespace) -> int:
    return _cycle(args, ("digest",))


def cmd_cycle(args: argparse.Namespace) -> int:
    from cchc_tools.cycle.run import STEPS

    code = _cycle(args, STEPS)
    if code == 0:
        from cchc_tools.site import write_index

        root = Path(args.out).resolve() if args.out else _project(args).outputs
        print(_("wrote {path}").format(path=write_index(root)))
    return code


def _cycle_parser(sub, common, name: str, help_text: str, func, *, unit: bool = False, level: bool = False,
                  formats: str = "html,docx,xlsx") -> None:
    p = sub.add_parser(name, help=help_text, parents=[common])
    p.add_argument("--year", type=int, required=True, help="year of the reports, e.g. 2026")
    p.add_argument("--period", default="annual", help="annual (default), Q1..Q4, 6-month, 9-month, H2")
    p.add_argument("--data", help="data folder (default: the project's)")
    p.add_argument("--out", help="outputs folder (default: the project's); files go to <out>/<year>/")
    p.add_argument("--formats", default=formats, help=f"comma-separated outputs (default: {formats})")
    p.add_argument("--date", type=_date_arg, help="the date the status is taken and letters are dated "
                   "(dd/mm/yyyy or yyyy-mm-dd; default: today)")
    if unit:
        p.add_argument("--unit", type=_unit_arg, help="only this unit (slug or name)")
        p.add_argument("--reminders", action="store_true", help="also draft a reminder (công văn đôn đốc) to each "
                       "unit whose report is overdue")
    if level:
        p.add_argument("--level", choices=["district", "commune", "department"],
                       help="the level of the units to add up (default: the level most reports have)")
    p.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cchc", description="CCHC appendix kit")
    parser.add_argument("--version", action="version", version=f"cchc-kit {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--project", metavar="DIR", help="the province project (a folder with cchc.toml; default: "
                        "$CCHC_PROJECT, else the nearest cchc.toml above the working directory)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="write a new province project (cchc.toml, rules, targets, data/raw)")
    p.add_argument("folder", help="the new project's folder (outside the kit's repository)")
    p.add_argument("--province", required=True, help="the province, e.g. \"Cần Thơ\"")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("load", help="load appendices into one tidy table", parents=[common])
    p.add_argument("paths", nargs="*", help="appendix files or folders (default: the project's data folder)")
    p.add_argument("--out", action="append", help="write the table (.parquet or .csv); repeatable")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("check", help="check appendices for inconsistent figures", parents=[common])
    p.add_argument("paths", nargs="*", help="appendix files or folders (default: the project's data folder)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--rules", action="append", metavar="FILE",
                   help="a rules file (same schema as the shipped rules.yaml) added, for this check only, to the "
                        "project's and the shipped rules; a rule with a known id replaces it; repeatable")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("brief", help="run briefings on warm kernels and export them (only changed ones with --all)",
                       parents=[common])
    p.add_argument("--year", help="year of the report, e.g. 2022")
    p.add_argument("--unit", type=_unit_arg, help="unit slug or name, e.g. vinh-chau or \"Vĩnh Châu\"")
    p.add_argument("--period", default="annual", help="annual (default), Q1..Q4, 6-month, 9-month")
    p.add_argument("--all", action="store_true", help="every unit and year, comparisons and trends")
    p.add_argument("--data", help="data folder (default: the project's, data/raw)")
    p.add_argument("--out", help="outputs folder (default: the project's, outputs/)")
    p.add_argument("--jobs", type=int, default=None, help="parallel notebooks (default: number of cores)")
    p.add_argument("--timeout", type=int, default=600, help="seconds per notebook cell")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="re-render every briefing, even those whose inputs did "
                   "not change")
    p.add_argument("--formats", default="html,docx,pdf,xlsx",
                   help="comma-separated outputs: html, docx, pdf, xlsx (default: all)")
    p.set_defaults(func=cmd_brief)

    p = sub.add_parser("template", help="write the blank fill-in Excel template of a form for units", parents=[common])
    p.add_argument("--form", help="form name (cchc_tools/data/forms or the project's forms/); default: by year, level")
    p.add_argument("--year", type=int, help="year of the report (picks the form valid then when --form is not given)")
    p.add_argument("--level", default=None, choices=["province", "department", "district", "commune"],
                   help="level of the units that fill it (default: the form's, else district)")
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("form", help="appendix forms: derive a draft form file from a blank or filled form")
    form_sub = p.add_subparsers(dest="form_command", required=True)
    d = form_sub.add_parser("derive", help="align a form's rows to the known codes and write a draft form file",
                            parents=[common])
    d.add_argument("blank_form", help="the form: .xlsx, .docx or .txt (blank or filled)")
    d.add_argument("--name", required=True, help="name of the new form, e.g. commune-2026-can-tho")
    d.add_argument("--out", help="the draft form file (default: <project>/forms/NAME.csv)")
    d.set_defaults(func=cmd_form)

    p = sub.add_parser("demo-data", help="write synthetic appendices (never into data/raw): a province's real "
                       "communes, wards and departments, quarterly (--province, --periods), or the 2022 district "
                       "demo of fictional units (--years)")
    p.add_argument("--province", help="the province of the 2026 demo, e.g. \"Cần Thơ\" (default: the project's "
                   "with --project)")
    p.add_argument("--periods", help="periods of the province demo: Q1,Q2 (with --year) or 2025-Q4,2026-Q1 "
                   "(default: Q1,Q2)")
    p.add_argument("--year", type=int, default=2026, help="the year of periods written without one (default: 2026)")
    p.add_argument("--units", type=int, default=None,
                   help="communes and wards (province demo, default 8) or fictional units (district demo, default 12)")
    p.add_argument("--departments", type=int, default=2, help="departments of the province demo (default 2): the "
                   "project's ([reporting] departments), else Sở Nội vụ, Sở Tài chính, Sở Y tế, ...")
    p.add_argument("--years", default=None, help="the district demo: comma-separated years (default 2021,2022,2023)")
    p.add_argument("--out", default="data/demo")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: 2026, or 2022 for the district demo)")
    p.add_argument("--formats", default="txt", help="comma-separated: txt, xlsx")
    p.add_argument("--project", metavar="DIR", help="a province project: its province and departments")
    p.set_defaults(func=cmd_demo)

    _cycle_parser(sub, common, "status", "who has reported for a period: received, late, missing, unreadable",
                  cmd_status, formats="html,xlsx")
    _cycle_parser(sub, common, "letters", "draft letters asking each unit to explain or correct its figures",
                  cmd_letters, unit=True)
    _cycle_parser(sub, common, "consolidate", "the province's consolidated appendix of a period (xlsx, docx)",
                  cmd_consolidate, level=True, formats="docx,xlsx")
    _cycle_parser(sub, common, "digest", "a plain-text digest of a period (at most 2,000 characters)", cmd_digest)
    _cycle_parser(sub, common, "cycle", "status, letters, consolidated appendix and digest of a period, then the index",
                  cmd_cycle, level=True)
    return parser


#: Exit codes: 2 a refusal (a bad project or argument: nothing was run), 130 stopped by Ctrl-C (128 + SIGINT).
EXIT_REFUSED, EXIT_INTERRUPTED = 2, 130


def main(argv: list[str] | None = None) -> int:
    """Run one command. A project (or a file it names) that does not fit its schema is refused with one line and
    exit 2, in every command; Ctrl-C stops any command with one line and exit 130: every file is written whole
    or not at all (``atomic``), so what an interrupted run leaves is only files it had finished."""
    try:
        from cchc_tools.analysis.specs import SpecError

        args = build_parser().parse_args(argv)
        try:
            return int(args.func(args) or 0)
        except SpecError as exc:  # the project, or a file it names, does not fit its schema: nothing was run
            print(_error_line(exc), file=sys.stderr)
            return EXIT_REFUSED
    except KeyboardInterrupt:
        print(_("interrupted (Ctrl-C): stopped; every file is written whole or not at all, run the same command "
                "again to finish"), file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
