"""Report metadata from the title lines above the appendix table.

``... CẢI CÁCH HÀNH CHÍNH NĂM 2022`` gives year and period (``QUÝ I NĂM 2023``,
``6 THÁNG ĐẦU NĂM 2023``, ``9 THÁNG NĂM 2023``, ``6 THÁNG CUỐI NĂM 2023``...), and
``LŨY KẾ`` in the title says the figures run from the start of the year;
``(Kèm theo Báo cáo số /BC-UBND ngày 16 tháng 12 năm 2022 của Ủy ban nhân dân
thị xã Vĩnh Châu)`` gives the report number and date, the unit and its level,
and the province when the title names it (``... của UBND xã Vĩnh Hải, thành phố Cần Thơ``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from functools import lru_cache

from cchc_tools.text import ascii_fold, clean, slugify, strip_closing

# Unit types, longest first, with the level they imply before the July 2025 reform.
_UNIT_TYPES: list[tuple[str, str]] = [
    ("thành phố trực thuộc trung ương", "province"),
    ("thị xã", "district"),
    ("thị trấn", "commune"),
    ("thành phố", "district"),
    ("đặc khu", "commune"),
    ("huyện", "district"),
    ("quận", "district"),
    ("phường", "commune"),
    ("xã", "commune"),
    ("tỉnh", "province"),
    ("sở", "department"),
    ("ban", "department"),
]
# Cities run by the centre: "thành phố X" is then a province.
_CENTRAL_CITIES = {"ha noi", "ho chi minh", "hai phong", "da nang", "can tho", "hue"}
_ROMAN_Q = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass
class ReportMeta:
    unit: str = ""
    unit_name: str = ""
    level: str = ""
    year: int | None = None
    period: str = ""
    report_no: str = ""
    report_date: str = ""
    synthetic: bool = False
    cumulative: bool = False
    province: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


# The patterns of a title, compiled once (a batch parses thousands of titles).
_QUARTER = re.compile(r"quy\s+(iv|iii|ii|i|[1-4])\s*(?:nam\s+|[/-]\s*)?(\d{4})")
_LAST_HALF = re.compile(r"(6|sau)\s+thang\s+cuoi\s+(?:nam\s+)?(\d{4})")
_MONTHS = re.compile(r"(6|sau|9|chin)\s+thang(?:\s+dau)?\s+(?:nam\s+|[/-]\s*)?(\d{4})")
_YEAR = re.compile(r"\bnam\s+(\d{4})\b")
_ATTACHED = re.compile(r"kèm theo", re.IGNORECASE)
_REPORT_NO = re.compile(r"b[áa]o c[áa]o s[ốo]\s*:?\s*([0-9]*\s*/\s*[\wĐđ-]+)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_DATE_DIGITS = re.compile(r"ngày\s+(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})", re.IGNORECASE)
_OF_UNIT = re.compile(r".*\bcủa\s+(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND)?\s*(.+?)\s*$", re.IGNORECASE)


def _period(folded: str) -> tuple[str, int | None]:
    m = _QUARTER.search(folded)
    if m:
        return f"Q{_ROMAN_Q[m.group(1)]}", int(m.group(2))
    m = _LAST_HALF.search(folded)
    if m:
        return "H2", int(m.group(2))
    m = _MONTHS.search(folded)
    if m:
        return ("6-month" if m.group(1) in ("6", "sau") else "9-month"), int(m.group(2))
    m = _YEAR.search(folded)
    if m:
        return "annual", int(m.group(1))
    return "", None


_CUMULATIVE = re.compile(r"\bluy\s+ke\b")


@lru_cache(maxsize=65536)
def is_cumulative(text: str) -> bool:
    """Whether a label or title says its figures are cumulative ("lũy kế", "luỹ kế")."""
    return bool(_CUMULATIVE.search(ascii_fold(text).lower()))


def unit_level(unit_name: str, year: int | None = None) -> str:
    """The level a unit name implies: province, department, district or commune."""
    low = clean(unit_name).lower()
    for prefix, level in _UNIT_TYPES:
        if low.startswith(prefix + " "):
            rest = ascii_fold(low[len(prefix):]).strip()
            if prefix == "thành phố" and (rest in _CENTRAL_CITIES or (year or 0) >= 2025):
                return "province"
            return level
    return ""


_PROVINCE_TAIL = re.compile(r"^(.+?)\s*(?:,|-|–|\()\s*((?:tỉnh|thành phố)\s+[^,()]+?)\s*\)?$", re.IGNORECASE)


def split_province(name: str) -> tuple[str, str]:
    """``xã Vĩnh Hải, thành phố Cần Thơ`` -> (``xã Vĩnh Hải``, ``thành phố Cần Thơ``)."""
    m = _PROVINCE_TAIL.match(clean(name))
    if m and unit_level(m.group(1)):
        return m.group(1), m.group(2)
    return name, ""


#: Characters of a unit slug (it names the unit's output folder; ``selection.SLUG`` accepts no more).
MAX_SLUG_CHARS = 81
_SLUG_HASH_CHARS = 8


def unit_slug(unit_name: str) -> str:
    """ASCII slug of a unit without its type: ``thị xã Vĩnh Châu`` -> ``vinh-chau``.

    The slug names a folder, so it is bounded here, where it is made: a name whose slug would be
    longer than :data:`MAX_SLUG_CHARS` keeps its beginning, cut at a word boundary, and ends with
    8 hex digits of the SHA-256 of the whole slug (two long names differing only at their end stay
    apart). A name with no ASCII letter or digit (``xã ١٢``) gets ``unit-`` and that hash. Only an
    empty name gives an empty slug.
    """
    low = clean(unit_name)
    for prefix, _ in _UNIT_TYPES:
        if low.lower().startswith(prefix + " "):
            low = low[len(prefix):]
            break
    slug = slugify(low)
    if len(slug) <= MAX_SLUG_CHARS and (slug or not low.strip()):
        return slug
    digest = hashlib.sha256((slug or low.strip()).encode("utf-8")).hexdigest()[:_SLUG_HASH_CHARS]
    if not slug:
        return f"unit-{digest}"
    room = MAX_SLUG_CHARS - _SLUG_HASH_CHARS - 1
    head = slug[:room + 1]  # one more: a cut just before a dash keeps its whole last word
    cut = head.rfind("-")
    head = head[:cut] if cut >= room // 2 else head[:room]  # a word boundary, unless it drops half the room
    return f"{head.rstrip('-')}-{digest}"


_NAME_FIELD = re.compile(r"^t[êe]n đơn vị(?: báo cáo)?\s*:\s*(.*)$", re.IGNORECASE)


def _name_field(lines: list[str]) -> str:
    """The unit's name written in the template's own cell: ``Tên đơn vị báo cáo: xã Vĩnh Hải``
    (one line, or the label and the name in two cells)."""
    for i, line in enumerate(lines):
        m = _NAME_FIELD.match(clean(line))
        if m:
            name = m.group(1) or (clean(lines[i + 1]) if i + 1 < len(lines) else "")
            return "" if _NAME_FIELD.match(name) or name.isupper() else name
    return ""


def parse_title(lines: list[str]) -> ReportMeta:
    text = clean(" ".join(lines))
    folded = ascii_fold(text).lower()
    meta = ReportMeta()
    meta.period, meta.year = _period(folded.split("kem theo")[0] if "kem theo" in folded else folded)
    if meta.year is None:
        meta.period, meta.year = _period(folded)
    meta.synthetic = "du lieu mau" in folded
    meta.cumulative = is_cumulative(_ATTACHED.split(text)[0])
    m = _REPORT_NO.search(text)
    if m:
        meta.report_no = _SPACES.sub("", m.group(1))
    m = _DATE_WORDS.search(text) or _DATE_DIGITS.search(text)
    if m:
        d, mo, y = (int(g) for g in m.groups())
        meta.report_date = f"{y:04d}-{mo:02d}-{d:02d}"
    written = _name_field(lines)
    m = _OF_UNIT.search(_attachment(text))
    if m or written:
        name = written or strip_closing(clean(m.group(1)))  # "xã A (mới))": its own parenthesis kept
        name, meta.province = split_province(name)
        if "…" not in name and "..." not in name:  # a blank template: "……… (ghi tên đơn vị)"
            meta.unit_name = name
            meta.unit = unit_slug(name)
            meta.level = unit_level(name, meta.year)
    return meta


def _attachment(text: str) -> str:
    """The "(Kèm theo Báo cáo ...)" part of the title, up to its closing parenthesis."""
    start = text.lower().find("kèm theo")
    if start < 0:
        return text
    depth, end = 1, len(text)
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                end = i
                break
    return text[start:end]
