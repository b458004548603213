"""Forms as data: the shipped forms, detection of a file's form, derived drafts, fill-in templates."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from cchc_tools import load_appendices, load_appendix, validate
from cchc_tools.catalog import by_code, entries
from cchc_tools.cli import main
from cchc_tools.forms import PACKAGE_FORMS, all_forms, candidates, get_form, parse_form, pick_form
from cchc_tools.ingest.derive import derive_form, infer_kind
from cchc_tools.ingest.template import write_workbook
from cchc_tools.project import load_project
from cchc_tools.render.html import render_block
from tests.form_fixtures import NEW_DVC, OLD_DVC, seed_variant, write

TITLE_2023 = "THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2023"
ATTACH_2023 = "(Kèm theo Báo cáo số 12/BC-UBND ngày 15 tháng 12 năm 2023"
TITLE_2026 = "THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2026"
ATTACH_2026 = "(Kèm theo Báo cáo số 5/BC-UBND ngày 10 tháng 12 năm 2026"
SHIPPED = ["district-2022", "district-2023", "commune-2025", "department-2025"]


# --- the shipped forms ------------------------------------------------------------------------

def test_shipped_forms_and_the_catalog_agree():
    forms = all_forms()
    assert set(SHIPPED) <= set(forms)
    having: dict[str, set[str]] = {}
    for name in SHIPPED:
        f = forms[name]
        assert len(f.codes) == len(set(f.codes)), name
        assert set(f.codes) <= set(by_code()), name
        for c in f.codes:
            having.setdefault(c, set()).add(name)
    for e in entries():  # the catalog says which forms have each code, and it is right
        assert set(e.forms) == having.get(e.code, set()), e.code


def test_the_two_online_service_scales_never_share_a_form():
    for name in SHIPPED:
        codes = set(get_form(name).codes)
        assert not (codes & set(OLD_DVC) and codes & set(NEW_DVC)), name
    assert set(OLD_DVC) <= set(get_form("district-2022").codes)
    assert set(NEW_DVC) <= set(get_form("district-2023").codes)
    labels = " ".join(r.label for r in get_form("district-2023").rows)
    assert "mức độ 3" not in labels and "mức độ 4" not in labels and "toàn trình" in labels


def test_derived_forms_invent_no_row():
    d23 = get_form("district-2023")
    by = {r.code: r for r in d23.rows}
    for name, level in (("commune-2025", "commune"), ("department-2025", "department")):
        f = get_form(name)
        assert f.derived_from and f.levels == (level,)
        assert [r.code for r in f.rows] == [r.code for r in d23.rows if r.code not in by_code()
                                            or by_code()[r.code].applies_to(level)]
        assert all(by[r.code].label == r.label for r in f.rows)
        assert "III.dossiers_district_received" not in f.codes


def test_district_2022_prints_the_seed_labels_and_numbers_every_row(seed_df):
    f = get_form("district-2022")
    assert f.codes == seed_df["code"].tolist()
    corrected = 0
    for form_label, seed_label in zip([r.label for r in f.indicator_rows], seed_df["label"], strict=True):
        if form_label != seed_label:  # the form drops the seed's typo of a clause typed twice, and nothing else
            repeated = seed_label.removeprefix(form_label).strip(" .")
            assert seed_label.startswith(form_label) and repeated and repeated in form_label, seed_label
            corrected += 1
    assert corrected == 1
    assert all(r.stt for r in f.rows)  # sub-items have a THỨ TỰ (1.1, 1.2 ...)
    assert [r.stt for r in f.rows[:4]] == ["I", "1", "1.1", "1.2"]


def test_forms_valid_by_year_and_level():
    assert [f.name for f in candidates(2022, "district")] == ["district-2022"]
    assert {f.name for f in candidates(2023, "district")} == {"district-2022", "district-2023"}
    assert [f.name for f in candidates(2026, "commune")] == ["commune-2025"]
    assert {f.name for f in candidates(2022, "commune")} == {"district-2022"}  # communes before the reform
    assert pick_form(2023, "district").name == "district-2023"
    assert pick_form(2026, "department").name == "department-2025"


def test_form_file_round_trip():
    f = get_form("commune-2025")
    from cchc_tools.forms import form_text

    again = parse_form(form_text(f))
    assert again.rows == f.rows and again.levels == f.levels and again.years_text() == "2025-"
    assert (PACKAGE_FORMS / "commune-2025.csv").read_text(encoding="utf-8") == form_text(f)


def test_a_form_file_without_its_columns_is_refused():
    with pytest.raises(ValueError, match="columns"):
        parse_form("# form: x\nstt,label\n1,a\n", path="x.csv")


# --- a file's form ------------------------------------------------------------------------------

def test_bundled_appendix_is_the_2022_district_form(seed_df):
    assert set(seed_df["form"]) == {"district-2022"}
    assert set(seed_df["form_score"]) == {100.0}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory, seed_text, seed_df):
    root = tmp_path_factory.mktemp("forms")
    return {
        "new23": write(root / "2023/vinh-chau/new.txt",
                       seed_variant(seed_text, seed_df, title=TITLE_2023, attach=ATTACH_2023, new_terms=True)),
        "old23": write(root / "2023/vinh-chau/old.txt",
                       seed_variant(seed_text, seed_df, title=TITLE_2023, attach=ATTACH_2023)),
        "commune26": write(root / "2026/vinh-hai/xa.txt", seed_variant(
            seed_text, seed_df, title=TITLE_2026, attach=ATTACH_2026, new_terms=True, level="commune",
            unit="của Ủy ban nhân dân xã Vĩnh Hải, thành phố Cần Thơ)")),
    }


def test_post_2022_terms_load_with_their_form_and_new_codes(fixtures, seed_df):
    df = load_appendix(fixtures["new23"])
    assert set(df["form"]) == {"district-2023"} and df["form_score"].iloc[0] >= 99
    assert (df["code"] != "").all()
    assert set(NEW_DVC) <= set(df["code"]) and not set(OLD_DVC) & set(df["code"])
    # same values on the same lines, under the new codes
    old = seed_df.set_index("code")["raw_value"]
    new = df.set_index("code")["raw_value"]
    assert [new[n] for n in NEW_DVC] == [old[o] for o in OLD_DVC]
    assert df.iloc[0]["unit_code"] == "950" and df.iloc[0]["province"] == "Tỉnh Sóc Trăng"
    rules = set(validate(df)["rule"])
    assert not rules & {"missing_rows", "form_poor_fit", "unmatched_row", "required_blank"}


def test_old_terms_in_2023_keep_the_old_codes(fixtures):
    df = load_appendix(fixtures["old23"])
    assert set(df["form"]) == {"district-2022"}
    assert set(OLD_DVC) <= set(df["code"]) and not set(NEW_DVC) & set(df["code"])


def test_commune_2026_loads_with_its_form_and_official_unit(fixtures):
    df = load_appendix(fixtures["commune26"])
    first = df.iloc[0]
    assert set(df["form"]) == {"commune-2025"} and first["form_score"] >= 99
    assert (first["unit"], first["unit_name"], first["level"]) == ("vinh-hai", "xã Vĩnh Hải", "commune")
    assert (first["unit_code"], first["province"]) == ("31795", "Thành phố Cần Thơ")
    assert (df["code"] != "").all() and "III.dossiers_district_received" not in set(df["code"])
    assert not set(validate(df)["rule"]) & {"missing_rows", "form_poor_fit", "unit_unresolved", "required_blank"}


def test_a_file_that_fits_no_form_is_read_against_the_closest_with_a_finding(tmp_path, seed_text, seed_df):
    reword = {c: f"Chỉ tiêu riêng của địa phương số {i}" for i, c in enumerate(seed_df["code"][::3])}
    p = write(tmp_path / "odd.txt", seed_variant(seed_text, seed_df, reword=reword))
    df = load_appendix(p)
    assert set(df["form"]) == {"district-2022"} and df["form_score"].iloc[0] < 85
    found = validate(df)
    hit = found[found["rule"] == "form_poor_fit"]
    assert len(hit) == 1 and "district-2022" in hit.iloc[0]["message_vi"]


# --- cchc form derive ---------------------------------------------------------------------------

@pytest.mark.parametrize(("form", "level"), [("district-2023", "district"), ("commune-2025", "commune"),
                                             ("district-2022", "district")])
def test_derive_on_the_kits_blank_template_reproduces_the_form(tmp_path, form, level):
    blank = tmp_path / "blank.xlsx"
    assert main(["template", "--form", form, "--level", level, "--out", str(blank)]) == 0
    out = tmp_path / "draft.csv"
    assert main(["form", "derive", str(blank), "--name", "again", "--out", str(out)]) == 0
    draft = parse_form(out.read_text(encoding="utf-8"))
    want = get_form(form)
    assert draft.rows == want.rows  # THỨ TỰ, label, unit and code of every row
    status = [row["status"] for row in csv.DictReader(line for line in out.open(encoding="utf-8")
                                                      if not line.startswith("#"))]
    assert "new" not in status


ADDED = ["\tSố cuộc đối thoại trực tuyến với thanh niên khởi nghiệp\tCuộc\t4\t",
         "\tTỷ lệ phường, xã có điểm phục vụ hành chính công lưu động\t%\t50\t",
         "\tCó ứng dụng trí tuệ nhân tạo trong trả lời phản ánh kiến nghị\tCó = 1 Không = 0\t1\t"]
REWORDED = {
    "I.plan_tasks_done": "Số nhiệm vụ trong kế hoạch đã được hoàn thành",
    "I.directive_docs": "Số văn bản chỉ đạo, điều hành về CCHC đã ban hành",
    "I.inspection_offices": "Số phòng, ban chuyên môn đã được kiểm tra",
    "II.legal_docs_issued": "Số văn bản quy phạm pháp luật đã ban hành trong năm",
    "III.tthc_new": "Số TTHC được công bố mới trong năm",
    "IV.civil_quota": "Số biên chế công chức được giao",
    "V.recruited_civil": "Số công chức được tuyển dụng mới",
    "VI.sncl_autonomy": "Số đơn vị sự nghiệp công lập thực hiện tự chủ",
    "VII.iso": "Áp dụng hệ thống ISO trong hoạt động",
    "VII.edocs_district_out": "Tổng số văn bản đi của UBND cấp huyện",
}


def test_derive_proposes_exactly_the_added_rows(tmp_path, seed_text, seed_df):
    reword = {c: t for c, t in REWORDED.items() if c in set(seed_df["code"])}
    assert len(reword) == 10
    text = seed_variant(seed_text, seed_df, reword=reword,
                        add_after={"I.directive_docs": ADDED[:1], "III.tthc_new": ADDED[1:2], "VII.iso": ADDED[2:]})
    p = write(tmp_path / "reworded.txt", text)
    draft = derive_form(p, "district-2022-reworded", out=tmp_path / "d.csv")
    assert len(draft.new_codes) == 3
    new = [(r.label, r.code, k) for r, s, k in zip(draft.form.rows, draft.status, draft.kind, strict=True)
           if s == "new"]
    assert [k for _, _, k in new] == ["count", "percent", "flag"]
    assert [c.split(".")[0] for _, c, _ in new] == ["I", "III", "VII"]
    matched = {r.code: r.label for r, s in zip(draft.form.rows, draft.status, strict=True) if s == "matched"}
    assert all(matched[c] == t for c, t in reword.items())  # the reworded rows kept their codes
    assert set(matched) == set(seed_df["code"])


def test_a_reviewed_draft_is_used_by_the_next_load(tmp_path, seed_text, seed_df):
    forms = load_project(tmp_path, env={}).forms  # a project without cchc.toml: its forms/ folder
    text = seed_variant(seed_text, seed_df, add_after={"I.directive_docs": ADDED[:1]},
                        title=TITLE_2023, attach=ATTACH_2023)
    p = write(tmp_path / "data/raw/2023/vinh-chau/a.txt", text)
    draft = derive_form(p, "district-2023-local", forms=forms)  # written to <project>/forms/
    assert draft.path == tmp_path / "forms" / "district-2023-local.csv"
    (code,) = draft.new_codes
    assert forms.by_code()[code].kind == "count" and "district-2023-local" in forms.by_code()[code].forms
    assert code not in by_code()  # the kit's catalog, as another project sees it, is untouched
    df = load_appendix(p, forms=forms)
    assert set(df["form"]) == {"district-2023-local"} and code in set(df["code"])
    assert not set(validate(df, forms=forms)["rule"]) & {"unmatched_row", "missing_rows"}
    kit = load_appendix(p)  # without the project's forms: a kit's form, the new row unmatched
    assert set(kit["form"]) <= {"district-2022", "district-2023"} and code not in set(kit["code"])
    assert "unmatched_row" in set(validate(kit)["rule"])


def test_infer_kind_from_the_unit_column():
    assert infer_kind("%") == ("percent", "")
    assert infer_kind("Có = 1 Không = 0") == ("flag", "Có = 1; Không = 0")
    assert infer_kind("Trực tuyến = 0; Phát phiếu = 1; Kết hợp = 2")[0] == "category"
    assert infer_kind("Hồ sơ") == ("count", "")
    assert infer_kind("", has_value=False) == ("group", "")


# --- fill-in templates per form -----------------------------------------------------------------

def test_template_by_year_uses_the_current_terms_and_numbers_sub_items(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", "--year", "2023", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out).active
    labels = [ws.cell(r, 2).value or "" for r in range(1, ws.max_row + 1)]
    assert not any("mức độ 3" in x for x in labels) and any("toàn trình" in x for x in labels)
    rows = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 6).value and "." in ws.cell(r, 6).value]
    assert all(ws.cell(r, 1).value for r in rows)
    assert {ws.cell(r, 1).value for r in rows} >= {"1.1", "1.2"}


def test_template_asks_the_unit_name_in_an_open_cell_that_the_loader_reads(tmp_path):
    out = tmp_path / "t.xlsx"
    write_workbook(out, year=2026, level="commune")
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    name_cell = next(ws.cell(r, 3) for r in range(1, 10) if ws.cell(r, 2).value == "Tên đơn vị báo cáo:")
    assert ws.protection.sheet and not name_cell.protection.locked
    assert load_appendix(out)["unit_name"].iloc[0] == ""  # blank: no name invented
    name_cell.value = "xã Vĩnh Hải, thành phố Cần Thơ"
    ws.cell(name_cell.row + 2, 4).value = 5
    wb.save(out)
    df = load_appendix(out)
    first = df.iloc[0]
    assert (first["unit_name"], first["unit"], first["level"]) == ("xã Vĩnh Hải", "vinh-hai", "commune")
    assert (first["unit_code"], first["form"]) == ("31795", "commune-2025")


def test_batch_records_each_files_form(fixtures):
    result = load_appendices(sorted({Path(p).parent.parent for p in fixtures.values()}))
    got = result.table.drop_duplicates("source").set_index("source")["form"].to_dict()
    assert sorted(got.values()) == ["commune-2025", "district-2022", "district-2023"]


def test_a_new_project_form_changes_the_snapshot_signature(tmp_path):
    from cchc_tools.forms import form_text, signature

    forms = load_project(tmp_path, env={}).forms
    before = signature(forms)
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "mine.csv").write_text(form_text(get_form("commune-2025")).replace(
        "# form: commune-2025", "# form: mine"), encoding="utf-8")
    assert "mine" in all_forms(forms) and signature(forms) != before
    assert "mine" not in all_forms() and signature() == before  # the kit's forms alone: unchanged


def test_a_commune_before_the_reform_is_read_against_the_district_form_of_its_time(tmp_path, seed_text, seed_df,
                                                                                  ):
    p = write(tmp_path / "xa.txt", seed_variant(seed_text, seed_df, level="commune",
                                                 unit="của Ủy ban nhân dân xã Vĩnh Hải)"))
    df = load_appendix(p, province="Cần Thơ")
    first = df.iloc[0]
    assert (first["form"], first["form_score"], first["level"]) == ("district-2022", 100.0, "commune")
    assert (first["unit_code"], first["province"]) == ("31795", "Tỉnh Sóc Trăng")  # the project's province
    assert not set(validate(df)["rule"]) & {"form_poor_fit", "missing_rows", "unmatched_row"}


def test_derive_reads_a_word_form_too(tmp_path, seed_path, seed_df):
    from tests.office_fixtures import build_docx

    draft = derive_form(build_docx(seed_path, tmp_path / "mau.docx"), "from-word", write=False)
    assert draft.new_codes == [] and draft.base == "district-2022"
    assert draft.form.codes == seed_df["code"].tolist()
    assert draft.form.levels == ("district",) and draft.form.first_year == 2022 and draft.path is None


def test_trend_of_a_current_commune_shows_its_legacy_district_beside_never_summed(tmp_path, seed_text, seed_df):
    from cchc_tools.content.views import UnitTrend

    root = tmp_path / "data"
    write(root / "2022/vinh-chau/a.txt", seed_text)
    write(root / "2026/vinh-hai/xa.txt", seed_variant(
        seed_text, seed_df, title=TITLE_2026, attach=ATTACH_2026, new_terms=True, level="commune",
        unit="của Ủy ban nhân dân xã Vĩnh Hải, thành phố Cần Thơ)"))
    t = UnitTrend.load("vinh-hai", root)
    assert set(t.reps["year"]) == {2026}  # its own reports only
    assert set(t.predecessors["unit"]) == {"vinh-chau"} and set(t.predecessors["year"]) == {2022}
    block = render_block(t.predecessors_table())
    assert "thị xã Vĩnh Châu (trước sắp xếp)" in block and "không cộng dồn" in block
    assert "Đơn vị trước sắp xếp" not in render_block(UnitTrend.load("vinh-chau", root).predecessors_table())


def test_files_of_one_template_are_aligned_once_whatever_they_leave_blank(monkeypatch):
    """The plan of a file is shared by files of its template that left other figures blank, and
    equals the plan computed afresh; a row without a unit whose value-presence changes (a possible
    section heading) gets a plan of its own."""
    import dataclasses

    from cchc_tools.ingest import align as al
    from cchc_tools.ingest.readers import read_raw
    from cchc_tools.paths import raw_dir

    rows = read_raw(raw_dir() / "2022" / "vinh-chau" / "phu-luc-cchc-2022-vinh-chau.txt").rows
    forms = candidates(2022, "district")
    blanked = [dataclasses.replace(r, value="") if r.uom and i % 3 == 0 else r for i, r in enumerate(rows)]
    assert sum(r.value != b.value for r, b in zip(rows, blanked, strict=True)) > 20
    al._file_cache.clear()
    calls = []
    real = al._align_uncached
    monkeypatch.setattr(al, "_align_uncached", lambda rs, f, known: calls.append(f.name) or real(rs, f, known))

    def plan(a):
        return [(r.line, s, c, sim) for r, s, c, sim in a.rows]

    first = al.align(rows, forms)
    n = len(calls)
    assert n >= 1
    second = al.align(blanked, forms)
    assert len(calls) == n  # the same template with other blanks: no new alignment
    own = {id(r) for r in blanked}
    assert all(id(r) in own for r, *_ in second.rows)  # the rows are the new file's own
    al._file_cache.clear()
    fresh = al.align(blanked, forms)
    assert len(calls) == 2 * n
    assert plan(fresh) == plan(second) and fresh.form == second.form == first.form
    assert fresh.score == second.score
    heading = next(i for i, r in enumerate(rows) if not r.uom and not r.value)
    filled = [dataclasses.replace(r, value="1") if i == heading else r for i, r in enumerate(rows)]
    al.align(filled, forms)
    assert len(calls) == 3 * n  # a possible heading that now has a value: aligned afresh
