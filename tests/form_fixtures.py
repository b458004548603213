"""Appendices built from the seed at test time (never under data/raw): other terms, levels, periods, units."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cchc_tools.catalog import by_code
from cchc_tools.forms import get_form

OLD_DVC = ["VII.online_services", "VII.dvc3", "VII.dvc3_eligible", "VII.dvc3_provided", "VII.dvc3_with_dossiers",
           "VII.dvc4", "VII.dvc4_eligible", "VII.dvc4_provided", "VII.dvc4_with_dossiers",
           "VII.dvc_on_national_portal", "VII.dvc_dossiers_total", "VII.dvc_dossiers_online"]
NEW_DVC = ["VII.dvc_tp", "VII.dvc_full", "VII.dvc_full_eligible", "VII.dvc_full_provided",
           "VII.dvc_full_with_dossiers", "VII.dvc_partial", "VII.dvc_partial_eligible", "VII.dvc_partial_provided",
           "VII.dvc_partial_with_dossiers", "VII.dvc_tp_on_national_portal", "VII.dvc_tp_dossiers_total",
           "VII.dvc_tp_dossiers_online"]
TITLE_LINE, ATTACH_LINE, UNIT_LINE = 4, 5, 6  # 1-based lines of the seed's title


def seed_variant(seed_text: str, seed_df: pd.DataFrame, *, title: str | None = None, attach: str | None = None,
                 unit: str | None = None, new_terms: bool = False, level: str = "district",
                 reword: dict[str, str] | None = None, add_after: dict[str, list[str]] | None = None) -> str:
    """The seed with its title lines replaced, its online-service rows in the post-2022 terms, the rows
    of district-only entries dropped (``level="commune"``), labels reworded (code -> label) and rows
    added after given codes (code -> tab-separated rows)."""
    code_of = dict(zip(seed_df["line"], seed_df["code"], strict=True))
    new_label = {r.code: r.label for r in get_form("district-2023").rows}
    renamed = dict(zip(OLD_DVC, NEW_DVC, strict=True)) if new_terms else {}
    cat = by_code()
    out = []
    for n, line in enumerate(seed_text.split("\n"), start=1):
        if n == TITLE_LINE and title is not None:
            line = title
        elif n == ATTACH_LINE and attach is not None:
            line = attach
        elif n == UNIT_LINE and unit is not None:
            line = unit
        code = code_of.get(n, "")
        if code and not cat[code].applies_to(level):
            continue
        if code in renamed or code in (reword or {}):
            cells = line.split("\t")
            i = 1 if len(cells) >= 5 else 0  # a row that lost its first cell at a page break
            cells[i] = (reword or {}).get(code) or new_label[renamed[code]]
            line = "\t".join(cells)
        out.append(line)
        for extra in (add_after or {}).get(code, []):
            out.append(extra)
    return "\n".join(out)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
