"""Two projects in one process: each reads its files against its own forms, whatever the other did before."""

from __future__ import annotations

from pathlib import Path

from cchc_tools import load_appendix, validate
from cchc_tools.analysis.assess import consolidate
from cchc_tools.catalog import by_code
from cchc_tools.forms import all_forms
from cchc_tools.ingest.derive import derive_form
from cchc_tools.pipeline import load_data
from cchc_tools.project import load_project
from tests.form_fixtures import seed_variant, write

TITLE_2023 = "THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2023"
ATTACH_2023 = "(Kèm theo Báo cáo số 12/BC-UBND ngày 15 tháng 12 năm 2023"
ROW_A = "\tSố cuộc đối thoại trực tuyến với thanh niên khởi nghiệp\tCuộc\t4\t"
ROW_B = "\tCó ứng dụng trí tuệ nhân tạo trong trả lời phản ánh kiến nghị\tCó = 1 Không = 0\t1\t"


def _project(root: Path, seed_text: str, seed_df, row: str, after: str, form: str):
    """A project in ``root`` whose forms folder holds ``form``: a draft derived from its own appendix (the seed of
    2023 with ``row`` added after the code ``after``), that appendix in its data folder; the project and the file."""
    write(root / "cchc.toml", '[project]\nprovince = "Cần Thơ"\n')
    text = seed_variant(seed_text, seed_df, add_after={after: [row]}, title=TITLE_2023, attach=ATTACH_2023)
    path = write(root / "data/raw/2023/vinh-chau/phu-luc.txt", text)
    project = load_project(root, env={})
    draft = derive_form(path, form, forms=project.forms)
    assert draft.path == root / "forms" / f"{form}.csv" and len(draft.new_codes) == 1
    return load_project(root, env={}), path, draft.new_codes[0]


def test_two_projects_in_one_process_each_read_their_own_forms(tmp_path, seed_text, seed_df):
    a, file_a, code_a = _project(tmp_path / "a", seed_text, seed_df, ROW_A, "I.directive_docs", "district-2023-a")
    b, file_b, code_b = _project(tmp_path / "b", seed_text, seed_df, ROW_B, "VII.iso", "district-2023-b")
    assert code_a != code_b and a.forms != b.forms
    assert "district-2023-a" in all_forms(a.forms) and "district-2023-a" not in all_forms(b.forms)
    assert code_a in a.forms.by_code() and code_a not in b.forms.by_code() and code_a not in by_code()

    def read(project, path):
        df = load_appendix(path, province=project.province, root=project.root, forms=project.forms)
        found = validate(df, rules=project.rules, province=project.province, forms=project.forms)
        return set(df["form"]), set(df["code"]), set(found["rule"])

    first_a, first_b = read(a, file_a), read(b, file_b)
    for _ in range(2):  # interleaved, as a notebook comparing two provinces would call them
        assert read(a, file_a) == first_a
        assert read(b, file_b) == first_b
    forms_a, codes_a, rules_a = first_a
    forms_b, codes_b, rules_b = first_b
    assert forms_a == {"district-2023-a"} and code_a in codes_a and code_b not in codes_a
    assert forms_b == {"district-2023-b"} and code_b in codes_b and code_a not in codes_b
    assert "unmatched_row" not in rules_a and "unmatched_row" not in rules_b

    # A's file read with B's forms is read as another project would: B's form, A's new row unmatched
    crossed = read(b, file_a)
    assert crossed[0] != {"district-2023-a"} and code_a not in crossed[1] and "unmatched_row" in crossed[2]
    assert read(a, file_a) == first_a  # and that leaves A's reading as it was

    # the whole data folder of each, through its snapshot, interleaved
    for project, form, code in ((a, "district-2023-a", code_a), (b, "district-2023-b", code_b),
                                (a, "district-2023-a", code_a)):
        table = load_data(project).table
        assert set(table["form"]) == {form} and code in set(table["code"])
        totals = consolidate(table, rules=project.rules, forms=project.forms).totals  # its draft row adds up too
        assert code in set(totals["code"]) and code not in set(consolidate(table).totals["code"])


def test_a_letter_about_a_report_on_a_projects_own_form_names_that_form(tmp_path, seed_text, seed_df):
    from cchc_tools.cycle.letters import form_title, letters_for

    a, file_a, _ = _project(tmp_path / "a", seed_text, seed_df, ROW_A, "I.directive_docs", "district-2023-a")
    own = form_title("district-2023-a", a.forms)
    assert own != "district-2023-a" and form_title("district-2023-a") == "district-2023-a"  # the kit has no such form
    table = load_appendix(file_a, province=a.province, root=a.root, forms=a.forms)
    findings = validate(table, rules=a.rules, province=a.province, forms=a.forms)
    letters = letters_for(table, findings, 2023, "annual", forms=a.forms)
    assert letters and {x.form_name for x in letters} == {"district-2023-a"}
    assert {x.form_title for x in letters} == {own}
