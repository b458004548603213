"""Rule and indicator files are checked against their schema; a province's own rules add to the shipped ones."""

from __future__ import annotations

import textwrap
import warnings

import pytest

from cchc_tools.analysis.checks import load_rules, shipped_rules, validate
from cchc_tools.analysis.rules import RuleError, RuleOverride, family
from cchc_tools.analysis.specs import Codes, IndicatorSpecError, SpecError, load_indicator_specs
from cchc_tools.errors import CchcError

GOOD_RULE = """\
- id: training_le_plan
  family: part_le_whole
  severity: warning
  title_vi: Số người được đào tạo vượt kế hoạch
  doc: People trained should not exceed the plan (a province's own rule).
  part: [V.training_done]
  whole: [V.training_planned]
"""


def write(tmp_path, text: str, name: str = "province-rules.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


# (what is wrong, the replacement applied to GOOD_RULE, the key named, its line, a word of the message)
BROKEN = [
    ("unknown family", ("part_le_whole", "part_le_hole"), "family", 2, "did you mean 'part_le_whole'"),
    ("missing key", ("  whole: [V.training_planned]\n", ""), "whole", 1, "missing"),
    ("unknown key", ("  whole:", "  wholes:"), "wholes", 7, "did you mean 'whole'"),
    ("a code where a list is due", ("part: [V.training_done]", "part: V.training_done"), "part", 6, "list"),
    ("bad severity", ("severity: warning", "severity: fatal"), "severity", 3, "error, warning, info"),
    ("code not in the catalog", ("V.training_done", "V.training_don"), "part", 6, "not in the catalog"),
    ("a percent row where counts are due", ("V.training_done", "I.plan_completion_pct"), "part", 6, "percent"),
    ("no Vietnamese title", ("  title_vi: Số người được đào tạo vượt kế hoạch\n", ""), "title_vi", 1, "missing"),
    ("empty doc", ("doc: People trained should not exceed the plan (a province's own rule).", "doc: ''"),
     "doc", 5, "non-empty"),
]


@pytest.mark.parametrize(("what", "change", "key", "line", "word"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_rule_is_refused_naming_file_line_rule_and_key(tmp_path, what, change, key, line, word):
    path = write(tmp_path, GOOD_RULE.replace(*change))
    with pytest.raises(RuleError) as info:
        load_rules(path)
    err = info.value
    assert isinstance(err, CchcError)
    assert (err.path, err.ident, err.key, err.line) == (str(path), "training_le_plan", key, line)
    assert f"{path}:{line}" in str(err) and "'training_le_plan'" in str(err) and f"'{key}'" in str(err)
    assert word in str(err)


def test_whole_file_problems_are_refused_with_the_file_named(tmp_path):
    twice = write(tmp_path, GOOD_RULE + GOOD_RULE, "twice.yaml")
    with pytest.raises(RuleError, match="declared twice") as info:
        load_rules(twice)
    assert (info.value.key, info.value.line) == ("id", 8)
    with pytest.raises(RuleError, match="expected a list"):
        load_rules(write(tmp_path, "id: x\nfamily: part_le_whole\n", "mapping.yaml"))
    with pytest.raises(RuleError, match="not valid YAML") as info:
        load_rules(write(tmp_path, GOOD_RULE + "- id: x\n\tfamily: y\n", "syntax.yaml"))
    assert info.value.line == 9  # the line with the tab
    with pytest.raises(RuleError, match="cannot be read"):
        load_rules(tmp_path / "absent.yaml")


def test_a_province_rule_adds_its_findings(seed_df, tmp_path):
    path = write(tmp_path, GOOD_RULE)
    f = validate(seed_df, extra_rules=path)
    mine = f[f["rule"] == "training_le_plan"]
    assert len(mine) == 1  # 1.070 people trained against 436 planned
    assert mine.iloc[0]["title_vi"] == "Số người được đào tạo vượt kế hoạch"
    assert mine.iloc[0]["values"] == "1.070; 436"
    assert len(f) == len(validate(seed_df)) + 1


def test_a_duplicate_id_overrides_the_shipped_rule_with_a_notice(seed_df, tmp_path):
    path = write(tmp_path, """\
        - id: uom_missing
          family: uom_missing
          severity: warning
          title_vi: Thiếu đơn vị tính (tỉnh yêu cầu ghi đủ)
          doc: This province wants every unit of measure written.
        """)
    with pytest.warns(RuleOverride, match="'uom_missing' overrides"):
        rules = load_rules(path)
    assert [r.id for r in rules] == [r.id for r in shipped_rules()]  # in place, not twice
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuleOverride)
        f = validate(seed_df, rules=rules)
    assert set(f.loc[f["rule"] == "uom_missing", "severity"]) == {"warning"}
    assert (f["rule"] == "uom_missing").sum() == (validate(seed_df)["rule"] == "uom_missing").sum()


def test_rules_can_be_picked_by_id_or_given_as_records(seed_df, tmp_path):
    assert set(validate(seed_df, rules=["uom_missing"])["rule"]) == {"uom_missing"}
    only_mine = load_rules(write(tmp_path, GOOD_RULE), shipped=False)
    assert list(validate(seed_df, rules=only_mine)["rule"]) == ["training_le_plan"]
    with pytest.raises(ValueError, match="no_such_rule"):
        validate(seed_df, rules=["no_such_rule"])


def test_a_family_must_take_exactly_the_parameters_it_declares():
    with pytest.raises(TypeError, match="do not match"):
        @family("misdeclared", part=Codes())
        def _misdeclared(rule, ctx, whole):  # pragma: no cover - never registered
            yield from ()


# --- indicators -------------------------------------------------------------------------------

GOOD_INDICATOR = """\
- id: trained
  section: V
  name_vi: Tỷ lệ đào tạo so với kế hoạch
  name_en: Training against plan
  direction: higher
  definition_vi: số người đã được đào tạo, bồi dưỡng thực tế trên số người theo kế hoạch
  numerator: [V.training_done]
  denominator: [V.training_planned]
  levels: [department, commune]
  aggregate: rate
"""

BROKEN_INDICATORS = [
    ("no levels", ("  levels: [department, commune]\n", ""), "levels"),
    ("empty levels", ("levels: [department, commune]", "levels: []"), "levels"),
    ("unknown level", ("levels: [department, commune]", "levels: [department, huyen]"), "levels"),
    ("an input the level does not have", ("[V.training_done]", "[III.dossiers_district_on_time]"), "levels"),
    ("no aggregation", ("  aggregate: rate\n", ""), "aggregate"),
    ("reported rate added up without weight", (
        "  numerator: [V.training_done]\n  denominator: [V.training_planned]\n", "  reported: I.plan_completion_pct\n"),
     "aggregate"),
    ("no definition", ("  definition_vi: số người đã được đào tạo, bồi dưỡng thực tế trên số người theo kế hoạch\n",
                       ""), "definition_vi"),
    ("unknown key", ("  numerator:", "  numerater:"), "numerater"),
    ("code not in the catalog", ("V.training_planned", "V.training_plan"), "denominator"),
    ("ratio and reported rate both", ("  denominator: [V.training_planned]\n",
                                      "  denominator: [V.training_planned]\n  reported: I.plan_completion_pct\n"),
     "reported"),
    ("no denominator", ("  denominator: [V.training_planned]\n", ""), "denominator"),
    ("unknown section", ("section: V", "section: VIII"), "section"),
    ("no direction", ("  direction: higher\n", ""), "direction"),
    ("unknown direction", ("direction: higher", "direction: up"), "direction"),
    ("headline is the levels' (levels.yaml)", ("  numerator:", "  headline: true\n  numerator:"), "headline"),
]


@pytest.mark.parametrize(("what", "change", "key"), BROKEN_INDICATORS, ids=[b[0] for b in BROKEN_INDICATORS])
def test_a_broken_indicator_is_refused_naming_file_indicator_and_key(tmp_path, what, change, key):
    path = write(tmp_path, GOOD_INDICATOR.replace(*change), "indicators.yaml")
    with pytest.raises(IndicatorSpecError) as info:
        load_indicator_specs(path)
    assert isinstance(info.value, SpecError)
    assert (info.value.path, info.value.ident, info.value.key) == (str(path), "trained", key)
    assert str(path) in str(info.value) and "'trained'" in str(info.value)


def test_a_good_indicator_file_loads_with_defaults(tmp_path):
    (spec,) = load_indicator_specs(write(tmp_path, GOOD_INDICATOR, "indicators.yaml"))
    assert spec["numerator"] == ["V.training_done"] and "headline" not in spec and "reported" not in spec
