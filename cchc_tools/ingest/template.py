"""The fill-in Excel template for units, written from the catalog.

Title and header rows, labels and units locked (sheet protection without a
password, so nobody is locked out), the value and note columns open with
data validation (non-negative whole numbers for counts, 0–100 for percents,
the code list for flags and categories), and the catalog codes in a hidden
column so that a filled-in template loads with zero ambiguity. Rows that only a
district has are left out of the templates of other levels. The same
writer produces the Excel files of the synthetic demo data.
"""

from __future__ import annotations

from pathlib import Path

from cchc_tools.atomic import atomic_path
from cchc_tools.catalog import SECTIONS, by_code, entries

HEADER = ["THỨ TỰ", "TÊN CHỈ TIÊU", "ĐƠN VỊ TÍNH", "Số lượng/ tỷ lệ", "Ghi chú", "MÃ CHỈ TIÊU"]
LEVEL_VI = {"province": "cấp tỉnh", "department": "sở, ban, ngành", "district": "cấp huyện", "commune": "cấp xã"}


def write_workbook(path: str | Path, *, year: int, level: str = "district", unit_name: str = "",
                   values: dict[str, float | None] | None = None, notes: dict[str, str] | None = None,
                   synthetic: bool = False) -> Path:
    """Write the template (blank, or filled with ``values``) to ``path``, whole or not at all."""
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
    ws.append(["DỮ LIỆU MẪU – KHÔNG PHẢI SỐ LIỆU THẬT" if synthetic
               else f"Mẫu dành cho đơn vị {LEVEL_VI[level]}; chỉ nhập số ở cột D và ghi chú ở cột E."])
    for r in range(1, 5):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.cell(r, 1).alignment = Alignment(horizontal="center", wrap_text=True)
        ws.cell(r, 1).font = bold
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
    codes = by_code()
    section = None
    values = values or {}
    notes = notes or {}
    for e in entries():
        if not e.applies_to(level):
            continue
        if e.section != section:
            section = e.section
            ws.append([section, SECTIONS[section][0], None, None, None, None])
            ws.cell(ws.max_row, 1).font = bold
            ws.cell(ws.max_row, 2).font = bold
        sub = e.parent and codes[e.parent].kind != "group"
        v = values.get(e.code)
        ws.append([None, ("- " if sub else "") + e.label_vi, e.uom, v, notes.get(e.code) or None, e.code])
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
