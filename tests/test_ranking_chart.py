"""The comparison's ranking chart: every unit of a short ranking; of a long one, the highest and the lowest with
a row saying how many are left out, legible on a page of print (issue 28: 111 bars printed as an unreadable strip)."""

from __future__ import annotations

import pytest

from cchc_tools.content import charts
from cchc_tools.content.views import compare


def bars_and_labels(chart):
    ax = chart.figure.axes[0]
    bars = sorted(ax.patches, key=lambda b: -b.get_y())  # top first
    labels = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    return ax, bars, labels


def test_a_gap_is_a_row_without_a_bar_after_the_first_bars():
    names = [f"Xã {k:02d}" for k in range(8)]
    chart = charts.rates_chart(names, [99.0 - k for k in range(8)], "Tỷ lệ", "nguồn", gap=(4, "… 30 đơn vị khác …"))
    ax, bars, labels = bars_and_labels(chart)
    assert [round(b.get_width(), 6) for b in bars] == [99.0 - k for k in range(8)]
    ys = sorted(round(b.get_y() + b.get_height() / 2) for b in bars)
    assert ys == [0, 1, 2, 3, 5, 6, 7, 8]  # row 4 holds no bar
    assert labels[4] == "… 30 đơn vị khác …" and labels[8] == "Xã 00" and labels[0] == "Xã 07"
    assert ax.get_yticklabels()[-1].get_fontstyle() == "italic"


def test_a_gap_with_nothing_on_one_side_is_no_gap():
    """A cut after every shown bar (or the bars after it all blank) draws no empty row."""
    chart = charts.rates_chart(["Xã A", "Xã B"], [80.0, float("nan")], "Tỷ lệ", "nguồn", gap=(1, "… 1 đơn vị khác …"))
    _, bars, labels = bars_and_labels(chart)
    assert len(bars) == 1 and list(labels.values()) == ["Xã A"]


@pytest.mark.parametrize("n", [3, 10, 11, 21, 60])
def test_bars_close_up_only_where_a_page_would_shrink_the_chart(n):
    """Up to ten bars keep their pitch (and their pixels); more bars come closer, down to a least pitch, so that a
    ranking of the comparison's twenty bars and a gap stays near the height of a page's chart."""
    fig = charts.rates_chart([f"Xã {k}" for k in range(n)], [50.0] * n, "Tỷ lệ", "nguồn").figure
    pitch = (fig.get_figheight() - 1.4) / n
    if n <= 10:
        assert pitch == pytest.approx(charts.BAR_INCHES)
    else:
        assert charts.DENSE_BAR_INCHES - 1e-9 <= pitch < charts.BAR_INCHES
        assert fig.get_figheight() <= charts.BANDS_HEIGHT + 1e-9 or pitch == pytest.approx(charts.DENSE_BAR_INCHES)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    from cchc_tools.content.views import YearComparison
    from cchc_tools.demo import generate

    data = tmp_path_factory.mktemp("many")
    generate(data, units=compare.RANKING_ALL + 5, years=[2023])
    return YearComparison.load(2023, data)


def test_a_long_ranking_shows_its_highest_and_lowest_and_says_how_many_are_left_out(many):
    indicator = many.measure(many.levels[0])
    a = many.assessed[(many.assessed["indicator"] == indicator) & many.assessed["shown"].notna()]
    assert len(a) > compare.RANKING_ALL
    order = a.sort_values(["value", "unit_name"], ascending=[False, True])
    k = compare.RANKING_ENDS
    chart = many.ranking_chart()
    _, bars, labels = bars_and_labels(chart)
    shown = [labels[round(b.get_y() + b.get_height() / 2)].split(" [")[0] for b in bars]
    assert shown == order["unit_name"].head(k).tolist() + order["unit_name"].tail(k).tolist()
    values = order["shown"].head(k).tolist() + order["shown"].tail(k).tolist()
    assert [round(b.get_width(), 9) for b in bars] == [round(v, 9) for v in values]
    assert f"… {len(a) - 2 * k} đơn vị khác …" in labels.values()
    assert chart.figure.get_figheight() < 7  # legible in print: the page's chart is shrunk at most to 70 %


def test_a_short_ranking_shows_every_unit(many, monkeypatch):
    monkeypatch.setattr(compare, "RANKING_ALL", 1000)
    indicator = many.measure(many.levels[0])
    n = int(many.assessed[(many.assessed["indicator"] == indicator)]["shown"].notna().sum())
    _, bars, labels = bars_and_labels(many.ranking_chart())
    assert len(bars) == n and not any("đơn vị khác" in t for t in labels.values())
