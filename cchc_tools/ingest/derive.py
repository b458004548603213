"""A new form in minutes: ``cchc form derive BLANK_FORM --name NAME``.

Reads a blank or filled appendix form (.xlsx, .docx, .txt), aligns its rows to the
known forms and codes, and writes a draft form file (see :mod:`cchc_tools.forms`):
every row as printed (THỨ TỰ, label, unit), its code and label similarity when it
matched a known row, and for a row that matched nothing a proposed new code with the
kind inferred from its unit column ("%" -> percent, "Có = 1 Không = 0" -> flag, another
code list -> category, no unit and no value -> group, anything else -> count). An
analyst reviews the draft in a diff; the next load uses it (its new rows are catalog
entries until they are moved into ``catalog.csv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from cchc_tools.atomic import atomic_path
from cchc_tools.catalog import parse_codelist
from cchc_tools.forms import KIT_FORMS, Form, FormRow, Forms, form_text
from cchc_tools.ingest.align import MIN_SCORE, align, scale_of, section_of
from cchc_tools.ingest.header import parse_title
from cchc_tools.paths import KIT_ROOT
from cchc_tools.text import ascii_fold, clean, label_key

RESCUE_SCORE = 85.0  # a row the form lacks takes a code of another form only when this close
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
_STOP = {"so", "luong", "cua", "va", "cac", "the", "trong", "duoc", "da", "tai", "theo", "tong", "ve", "co"}


@dataclass
class DraftForm:
    form: Form
    similarity: list[str]
    status: list[str]
    kind: list[str]
    codelist: list[str]
    path: Path | None = None
    base: str = ""
    base_score: float = 0.0

    @property
    def new_codes(self) -> list[str]:
        return [r.code for r, s in zip(self.form.rows, self.status, strict=True) if s == "new"]

    def text(self) -> str:
        return form_text(self.form, {"similarity": self.similarity, "status": self.status, "kind": self.kind,
                                     "codelist": self.codelist})

    def summary(self) -> str:
        n = len(self.form.indicator_rows)
        new = self.new_codes
        lines = [f"form {self.form.name}: {n} rows, {n - len(new)} matched known codes "
                 f"(closest known form {self.base}, score {self.base_score:g}), {len(new)} new"]
        lines += [f"  new: {c}" for c in new]
        if self.path:
            lines.append(f"wrote the draft {self.path}: review it (a diff), then the next load uses it")
        return "\n".join(lines)


def infer_kind(uom: str, has_value: bool = True) -> tuple[str, str]:
    """(kind, code list) from a row's unit column."""
    u = clean(uom)
    codes = parse_codelist(u.replace(" Không", "; Không") if ";" not in u else u)
    if codes:
        text = "; ".join(f"{name} = {int(num)}" for num, name in codes.items())
        return ("flag" if set(codes) == {0.0, 1.0} else "category"), text
    if u.replace(" ", "") == "%":
        return "percent", ""
    if not u and not has_value:
        return "group", ""
    return "count", ""


def propose_code(section: str, label: str, taken: set[str]) -> str:
    """``VII.cuoc_hop_truc_tuyen_nguoi_dan``: the section and the label's first significant words."""
    words = [w for w in re.sub(r"[^a-z0-9]+", " ", ascii_fold(label).lower()).split() if w not in _STOP]
    base = f"{section or 'X'}.{'_'.join(words[:6]) or 'row'}"
    code, i = base, 2
    while code in taken:
        code, i = f"{base}_{i}", i + 1
    taken.add(code)
    return code


def _rescue(label: str, uom: str, section: str, used: set[str], forms: Forms) -> tuple[str, float]:
    """A code of the catalog or another form for a row the chosen form lacks, when one is very close."""
    key = label_key(label)
    choices: dict[tuple[str, str], str] = {}
    for e in forms.by_code().values():
        if e.section == section and e.code not in used and e.kind != "group" and scale_of(e.key) * scale_of(key) != 2:
            choices[(e.code, "catalog")] = e.key
    for f in forms.all().values():
        for r in f.indicator_rows:
            if r.section == section and r.code not in used and scale_of(r.key) * scale_of(key) != 2:
                choices[(r.code, f.name)] = r.key
    hit = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=RESCUE_SCORE)
    if hit is None:
        return "", 0.0
    return hit[2][0], float(hit[1])


def derive_form(path: str | Path, name: str, out: str | Path | None = None, *, write: bool = True,
                forms: Forms | None = None) -> DraftForm:
    """Read a blank or filled form and write (unless ``write=False``) its draft form file: to ``out``, else into
    the folder of ``forms`` (a project's forms, ``Project.forms``; default: the kit's, its repository's ``forms``).
    Its rows are aligned to those forms and the catalog as they extend it."""
    from cchc_tools.ingest.loader import read_appendix_file

    if not _NAME.match(name):
        raise ValueError(f"form name {name!r}: use lower-case letters, digits and '-' (e.g. commune-2026-can-tho)")
    raw = read_appendix_file(Path(path))
    meta = parse_title(raw.title)
    forms = forms or KIT_FORMS
    known = list(forms.all().values())
    fitted = align(raw.rows, known, forms)
    base = next(f for f in known if f.name == fitted.form)
    by_row = {id(a[0]): a for a in fitted.rows}
    catalog = forms.by_code()
    taken = set(catalog) | {c for f in known for c in f.codes}
    used = {code for _, _, code, _ in fitted.rows if code}
    rows: list[FormRow] = []
    sims, status, kinds, codelists = [], [], [], []
    section = ""
    for row in raw.rows:
        a = by_row.get(id(row))
        label, uom = clean(row.label), clean(row.uom)
        if a is None:  # a section heading row
            section = section_of(row) or section
            rows.append(FormRow(clean(row.stt), label, uom, section))
            sims.append("")
            status.append("heading")
            kinds.append("")
            codelists.append("")
            continue
        _, sec, code, sim = a
        section = sec or section
        if not code:
            code, sim = _rescue(label, uom, section, used, forms)
            used.add(code)
        if code:
            e = catalog.get(code)
            kind, codelist = (e.kind, e.codelist) if e else infer_kind(uom, row.value not in ("", None))
            state = "matched"
        else:
            code = propose_code(section, label, taken)
            kind, codelist = infer_kind(uom, row.value not in ("", None))
            state = "new"
        rows.append(FormRow(clean(row.stt), label, uom, code))
        sims.append(f"{sim:.1f}" if state == "matched" else "")
        status.append(state)
        kinds.append(kind)
        codelists.append(codelist)
    year = meta.year
    form = Form(name=name, title=f"Bản nháp từ {Path(path).name} (cchc form derive): rà soát trước khi dùng",
                levels=(meta.level,) if meta.level else base.levels,
                first_year=year if year else base.first_year, last_year=None if year else base.last_year,
                derived_from=f"{Path(path).name}: rows aligned to {base.name} (score {fitted.score:g}); "
                             f"below {MIN_SCORE:g} similarity a row is new",
                rows=tuple(rows))
    draft = DraftForm(form, sims, status, kinds, codelists, base=base.name, base_score=fitted.score)
    if write:
        folder = Path(forms.folder) if forms.folder is not None else KIT_ROOT / "forms"
        target = Path(out) if out else folder / f"{name}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            Path(tmp).write_text(draft.text(), encoding="utf-8")
        draft.path = target
    return draft

