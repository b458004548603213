"""Fuzzing a province's project: hostile ``cchc.toml``, rules, targets, forms and Word templates, one generated
project per case (issue 30).

Each case starts from what ``cchc init`` writes for Cần Thơ and applies one to three mutations: a byte-order
mark, another encoding, cut-off text or flipped bytes; a value replaced by a hostile one (control and bidi
characters, a quote and ``#``, ten thousand characters, ``inf``, a huge number, another type); an unknown key, a
sub-table, a line of "[" and spaces; a province that is not one; YAML aliases (a "billion laughs"), tags,
infinite or huge targets; form files in UTF-16, in a legacy encoding, without a column, with bad years, levels or
codes, a folder named ``x.csv``, ``forms`` naming a file; a Word template that is ``/etc/passwd``, a zip bomb, a
folder or not a zip. For every case:

- loading the project either succeeds or raises the kit's own :class:`~cchc_tools.analysis.specs.SpecError`,
  never anything else, within a bounded message that names the file at fault;
- ``cchc status`` on it exits 2 with one line on a refused project, never a traceback; on a project that loads,
  now and then, ``cchc letters`` and ``cchc consolidate`` on the bundled appendix run without a traceback (the
  letterhead and the template reach Word).

``python -m tests.fuzz_project --cases 400`` is part of ``make fuzz``; ``tests/test_hostile_project.py`` runs a
few dozen cases in ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
SEED = KIT / "data" / "raw" / "2022" / "vinh-chau" / "phu-luc-cchc-2022-vinh-chau.txt"
FORM = KIT / "cchc_tools" / "data" / "forms" / "commune-2025.csv"
MESSAGE_ROOM = 600  # a refusal is its bounded reason plus a path, a key and a line

HOSTILE_TEXTS = ["Sở\u0007Nội vụ", "Sở \u202eụv iộN", "Sở\u0000", "A\u200bB", "x" * 10_000, 'Cần Thơ" # x',
                 "a\\u0000b", "'''", "\ufeffSở", "Sở\u2028Nội vụ", "\U0001f600", "Sở Nội vụ\r\n[evil]", ""]
HOSTILE_NUMBERS = ["inf", "nan", "-1", "1e309", "99999999999999999999999", "true", '"15"', "[15]", "{a = 1}", "0",
                   "1.5", "32", "-0"]
HOSTILE_PROVINCES = ["Can Thoo", "Hà Nội Mới", "x" * 200, "Cần Thơ\u0007", "Thành phố Cần Thơ", "Sóc Trăng",
                     "東京", "", "  ", "Cần Thơ" * 40]
HOSTILE_TARGET_VALUES = [".inf", "-.inf", ".nan", "1.0e+309", "1.0e+300", "1e300", "-5", "'95'", "95", "!!python/none",
                         "!!binary aGVsbG8=", "[95]", "{a: 1}", "1.0e+14"]


@dataclass
class Summary:
    cases: int = 0
    loaded: int = 0
    refused: int = 0
    commands: int = 0
    errors: list[str] = field(default_factory=list)  # anything but a clean load or a SpecError; tracebacks
    seconds: float = 0.0

    def ok(self) -> bool:
        return not self.errors

    def report(self) -> str:
        return (f"{self.cases} projects: {self.loaded} loaded, {self.refused} refused, {self.commands} commands run, "
                f"{len(self.errors)} defects, {self.seconds:.0f} s")


# --- mutations: each takes the project folder and a random source -------------------------------------------------

def _toml(root: Path) -> Path:
    return root / "cchc.toml"


def _replace_value(root: Path, rng: random.Random, keys: list[str], values: list[str], quote: bool) -> None:
    p = _toml(root)
    lines = p.read_text(encoding="utf-8", errors="surrogateescape").split("\n")
    key = rng.choice(keys)
    for i, line in enumerate(lines):
        if line.startswith(f"{key} ="):
            v = rng.choice(values)
            if quote:
                v = json.dumps(v, ensure_ascii=False) if rng.random() < 0.8 else f'"{v}"'  # JSON escapes are TOML's
            lines[i] = f"{key} = {v}"
    p.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")


def m_text_value(root: Path, rng: random.Random) -> None:
    keys = ["parent_body", "issuing_body", "place", "signer_title", "signer_name", "basis", "word_template", "data",
            "forms"]
    _replace_value(root, rng, keys, HOSTILE_TEXTS, quote=True)


def m_number_value(root: Path, rng: random.Random) -> None:
    _replace_value(root, rng, ["quarter", "annual", "min_coverage", "reply_days"], HOSTILE_NUMBERS, quote=False)


def m_province(root: Path, rng: random.Random) -> None:
    _replace_value(root, rng, ["province"], HOSTILE_PROVINCES, quote=True)


def m_departments(root: Path, rng: random.Random) -> None:
    _replace_value(root, rng, ["departments"], ['["Sở\\u0008"]', '["Sở\u0008"]', '["' + "S" * 300 + '"]', '[""]',
                                                "[1]", '"Sở"'], quote=False)


def m_structure(root: Path, rng: random.Random) -> None:
    p = _toml(root)
    text = p.read_text(encoding="utf-8", errors="surrogateescape")
    extra = rng.choice(["\n[reporting.deadlines.x]\na = 1\n", "\n[project.sub]\na = 1\n", "\n[projekt]\na = 1\n",
                        "\n[document]\nwordtemplate = \"\"\n", "\n[" + " " * 3000 + "\n",
                        '\n[letters]\nbasis = """\n[' + " " * 3000 + '\n"""\n', "\nletters = 3\n",
                        "\n[[project]]\n", "\nproject.province = \"Hà Nội\"\n", "\n[reporting]\ndeadlines = 5\n"])
    if extra.startswith("\nletters") or extra.startswith("\nproject."):
        text = extra.lstrip("\n") + text
    else:
        text += extra
    p.write_text(text, encoding="utf-8", errors="surrogateescape")


def m_bytes(root: Path, rng: random.Random) -> None:
    """BOM, UTF-16, a legacy encoding, a cut, flipped bytes, of cchc.toml or a YAML file."""
    p = rng.choice([_toml(root), root / "rules.yaml", root / "targets.yaml"])
    data = p.read_bytes()
    kind = rng.randrange(5)
    if kind == 0:
        data = b"\xef\xbb\xbf" + data
    elif kind == 1:
        data = data.decode("utf-8").encode("utf-16")
    elif kind == 2:
        data = data.decode("utf-8").encode("cp1258", errors="replace")
    elif kind == 3:
        data = data[: rng.randrange(len(data) + 1)]
    else:
        data = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
    p.write_bytes(data)


def _bomb(levels: int, width: int) -> str:
    lines = ['- &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"- &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


TARGET = ("- id: t{n}\n  indicator: plan_completion\n  op: \">=\"\n  value: {value}\n  from_year: 2022\n"
          "  source: Kế hoạch số 12/KH-UBND\n")
RULE = ("- id: r{n}\n  family: part_le_whole\n  severity: warning\n  title_vi: {title}\n  doc: thử\n"
        "  part: [III.dossiers_district_received]\n  whole: [III.dossiers_district_resolved]\n")


def m_yaml(root: Path, rng: random.Random) -> None:
    kind = rng.randrange(6)
    name = rng.choice(["rules.yaml", "targets.yaml"])
    if kind == 0:
        text = _bomb(rng.randint(3, 9), rng.randint(2, 10))
    elif kind == 1:
        text = "- &e\n  id: x\n  note: *e\n"
    elif kind == 2:
        name, text = "targets.yaml", TARGET.format(n=1, value=rng.choice(HOSTILE_TARGET_VALUES))
    elif kind == 3:
        name = "rules.yaml"
        text = RULE.format(n=1, title=rng.choice(['"' + "x" * 100_000 + '"', "!!python/object:os.system ls",
                                                  "&a x", "'Sở\u0007'"]))
    elif kind == 4:
        text = "- id: " + "a" * 500_000 + "\n"
    else:
        text = TARGET.format(n=1, value="&v 95") + TARGET.format(n=2, value="*v")
    (root / name).write_text(text, encoding="utf-8")


def m_form(root: Path, rng: random.Random) -> None:
    base = FORM.read_text(encoding="utf-8").replace("commune-2025", "mine")
    kind = rng.randrange(11)
    folder = root / "forms"
    target = folder / "mine.csv"
    if kind == 0:
        data = b"\xef\xbb\xbf" + base.encode()
    elif kind == 1:
        data = base.encode("utf-16")
    elif kind == 2:
        data = base.encode("cp1258", errors="replace")
    elif kind == 3:
        data = base.replace("stt,label,uom,code", rng.choice(["stt,label,code", "label,uom", "", "a;b;c;d"])).encode()
    elif kind == 4:
        data = base.replace("# years: 2025-", "# years: " + rng.choice(["20x5", "2030-2020", "1-2", "-", "99999",
                                                                       "2025-2026-2027", "ba"])).encode()
    elif kind == 5:
        data = base.replace("# levels: commune", "# levels: " + rng.choice(["hamlet", "commune;x", "\u0007"])).encode()
    elif kind == 6:
        data = base.replace("I.plan_completion_pct", rng.choice(["I.plan_completion_pc", "", "X" * 5000, "I",
                                                                 "VIII.x"]), 1).encode()
    elif kind == 7:
        (folder / "x.csv").mkdir(parents=True)
        return
    elif kind == 8:
        _replace_value(root, rng, ["forms"], ["cchc.toml", "nowhere", "/", "README.md"], quote=True)
        return
    elif kind == 9:
        data = bytearray(base.encode())
        for _ in range(rng.randint(1, 10)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
    else:
        data = base.encode()[: rng.randrange(len(base.encode()))]
    folder.mkdir(exist_ok=True)
    target.write_bytes(data)


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def m_template(root: Path, rng: random.Random) -> None:
    kind = rng.randrange(6)
    name = "mau.docx"
    if kind == 0:
        name = "/etc/passwd"
    elif kind == 1:
        _zip(root / name, {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                           "word/media/zero.bin": b"\0" * (rng.randint(20, 80) << 20)})
    elif kind == 2:
        (root / name).write_bytes(b"PK\x03\x04 not really a zip")
    elif kind == 3:
        (root / name).mkdir()
    elif kind == 4:
        _zip(root / name, {"[Content_Types].xml": b"<Types/>",
                           "word/document.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'})
    else:
        from docx import Document

        Document().save(str(root / name))
    _replace_value(root, rng, ["word_template"], [name], quote=True)


def m_benign(root: Path, rng: random.Random) -> None:
    """Unusual values a project may well have, which load."""
    kind = rng.randrange(5)
    if kind == 0:
        _replace_value(root, rng, ["province"], ["Sóc Trăng", "Thành phố Cần Thơ", "cần thơ", "Hậu Giang"], quote=True)
    elif kind == 1:
        _replace_value(root, rng, ["signer_name", "place", "issuing_body", "parent_body"],
                       ["Nguyễn Văn A " + "B" * 240, "Sở \U0001f600 Nội vụ", "a\\u0000b", "\'\'\'", "Sở # Nội vụ",
                        "[x]"], quote=True)
    elif kind == 2:
        _replace_value(root, rng, ["signer_title"], ["KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"], quote=True)
    elif kind == 3:
        from docx import Document

        Document().save(str(root / "mau.docx"))
        _replace_value(root, rng, ["word_template"], ["mau.docx"], quote=True)
    else:
        (root / "forms" / "mine.csv").write_bytes(b"\xef\xbb\xbf" + FORM.read_bytes().replace(b"commune-2025", b"mine"))


MUTATIONS: list[Callable[[Path, random.Random], None]] = [m_text_value, m_number_value, m_province, m_departments,
                                                          m_structure, m_bytes, m_yaml, m_form, m_template]


# --- running a case -----------------------------------------------------------------------------------------------

def make_case(folder: Path, rng: random.Random) -> list[str]:
    """A fresh project in ``folder`` (``cchc init`` for Cần Thơ, the bundled appendix under data/raw), mutated."""
    from cchc_tools.project import init_project

    init_project(folder, "Cần Thơ")
    raw = folder / "data" / "raw" / "2022" / "vinh-chau"
    raw.mkdir(parents=True)
    shutil.copy(SEED, raw / SEED.name)
    names = []
    chosen = [m_benign] if rng.random() < 0.25 else rng.sample(MUTATIONS, min(len(MUTATIONS), rng.randint(1, 3)))
    chosen.sort(key=lambda m: m is m_bytes)  # bytes last: the others edit a text
    for mutate in chosen:
        mutate(folder, rng)
        names.append(mutate.__name__)
    return names


def _cli(argv: list[str]) -> tuple[int, str]:
    from cchc_tools.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
        except BaseException:  # noqa: BLE001 - a traceback is the defect looked for
            return -1, traceback.format_exc()
    return code, err.getvalue()


def check_case(folder: Path, names: list[str], summary: Summary, run_commands: bool) -> None:
    from cchc_tools.analysis.specs import SpecError
    from cchc_tools.project import load_project

    label = f"{folder.name} ({', '.join(names)})"
    try:
        load_project(folder, env={})
        loaded = True
        summary.loaded += 1
    except SpecError as exc:
        loaded = False
        summary.refused += 1
        if len(str(exc)) > 1_000 + MESSAGE_ROOM + len(str(folder)):
            summary.errors.append(f"{label}: a message of {len(str(exc)):,} characters")
        if str(folder) not in str(exc) and "CCHC_" not in str(exc):
            summary.errors.append(f"{label}: the message names no file of the project: {str(exc)[:300]}")
    except BaseException:  # noqa: BLE001 - anything else is the defect looked for
        summary.errors.append(f"{label}: {traceback.format_exc()[-1500:]}")
        return
    out = folder / "out"
    if not loaded:
        code, err = _cli(["status", "--project", str(folder), "--year", "2026", "--period", "Q1", "--out", str(out)])
        summary.commands += 1
        if code != 2 or len(err.strip().splitlines()) != 1 or "Traceback" in err:
            summary.errors.append(f"{label}: status on a refused project: exit {code}, {err[-1500:]}")
        if out.exists():
            summary.errors.append(f"{label}: a refused project wrote {out}")
        return
    if run_commands:
        for command in ("letters", "consolidate"):
            code, err = _cli([command, "--project", str(folder), "--year", "2022", "--out", str(out),
                              "--date", "07/12/2026"])
            summary.commands += 1
            if code not in (0, 1, 2) or "Traceback" in err:
                summary.errors.append(f"{label}: {command}: exit {code}, {err[-1500:]}")


def run(cases: int, seed: int = 2026, commands_every: int = 10) -> Summary:
    """``cases`` hostile projects from ``seed``; ``cchc letters`` and ``consolidate`` on every
    ``commands_every``-th project that loads."""
    from cchc_tools.project import _LOADED

    rng = random.Random(seed)
    summary = Summary()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cchc-fuzz-project-") as tmp:
        for i in range(cases):
            folder = Path(tmp) / f"case-{i:05d}"
            names = make_case(folder, rng)
            summary.cases += 1
            check_case(folder, names, summary, run_commands=summary.loaded % commands_every == 0)
            _LOADED.clear()
            shutil.rmtree(folder, ignore_errors=True)
    summary.seconds = time.perf_counter() - start
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=400, help="hostile projects")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--commands-every", type=int, default=10,
                        help="run letters and consolidate on every n-th project that loads")
    args = parser.parse_args(argv)
    summary = run(args.cases, args.seed, args.commands_every)
    print(f"projects: {summary.report()}")
    for item in summary.errors[:20]:
        print(f"  defect: {item}")
    return 0 if summary.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
