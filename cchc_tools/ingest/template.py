"""The fill-in Excel template for units, written from a form (:mod:`cchc_tools.forms`).

The rows, their THỨ TỰ and labels are the form's (its current terms); the
form is named, or picked by year and level. Title and header rows, labels and
units locked (sheet protection without a password, so nobody is locked out);
the unit's name asked in an open cell above the table (the loader reads it as
``unit_name``); the value and note columns open with data validation
(non-negative whole numbers for counts, 0–100 for percents, the code list for
flags and categories), and the catalog codes in a hidden column so that a
filled-in template loads with zero ambiguity. Rows that only a district has are
left out of the templates of other levels. The same writer produces the Excel
files of the synthetic demo data.
"""

from __future__ import annotations

from pathlib import Path

from cchc_tools.atomic import atomic_path
from cchc_tools.forms import KIT_FORMS, Form, Forms
from cchc_tools.vocabulary import LEVEL_VI, SYNTHETIC_BANNER

HEADER = ["THỨ TỰ", "TÊN CHỈ TIÊU", "ĐƠN VỊ TÍNH", "Số lượng/ tỷ lệ", "Ghi chú", "MÃ CHỈ TIÊU"]
UNIT_PROMPT = "Tên đơn vị báo cáo:"


def template_form(year: int | None, level: str, form: str | Form | None = None, forms: Forms | None = None) -> Form:
    """The form a template uses: the one named, else the latest valid for the year and level, among ``forms``
    (a project's, ``Project.forms``; default: the kit's)."""
    if isinstance(form, Form):
        return form
    forms = forms or KIT_FORMS
    return forms.get(form) if form else forms.pick(year, level)


def write_workbook(path: str | Path, *, year: int, level: str = "district", unit_name: str = "",
                   values: dict[str, float | None] | None = None, notes: dict[str, str] | None = None,
                   synthetic: bool = False, form: str | Form | None = None, forms: Forms | None = None) -> Path:
    """Write the template of ``form`` (blank, or filled with ``values``) to ``path``, whole or not at all;
    ``forms``: where a named form and the catalog's entries are looked up (a project's; default: the kit's)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    if level not in LEVEL_VI:
        raise ValueError(f"level must be one of {', '.join(LEVEL_VI)}, not {level!r}")
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục"
    bold = Font(bold=True)
    ws.append(["PHỤ LỤC"])
    ws.append([f"THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM {year}"])
    who = f"Ủy ban nhân dân {unit_name}" if unit_name else "Ủy ban nhân dân ……… (ghi tên đơn vị)"
    ws.append([f"(Kèm theo Báo cáo số ……/BC-UBND ngày …… tháng …… năm {year} của {who})"])
    ws.append([SYNTHETIC_BANNER if synthetic
               else f"Mẫu dành cho đơn vị {LEVEL_VI[level]}; ghi tên đơn vị ở ô C5, "
                    "chỉ nhập số ở cột D và ghi chú ở cột E."])
    for r in range(1, 5):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.cell(r, 1).alignment = Alignment(horizontal="center", wrap_text=True)
        ws.cell(r, 1).font = bold
    ws.append([None, UNIT_PROMPT, unit_name or None])
    name_cell = ws.cell(ws.max_row, 3)
    ws.merge_cells(start_row=ws.max_row, start_column=3, end_row=ws.max_row, end_column=5)
    ws.cell(ws.max_row, 2).alignment = Alignment(horizontal="right")
    ws.cell(ws.max_row, 2).font = bold
    name_cell.protection = Protection(locked=False)
    name_cell.fill = PatternFill("solid", fgColor="FFF2CC")
    dv_name = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="200", allow_blank=True,
                             promptTitle="Tên đơn vị", prompt="Ví dụ: xã Vĩnh Hải, thành phố Cần Thơ",
                             showInputMessage=True)
    ws.add_data_validation(dv_name)
    dv_name.add(name_cell.coordinate)
    ws.append(HEADER)
    header_row = ws.max_row
    for c in range(1, 7):
        ws.cell(header_row, c).font = bold
        ws.cell(header_row, c).fill = PatternFill("solid", fgColor="DDE6F0")
    dv_count = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                              errorTitle="Số lượng", error="Nhập số nguyên không âm.")
    dv_pct = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True,
                            errorTitle="Tỷ lệ", error="Nhập tỷ lệ từ 0 đến 100.")
    lists: dict[str, DataValidation] = {}
    ws.add_data_validation(dv_count)
    ws.add_data_validation(dv_pct)
    forms = forms or KIT_FORMS
    codes = forms.by_code()
    values = values or {}
    notes = notes or {}
    for fr in forms.rows_for_level(template_form(year, level, form, forms), level):
        if fr.is_heading:
            ws.append([fr.stt, fr.label, None, None, None, None])
            ws.cell(ws.max_row, 1).font = bold
            ws.cell(ws.max_row, 2).font = bold
            continue
        e = codes.get(fr.code)
        v = values.get(fr.code)
        ws.append([fr.stt or None, fr.label, fr.uom or (e.uom if e else None), v, notes.get(fr.code) or None,
                   fr.code])
        if e is None:  # a code the catalog does not know yet (a draft form): no validation
            for c in (4, 5):
                ws.cell(ws.max_row, c).protection = Protection(locked=False)
            continue
        r = ws.max_row
        ws.cell(r, 2).alignment = Alignment(wrap_text=True)
        if e.kind == "group":
            ws.cell(r, 2).font = bold
        for c in (4, 5):
            ws.cell(r, c).protection = Protection(locked=False)
        cell = f"D{r}"
        if e.kind == "count":
            dv_count.add(cell)
        elif e.kind == "percent":
            dv_pct.add(cell)
        elif e.kind in ("flag", "category"):
            allowed = ",".join(str(int(k)) for k in e.allowed_codes())
            dv = lists.get(allowed)
            if dv is None:
                dv = DataValidation(type="list", formula1=f'"{allowed}"', allow_blank=True, errorTitle="Mã",
                                    error="Chọn một giá trị trong danh sách mã.")
                ws.add_data_validation(dv)
                lists[allowed] = dv
            dv.add(cell)
            dv.prompt, dv.promptTitle, dv.showInputMessage = e.codelist, "Mã", True
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 80
    ws.column_dimensions["C"].width = 22
    ws.column_dimensions["D"].width = 16
    ws.column_dimensions["E"].width = 40
    ws.column_dimensions["F"].hidden = True
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.protection.sheet = True  # no password: labels are protected from slips, not from their owner
    ws.protection.formatColumns = False
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)
