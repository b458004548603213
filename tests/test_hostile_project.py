"""A project's own files as messy as real ones (issue 30): each is refused with its file, line and key, exit 2,
never a traceback, never a huge message; ``cchc init`` never overwrites; Ctrl-C stops any command with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from cchc_tools import paths
from cchc_tools.analysis.specs import SpecError
from cchc_tools.analysis.targets import TargetError, load_targets
from cchc_tools.cli import main
from cchc_tools.limits import MAX_DOCUMENT_TEXT_CHARS, MAX_MESSAGE_CHARS
from cchc_tools.project import ProjectError, _key_lines, init_project, init_text, load_project

ROOM = 400  # a message is its bounded reason plus the file's path and the key
TARGET = """\
- id: plan_can_tho
  indicator: plan_completion
  op: ">="
  value: {value}
  from_year: 2022
  source: Kế hoạch số 12/KH-UBND của UBND tỉnh
"""


def project(tmp_path: Path, toml: str = "", **files: str | bytes) -> Path:
    """A project folder: ``cchc.toml`` (``[project] province = "Cần Thơ"`` unless ``toml`` says more) and files."""
    root = tmp_path / "p"
    root.mkdir(exist_ok=True)
    (root / "cchc.toml").write_text(toml or '[project]\nprovince = "Cần Thơ"\n', encoding="utf-8")
    for name, content in files.items():
        p = root / name.replace("__", "/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content) if isinstance(content, bytes) else p.write_text(content, encoding="utf-8")
    return root


def refusal(root: Path) -> SpecError:
    with pytest.raises(SpecError) as err:
        load_project(root, env={})
    assert len(str(err.value)) < MAX_MESSAGE_CHARS + ROOM
    return err.value


# --- YAML aliases -------------------------------------------------------------------------------------------------

def bomb(levels: int = 6, width: int = 9) -> str:
    """A "billion laughs": each level an anchored list of ``width`` aliases of the level below (width**levels)."""
    lines = ['- &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"- &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("key", ["rules", "targets"])
def test_a_yaml_alias_bomb_is_refused_before_it_expands_with_a_short_message(tmp_path, key):
    root = project(tmp_path, f'[project]\nprovince = "Cần Thơ"\n{key} = ["own.yaml"]\n', **{"own.yaml": bomb()})
    err = refusal(root)
    assert err.path.endswith("own.yaml") and err.line == 1 and "YAML alias" in str(err)


def test_an_alias_inside_an_entry_is_refused_too_naming_the_line_of_what_it_repeats(tmp_path):
    own = TARGET.format(value="&v 95") + TARGET.format(value="*v").replace("plan_can_tho", "plan_2")
    with pytest.raises(TargetError) as err:
        load_targets([_write(tmp_path / "t.yaml", own)])
    assert err.value.line == 4 and "YAML alias" in str(err.value)


def test_a_recursive_alias_is_refused(tmp_path):
    with pytest.raises(TargetError, match="YAML alias"):
        load_targets([_write(tmp_path / "t.yaml", "- &e\n  id: x\n  note: *e\n")])


def test_a_huge_value_is_never_echoed_whole(tmp_path):
    own = TARGET.format(value='"' + "9" * 500_000 + '"')
    with pytest.raises(TargetError) as err:
        load_targets([_write(tmp_path / "t.yaml", own)])
    assert err.value.key == "value" and len(str(err.value)) < MAX_MESSAGE_CHARS + ROOM and "ký tự" in str(err.value)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- targets: finite numbers in range -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1.0e+309", "1.0e+300", "1.0e+15", "-5", "1e300"])
def test_a_target_that_is_not_a_finite_number_in_range_is_refused_with_file_line_and_key(tmp_path, value):
    with pytest.raises(TargetError) as err:
        load_targets([_write(tmp_path / "t.yaml", TARGET.format(value=value))])
    assert (Path(err.value.path).name, err.value.line, err.value.key) == ("t.yaml", 4, "value")


def test_an_ordinary_target_still_loads(tmp_path):
    loaded = load_targets([_write(tmp_path / "t.yaml", TARGET.format(value="92.5"))], shipped=False)
    assert [t["value"] for t in loaded] == [92.5]


# --- cchc.toml: the line scan, a BOM, a sub-table -----------------------------------------------------------------

def test_the_line_scan_is_linear_on_a_line_of_a_bracket_and_spaces():
    """A backtracking pattern took about 45 s on "[" and 3,000 spaces and grows with the cube of the length: a
    line of a million spaces would not finish for years. The scan reads it once and finds no table on it."""
    text = "[" + " " * 1_000_000 + "\n[ reporting . deadlines ]  # due\nquarter = 15\n[reporting.deadlines.x]\n" \
           "a.b = 1\n" + "[" + " " * 1_000_000 + "]x\n"
    assert _key_lines(text) == {("reporting.deadlines", ""): 2, ("reporting", "deadlines"): 2,
                                ("reporting.deadlines", "quarter"): 3, ("reporting.deadlines.x", ""): 4,
                                ("reporting.deadlines", "x"): 4, ("reporting.deadlines.x", "a"): 5,
                                ("reporting.deadlines.x.a", "b"): 5}


def test_a_long_line_of_spaces_in_a_project_file_loads(tmp_path):
    toml = '[project]\nprovince = "Cần Thơ"\n[letters]\nbasis = """\n[' + " " * 3_000 + '\n"""\n'
    with pytest.raises(ProjectError) as err:  # a valid TOML text: only the basis is too long
        load_project(project(tmp_path, toml), env={})
    assert err.value.key == "basis" and err.value.line == 4


def test_project_files_beyond_their_limit_are_refused_unread(tmp_path):
    root = project(tmp_path, '[project]\nprovince = "Cần Thơ"\nrules = ["r.yaml"]\n', **{"r.yaml": "#" * (2 << 20)})
    assert "MAX_PROJECT_FILE_BYTES" in str(refusal(root)) and refusal(root).path.endswith("r.yaml")
    (root / "cchc.toml").write_text("#" * (2 << 20), encoding="utf-8")
    assert "MAX_PROJECT_FILE_BYTES" in str(refusal(root))


def test_a_bom_is_named_as_such(tmp_path):
    root = project(tmp_path)
    (root / "cchc.toml").write_bytes(b"\xef\xbb\xbf" + (root / "cchc.toml").read_bytes())
    err = refusal(root)
    assert err.line == 1 and "byte-order mark" in str(err) and "without BOM" in str(err)


def test_a_sub_table_of_the_deadlines_is_reported_on_its_own_line(tmp_path):
    toml = '[project]\nprovince = "Cần Thơ"\n\n[reporting.deadlines]\nquarter = 15\n\n[reporting.deadlines.x]\na = 1\n'
    err = refusal(project(tmp_path, toml))
    assert (err.line, err.key) == (7, "x")


# --- [document] texts, the Word template --------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "what"), [
    ("Sở Nội vụ\\u0007", "U+0007"), ("Sở \\u202eụv iộN", "U+202E"), ("Sở\\u0000", "U+0000"),
    ("S" * (MAX_DOCUMENT_TEXT_CHARS + 1), "MAX_DOCUMENT_TEXT_CHARS"),
])
@pytest.mark.parametrize("key", ["issuing_body", "signer_name", "place"])
def test_a_control_character_or_a_long_text_in_document_is_refused_naming_the_key(tmp_path, key, value, what):
    err = refusal(project(tmp_path, f'[project]\nprovince = "Cần Thơ"\n[document]\n{key} = "{value}"\n'))
    assert (err.key, err.line) == (key, 4) and what in str(err)


def test_a_two_line_signer_title_and_ordinary_texts_load(tmp_path):
    toml = ('[project]\nprovince = "Cần Thơ"\n[document]\nsigner_title = "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC"\n'
            'issuing_body = "SỞ NỘI VỤ"\n[reporting]\ndepartments = ["Sở Tài chính"]\n')
    p = load_project(project(tmp_path, toml), env={})
    assert p.document.signer_title == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC" and p.reporting.departments == ("Sở Tài chính",)


def test_a_department_with_a_control_character_is_refused(tmp_path):
    err = refusal(project(tmp_path, '[project]\nprovince = "Cần Thơ"\n[reporting]\ndepartments = ["Sở\\u0008"]\n'))
    assert err.key == "departments" and "U+0008" in str(err)


def zip_bomb(path: Path, mib: int = 100) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/media/zeros.bin", b"\0" * (mib << 20))
    return path


def test_a_word_template_that_is_not_a_safe_docx_is_refused(tmp_path):
    for name in ("/etc/passwd", "bomb.docx", "fake.docx"):
        root = project(tmp_path, f'[project]\nprovince = "Cần Thơ"\n[document]\nword_template = "{name}"\n')
        zip_bomb(root / "bomb.docx")
        (root / "fake.docx").write_text("not a zip", encoding="utf-8")
        err = refusal(root)
        assert (err.key, err.line) == ("word_template", 4) and "docx" in str(err)


def test_a_real_word_template_loads(tmp_path):
    from docx import Document

    root = project(tmp_path, '[project]\nprovince = "Cần Thơ"\n[document]\nword_template = "mau.docx"\n')
    Document().save(str(root / "mau.docx"))
    assert load_project(root, env={}).document.word_template == root / "mau.docx"


# --- the province -------------------------------------------------------------------------------------------------

def test_an_unknown_province_is_refused_with_the_close_official_names(tmp_path):
    err = refusal(project(tmp_path, '[project]\nprovince = "Can Thoo"\n'))
    assert (err.key, err.line) == ("province", 2) and "Thành phố Cần Thơ" in str(err)
    assert load_project(project(tmp_path, '[project]\nprovince = "Sóc Trăng"\n'), env={}).province == "Sóc Trăng"


def test_a_huge_province_is_never_echoed_whole(tmp_path):
    root = project(tmp_path)
    with pytest.raises(ProjectError) as err:
        load_project(root, env={"CCHC_PROVINCE": "Cần Thơ" * 1_500_000})
    assert err.value.key == "province" and len(str(err.value)) < MAX_MESSAGE_CHARS + ROOM
    err = refusal(project(tmp_path, '[project]\nprovince = "' + "x" * 500_000 + '"\n'))
    assert err.key == "province"


def test_status_on_an_unknown_province_exits_2(tmp_path, capsys):
    root = project(tmp_path, '[project]\nprovince = "Không Có"\n')
    assert main(["status", "--project", str(root), "--year", "2026", "--period", "Q1"]) == 2
    assert "Không Có" in capsys.readouterr().err


# --- forms/ -------------------------------------------------------------------------------------------------------

FORM = (paths.PACKAGE_DATA / "forms" / "commune-2025.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(("content", "line", "words"), [
    (FORM.encode("utf-16"), 1, "UTF-16"),
    (FORM.replace("Công tác", "Công tác\u1ea1").encode("utf-8").replace("\u1ea1".encode(), b"\xe1"), None, "UTF-8"),
    (FORM.replace("stt,label,uom,code", "stt,label,code"), 6, "missing uom"),
    (FORM.replace("# years: 2025-", "# years: 20x5"), 4, "span of years"),
    (FORM.replace("# years: 2025-", "# years: 2030-2020"), 4, "span of years"),
    (FORM.replace("# levels: commune", "# levels: hamlet"), 3, "hamlet"),
    (FORM.replace("I.plan_completion_pct", "I.plan_completion_pc", 1), None, "did you mean 'I.plan_completion_pct'"),
])
def test_a_bad_form_file_is_refused_with_its_file_and_line(tmp_path, content, line, words):
    root = project(tmp_path, **{"forms__mine.csv": content})
    err = refusal(root)
    assert err.path.endswith("mine.csv") and words in str(err)
    if line:
        assert err.line == line
    else:
        assert err.line and err.line > 6


def test_a_form_with_a_bom_loads_as_excel_writes_it(tmp_path):
    from cchc_tools.forms import all_forms

    root = project(tmp_path, **{"forms__mine.csv": b"\xef\xbb\xbf" + FORM.replace("commune-2025", "mine").encode()})
    forms = load_project(root, env={}).forms
    assert all_forms(forms)["mine"].codes == all_forms(forms)["commune-2025"].codes


def test_a_folder_named_csv_and_forms_naming_a_file_are_refused(tmp_path):
    root = project(tmp_path)
    (root / "forms" / "x.csv").mkdir(parents=True)
    assert "is a folder" in str(refusal(root))
    root = project(tmp_path, '[project]\nprovince = "Cần Thơ"\nforms = "cchc.toml"\n')
    err = refusal(root)
    assert (err.key, err.line) == ("forms", 3) and "is a file" in str(err)
    err = refusal(project(tmp_path, '[project]\nprovince = "Cần Thơ"\nforms = "mau"\n'))
    assert (err.key, err.line) == ("forms", 3) and "not there" in str(err)


def test_a_draft_form_with_new_codes_loads(tmp_path):
    draft = FORM.replace("stt,label,uom,code", "stt,label,uom,code,status").replace(
        "I.plan_completion_pct\n", "I.plan_completion_pct,matched\n1b,Dòng mới,%,I.new_row,new\n", 1)
    load_project(project(tmp_path, **{"forms__draft.csv": draft}), env={})


# --- cchc init ----------------------------------------------------------------------------------------------------

def test_init_never_overwrites_a_file_and_names_what_is_there(tmp_path, capsys):
    folder = tmp_path / "P"
    folder.mkdir()
    (folder / "README.md").write_text("của tôi", encoding="utf-8")
    assert main(["init", str(folder), "--province", "Cần Thơ"]) == 2
    assert "README.md" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["README.md"]
    assert (folder / "README.md").read_text(encoding="utf-8") == "của tôi"
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    assert main(["init", str(tmp_path / "afile"), "--province", "Cần Thơ"]) == 2
    assert main(["init", str(tmp_path / "afile" / "sub"), "--province", "Cần Thơ"]) == 2  # a parent that is a file
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x"
    assert len(capsys.readouterr().err.splitlines()) == 2


def test_init_refuses_an_unknown_province_with_close_names(tmp_path, capsys):
    assert main(["init", str(tmp_path / "P"), "--province", "Can Thoo"]) == 2
    assert "Thành phố Cần Thơ" in capsys.readouterr().err and not (tmp_path / "P").exists()
    assert main(["init", str(tmp_path / "P"), "--province", "x" * 10_000_000]) == 2
    assert len(capsys.readouterr().err) < MAX_MESSAGE_CHARS + ROOM


@pytest.mark.parametrize("province", ['Cần Thơ" # x', 'A"\n[evil]\nx = 1', "A\\u0000'''"])
def test_the_province_is_written_by_a_toml_writer(province):
    data = tomllib.loads(init_text("cchc.toml", province, "Thành phố Cần Thơ"))
    assert data["project"]["province"] == data["document"]["place"] == province and "evil" not in data


def test_init_writes_a_project_of_a_legacy_province(tmp_path):
    init_project(tmp_path / "P", "Sóc Trăng")
    assert load_project(tmp_path / "P", env={}).document.parent_body == "UBND TỈNH SÓC TRĂNG"


# --- exit 2 for every refusal, in every command -------------------------------------------------------------------

COMMANDS = [["load"], ["check"], ["brief", "--year", "2022", "--unit", "vinh-chau"], ["template", "--year", "2026",
            "--out", "x.xlsx"]] + [[c, "--year", "2026", "--period", "Q1"] for c in ("status", "letters",
                                                                                      "consolidate", "digest", "cycle")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_command_exits_2_on_a_bad_project(tmp_path, capsys, command):
    root = project(tmp_path, '[project]\nprovince = "Cần Thơ"\ntargets = ["t.yaml"]\n',
                   **{"t.yaml": TARGET.format(value=".inf")})
    assert main([*command, "--project", str(root)]) == 2
    err = capsys.readouterr().err
    assert "t.yaml:4" in err and "Traceback" not in err and len(err.splitlines()) == 1


# --- Ctrl-C -------------------------------------------------------------------------------------------------------

def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(("command", "target"), [
    (["load"], "cchc_tools.ingest.loader.load_appendices"),
    (["check"], "cchc_tools.ingest.loader.load_appendices"),
    (["template", "--year", "2026", "--out", "{tmp}/x.xlsx"], "cchc_tools.ingest.template.write_workbook"),
    (["form", "derive", "x.xlsx", "--name", "mine"], "cchc_tools.ingest.derive.derive_form"),
    (["demo-data", "--out", "{tmp}/demo"], "cchc_tools.demo.generate"),
    (["init", "{tmp}/P", "--province", "Cần Thơ"], "cchc_tools.project.init_project"),
    (["load"], "cchc_tools.project.load_project"),
    *[([c, "--year", "2022", "--out", "{tmp}/out"], "cchc_tools.cycle.run.run_cycle")
      for c in ("status", "letters", "consolidate", "digest", "cycle")],
], ids=lambda x: x if isinstance(x, str) else x[0])
def test_ctrl_c_in_any_command_is_one_line_and_exit_130(tmp_path, monkeypatch, capsys, command, target):
    monkeypatch.setenv("CCHC_LANG", "vi")  # what an analyst sees (the tests run in English)
    module, _, name = target.rpartition(".")
    monkeypatch.setattr(sys.modules[module] if module in sys.modules else __import__(module, fromlist=[name]),
                        name, _interrupt)
    assert main([part.replace("{tmp}", str(tmp_path)) for part in command]) == 130
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Ctrl-C" in err and "Traceback" not in err
    assert err.startswith("đã dừng (Ctrl-C)")


def test_a_real_ctrl_c_while_a_file_is_written_leaves_nothing_half_written(tmp_path):
    """SIGINT arrives while the digest is renamed into place: exit 130, one line, no file and no temporary file."""
    out = tmp_path / "out"
    code = (
        "import os, signal, sys\n"
        "real = os.replace\n"
        "def replace(a, b):\n"
        f"    if str(b).startswith({str(out)!r}):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(a, b)\n"
        "os.replace = replace\n"
        "from cchc_tools.cli import main\n"
        f"sys.exit(main(['digest', '--project', {str(paths.KIT_ROOT)!r}, '--year', '2022', '--out', {str(out)!r}]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    # Ctrl-C as a terminal delivers it: a child inherits an ignored SIGINT (Python then installs no handler),
    # so the child starts with the default disposition whatever the test runner's own is
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=paths.KIT_ROOT,
                         timeout=600, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert run.returncode == 130, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert out.is_dir() and [p for p in out.rglob("*") if p.is_file()] == []  # the folder was made, no file


# --- the project fuzz (make fuzz runs 400) --------------------------------------------------------------------

def test_fuzz_run_of_hostile_projects():
    from tests import fuzz_project

    summary = fuzz_project.run(30, seed=30, commands_every=8)
    assert summary.loaded > 3 and summary.refused > 10 and summary.commands > summary.refused
    assert summary.errors == [], "\n".join(summary.errors)


def test_the_project_fuzz_catches_a_traceback_and_a_wrong_exit(monkeypatch):
    """The checks can fail: a form reader that raises ValueError, a cycle that exits 1 on a refused project."""
    from cchc_tools import forms
    from tests import fuzz_project

    def broken(path):
        raise ValueError("not a form")

    monkeypatch.setattr(forms, "read_form_text", broken)
    monkeypatch.setattr(fuzz_project, "MUTATIONS", [fuzz_project.m_form])
    summary = fuzz_project.run(4, seed=1)
    assert summary.errors and all("ValueError" in e or "exit" in e for e in summary.errors)
