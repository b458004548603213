"""A quarter and a folder as messy as real ones (issue 30): units of another province, a unit that sent twice,
two units of one name, files filed under another period, unreadable files, hostile folders and names.

Each test reproduces a defect found by trying the kit as an attacker would; each failed on the code before it."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from tests.demo2026 import copy_as, make_project

PRODUCED = date(2026, 5, 20)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A Cần Thơ project of Q1 2026 with: a ward of Hà Nội; a second, later report of one commune (its file name
    sorting first, a figure changed); a commune's file whose title says Q1 2025 in the 2026 folder; two
    unreadable Q1 files (one beside a readable report, one in a folder naming no unit)."""
    proj = make_project(tmp_path_factory.mktemp("hostile"), periods=("2026-Q1",), units=3, departments=1)
    raw = proj.data / "2026"
    hoa_an = next((raw / "hoa-an").glob("*.txt"))
    copy_as(hoa_an, raw / "ba-dinh" / "phu-luc-cchc-2026-q1-ba-dinh.txt",
             ("xã Hòa An, thành phố Cần Thơ", "phường Ba Đình, thành phố Hà Nội"))
    trung_hung = next((raw / "trung-hung").glob("*.txt"))
    copy_as(trung_hung, raw / "trung-hung" / "phu-luc-cchc-2026-q1-trung-hung-bo-sung.txt",
             ("ngày 11 tháng 4 năm 2026", "ngày 25 tháng 4 năm 2026"),
             ("Số nhiệm vụ đề ra trong kế hoạch\tNhiệm vụ\t29", "Số nhiệm vụ đề ra trong kế hoạch\tNhiệm vụ\t31"))
    vinh_chau = next((raw / "vinh-chau").glob("*.txt"))
    copy_as(vinh_chau, vinh_chau, ("QUÝ I NĂM 2026", "QUÝ I NĂM 2025"))
    (raw / "hoa-an" / "phu-luc-cchc-2026-q1-hoa-an-ban-scan.docx").write_bytes(b"not a zip")
    (raw / "khong-ro").mkdir()
    (raw / "khong-ro" / "phu-luc-q1.xlsx").write_bytes(b"PK\x03\x04 broken")
    return proj


@pytest.fixture(scope="module")
def cycled(hostile):
    from cchc_tools.cycle.run import run_cycle
    from cchc_tools.project import load_project

    project = load_project(hostile.root, env={})
    return project, run_cycle(project, 2026, "Q1", produced=PRODUCED, formats=("html", "docx", "xlsx"))


def _rows(status):
    return status.rows.set_index("name")


def test_a_ward_of_another_province_is_outside_never_summed_never_written_to(cycled):
    project, res = cycled
    ward = res.status.rows.set_index("code").loc["00004"]  # phường Ba Đình, Hà Nội
    assert ward["state"] == "outside" and not ward["in_roster"]
    assert "ngoài địa bàn Thành phố Cần Thơ" in ward["reason"] and "Hà Nội" in ward["reason"]
    assert res.status.totals()["outside"] == 1 and res.status.totals()["extra"] == 0
    assert all("ba-dinh" not in lt.unit and "ba-dinh" not in lt.source for lt in res.letters)
    letters = project.outputs / "2026" / "letters-q1"
    assert not list(letters.glob("*ba-dinh*"))
    assert "Ba Đình" not in res.digest.text
    assert "phường Ba Đình" not in res.appendix.units and not res.appendix.inputs.empty
    assert not res.appendix.inputs["source"].str.contains("ba-dinh").any()
    assert "ngoài địa bàn" in (project.outputs / "2026" / "status-q1.html").read_text(encoding="utf-8")


def test_a_later_report_supersedes_the_earlier_never_both_summed(cycled, hostile):
    from openpyxl import load_workbook

    from cchc_tools.cycle.register import RECEIPTS_SHEET

    project, res = cycled
    rows = _rows(res.status)
    later = "data/raw/2026/trung-hung/phu-luc-cchc-2026-q1-trung-hung-bo-sung.txt"
    earlier = "data/raw/2026/trung-hung/phu-luc-cchc-2026-q1-trung-hung.txt"
    assert rows.loc["Xã Trung Hưng", "source"] == later  # by report date (25/4 after 11/4), not by file name
    assert earlier in rows.loc["Xã Trung Hưng", "replaces"] and earlier in rows.loc["Xã Trung Hưng", "reason"]
    assert res.status.superseded == {earlier: later}
    assert earlier in (project.outputs / "2026" / "status-q1.html").read_text(encoding="utf-8")
    # one letter for the unit, from the later report
    mine = [lt for lt in res.letters if lt.unit == "trung-hung"]
    assert [lt.source for lt in mine] == [later]
    # the consolidated appendix counts the unit once, from its later report; the ward of Hà Nội never
    app = res.appendix
    assert sorted(app.units) == ["xã Hòa An", "xã Trung Hưng"]
    sources = set(app.inputs["source"])
    assert later in sources and earlier not in sources and not any("ba-dinh" in s for s in sources)
    ws = load_workbook(project.outputs / "2026" / "letters-q1" / "register.xlsx")[RECEIPTS_SHEET]
    head = [c.value for c in ws[1]]
    states = {ws.cell(r, 1).value: ws.cell(r, head.index("Tình trạng") + 1).value for r in range(2, ws.max_row + 1)}
    assert later in states[earlier] and states[later] is None


def test_a_file_whose_title_says_another_period_is_listed_not_silently_dropped(cycled):
    project, res = cycled
    src = "data/raw/2026/vinh-chau/phu-luc-cchc-2026-q1-vinh-chau.txt"  # its title says quý I năm 2025
    row = res.status.rows.set_index("code").loc["31783"]  # phường Vĩnh Châu, on the roster
    assert row["state"] in ("overdue", "missing") and src in row["reason"]
    assert "quý I năm 2025" in row["reason"] and "năm 2026" in row["reason"]
    assert res.status.misfiled and res.status.misfiled[0][0] == src and res.status.totals()["misfiled"] == 1
    page = (project.outputs / "2026" / "status-q1.html").read_text(encoding="utf-8")
    assert "1 tệp có tiêu đề ghi năm, kỳ khác thư mục" in page and src in page


def test_unreadable_files_count_for_their_own_period_as_load_finds_them(cycled):
    from cchc_tools.cycle.roster import roster
    from cchc_tools.cycle.status import reporting_status, summary_line
    from cchc_tools.pipeline import computed

    project, res = cycled
    data = computed(project)
    assert len(data.errors) == 2  # what `cchc load` reports
    t = res.status.totals()
    assert t["unreadable"] == 2 and "2 tệp không đọc được" in summary_line(res.status)
    assert sorted(res.status.unreadable) == sorted(
        ["data/raw/2026/hoa-an/phu-luc-cchc-2026-q1-hoa-an-ban-scan.docx", "data/raw/2026/khong-ro/phu-luc-q1.xlsx"])
    listed = res.status.rows[res.status.rows["state"] == "unreadable"]
    assert "khong-ro/phu-luc-q1.xlsx" in " ".join(listed["reason"])  # a folder naming no unit: still listed
    hoa_an = res.status.rows.set_index("code").loc["31393"]
    assert hoa_an["state"] in ("received", "late") and "ban-scan.docx" in hoa_an["reason"]
    for period in ("Q2", "annual"):  # Q1 files never count for another period
        other = reporting_status(data.table, data.errors, data.findings,
                                 roster(project.province, 2026, period, project.reporting.departments), 2026, period,
                                 province=project.province, root=project.root)
        assert other.totals()["unreadable"] == 0 and not (other.rows["state"] == "unreadable").any(), period


@pytest.fixture(scope="module")
def chau_thanh(tmp_path_factory, seed_text):
    """Cần Thơ's 2022 roster has two "huyện Châu Thành" (Hậu Giang 933, Sóc Trăng 942): one appendix each."""
    from cchc_tools.project import init_project

    root = tmp_path_factory.mktemp("chau-thanh") / "can-tho"
    init_project(root, "Cần Thơ")
    for folder, province in (("chau-thanh-hau-giang", "tỉnh Hậu Giang"), ("chau-thanh-soc-trang", "tỉnh Sóc Trăng")):
        d = root / "data" / "raw" / "2022" / folder
        d.mkdir(parents=True)
        (d / "phu-luc-2022.txt").write_text(seed_text.replace(
            "của Ủy ban nhân dân thị xã Vĩnh Châu)", f"của Ủy ban nhân dân huyện Châu Thành, {province})"),
            encoding="utf-8")
    return root


def test_two_units_of_one_name_are_kept_apart_by_their_code(chau_thanh):
    from cchc_tools.analysis.selection import reports
    from cchc_tools.batch.tasks import plan_all
    from cchc_tools.cycle.run import run_cycle
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    project = load_project(chau_thanh, env={})
    reps = reports(computed(project).table)
    assert dict(zip(reps["unit_code"], reps["unit"], strict=True)) == {"933": "chau-thanh-933",
                                                                       "942": "chau-thanh-942"}
    plan = plan_all(project, project.data, project.outputs, "html")
    units = [t.out_dir for t in plan.tasks if t.kind == "unit"]
    trends = [t.stem for t in plan.tasks if t.kind == "trend"]
    assert len(set(units)) == 2 and sorted(trends) == ["chau-thanh-933", "chau-thanh-942"]
    res = run_cycle(project, 2022, "annual", produced=PRODUCED, formats=("html", "docx", "xlsx"))
    assert sorted(lt.unit_code for lt in res.letters) == ["933", "942"]
    folder = project.outputs / "2022" / "letters-annual"
    assert sorted(p.name for p in folder.glob("cong-van-*.docx")) == ["cong-van-chau-thanh-933.docx",
                                                                      "cong-van-chau-thanh-942.docx"]
    rows = res.status.rows.set_index("code")
    assert rows.loc["933", "state"] in ("received", "late") and rows.loc["942", "state"] in ("received", "late")
    register = json.loads((folder / "register.json").read_text(encoding="utf-8"))
    assert sorted(register["latest"]) == ["letter:chau-thanh-933", "letter:chau-thanh-942"]


# -- folders that cannot hurt the data ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("plain"), periods=("2026-Q1",), units=2, departments=0)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("where", ["equal", "inside", "symlink", "holds-data"])
def test_outputs_in_or_into_the_data_folder_is_refused_before_anything_is_written(plain, tmp_path, capsys, where):
    from cchc_tools.cli import main

    data = plain.data
    out = {"equal": data, "inside": data / "2026" / "ket-qua", "symlink": tmp_path / "link",
           "holds-data": plain.root}[where]
    if where == "symlink":
        out.symlink_to(data / "2026", target_is_directory=True)
    before = _files(data)
    for command in (["cycle", "--year", "2026", "--period", "Q1"], ["brief", "--all", "--formats", "html"]):
        code = main([*command, "--project", str(plain.root), "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2, (command, err)
        assert "thư mục kết quả" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert _files(data) == before  # nothing written, nothing deleted


def test_an_outputs_path_that_is_a_file_gives_one_clear_message(plain, tmp_path, capsys):
    from cchc_tools.cli import main

    blocker = tmp_path / "outputs"
    blocker.write_text("một tệp của người dùng", encoding="utf-8")
    for out in (blocker, blocker / "sub"):
        for command in (["cycle", "--year", "2026", "--period", "Q1"], ["brief", "--all", "--formats", "html"]):
            assert main([*command, "--project", str(plain.root), "--out", str(out)]) == 2
            err = capsys.readouterr().err
            assert "là một tệp" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert blocker.read_text(encoding="utf-8") == "một tệp của người dùng"


@pytest.mark.skipif(getattr(os, "geteuid", lambda: 1)() == 0, reason="root may write into any folder")
def test_a_read_only_outputs_folder_gives_one_clear_message(plain, tmp_path, capsys):
    from cchc_tools.cli import main

    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert main(["brief", "--all", "--project", str(plain.root), "--out", str(out / "x"), "--formats",
                     "html"]) == 2
        err = capsys.readouterr().err
        assert "không ghi được" in err and len(err.strip().splitlines()) == 1
    finally:
        out.chmod(0o700)


def test_the_filesystem_root_as_data_is_refused(plain, capsys):
    from cchc_tools.cli import main
    from cchc_tools.paths import FolderError, check_data_folder

    with pytest.raises(FolderError, match="thư mục gốc"):
        check_data_folder("/")
    assert main(["brief", "--all", "--project", str(plain.root), "--data", "/", "--formats", "html"]) == 2
    assert "thư mục gốc" in capsys.readouterr().err


def test_only_the_kits_own_temporary_files_of_dead_runs_are_removed(tmp_path):
    import subprocess
    import sys

    from cchc_tools.atomic import atomic_path, run_id
    from cchc_tools.batch.state import remove_stale_temporaries

    mine = [tmp_path / ".ghi-chu.tmp.txt", tmp_path / "2026" / ".bang.tmp", tmp_path / "2026" / ".x.abc.tmp.html"]
    for p in mine:  # a person's files (and the old kit's names): never the kit's to delete
        p.parent.mkdir(exist_ok=True)
        p.write_text("của người dùng", encoding="utf-8")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    stale = tmp_path / "2026" / f".briefing.cchc-{dead}-abc123-k2j3.tmp.html"
    stale.write_text("nửa chừng", encoding="utf-8")
    live = tmp_path / "2026" / f".briefing.cchc-{run_id()}-q9.tmp.html"  # this run's own, in flight
    live.write_text("đang ghi", encoding="utf-8")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert all(p.exists() for p in [*mine, live])
    with atomic_path(tmp_path / "2026" / "a.html") as tmp:  # a write names its temporary file by the run
        assert f".cchc-{run_id()}-" in tmp.name and tmp.parent == tmp_path / "2026"
        tmp.write_text("x", encoding="utf-8")


def test_a_second_run_on_one_outputs_folder_is_refused_naming_the_first(plain, tmp_path, capsys):
    import subprocess
    import sys

    from cchc_tools.cli import main
    from cchc_tools.lock import LOCK_NAME

    out = tmp_path / "out"
    hold = ("import sys, time; from cchc_tools.lock import outputs_lock\n"
            f"with outputs_lock({str(out)!r}):\n    print('held', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        assert proc.stdout.readline().strip() == "held"
        code = main(["cycle", "--project", str(plain.root), "--year", "2026", "--period", "Q1", "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and f"PID {proc.pid}" in err and "Traceback" not in err
        assert not (out / "2026").exists()  # nothing written beside the first run's files
    finally:
        proc.communicate("", timeout=30)
    assert main(["status", "--project", str(plain.root), "--year", "2026", "--period", "Q1", "--out", str(out)]) == 0
    assert not (out / LOCK_NAME).exists()  # a run that ended leaves no lock behind


def test_a_path_built_from_input_is_one_plain_name(tmp_path):
    from cchc_tools.cycle.run import CycleInputError, write_state
    from cchc_tools.paths import FolderError, child

    assert child(tmp_path, "cycle-q1.json") == tmp_path / "cycle-q1.json"
    for bad in ("../x", "a/b", "..", "", "x\x00y", "a\\b"):
        with pytest.raises(FolderError):
            child(tmp_path, bad)
    with pytest.raises(CycleInputError):
        write_state(None, None, 2026, "../../x", tmp_path / "2026")
    assert not list(tmp_path.parent.glob("*x.json"))


# -- names as hostile as real ones ------------------------------------------------------------------------------

BIDI = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Sở Nội vụ" shown backwards
LONG = "Sở Khoa học và Công nghệ " + " ".join(["(Trung tâm Ứng dụng tiến bộ khoa học và công nghệ)"] * 6)


def test_a_name_ending_in_a_parenthesis_keeps_it():
    from cchc_tools.ingest.header import parse_title
    from cchc_tools.text import strip_closing

    head = ["PHỤ LỤC", "THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH QUÝ I NĂM 2026"]
    for line, name in [("(Kèm theo Báo cáo số 1/BC-UBND ngày 10 tháng 4 năm 2026 của Sở Tài chính (Văn phòng))",
                        "Sở Tài chính (Văn phòng)"),
                       ("Kèm theo Báo cáo số 1/BC-UBND ngày 10 tháng 4 năm 2026 của Sở Tài chính (Văn phòng)",
                        "Sở Tài chính (Văn phòng)"),
                       ("(Kèm theo Báo cáo số 1/BC-UBND ngày 10 tháng 4 năm 2026 của Sở Tài chính)", "Sở Tài chính")]:
        assert parse_title([*head, line]).unit_name == name, line
    assert strip_closing("xã A (mới)))") == "xã A (mới)" and strip_closing("a)b") == "a)b"


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    """A project whose department wrote its name with a bidi override, and another with a 300-character name."""
    proj = make_project(tmp_path_factory.mktemp("names"), periods=("2026-Q1",), units=1, departments=1)
    src = next((proj.data / "2026" / "noi-vu").glob("*.txt"))
    copy_as(src, src, ("của Sở Nội vụ)", f"của Sở Nội {BIDI}vụ\u2066 (Văn phòng Sở))"))
    copy_as(src, proj.data / "2026" / "khcn" / "phu-luc-q1.txt", (f"của Sở Nội {BIDI}vụ\u2066 (Văn phòng Sở))",
                                                                   f"của {LONG})"))
    return proj


def test_no_bidi_control_reaches_a_letter_page_or_digest_but_the_raw_table_keeps_it(named):
    from docx import Document

    from cchc_tools.cycle.run import run_cycle
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    project = load_project(named.root, env={})
    assert any(BIDI in n for n in computed(project).table["unit_name"])  # the raw table: as written
    res = run_cycle(project, 2026, "Q1", produced=PRODUCED, formats=("html", "docx", "xlsx"))
    year = project.outputs / "2026"
    letters = [p for p in sorted((year / "letters-q1").glob("cong-van-*.docx")) if "vinh-chau" not in p.name]
    assert len(letters) == 2  # the two departments'
    texts = []
    for path in letters:
        doc = Document(str(path))
        texts.append("\n".join([p.text for p in doc.paragraphs]
                               + [p.text for t in doc.tables for c in t._cells for p in c.paragraphs]))
        assert len(doc.core_properties.title) <= 255
    joined = "\n".join(texts)
    assert "Sở Nội vụ (Văn phòng Sở)" in joined  # the name whole, its parenthesis kept
    assert LONG in joined  # the full long name in the text, only the title shortened
    outputs = [joined, res.digest.text, (year / "status-q1.html").read_text(encoding="utf-8")]
    for text in outputs:
        assert BIDI not in text and "\u2066" not in text


def test_a_300_character_title_fits_word(tmp_path):
    from docx import Document as Docx

    from cchc_tools.content.document import Document, Heading, Paragraph
    from cchc_tools.render.word import write_docx
    from cchc_tools.text import short_title

    title = f"Báo cáo tóm tắt CCHC – {LONG} – 2026"
    assert len(title) > 300
    path = write_docx(Document(title, [Heading(title, 1), Paragraph.of(f"{BIDI}ghi chú")]), tmp_path / "b.docx")
    doc = Docx(str(path))
    assert doc.core_properties.title == short_title(title) and len(doc.core_properties.title) <= 255
    assert doc.core_properties.title.endswith("…") and any(p.text == title for p in doc.paragraphs)  # text: whole
    assert not any(BIDI in p.text for p in doc.paragraphs)


# -- an incremental cycle rewrites only the letter of the unit that changed ----------------------------------

def test_one_changed_unit_rewrites_only_its_own_letter(tmp_path):
    from cchc_tools.cycle.run import run_cycle
    from cchc_tools.project import load_project

    proj = make_project(tmp_path, periods=("2026-Q1",), units=4, departments=1)
    project = load_project(proj.root, env={})
    letters = project.outputs / "2026" / "letters-q1"

    def files() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in letters.glob("*.docx")}

    first = run_cycle(project, 2026, "Q1", produced=PRODUCED, force=False)
    before = files()
    assert len(first.letters) >= 3 and len(before) == len(first.letters)
    assert run_cycle(project, 2026, "Q1", produced=PRODUCED, force=False).skipped  # nothing changed: nothing run
    changed = next((proj.data / "2026" / "hoa-an").glob("*.txt"))
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("Số văn bản chỉ đạo CCHC đã ban hành\tVăn bản\t3",
                                    "Số văn bản chỉ đạo CCHC đã ban hành\tVăn bản\t4"), encoding="utf-8")
    assert changed.read_text(encoding="utf-8") != text
    again = run_cycle(project, 2026, "Q1", produced=PRODUCED, force=False)
    assert not again.skipped
    after = files()
    rewritten = {name for name, stat in after.items() if before.get(name) != stat}
    assert rewritten and all("hoa-an" in name for name in rewritten), rewritten  # the resubmitting unit's only
    assert {n for n in before if "hoa-an" not in n} <= set(after)
    run_cycle(project, 2026, "Q1", produced=PRODUCED, force=True)  # forced: every letter is written again
    forced = files()
    current = [n for n in after if n != "cong-van-hoa-an.docx"]  # the first letter to hoa-an is history
    assert all(forced[n] != after[n] for n in current)
