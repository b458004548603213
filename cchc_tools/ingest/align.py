"""Map raw rows to catalog codes.

Real files misnumber THỨ TỰ and reword labels, so the aligner ignores the
numbers. It splits the table into sections at the Roman-numeral rows, then
within each section finds the order-preserving matching of rows to catalog
entries that maximises fuzzy label similarity (a sequence alignment, as in
``diff``). Order is what tells apart rows with the same label (the two
"Số VBQPPL phát hiện trái pháp luật" in II.2); similarity is what survives
rewording, missing rows, extra rows and rows that lost a cell at a page break.
A row that matches nothing keeps an empty code.

The alignment of a section depends only on its sequence of labels and units,
so it is computed once per distinct sequence and cached: a batch of files
made from one template pays for the fuzzy matching once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from cchc_tools.catalog import SECTION_ORDER, SECTIONS, Entry, entries
from cchc_tools.ingest.readers.base import RawRow, roman_section
from cchc_tools.text import label_key

MIN_SCORE = 62.0  # below this a label never matches
GAIN_FLOOR = 50.0  # a match is worth (score - GAIN_FLOOR) in the alignment
UOM_BONUS = 4.0

_SECTION_KEYS = {sec: label_key(title) for sec, (title, _) in SECTIONS.items()}
_cache: dict[tuple, list[int | None]] = {}
_CACHE_MAX = 50_000


def section_of(row: RawRow) -> str | None:
    """The section a row opens, if it is a section heading row."""
    if row.uom or (row.value is not None and str(row.value).strip()):
        return None
    sec = roman_section(row.stt)
    key = label_key(row.label)
    if sec:
        score = fuzz.ratio(key, _SECTION_KEYS[sec])
        if score >= 50:
            return sec
        best = max(_SECTION_KEYS, key=lambda s: fuzz.ratio(key, _SECTION_KEYS[s]))
        return best if fuzz.ratio(key, _SECTION_KEYS[best]) >= 80 else sec
    if not row.stt:
        for s, skey in _SECTION_KEYS.items():
            if fuzz.ratio(key, skey) >= 92:
                return s
    return None


def _similarity(keys: Sequence[str], uoms: Sequence[str], cat: Sequence[Entry]) -> np.ndarray:
    cat_keys = [e.key for e in cat]
    a = process.cdist(keys, cat_keys, scorer=fuzz.ratio, dtype=np.float32)
    b = process.cdist(keys, cat_keys, scorer=fuzz.token_set_ratio, dtype=np.float32)
    score = np.maximum(a, b * 0.96)
    cat_uoms = np.array([e.uom.lower() for e in cat])
    for i, u in enumerate(uoms):
        if u:
            score[i] += np.where(cat_uoms == u, UOM_BONUS, 0.0).astype(np.float32)
    return score


def _align(score: np.ndarray) -> list[int | None]:
    """Order-preserving matching of rows (axis 0) to entries (axis 1) with maximal gain."""
    n, m = score.shape
    gain = np.where(score >= MIN_SCORE, score - GAIN_FLOOR, -np.inf).tolist()
    dp = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        prev, cur, g, mv = dp[i - 1], dp[i], gain[i - 1], move[i]
        for j in range(1, m + 1):
            best, how = prev[j], 1  # skip row
            if cur[j - 1] > best:
                best, how = cur[j - 1], 2  # skip entry
            diag = prev[j - 1] + g[j - 1]
            if diag > best:
                best, how = diag, 3
            cur[j], mv[j] = best, how
    out: list[int | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        how = move[i][j]
        if how == 3:
            out[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    return out


def match_rows(rows: Sequence[RawRow], cat: Sequence[Entry]) -> list[int | None]:
    """For each row, the index into ``cat`` of its entry, or None."""
    if not rows or not cat:
        return [None] * len(rows)
    keys = tuple(label_key(r.label) for r in rows)
    uoms = tuple(r.uom.lower() for r in rows)
    ck = (keys, uoms, cat[0].code, len(cat))
    hit = _cache.get(ck)
    if hit is not None:
        return hit
    result = _align(_similarity(keys, uoms, cat))
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[ck] = result
    return result


_file_cache: dict[tuple, list[tuple[int, str, str]]] = {}


def align(rows: Sequence[RawRow]) -> list[tuple[RawRow, str, str]]:
    """(row, section, code) for every indicator row; section heading rows are dropped.

    Rows that carry a code of their own (the kit's Excel template) keep it. The
    result depends only on each row's number, label, unit, code and whether it
    has a value, so files made from one template are aligned once.
    """
    key = (tuple([r.stt for r in rows]), tuple([r.label for r in rows]), tuple([r.uom for r in rows]),
           tuple([r.code for r in rows]), tuple([r.value == "" or r.value is None for r in rows]))
    plan = _file_cache.get(key)
    if plan is None:
        position = {id(r): i for i, r in enumerate(rows)}
        plan = [(position[id(row)], sec, code) for row, sec, code in _align_uncached(rows)]
        if len(_file_cache) >= _CACHE_MAX:
            _file_cache.clear()
        _file_cache[key] = plan
    return [(rows[i], sec, code) for i, sec, code in plan]


def _align_uncached(rows: Sequence[RawRow]) -> list[tuple[RawRow, str, str]]:
    cat = entries()
    known = {e.code for e in cat}
    by_section: dict[str, list[Entry]] = {s: [e for e in cat if e.section == s] for s in SECTION_ORDER}
    groups: list[tuple[str | None, list[RawRow]]] = []
    current: str | None = None
    pending: list[RawRow] = []
    for row in rows:
        sec = None if row.uom or row.value else section_of(row)
        if sec is not None:
            if pending or current is not None:
                groups.append((current, pending))
            current, pending = sec, []
        else:
            pending.append(row)
    groups.append((current, pending))
    present = {sec for sec, _ in groups if sec}
    out: list[tuple[RawRow, str, str]] = []
    for g, (sec, group) in enumerate(groups):
        own = [r for r in group if r.code in known]
        if own and len(own) == len(group):
            out.extend((r, r.code.split(".")[0], r.code) for r in group)
            continue
        pool = by_section[sec] if sec else list(cat)
        idx = match_rows(group, pool)
        if sec:
            # A heading row lost (a page break, a deleted line): the next section's rows run on
            # under this one and match nothing here. Align that unmatched tail against the
            # sections missing between this one and the next heading found.
            nxt = next((s for s, _ in groups[g + 1:] if s), None)
            stop = SECTION_ORDER.index(nxt) if nxt else len(SECTION_ORDER)
            missing = [s for s in SECTION_ORDER[SECTION_ORDER.index(sec) + 1:stop] if s not in present]
            last = max((i for i, k in enumerate(idx) if k is not None), default=-1)
            tail = group[last + 1:]
            if missing and tail:
                extra = [e for s in missing for e in by_section[s]]
                offset = len(pool)
                pool = pool + extra
                idx = idx[: last + 1] + [None if k is None else k + offset for k in match_rows(tail, extra)]
        for row, k in zip(group, idx, strict=True):
            if row.code in known:
                out.append((row, row.code.split(".")[0], row.code))
            elif k is None:
                out.append((row, sec or "", ""))
            else:
                out.append((row, pool[k].section, pool[k].code))
    return out
