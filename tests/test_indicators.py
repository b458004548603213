from __future__ import annotations

import math

import pandas as pd
import pytest

from cchc_tools import fmt_percent, indicators
from cchc_tools.analysis.specs import indicator_specs


@pytest.fixture(scope="module")
def ind(seed_df) -> pd.DataFrame:
    return indicators(seed_df).set_index("indicator")


@pytest.mark.parametrize(("ident", "text"), [
    ("plan_completion", "92,59%"),               # 25/27
    ("dossiers_district_on_time", "99,87%"),     # 23.826/23.856
    ("dossiers_commune_on_time", "99,61%"),      # 100.167/100.564
    ("edocs_commune_electronic", "29,58%"),      # 12.425/42.002
    ("online_dossier_rate", "0,50%"),             # 40/7.927
    ("training_vs_plan", "245,41%"),             # 1.070/436
    ("civil_staff_present", "97,73%"),           # 86/88
    ("satisfaction", "100%"),                    # reported
])
def test_seed_values(ind, ident, text):
    assert fmt_percent(ind.loc[ident, "value"]) == text


def test_inputs_and_lines_are_traceable(ind):
    row = ind.loc["dossiers_district_on_time"]
    assert row["numerator"] == 23826 and row["denominator"] == 23856
    assert row["inputs"] == "III.dossiers_district_on_time=23826; III.dossiers_district_resolved=23856"
    assert row["lines"] == "87; 86"
    assert row["source"].endswith("phu-luc-cchc-2022-vinh-chau.txt")


def test_missing_inputs_and_zero_denominators_give_nan_with_a_reason(ind):
    blank = ind.loc["province_tasks_on_time"]
    assert math.isnan(blank["value"]) and blank["reason"].startswith("not reported: I.province_tasks_on_time")
    zero = ind.loc["feedback_resolved"]
    assert math.isnan(zero["value"]) and zero["reason"] == "denominator is 0" and zero["reason_vi"]
    assert not ind["value"].isin([math.inf, -math.inf]).any()


def test_one_row_per_report_and_indicator(seed_df):
    b = seed_df.copy()
    b["source"], b["unit"] = "b.txt", "other"
    out = indicators(pd.concat([seed_df, b], ignore_index=True))
    form = set(seed_df["code"])  # an indicator none of whose inputs the report's form asks is left out
    asked = [s for s in indicator_specs()
             if form & set([s["reported"]] if "reported" in s else s["numerator"] + s["denominator"])]
    assert len(asked) == len(indicator_specs()) - 4  # the online-service ratios in the NĐ 42/2022 terms
    assert len(out) == 2 * len(asked)
    assert out.groupby("unit").size().tolist() == [len(asked)] * 2

