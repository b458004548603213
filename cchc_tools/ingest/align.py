"""Map raw rows to catalog codes, through the form the file is written in.

Real files misnumber THỨ TỰ and reword labels, so the aligner ignores the
numbers. It splits the table into sections at the Roman-numeral rows, then
within each section finds the order-preserving matching of rows to the rows of
a form (see :mod:`cchc_tools.forms`) that maximises fuzzy label similarity (a
sequence alignment, as in ``diff``). Order is what tells apart rows with the
same label (the two "Số VBQPPL phát hiện trái pháp luật" in II.2); similarity is
what survives rewording, missing rows, extra rows and rows that lost a cell at a
page break. A row that matches nothing keeps an empty code.

A file is aligned against each form it may be written in (its year and level
say which); the form whose alignment scores best is the file's form. The score
(0-100) is the similarity of the matched rows summed over the larger of the
file's and the form's row counts: a file that is the form scores 100, a file
with rows the form lacks, or lacking rows the form has, scores less.

The online-service scales never mix: a row that names "mức độ 3/4" never
matches a form row that names "toàn trình / một phần", and the other way round.

The alignment of a section depends only on its sequence of labels and units,
so it is computed once per distinct sequence and cached; the whole file's
result too: a batch of files made from one template pays for it once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from cchc_tools.catalog import SECTION_ORDER, SECTIONS
from cchc_tools.forms import KIT_FORMS, Form, FormRow, Forms
from cchc_tools.ingest.readers.base import RawRow, roman_section
from cchc_tools.text import label_key

MIN_SCORE = 62.0  # below this a label never matches
GAIN_FLOOR = 50.0  # a match is worth (score - GAIN_FLOOR) in the alignment
UOM_BONUS = 4.0

_SECTION_KEYS = {sec: label_key(title) for sec, (title, _) in SECTIONS.items()}
_cache: dict[tuple, tuple[list[int | None], list[float]]] = {}
_CACHE_MAX = 50_000
# The online-service scales: "mức độ 3, 4" (before NĐ 42/2022) and "toàn trình / một phần" (after).
_SCALE_OLD = re.compile(r"mức độ\s*[34]")
_SCALE_NEW = re.compile(r"toàn trình|một phần")


# One indicator row of a file: the row, its section, its code ("" if none) and the label similarity.
# Plain tuples: a batch makes hundreds of thousands of them.
Aligned = tuple[RawRow, str, str, float]


class Alignment(NamedTuple):
    form: str
    score: float
    rows: list[Aligned]


def scale_of(key: str) -> int:
    """0: no online-service scale named; 1: "mức độ 3/4"; 2: "toàn trình / một phần"."""
    if "trực tuyến" not in key and "dvc" not in key:
        return 0
    return 1 if _SCALE_OLD.search(key) else 2 if _SCALE_NEW.search(key) else 0


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


def _similarity(keys: Sequence[str], uoms: Sequence[str], pool: Sequence[FormRow]) -> np.ndarray:
    pool_keys = [r.key for r in pool]
    a = process.cdist(keys, pool_keys, scorer=fuzz.ratio, dtype=np.float32)
    b = process.cdist(keys, pool_keys, scorer=fuzz.token_set_ratio, dtype=np.float32)
    score = np.maximum(a, b * 0.96)
    pool_uoms = np.array([r.uom.lower() for r in pool])
    for i, u in enumerate(uoms):
        if u:
            score[i] += np.where(pool_uoms == u, UOM_BONUS, 0.0).astype(np.float32)
    row_scale = np.array([scale_of(k) for k in keys])
    pool_scale = np.array([scale_of(k) for k in pool_keys])
    if row_scale.any() and pool_scale.any():
        clash = (row_scale[:, None] * pool_scale[None, :] == 2)  # one names 1, the other 2
        score[clash] = 0.0
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


def match_rows(rows: Sequence[RawRow], pool: Sequence[FormRow], pool_id: str = "") -> tuple[list[int | None],
                                                                                          list[float]]:
    """For each row, the index into ``pool`` of its form row (or None) and the label similarity."""
    if not rows or not pool:
        return [None] * len(rows), [0.0] * len(rows)
    keys = tuple(label_key(r.label) for r in rows)
    uoms = tuple(r.uom.lower() for r in rows)
    ck = (keys, uoms, pool_id, pool[0].code, len(pool))
    hit = _cache.get(ck)
    if hit is not None:
        return hit
    score = _similarity(keys, uoms, pool)
    idx = _align(score)
    sims = [0.0 if k is None else min(100.0, float(score[i, k])) for i, k in enumerate(idx)]
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[ck] = (idx, sims)
    return idx, sims


class Plan(NamedTuple):
    """How a file's rows align, whatever their values: the form and score, and for each indicator row (section
    heading rows are dropped) its position among the file's rows, its section, its code and its similarity."""

    form: str
    score: float
    positions: np.ndarray  # int64
    sections: tuple[str, ...]
    codes: tuple[str, ...]
    sims: tuple[float, ...]
    #: The last section of the catalog's order (its index in SECTION_ORDER) an indicator row is in; -1 for none.
    last_section: int


_file_cache: dict[tuple, Plan] = {}


def align(rows: Sequence[RawRow], forms: Form | Sequence[Form], known: Forms | None = None) -> Alignment:
    """The rows aligned to the best of ``forms``: (row, section, code, similarity) for every
    indicator row (section heading rows are dropped), with the form's name and score. ``known``: the set of forms
    those come from (a project's; default: the kit's), whose whole form of a name gives the codes a row may carry.

    Rows that carry a code of their own (the kit's Excel template) keep it. The
    result depends only on each row's number, label, unit, code and whether it
    has a value, so files made from one template are aligned once.
    """
    # A value matters only where it decides whether a row may be a section heading: the same test
    # as ``_align_uncached`` makes (rows with a unit of measure never are), so files of one template
    # share a plan whatever they left blank.
    plan = plan_of(rows_key([r.stt for r in rows], [r.label for r in rows], [r.uom for r in rows],
                            [r.code for r in rows], [not (r.uom or r.value) for r in rows]), forms, known, lambda: rows)
    return Alignment(plan.form, plan.score, [(rows[i], sec, code, sim) for i, sec, code, sim
                                             in zip(plan.positions.tolist(), plan.sections, plan.codes, plan.sims,
                                                    strict=True)])


def rows_key(stts: Sequence[str], labels: Sequence[str], uoms: Sequence[str], codes: Sequence[str],
             blanks: Sequence[bool]) -> tuple:
    """What a file's plan depends on in its rows (``blanks``: neither a unit nor a value), for :func:`plan_of`."""
    return tuple(stts), tuple(labels), tuple(uoms), tuple(codes), tuple(blanks)


def plan_of(key: tuple, forms: Form | Sequence[Form], known: Forms | None,
            rows: Callable[[], Sequence[RawRow]]) -> Plan:
    """The :class:`Plan` of a file's rows, as :func:`align` aligns them. ``key`` names what the plan depends on in the
    rows: :func:`rows_key` of them, or any key that two lists of rows differing in those share only when
    :func:`rows_key` of them is the same (the loader joins the cells of a text file with tabs, which no cell holds);
    ``rows`` gives the file's rows, asked only when no file of the same key was aligned before (a batch of files made
    from one template builds no row of its own)."""
    forms = [forms] if isinstance(forms, Form) else list(forms)
    if not forms:
        raise ValueError("no form to align the rows to")
    key = (key, tuple(f.identity for f in forms), known.folder if known is not None else None)
    plan = _file_cache.get(key)
    if plan is None:
        raw = rows()
        position = {id(r): i for i, r in enumerate(raw)}
        best: tuple[float, int, Form, list[Aligned]] | None = None
        for order, form in enumerate(forms):
            aligned = _align_uncached(raw, form, known or KIT_FORMS)
            score = form_score(aligned, form)
            if best is None or score > best[0]:
                best = (score, order, form, aligned)
        assert best is not None
        score, _, form, aligned = best
        secs = tuple(sec for _, sec, _, _ in aligned)
        plan = Plan(form.name, score, np.array([position[id(row)] for row, *_ in aligned], dtype=np.int64), secs,
                    tuple(code for *_, code, _ in aligned), tuple(sim for *_, sim in aligned),
                    max((SECTION_ORDER.index(s) for s in set(secs) if s), default=-1))
        if len(_file_cache) >= _CACHE_MAX:
            _file_cache.clear()
        _file_cache[key] = plan
    return plan


def form_score(aligned: Sequence[Aligned], form: Form) -> float:
    """How well a file fits a form, 0-100: matched similarity over the larger row count."""
    n = max(len(aligned), len(form.indicator_rows))
    if not n:
        return 0.0
    return round(sum(sim for _, _, code, sim in aligned if code) / n, 2)


def _align_uncached(rows: Sequence[RawRow], form: Form, forms: Forms) -> list[Aligned]:
    pool_all = list(form.indicator_rows)
    # A code written in the file (the hidden column of the kit's workbooks) names its row whatever the level:
    # a province's consolidated appendix carries the rows of its districts' form.
    whole = forms.all().get(form.name)
    known = {r.code for r in pool_all} | (set(whole.codes) if whole is not None else set())
    by_section = form.by_section()
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
    out: list[Aligned] = []
    for g, (sec, group) in enumerate(groups):
        own = [r for r in group if r.code in known]
        if own and len(own) == len(group):
            out.extend((r, r.code.split(".")[0], r.code, 100.0) for r in group)
            continue
        pool = by_section[sec] if sec else pool_all
        idx, sims = match_rows(group, pool, f"{form.identity}:{sec or ''}")
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
                t_idx, t_sims = match_rows(tail, extra, f"{form.identity}:{'+'.join(missing)}")
                idx = idx[: last + 1] + [None if k is None else k + offset for k in t_idx]
                sims = sims[: last + 1] + t_sims
        for row, k, sim in zip(group, idx, sims, strict=True):
            if row.code in known:
                out.append((row, row.code.split(".")[0], row.code, 100.0))
            elif k is None:
                out.append((row, sec or "", "", 0.0))
            else:
                out.append((row, pool[k].section, pool[k].code, sim))
    return out
