"""One figure, one value (issue 26): a rate the unit states itself and that agrees with its counts is printed as
the unit's own figure on every page, never its own on one page and the computed one on another."""

from __future__ import annotations

import pandas as pd

from cchc_tools.analysis.assess import shown_value
from cchc_tools.content.document import plain_text


def test_the_unit_s_own_figure_when_it_agrees_with_its_counts_else_the_computed_one():
    assert shown_value(100_167 / 100_564 * 100, 99.60) == 99.60  # truncated by the unit: its figure
    assert shown_value(100_167 / 100_564 * 100, 99.61) == 99.61  # rounded: its figure
    assert shown_value(100_167 / 100_564 * 100, 98.00) == 100_167 / 100_564 * 100  # disagrees: computed
    assert shown_value(95.5, float("nan")) == 95.5


def test_vinh_chau_2022_prints_99_60_on_its_briefing_and_its_trend():
    from cchc_tools.content.views import UnitBriefing, UnitTrend

    briefing = UnitBriefing.load(2022, "vinh-chau")
    row = briefing.assessed.set_index("indicator").loc["dossiers_commune_on_time"]
    assert round(row["value"], 2) == 99.61 and row["shown"] == 99.60  # 100.167/100.564, the unit wrote 99,60%
    def text(doc) -> str:
        return "\n".join(plain_text(b) for b in doc.flat())

    trend = text(UnitTrend.load("vinh-chau").document())
    page = text(briefing.document())
    for text in (page, trend):
        assert "99,60%" in text and "99,61%" not in text
    csv = briefing.tables()["indicators"]
    assert pd.Series(csv.loc[csv["indicator"] == "dossiers_commune_on_time", "shown"]).iloc[0] == 99.60
