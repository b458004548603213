"""The province project: found, loaded and checked once; every command and page follows it."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from cchc_tools import paths
from cchc_tools.analysis.checks import FAMILIES, load_rules
from cchc_tools.analysis.rules import RuleError
from cchc_tools.analysis.specs import SentenceError, load_sentences
from cchc_tools.analysis.targets import TargetError, load_targets
from cchc_tools.cli import main
from cchc_tools.project import SCHEMA, ProjectError, find_project_file, init_project, load_project

SEED = paths.raw_dir() / "2022" / "vinh-chau" / "phu-luc-cchc-2022-vinh-chau.txt"
RULE = """\
- id: district_received_ge_resolved
  family: part_le_whole
  severity: {severity}
  title_vi: Hồ sơ tiếp nhận nhiều hơn hồ sơ đã giải quyết
  doc: Quy tắc riêng của tỉnh (thử nghiệm).
  part: [III.dossiers_district_received]
  whole: [III.dossiers_district_resolved]
"""
TARGET = """\
- id: plan_completion_can_tho
  indicator: plan_completion
  op: ">="
  value: {value}
  from_year: 2022
  source: Kế hoạch số 12/KH-UBND ngày 10/01/2022 của UBND tỉnh
  verified: true
"""


# --- finding and checking the project -------------------------------------------------------------

def test_the_project_is_found_from_the_working_directory_upward(tmp_path, monkeypatch):
    (tmp_path / "cchc.toml").write_text('[project]\nprovince = "Cần Thơ"\n', encoding="utf-8")
    deep = tmp_path / "data" / "raw" / "2026"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_project_file() == tmp_path / "cchc.toml"
    project = load_project(env={})
    assert (project.root, project.province, project.data) == (tmp_path, "Cần Thơ", tmp_path / "data/raw")
    assert load_project(env={"CCHC_PROJECT": str(paths.KIT_ROOT)}).root == paths.KIT_ROOT  # named wins


@pytest.mark.parametrize(("toml", "line", "key", "near"), [
    ('[project]\nprovince = "Cần Thơ"\nprovnce = "x"\n', 3, "provnce", "province"),
    ('# settings\n\n[document]\nissuing_bdy = "SỞ NỘI VỤ"\n', 4, "issuing_bdy", "issuing_body"),
    ('[projects]\nprovince = "x"\n', 1, "", "project"),
    ('[reporting.deadlines]\nquater = 15\n', 2, "quater", "quarter"),
])
def test_a_misspelled_key_of_cchc_toml_names_file_line_key_and_the_nearest(tmp_path, toml, line, key, near):
    (tmp_path / "cchc.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ProjectError) as err:
        load_project(tmp_path, env={})
    text = str(err.value)
    assert text.startswith(f"{tmp_path / 'cchc.toml'}:{line}:") and key in text and f"did you mean '{near}'" in text


def test_a_wrong_value_and_a_missing_file_are_refused(tmp_path):
    (tmp_path / "cchc.toml").write_text('[project]\nrules = "rules.yaml"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match=r"cchc.toml:2: .*key 'rules'.*is not a list"):
        load_project(tmp_path, env={})
    (tmp_path / "cchc.toml").write_text('[project]\ntargets = ["missing.yaml"]\n', encoding="utf-8")
    with pytest.raises(ProjectError, match=r"cchc.toml:2: .*'missing.yaml' not found"):
        load_project(tmp_path, env={})


def test_misspellings_in_rules_targets_and_sentences_name_file_line_key_and_nearest(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.format(severity="error").replace("  whole:", "  wole:"), encoding="utf-8")
    with pytest.raises(RuleError, match=r"rules.yaml:7: rule 'district_received_ge_resolved', key 'wole': "
                                        r"unknown key \(did you mean 'whole'\?\)"):
        load_rules(rules)
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGET.format(value=95).replace("  verified:", "  verifed:"), encoding="utf-8")
    with pytest.raises(TargetError, match=r"targets.yaml:7: target 'plan_completion_can_tho', key 'verifed': "
                                          r"unknown key \(did you mean 'verified'\?\)"):
        load_targets([targets])
    sentences = tmp_path / "sentences.yaml"
    sentences.write_text("- section: I\n  say:\n    - \"ban hành {I.directive_doc} văn bản\"\n", encoding="utf-8")
    with pytest.raises(SentenceError, match=r"sentences.yaml:2: .*key 'say'.*I.directive_doc.*"
                                            r"did you mean 'I.directive_docs'"):
        load_sentences(sentences)
    sentences.write_text("- section: I\n  sey: [\"x\"]\n", encoding="utf-8")
    with pytest.raises(SentenceError, match=r"sentences.yaml:2: .*key 'sey'.*did you mean 'say'"):
        load_sentences(sentences)


def test_a_project_rule_or_target_replacing_a_shipped_one_is_said(tmp_path):
    shipped = next(r for r in load_rules() if r.family == "part_le_whole")
    (tmp_path / "rules.yaml").write_text(RULE.format(severity="warning").replace(
        "district_received_ge_resolved", shipped.id), encoding="utf-8")
    (tmp_path / "cchc.toml").write_text('[project]\nrules = ["rules.yaml"]\n', encoding="utf-8")
    project = load_project(tmp_path, env={})
    assert len(project.rules) == len(load_rules())  # replaced, not added
    assert next(r for r in project.rules if r.id == shipped.id).severity == "warning"
    assert any(shipped.id in n and "overrides" in n for n in project.notices)


def test_environment_variables_are_overrides_and_part_of_the_fingerprint(tmp_path):
    (tmp_path / "cchc.toml").write_text('[project]\nprovince = "Cần Thơ"\n', encoding="utf-8")
    plain = load_project(tmp_path, env={})
    other = load_project(tmp_path, env={"CCHC_PROVINCE": "Sóc Trăng"})
    assert (plain.province, other.province) == ("Cần Thơ", "Sóc Trăng")
    assert plain.fingerprint != other.fingerprint and other.overrides == {"CCHC_PROVINCE": "Sóc Trăng"}


def test_the_fingerprint_follows_every_file_of_the_project(tmp_path):
    (tmp_path / "targets.yaml").write_text(TARGET.format(value=95), encoding="utf-8")
    (tmp_path / "cchc.toml").write_text('[project]\ntargets = ["targets.yaml"]\n', encoding="utf-8")
    first = load_project(tmp_path, env={})
    assert set(first.files) == {"cchc.toml", "targets.yaml"}
    (tmp_path / "targets.yaml").write_text(TARGET.format(value=90), encoding="utf-8")
    second = load_project(tmp_path, env={})
    assert second.fingerprint != first.fingerprint
    assert next(t for t in second.targets if t["id"] == "plan_completion_can_tho")["value"] == 90
    (tmp_path / "forms").mkdir()
    shutil.copy(paths.PACKAGE_DATA / "forms" / "commune-2025.csv", tmp_path / "forms" / "commune-2025.csv")
    assert "forms/commune-2025.csv" in load_project(tmp_path, env={}).files


def test_init_writes_a_project_that_loads_and_refuses_to_overwrite_or_live_in_the_kit(tmp_path):
    written = init_project(tmp_path / "P", "Cần Thơ")
    assert [p.name for p in written] == ["cchc.toml", "rules.yaml", "targets.yaml", "README.md"]
    assert (tmp_path / "P" / "data" / "raw").is_dir()
    project = load_project(tmp_path / "P", env={})
    assert project.province == "Cần Thơ" and project.document.parent_body == "UBND THÀNH PHỐ CẦN THƠ"
    assert project.reporting.deadlines == {"quarter": 15, "6-month": 15, "9-month": 15, "annual": 15}
    toml = (tmp_path / "P" / "cchc.toml").read_text(encoding="utf-8")
    assert all(f"{key} =" in toml or f"[{section}.{key}]" in toml for section, keys in SCHEMA.items() for key in keys)
    assert "KH-UBND" in (tmp_path / "P" / "targets.yaml").read_text(encoding="utf-8")
    with pytest.raises(ProjectError, match="already here"):
        init_project(tmp_path / "P", "Cần Thơ")
    with pytest.raises(ProjectError, match="outside the kit's repository"):
        init_project(paths.KIT_ROOT / "outputs" / "p", "Cần Thơ")


def test_a_misspelled_key_stops_a_command_before_any_kernel(tmp_path, capsys):
    (tmp_path / "cchc.toml").write_text('[project]\nprovince = "Cần Thơ"\nouputs = "out"\n', encoding="utf-8")
    start = time.perf_counter()
    code = main(["brief", "--all", "--project", str(tmp_path)])
    assert code == 2 and time.perf_counter() - start < 60  # generous; the point is: nothing ran
    err = capsys.readouterr().err
    assert "cchc.toml:3" in err and "'ouputs'" in err and "did you mean 'outputs'" in err
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "out").exists()



class _Imports(ast.NodeVisitor):
    """The modules a module imports, at its top or inside a function (never those for type checkers only)."""

    def __init__(self, mods) -> None:
        self.mods, self.found = mods, set()

    def visit_If(self, node):
        if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            self.generic_visit(node)

    def visit_Import(self, node):
        self.found.update(a.name for a in node.names)

    def visit_ImportFrom(self, node):
        if node.module:
            self.found.update(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in self.mods else node.module
                              for a in node.names)


def _graph() -> dict[str, set[str]]:
    root = paths.PACKAGE_DIR
    mods = {}
    for p in root.rglob("*.py"):
        parts = list(p.relative_to(root.parent).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph = {}
    for name, p in mods.items():
        v = _Imports(mods)
        v.visit(ast.parse(p.read_text(encoding="utf-8")))
        graph[name] = {m for m in v.found if m in mods}
    return graph


def test_no_import_circle_and_no_module_imports_the_package_front():
    graph = _graph()
    assert not [m for m, deps in graph.items() if "cchc_tools" in deps and m != "cchc_tools"]
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> None:
        seen[m] = 1
        for dep in sorted(graph[m]):
            assert seen.get(dep) != 1, "import circle: " + " -> ".join(path[path.index(dep):] + [dep])
            if dep not in seen:
                visit(dep, path + [dep])
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m, [m])
    assert len(graph) > 40 and FAMILIES  # the walk saw the package


# --- a province project, end to end ----------------------------------------------------------------

def _brief_all(project: Path) -> str:
    run = subprocess.run([sys.executable, "-m", "cchc_tools.cli", "brief", "--all", "--quiet", "--formats",
                          "html,docx,xlsx"], cwd=project, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    return run.stdout + run.stderr


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_province_project_brings_its_rules_targets_and_letterhead_to_every_page(tmp_path):
    root = tmp_path / "P"
    init_project(root, "Cần Thơ")
    unit = root / "data/raw/2022/vinh-chau"
    unit.mkdir(parents=True)
    shutil.copy(SEED, unit / SEED.name)
    (root / "rules.yaml").write_text(RULE.format(severity="error"), encoding="utf-8")
    (root / "targets.yaml").write_text(TARGET.format(value=95), encoding="utf-8")
    said = _brief_all(root)
    assert (root / "outputs/2022/cycle-annual.json").is_file() and (root / "outputs/2022/digest-annual.txt").is_file()
    assert "1 lập mới" in said or "1 made" in said  # the period's reporting cycle ran with the briefings
    out = root / "outputs/2022/vinh-chau"
    ind = pd.read_csv(out / "indicators.csv").set_index("indicator")
    assert ind.loc["dossiers_district_on_time", "status"] == "doubtful"  # the province rule's error
    assert "district_received_ge_resolved" in set(pd.read_csv(out / "findings.csv")["rule"])
    html = (out / "briefing.html").read_text(encoding="utf-8")
    assert "Hồ sơ tiếp nhận nhiều hơn hồ sơ đã giải quyết" in html
    assert "Kế hoạch số 12/KH-UBND" in html and "≥ 95%" in html
    assert "targets.yaml" in html and "rules.yaml" in html  # the stamp lists the project's files

    def rerendered(change) -> set[str]:
        before = _mtimes(root / "outputs")
        change()
        _brief_all(root)
        after = _mtimes(root / "outputs")
        return {k for k in after if after[k] != before.get(k)}

    def target_90():
        (root / "targets.yaml").write_text(TARGET.format(value=90), encoding="utf-8")

    changed = rerendered(target_90)
    assert "2022/vinh-chau/briefing.html" in changed
    assert "≥ 90%" in (out / "briefing.html").read_text(encoding="utf-8")
    changed = rerendered(lambda: (root / "rules.yaml").write_text(RULE.format(severity="warning"), encoding="utf-8"))
    assert "2022/vinh-chau/briefing.html" in changed
    assert pd.read_csv(out / "indicators.csv").set_index("indicator").loc[
        "dossiers_district_on_time", "status"] != "doubtful"
    toml = root / "cchc.toml"
    changed = rerendered(lambda: toml.write_text(toml.read_text(encoding="utf-8").replace(
        'issuing_body = "SỞ NỘI VỤ"', 'issuing_body = "SỞ NỘI VỤ THÀNH PHỐ"'), encoding="utf-8"))
    assert "2022/vinh-chau/briefing.docx" in changed
    assert rerendered(lambda: None) <= {"index.html"}  # nothing changed: nothing made again
