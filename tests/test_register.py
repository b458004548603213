"""The letters register is the office's record: a quarter played with a clerk's entries, resubmissions and runs;
and status with time (the receipt dates it keeps, overdue, reminders, coverage)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime

import pytest

ON_TIME = "Hồ sơ\t100.167\t99,60%"  # the commune on-time row of the bundled appendix (line 90)
DONE = "\tSố nhiệm vụ đã hoàn thành\tNhiệm vụ\t25\t"


def q1_text(seed_text: str, name: str, day: int, on_time: str = "100.612", done: str = "25") -> str:
    """The bundled appendix as a Q1 2026 report of ``name`` (Cần Thơ), dated ``day``/4/2026, with the commune
    on-time count and the tasks done as given (100.612 on time > 100.564 resolved: a contradiction)."""
    t = seed_text.replace("CẢI CÁCH HÀNH CHÍNH NĂM 2022", "CẢI CÁCH HÀNH CHÍNH QUÝ I NĂM 2026")
    t = t.replace("ngày 16 tháng 12 năm 2022", f"ngày {day} tháng 4 năm 2026")
    assert ON_TIME in t and DONE in t
    t = t.replace(ON_TIME, f"Hồ sơ\t{on_time}\t99,60%").replace(DONE, DONE.replace("25", done))
    return t.replace("Ủy ban nhân dân thị xã Vĩnh Châu", f"Ủy ban nhân dân {name}, thành phố Cần Thơ")


@pytest.fixture()
def quarter(tmp_path, seed_text):
    from cchc_tools.project import init_project

    root = tmp_path / "can-tho"
    init_project(root, "Cần Thơ")
    for slug, name, day in (("vinh-hai", "xã Vĩnh Hải", 10), ("cai-khe", "phường Cái Khế", 20)):
        d = root / "data" / "raw" / "2026" / slug
        d.mkdir(parents=True)
        (d / f"phu-luc-{slug}.txt").write_text(q1_text(seed_text, name, day), encoding="utf-8")
    return root


def _letters(root, *extra) -> int:
    from cchc_tools.cli import main

    return main(["letters", "--project", str(root), "--year", "2026", "--period", "Q1", *extra])


def _rows(path) -> dict[str, dict]:
    from openpyxl import load_workbook

    ws = load_workbook(path)["Sổ theo dõi công văn"]
    head = [c.value for c in ws[1]]
    out = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        rec = dict(zip(head, row, strict=False))
        if rec.get("Mã công văn"):
            out[rec["Mã công văn"]] = rec
    return out


def _clerk_writes(path, entries: dict[str, dict], new_column: str = "") -> None:
    """What a clerk does in Excel: fill in columns of rows (by key), maybe add a column of their own."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["Sổ theo dõi công văn"]
    head = [c.value for c in ws[1]]
    if new_column:
        ws.cell(1, len(head) + 1, new_column)
        head.append(new_column)
    for r in range(2, ws.max_row + 1):
        key = ws.cell(r, head.index("Mã công văn") + 1).value
        for col, value in entries.get(key, {}).items():
            ws.cell(r, head.index(col) + 1, value)
    wb.save(path)


def _resubmit(root, seed_text, **figures) -> None:
    path = root / "data" / "raw" / "2026" / "vinh-hai" / "phu-luc-vinh-hai.txt"
    path.write_text(q1_text(seed_text, "xã Vĩnh Hải", 10, **figures), encoding="utf-8")


def _items(root) -> dict[str, int]:
    state = json.loads((root / "outputs/2026/letters-q1/register.json").read_text(encoding="utf-8"))
    return state["items"]["vinh-hai"]


def test_a_quarter_keeps_every_clerk_entry_and_every_edited_letter(quarter, seed_text):
    from docx import Document

    from cchc_tools.project import load_project
    from cchc_tools.site import run_cycles

    root = quarter
    folder = root / "outputs" / "2026" / "letters-q1"
    register = folder / "register.xlsx"
    assert _letters(root) == 0
    rows = _rows(register)
    assert set(rows) == {"vinh-hai:cv1", "cai-khe:cv1"}
    on_time = "commune_on_time_le_resolved|III.dossiers_commune_on_time;III.dossiers_commune_resolved"
    first_items = dict(_items(root))
    assert first_items[on_time] == 1 and first_items["form"] == 3

    sent = datetime(2026, 4, 25)
    _clerk_writes(register, {"vinh-hai:cv1": {"Số công văn": "152/SNV-CCHC", "Ngày gửi": sent, "Ghi chú": "gọi điện"},
                             "cai-khe:cv1": {"Số công văn": "153/SNV-CCHC", "Ngày gửi": sent,
                                             "Người theo dõi": "chị Lan"}}, new_column="Người theo dõi")
    edited = folder / "cong-van-cai-khe.docx"  # the specialist rewrites a sentence of one letter in Word
    doc = Document(str(edited))
    doc.add_paragraph("Đề nghị báo cáo trực tiếp với đồng chí Giám đốc Sở.")
    doc.save(str(edited))
    edited_bytes = edited.read_bytes()

    # a resubmission changing one figure: the tasks done (28 of 27), the on-time contradiction still there
    _resubmit(root, seed_text, done="28")
    assert _letters(root) == 0
    project = load_project(root, env={})
    runs = run_cycles(project, project.data, project.outputs, "html,docx,xlsx", False, _batch_result(project))
    assert all(not err for _, _, err in runs)
    rows = _rows(register)
    assert {"vinh-hai:cv1", "vinh-hai:cv2", "cai-khe:cv1"} <= set(rows)
    assert rows["vinh-hai:cv2"]["Lần"] == 2 and rows["vinh-hai:cv2"]["Thay cho"] == "vinh-hai:cv1"
    assert "lần 2" in rows["vinh-hai:cv1"]["Tình trạng"]
    assert rows["vinh-hai:cv2"]["Tệp công văn"] == "cong-van-vinh-hai-lan-2.docx"
    items = _items(root)
    assert items[on_time] == 1 and items["form"] == 3  # "mục 1" still means the same point
    assert min(v for k, v in items.items() if k not in first_items) == 4  # new points come after

    # the clerk records the reply of the first letter and sends the second; a second resubmission fixes the
    # on-time figure; two more runs
    _clerk_writes(register, {"vinh-hai:cv1": {"Ngày đơn vị trả lời": datetime(2026, 5, 2)},
                             "vinh-hai:cv2": {"Số công văn": "170/SNV-CCHC"}})
    _resubmit(root, seed_text, done="28", on_time="100.167")
    assert _letters(root) == 0
    assert _letters(root, "--unit", "vinh-hai") == 0

    rows = _rows(register)
    assert {"vinh-hai:cv1", "vinh-hai:cv2", "vinh-hai:cv3", "cai-khe:cv1"} <= set(rows)
    one, two, three, other = (rows[k] for k in ("vinh-hai:cv1", "vinh-hai:cv2", "vinh-hai:cv3", "cai-khe:cv1"))
    assert one["Số công văn"] == "152/SNV-CCHC" and one["Ngày gửi"] == sent and one["Ghi chú"] == "gọi điện"
    assert one["Ngày đơn vị trả lời"] == datetime(2026, 5, 2)
    assert two["Số công văn"] == "170/SNV-CCHC" and three["Thay cho"] == "vinh-hai:cv2"
    assert other["Số công văn"] == "153/SNV-CCHC" and other["Người theo dõi"] == "chị Lan"
    assert one["Hạn trả lời"] is not None  # the date the letter stated, filled once for the clerk
    items = _items(root)
    assert items[on_time] == 1 and items["form"] == 3
    three_items = [int(n) for n in str(three["Các mục"]).split(", ")]
    assert 1 not in three_items and 3 in three_items  # the on-time point was fixed; its number is not reused

    assert edited.read_bytes() == edited_bytes  # the edited letter is kept as the specialist left it
    assert (folder / "cong-van-cai-khe-du-thao-moi.docx").exists()
    assert "cong-van-cai-khe-du-thao-moi.docx" in other["Tình trạng"]

    state = json.loads((root / "outputs/2026/cycle-q1.json").read_text(encoding="utf-8"))
    assert state["letters"]["cai-khe"]["file"] == "letters-q1/cong-van-cai-khe-du-thao-moi.docx"
    assert state["letters"]["vinh-hai"]["file"] == "letters-q1/cong-van-vinh-hai-lan-3.docx"


def _batch_result(project):
    """What ``brief --all`` hands its cycles: the loaded data (``plan.result``)."""
    from cchc_tools.ingest.loader import load_appendices

    return load_appendices([project.data], province=project.province, root=project.root)


def test_unit_option_adds_only_that_units_rows_and_the_index_links_every_letter(quarter, tmp_path):
    from cchc_tools.cli import main
    from cchc_tools.site import write_index

    assert _letters(quarter, "--unit", "cai-khe") == 0
    folder = quarter / "outputs" / "2026" / "letters-q1"
    assert set(_rows(folder / "register.xlsx")) == {"cai-khe:cv1"}
    assert _letters(quarter) == 0
    assert _letters(quarter, "--unit", "vinh-hai") == 0
    assert set(_rows(folder / "register.xlsx")) == {"cai-khe:cv1", "vinh-hai:cv1"}
    assert main(["status", "--project", str(quarter), "--year", "2026", "--period", "Q1"]) == 0
    index = write_index(quarter / "outputs").read_text(encoding="utf-8")
    assert 'href="2026/letters-q1/cong-van-vinh-hai.docx"' in index
    assert 'href="2026/letters-q1/cong-van-cai-khe.docx"' in index


def test_register_writes_are_whole_or_nothing(quarter, monkeypatch):
    """A run that fails while saving leaves the register as it was."""
    from cchc_tools.cycle import register as reg

    assert _letters(quarter) == 0
    path = quarter / "outputs" / "2026" / "letters-q1" / "register.xlsx"
    before = path.read_bytes()

    def broken(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(reg.Register, "_items_sheet", broken)
    with pytest.raises(OSError):
        _letters(quarter)
    assert path.read_bytes() == before


def test_reply_date_is_the_letters_date_plus_reply_days(quarter):
    from docx import Document

    from cchc_tools.cycle.letters import reply_by

    assert reply_by(date(2026, 4, 25), 10) == date(2026, 5, 5) and reply_by(date(2026, 4, 25), 0) is None
    assert _letters(quarter) == 0
    text = "\n".join(p.text for p in Document(str(quarter / "outputs/2026/letters-q1/cong-van-vinh-hai.docx"))
                     .paragraphs)
    expected = reply_by(date.today(), 10)
    assert f"trước ngày {expected.day:02d}/{expected.month:02d}/{expected.year}" in text


def _height_mm(doc) -> float:
    """A conservative estimate of how tall a letter's text is on A4 (Times New Roman 13 pt over the 165 mm
    text width: at most 80 characters a line; a line 13 pt x 1.15; the heading and signature tables by their
    longest cell)."""
    import math

    pt = 0.3528  # mm

    def lines(text: str, chars: int = 80) -> int:
        return max(1, math.ceil(len(text) / chars))

    body = sum(lines(p.text) * 13 * 1.15 * pt + 4 * pt for p in doc.paragraphs)
    tables = 0.0
    for t in doc.tables:
        tables += max(sum(lines(p.text, 36) * 13 * 1.15 * pt for p in c.paragraphs) for c in t.rows[0].cells)
    return body + tables


def test_a_letter_with_a_contradiction_and_many_form_problems_is_one_page_in_an_officials_words(quarter):
    import re

    from docx import Document

    assert _letters(quarter) == 0
    doc = Document(str(quarter / "outputs/2026/letters-q1/cong-van-vinh-hai.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Mục III, STT 6.2 và 6.3: «Số hồ sơ TTHC do UBND cấp xã tiếp nhận được giải quyết đúng hạn» (100.612)" \
        in text
    assert "ghi 99,60%," in text  # the unit's note quoted as written, never "99,6%"
    from cchc_tools.forms import get_form

    commune_rows = set(get_form("commune-2025").codes)
    district_only = [c for c in get_form("district-2022").codes if c not in commune_rows]
    # the rows of the district form a commune's form has not, said in one paragraph
    assert f"đơn vị sử dụng mẫu phụ lục cấp huyện ({len(district_only)} dòng của mẫu cấp huyện" in text
    assert len(re.findall(r"^\d+\. ", text, flags=re.M)) == 3  # two points to explain, one form paragraph
    assert not re.search(r"dòng \d", text) and not re.search(r"\[(L|C|LY)\d+\]", text)
    assert not re.search(r"\b(the|and|row|line|error|warning)\b", text)  # no English
    assert _height_mm(doc) < 297 - 40  # fits between the margins of one A4 page


def test_a_unit_with_only_form_problems_gets_a_short_correction_letter(quarter, seed_text):
    from docx import Document

    _resubmit(quarter, seed_text, on_time="100.167")  # nothing left to explain
    assert _letters(quarter) == 0
    doc = Document(str(quarter / "outputs/2026/letters-q1/cong-van-vinh-hai.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(p.text for t in doc.tables for c in t._cells for p in c.paragraphs)
    assert "V/v đề nghị chỉnh sửa phụ lục" in cells and "giải trình" not in text + cells
    assert "phụ lục chưa đúng mẫu quy định" in text and "1. Phụ lục chưa đúng mẫu" in text
    assert _height_mm(doc) < 200


# -- status with time: the Sở's receipt dates (the register's), overdue, reminders, coverage ------------

UNITS = (("vinh-hai", "xã Vĩnh Hải", 10), ("cai-khe", "phường Cái Khế", 20))


@pytest.fixture()
def project(tmp_path, seed_text):
    """A Cần Thơ project whose two Q1 2026 appendices arrived on 10/4 and 20/4 (the files' times)."""
    from cchc_tools.project import init_project

    root = tmp_path / "can-tho"
    init_project(root, "Cần Thơ")
    for slug, name, day in UNITS:
        d = root / "data" / "raw" / "2026" / slug
        d.mkdir(parents=True)
        f = d / f"phu-luc-{slug}.txt"
        f.write_text(q1_text(seed_text, name, day), encoding="utf-8")
        t = datetime(2026, 4, day, 9).timestamp()
        os.utime(f, (t, t))
    return root


def _run(root, command: str, *extra) -> int:
    from cchc_tools.cli import main

    return main([command, "--project", str(root), "--year", "2026", "--period", "Q1", *extra])


def _status(root):
    from openpyxl import load_workbook

    ws = load_workbook(root / "outputs/2026/status-q1.xlsx").active
    head = [c.value for c in ws[1]]
    rows = ws.iter_rows(min_row=2, values_only=True)
    return {r[head.index("Đơn vị")]: dict(zip(head, r, strict=False)) for r in rows}


def test_eight_months_after_the_deadline_units_are_overdue_and_receipts_are_the_registers(project, capsys):
    from openpyxl import load_workbook

    assert _run(project, "status", "--date", "07/12/2026") == 0
    out = capsys.readouterr().out
    assert "tính đến ngày 07/12/2026" in out and "Quá hạn 236 ngày" in out
    assert "(101 quá hạn)" in out and "dưới ngưỡng 80%" in out
    rows = _status(project)
    assert rows["Xã Vĩnh Hải"]["Tình trạng"] == "Đã nhận đúng hạn"
    assert rows["Xã Vĩnh Hải"]["Ngày nhận"].startswith("10/04/2026")
    assert rows["Phường Cái Khế"]["Tình trạng"] == "Nộp muộn 5 ngày"  # received 20/4, due 15/4
    assert rows["Xã Vĩnh Lợi"]["Tình trạng"] == "Quá hạn 236 ngày"

    register = project / "outputs/2026/letters-q1/register.xlsx"
    wb = load_workbook(register)
    ws = wb["Ngày nhận báo cáo"]
    head = [c.value for c in ws[1]]
    got = {r[0]: r[head.index("Ngày Sở nhận")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert got == {"data/raw/2026/vinh-hai/phu-luc-vinh-hai.txt": datetime(2026, 4, 10),
                   "data/raw/2026/cai-khe/phu-luc-cai-khe.txt": datetime(2026, 4, 20)}
    for r in range(2, ws.max_row + 1):  # the clerk corrects a date: the file came by e-mail on 14/4
        if "cai-khe" in ws.cell(r, 1).value:
            ws.cell(r, head.index("Ngày Sở nhận") + 1, "14/04/2026")
    wb.save(register)
    later = project / "data/raw/2026/cai-khe/phu-luc-cai-khe.txt"
    os.utime(later, None)  # touched again: the date recorded at first sight stays
    assert _run(project, "status", "--date", "08/12/2026") == 0
    rows = _status(project)
    assert rows["Phường Cái Khế"]["Tình trạng"] == "Đã nhận đúng hạn"
    assert rows["Xã Vĩnh Lợi"]["Tình trạng"] == "Quá hạn 237 ngày"


def test_before_the_deadline_units_are_not_yet_due(project, capsys):
    assert _run(project, "status", "--date", "12/04/2026") == 0
    out = capsys.readouterr().out
    assert "Chưa đến hạn" in out and "Quá hạn" not in out and "(101 chưa đến hạn)" in out


def test_reminders_for_overdue_units_in_the_same_register(project):
    from docx import Document
    from openpyxl import load_workbook

    assert _run(project, "letters", "--reminders", "--date", "07/12/2026") == 0
    folder = project / "outputs/2026/letters-q1"
    reminder = folder / "don-doc-xa-vinh-loi-31777.docx"
    text = "\n".join(p.text for p in Document(str(reminder)).paragraphs)
    cells = "\n".join(p.text for t in Document(str(reminder)).tables for c in t._cells for p in c.paragraphs)
    assert "V/v đôn đốc gửi báo cáo cải cách hành chính quý I năm 2026" in cells
    assert "Kính gửi: Ủy ban nhân dân xã Vĩnh Lợi." in text
    assert "chậm nhất ngày 15/04/2026. Đến nay đã quá hạn 236 ngày" in text
    assert not (folder / "don-doc-xa-vinh-hai-31795.docx").exists()  # it reported
    ws = load_workbook(folder / "register.xlsx")["Sổ theo dõi công văn"]
    head = [c.value for c in ws[1]]
    kinds = [r[head.index("Loại")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert kinds.count("Đôn đốc báo cáo") == 101 and kinds.count("Đề nghị giải trình") == 2


def test_digest_says_when_too_few_units_reported(project, capsys):
    assert _run(project, "digest", "--date", "07/12/2026") == 0
    out = capsys.readouterr().out
    assert "Lưu ý: mới nhận 2/103 đơn vị (1,94%), dưới ngưỡng 80%" in out


def test_a_legacy_units_status_row_names_its_successors(kit):
    from cchc_tools.cycle.roster import roster
    from cchc_tools.cycle.status import reporting_status, status_text
    from cchc_tools.pipeline import computed

    data = computed(kit)
    units = roster("Sóc Trăng", 2022, "annual")
    st = reporting_status(data.table, data.errors, data.findings, units, 2022, "annual", date(2023, 1, 15),
                          province="Sóc Trăng", today=date(2026, 12, 7))
    row = st.rows.set_index("code").loc["950"]
    assert row["state"] == "received" and row["successors"].startswith("phường Vĩnh Châu, phường Khánh Hòa")
    assert "(đơn vị nay là phường Vĩnh Châu, phường Khánh Hòa" in status_text(st)
    from cchc_tools.cycle.status import status_document
    from cchc_tools.render.html import document_html

    assert "Thị xã Vĩnh Châu (nay là phường Vĩnh Châu" in document_html(status_document(st))


# -- bad input refused, the index ---------------------------------------------------------------------

def _tree(root) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.mark.parametrize(("args", "said"), [
    (["status", "--period", "Q5"], ["kỳ báo cáo 'Q5' không có; các kỳ hợp lệ: Q1, Q2, 6-month, Q3, 9-month, Q4, H2, "
                                    "annual", "gần nhất: Q1"]),
    (["cycle", "--period", "Q1", "--year", "2031"], ["năm 2031 không có báo cáo nào; các năm có số liệu:", "2026"]),
    (["letters", "--period", "Q1", "--unit", "Vĩnh Hảo"], ["đơn vị 'vinh-hao' không có báo cáo quý I năm 2026",
                                                           "gần nhất: xã Vĩnh Hải (vinh-hai)", "phường Cái Khế"]),
    (["letters", "--period", "Q1", "--unit", "Long Xuyên"], ["đơn vị 'long-xuyen' không có báo cáo"]),
])
def test_an_unknown_period_year_or_unit_is_refused_with_the_choices_and_nothing_written(project, capsys, args, said):
    from cchc_tools.cli import main

    before = _tree(project)
    year = [] if "--year" in args else ["--year", "2026"]
    assert main([args[0], "--project", str(project), *year, *args[1:]]) == 2
    err = capsys.readouterr().err
    for text in said:
        assert text in err, err
    assert "unknown" not in err and "error:" not in err  # Vietnamese only
    assert _tree(project) == before


def test_a_period_with_no_report_is_said_in_vietnamese(project, capsys):
    assert _run(project, "digest", "--period", "Q2", "--date", "07/12/2026") == 0  # Q2 of the same year: valid
    err = capsys.readouterr().err
    assert "không có phụ lục nào quý II năm 2026 để tổng hợp" in err


def test_the_index_links_summaries_letters_and_each_periods_comparison_files(project, tmp_path):
    from cchc_tools.site import write_index

    out = project / "outputs"
    assert _run(project, "letters", "--date", "07/12/2026") == 0
    year = out / "2026"
    for name in ("vinh-hai/briefing-q1.html", "vinh-hai/summary-q1.html", "vinh-hai/summary-q1.docx",
                 "compare-q1.html", "compare-q1.docx", "compare-q1.xlsx", "compare-q2.html", "compare-q2.docx"):
        (year / name).parent.mkdir(parents=True, exist_ok=True)
        (year / name).write_text("x", encoding="utf-8")
    (year / "cycle-q5.json").write_text(json.dumps({"year": 2026, "period": "Q5"}), encoding="utf-8")  # stale
    index = write_index(out).read_text(encoding="utf-8")
    for href in ("2026/vinh-hai/summary-q1.html", "2026/vinh-hai/summary-q1.docx", "2026/compare-q1.docx",
                 "2026/compare-q1.xlsx", "2026/compare-q2.docx", "2026/letters-q1/cong-van-vinh-hai.docx",
                 "2026/letters-q1/cong-van-cai-khe.docx"):
        assert f'href="{href}"' in index, href
    assert "Tóm tắt cho lãnh đạo" in index and "Kỳ Q5" not in index


def test_the_comparison_names_its_office_files_by_period(quarter, tmp_path):
    from cchc_tools.content.views.compare import YearComparison
    from cchc_tools.project import load_project

    view = YearComparison.load(2026, period="Q1", project=load_project(quarter, env={}))
    from cchc_tools.render import save

    written = save(view, tmp_path, "docx,xlsx")
    assert sorted(p.name for p in written) == ["compare-q1.docx", "compare-q1.xlsx"]
