"""The register of a period's letters (sổ theo dõi công văn): the office's record, kept across every run.

``<outputs>/<year>/letters-<period>/register.xlsx`` is the clerk's workbook. The kit adds rows and updates
only the columns it owns (``KIT_COLUMNS``: the unit, the report, the items, the file, the state); the columns
a person fills in (``CLERK_COLUMNS``: Số công văn, Ngày gửi, Hạn trả lời, Ngày đơn vị trả lời, Ghi chú) and any
column or row a person adds are never touched, and the workbook is updated in place (its formatting kept),
whole or not at all. A row is never deleted. A letter after a resubmission (the appendix's content changed)
is a new row, "lần 2", naming the earlier one, whose state then says so.

Beside it, ``register.json`` is the kit's memory: the SHA-256 of every letter file it wrote (a file whose
content differs was edited by a person and is never overwritten: the new draft goes beside it, and the run
says so), the versions of each unit's letter with the appendix they were written from, the item number of
each point (keyed on rule and codes, so "mục 2" keeps its meaning after a resubmission), and the date the Sở
received each appendix (also shown, editable, on the workbook's sheet "Ngày nhận báo cáo").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cchc_tools.fingerprint import file_sha256 as sha256_file
from cchc_tools.text import visible

REGISTER_XLSX = "register.xlsx"
REGISTER_JSON = "register.json"
SHEET = "Sổ theo dõi công văn"
ITEMS_SHEET = "Nội dung các mục"
RECEIPTS_SHEET = "Ngày nhận báo cáo"
KEY = "Mã công văn"
KIT_COLUMNS = [KEY, "STT", "Mã ĐVHC", "Đơn vị", "Kính gửi", "Loại", "Lần", "Thay cho", "Báo cáo của đơn vị",
               "Các mục", "Số mục giải trình", "Số mục chỉnh sửa", "Tệp công văn", "Tệp phụ lục", "Tình trạng"]
CLERK_COLUMNS = ["Số công văn", "Ngày gửi", "Hạn trả lời", "Ngày đơn vị trả lời", "Ghi chú"]
RECEIPT_COLUMNS = ["Tệp phụ lục", "Đơn vị", "Mã ĐVHC", "Ngày Sở nhận", "Tình trạng", "Ghi chú"]
RECEIPT_STATE = "Tình trạng"  # the kit's: a report superseded by a later one, a unit outside the province
KIND_VI = {"explain": "Đề nghị giải trình", "correct": "Đề nghị chỉnh sửa", "reminder": "Đôn đốc báo cáo"}
DRAFT_SUFFIX = "-du-thao-moi"


def _cell_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    return None


@dataclass
class RecordResult:
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # in Vietnamese: what a person should know (an edited letter)
    rows: dict[str, dict] = field(default_factory=dict)  # key -> the kit's values of each row touched


class Register:
    """The register of one period's letters folder, loaded, changed in memory, saved whole."""

    def __init__(self, folder: str | Path) -> None:
        from openpyxl import Workbook, load_workbook

        self.folder = Path(folder)
        self.xlsx, self.json = self.folder / REGISTER_XLSX, self.folder / REGISTER_JSON
        try:
            self.state = json.loads(self.json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.state = {}
        for k in ("files", "versions", "items", "received", "texts"):
            self.state.setdefault(k, {})
        if self.xlsx.exists():
            self.wb = load_workbook(self.xlsx)
            self.new = False
        else:
            self.wb = Workbook()
            self.wb.active.title = SHEET
            self.new = True
        self.ws = self.wb[SHEET] if SHEET in self.wb.sheetnames else self.wb.create_sheet(SHEET, 0)
        self.columns = self._header(self.ws, KIT_COLUMNS + CLERK_COLUMNS)

    # -- the workbook, in place ------------------------------------------------------------------------

    @staticmethod
    def _header(ws, wanted: list[str]) -> dict[str, int]:
        """Column name -> index (1-based) of a sheet's header row; the names it lacks are added at its end
        (a person's own columns stay where they are)."""
        from openpyxl.styles import Alignment, Font

        cols: dict[str, int] = {}
        last = 0
        if ws.max_row >= 1:
            for cell in ws[1]:
                if cell.value not in (None, ""):
                    cols.setdefault(str(cell.value).strip(), cell.column)
                    last = max(last, cell.column)
        for name in wanted:
            if name not in cols:
                last += 1
                cell = ws.cell(1, last, name)
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="center")
                cols[name] = last
                from openpyxl.utils import get_column_letter

                ws.column_dimensions[get_column_letter(last)].width = max(12, min(40, len(name) + 4))
        ws.freeze_panes = "B2"
        return cols

    def _row_of(self, key: str) -> int | None:
        col = self.columns[KEY]
        for r in range(2, self.ws.max_row + 1):
            if str(self.ws.cell(r, col).value or "").strip() == key:
                return r
        return None

    def row_values(self, key: str) -> dict[str, object]:
        """Every column of the row ``key`` (a person's too), or {} when it has none."""
        r = self._row_of(key)
        if r is None:
            return {}
        return {name: self.ws.cell(r, c).value for name, c in self.columns.items()}

    def rows(self) -> list[dict[str, object]]:
        """Every row of the register as column -> value."""
        out = []
        for r in range(2, self.ws.max_row + 1):
            vals = {name: self.ws.cell(r, c).value for name, c in self.columns.items()}
            if any(v not in (None, "") for v in vals.values()):
                out.append(vals)
        return out

    def upsert(self, key: str, values: dict[str, object], first_time: dict[str, object] | None = None) -> None:
        """Set the kit's columns of the row ``key`` (added at the end when new, with ``first_time`` values for
        the clerk's columns, e.g. the reply date the letter states); never a clerk's column of an existing row."""
        r = self._row_of(key)
        if r is None:
            r = self.ws.max_row + 1 if self.ws.max_row > 1 or self.ws.cell(1, 1).value else 2
            n = sum(1 for _ in self.rows()) + 1
            values = {"STT": n, **values}
            for name, value in (first_time or {}).items():
                if name in CLERK_COLUMNS and value not in (None, ""):
                    cell = self.ws.cell(r, self.columns[name], value)
                    if isinstance(value, date):
                        cell.number_format = "DD/MM/YYYY"
        self.ws.cell(r, self.columns[KEY], key)
        for name, value in values.items():
            if name in KIT_COLUMNS and name != KEY:
                self.ws.cell(r, self.columns[name], value)

    def set_state(self, key: str, text: str) -> None:
        r = self._row_of(key)
        if r is not None:
            self.ws.cell(r, self.columns["Tình trạng"], text)

    def _items_sheet(self) -> None:
        """The sheet the kit owns entirely: each unit's items, by number, with what each asks."""
        if ITEMS_SHEET in self.wb.sheetnames:
            del self.wb[ITEMS_SHEET]
        ws = self.wb.create_sheet(ITEMS_SHEET)
        from openpyxl.styles import Font

        ws.append(["Đơn vị", "Mục", "Nội dung"])
        for c in ws[1]:
            c.font = Font(bold=True)
        for unit, items in sorted(self.state["items"].items()):
            texts = self.state["texts"].get(unit, {})
            for k, n in sorted(items.items(), key=lambda kv: kv[1]):
                ws.append([unit, n, texts.get(k, k)])
        ws.column_dimensions["A"].width, ws.column_dimensions["C"].width = 20, 100

    def save(self) -> list[Path]:
        from cchc_tools.atomic import write_text, write_with
        from cchc_tools.render.workbook import print_setup

        self._items_sheet()
        for ws in self.wb.worksheets:  # every sheet prints with its header row and title (the clerk's too)
            print_setup(ws, header_rows=(1, 1), title=ws.title, name=self.folder.name)
        self.folder.mkdir(parents=True, exist_ok=True)
        wb = self.wb
        a = write_with(self.xlsx, lambda p: wb.save(str(p)))
        b = write_text(self.json, json.dumps(self.state, ensure_ascii=False, indent=1, sort_keys=True))
        return [a, b]

    # -- letter files ------------------------------------------------------------------------------------

    def edited(self, path: Path) -> bool:
        """A file the kit did not write as it is now (a person changed it, or wrote it)."""
        return path.exists() and self.state["files"].get(path.name) != sha256_file(path)

    def free_path(self, path: Path) -> Path:
        """``path`` when the kit may write it; else the first ``<stem>-du-thao-moi[-N].docx`` it may."""
        if not self.edited(path):
            return path
        n = 1
        while True:
            cand = path.with_name(f"{path.stem}{DRAFT_SUFFIX}{'' if n == 1 else f'-{n}'}{path.suffix}")
            if not self.edited(cand):
                return cand
            n += 1

    def wrote(self, path: Path) -> None:
        self.state["files"][path.name] = sha256_file(path)


def _group(letter) -> str:
    return f"{'reminder' if letter.kind == 'reminder' else 'letter'}:{letter.unit}"


def record_letters(folder: str | Path, letters: Iterable, write: Callable[[object, Path, dict[str, int]], Path], *,
                   unit: str = "", current: dict[str, str] | None = None, reply_by: date | None = None,
                   describe: Callable[[object], dict[str, str]] | None = None,
                   fingerprint: Callable[[object, dict[str, int]], str] | None = None,
                   keep_unchanged: bool = True) -> RecordResult:
    """Write each letter's file through ``write(letter, path, numbers)`` and record it in the register of
    ``folder`` (see the module's text). ``unit``: only that unit's rows are added or updated. ``current``: unit
    slug -> SHA-256 of its appendix now (a unit that resubmitted and has nothing left to explain gets that said
    on its last letter's row). ``reply_by``: the reply date the letters state (the clerk's "Hạn trả lời" of a new
    row). ``describe(letter)``: item key -> what the item asks (for the sheet "Nội dung các mục").
    ``fingerprint(letter, numbers)``: what the letter's file is made from (its own unit's report and findings, the
    shared wording and project files, the date): a letter whose file the kit wrote from the same fingerprint, and
    nobody edited since, is left as it is (unless ``keep_unchanged`` is False: a forced run writes every letter), so
    a run after one unit resubmits rewrites that unit's letter only."""
    reg = Register(folder)
    res = RecordResult()
    seen: set[str] = set()
    for lt in letters:
        if unit and lt.unit != unit:
            continue
        group = _group(lt)
        seen.add(group)
        versions = reg.state["versions"].setdefault(group, [])
        last = versions[-1] if versions else None
        if last and last["source_hash"] == lt.source_hash:
            version, key, replaces = last["version"], last["key"], last.get("replaces", "")
        else:
            version = last["version"] + 1 if last else 1
            key = f"{lt.unit}:{'dd' if lt.kind == 'reminder' else 'cv'}{version}"
            replaces = last["key"] if last else ""
            versions.append({"version": version, "key": key, "source_hash": lt.source_hash, "replaces": replaces})
            if last:
                reg.set_state(last["key"], f"đã có công văn lần {version} ({key}) sau khi đơn vị gửi lại phụ lục"
                              if lt.kind != "reminder" else f"đã có công văn đôn đốc lần {version} ({key})")
        numbers = reg.state["items"].setdefault(lt.unit, {}) if lt.kind != "reminder" else {}
        for k in lt.item_keys():
            if k not in numbers:
                numbers[k] = max(numbers.values(), default=0) + 1
        if describe is not None and lt.kind != "reminder":
            reg.state["texts"].setdefault(lt.unit, {}).update(describe(lt))
        from cchc_tools.cycle.letters import letter_stem
        from cchc_tools.paths import child

        wanted = child(reg.folder, f"{letter_stem(lt, version)}.docx")  # a unit's slug is never joined raw
        target = reg.free_path(wanted)
        made = fingerprint(lt, dict(numbers)) if fingerprint is not None else ""
        prints = reg.state.setdefault("fingerprints", {})
        if (keep_unchanged and made and target.is_file() and prints.get(target.name) == made
                and not reg.edited(target)):
            path = target  # the same letter from the same inputs: its file is left untouched
        else:
            path = write(lt, target, dict(numbers))
            reg.wrote(path)
            res.written.append(path)
        if made:
            prints[path.name] = made
        else:
            prints.pop(path.name, None)
        state = "dự thảo"
        if target != wanted:
            state = f"tệp {wanted.name} đã được sửa, giữ nguyên; dự thảo mới: {target.name}"
            res.notes.append(f"công văn {wanted.name} đã được sửa sau khi bộ công cụ viết, nên được giữ nguyên; "
                             f"dự thảo mới ghi vào {target.name}")
        items = [numbers[k] for k in lt.item_keys()] if numbers else []
        values = {"Mã ĐVHC": lt.unit_code, "Đơn vị": visible(lt.reported_by), "Kính gửi": visible(lt.addressee),
                  "Loại": KIND_VI[lt.kind], "Lần": version, "Thay cho": replaces, "Báo cáo của đơn vị": lt.report,
                  "Các mục": ", ".join(str(n) for n in items), "Số mục giải trình": len(lt.explain),
                  "Số mục chỉnh sửa": 1 if lt.correct else 0, "Tệp công văn": path.name, "Tệp phụ lục": lt.source,
                  "Tình trạng": state}
        prior = reg.row_values(key)
        if prior and str(prior.get("Tình trạng") or "").startswith("đã có công văn"):
            values["Tình trạng"] = prior["Tình trạng"]
        reg.upsert(key, values, {"Hạn trả lời": reply_by})
        res.rows[key] = values
        reg.state.setdefault("latest", {})[group] = {"key": key, "file": path.name, "points": len(items),
                                                     "kind": lt.kind, "name": lt.reported_by}
    for group, versions in reg.state["versions"].items():
        kind, slug = group.split(":", 1)
        if group in seen or kind != "letter" or (unit and slug != unit) or not versions or current is None:
            continue
        last = versions[-1]
        if slug in current and current[slug] != last["source_hash"]:
            reg.set_state(last["key"], "đơn vị đã gửi lại phụ lục; không còn nội dung cần giải trình, chỉnh sửa")
            reg.state.get("latest", {}).pop(group, None)
    res.written += reg.save()
    return res


def register_letters(folder: str | Path) -> dict[str, dict]:
    """Unit slug (``don-doc:<slug>`` for a reminder) -> its latest letter in the register of ``folder``:
    ``file`` (its name), ``points`` and ``kind``: what the index links, whatever unit a run was given."""
    try:
        state = json.loads((Path(folder) / REGISTER_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for group, info in state.get("latest", {}).items():
        kind, slug = group.split(":", 1)
        out[slug if kind == "letter" else f"don-doc:{slug}"] = info
    return out


def record_receipts(folder: str | Path, arrivals: Iterable[tuple[str, str, str, Path | None]],
                    today: date, notes: dict[str, str] | None = None) -> tuple[dict[str, date], list[Path]]:
    """The date the Sở received each appendix of the period: ``arrivals`` are (source, unit name, code, file).
    A file seen for the first time gets its arrival date (its modification date, never after ``today``), written
    on the register's sheet "Ngày nhận báo cáo" and in ``register.json``; a date there (a person may correct it)
    is kept and returned as it is. ``notes``: source -> what the kit says of it (a report superseded by a later
    one, a unit outside the province), kept up to date in the column "Tình trạng" (the kit's own). Returns
    (source -> date, files written: none when nothing changed)."""
    reg = Register(folder)
    ws = reg.wb[RECEIPTS_SHEET] if RECEIPTS_SHEET in reg.wb.sheetnames else reg.wb.create_sheet(RECEIPTS_SHEET)
    cols = Register._header(ws, RECEIPT_COLUMNS)
    rows = {}
    for r in range(2, ws.max_row + 1):
        src = str(ws.cell(r, cols["Tệp phụ lục"]).value or "").strip()
        if src:
            rows[src] = r
    out: dict[str, date] = {}
    changed = False
    notes = notes or {}
    for src, name, code, path in arrivals:
        said = notes.get(src, "")
        if src in rows and str(ws.cell(rows[src], cols[RECEIPT_STATE]).value or "") != said:
            ws.cell(rows[src], cols[RECEIPT_STATE], said or None)
            changed = True
        if src in rows:
            d = _cell_date(ws.cell(rows[src], cols["Ngày Sở nhận"]).value)
            if d is None and src in reg.state["received"]:
                d = date.fromisoformat(reg.state["received"][src])
            if d is not None:
                out[src] = d
            continue
        seen = today
        if path is not None and path.exists():
            seen = min(today, datetime.fromtimestamp(path.stat().st_mtime).date())
        r = ws.max_row + 1
        for col, value in (("Tệp phụ lục", src), ("Đơn vị", visible(name)), ("Mã ĐVHC", code), ("Ngày Sở nhận", seen),
                           (RECEIPT_STATE, said or None)):
            cell = ws.cell(r, cols[col], value)
            if isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
        rows[src] = r
        reg.state["received"][src] = seen.isoformat()
        out[src] = seen
        changed = True
    return out, (reg.save() if changed else [])
