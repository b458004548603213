"""A kernel that briefs unit after unit: what one briefing finds about its peers is reused by the next briefing
of the same peer group, and never outlives the data it was found in."""

from __future__ import annotations

import pandas as pd

from cchc_tools.analysis.selection import weakest
from tests.test_views_levels import EDOCS, make_communes, page_text

WEAK = "Thuộc nhóm thấp nhất trong các đơn vị cùng cấp, cùng kỳ: tỷ lệ văn bản đi hoàn toàn điện tử (cấp xã) 0,30%"


def test_a_peer_group_is_found_once_and_names_what_weakest_names(tmp_path, seed_text):
    from cchc_tools.content.views import UnitBriefing
    from cchc_tools.project import load_project

    root = tmp_path / "can-tho"
    make_communes(root, seed_text)
    project = load_project(root, env={})
    weak = UnitBriefing.load(2026, "phong-dien", period="Q1", project=project)
    other = UnitBriefing.load(2026, "vinh-hai", period="Q1", project=project)
    assert other.peers is weak.peers and other._lows is weak._lows  # the group's frame and lowest units, shared
    assert set(weak.peers["source"]) == set(other.peers["source"]) and weak.peers["source"].nunique() == 5
    for b in (weak, other):
        # the same rows as one indicator at a time, from a peer group selected afresh
        for ident in b.headline_ids:
            pd.testing.assert_frame_equal(b._lows.of([ident])[ident], weakest(b.peers.copy(), ident))
        found = b.weak_among_peers()
        assert b.weak_among_peers() is found  # once per view: the verdict and the summary read the same
    assert weak.weak_among_peers()["indicator"].tolist() == ["edocs_commune_electronic"]
    assert WEAK in page_text(weak.summary_document()) and WEAK in page_text(weak.document())

    # peers given by hand (an analyst's own selection) are ranked as given, never from the group's cache
    alone = UnitBriefing.load(2026, "phong-dien", period="Q1", project=project)
    alone.peers = weak.peers[weak.peers["source"] == weak.report["source"]]
    assert alone.weak_among_peers().empty and WEAK not in page_text(alone.summary_document())

    # a changed input is a new computation: its briefings never read the earlier peer group
    path = next((root / "data" / "raw" / "2026" / "phong-dien").glob("*.txt"))
    path.write_text(path.read_text(encoding="utf-8").replace(EDOCS.replace("12.425", "126"), EDOCS),
                    encoding="utf-8")
    again = UnitBriefing.load(2026, "phong-dien", period="Q1", project=project)
    assert again.peers is not weak.peers
    assert "edocs_commune_electronic" not in again.weak_among_peers()["indicator"].tolist()
    assert WEAK not in page_text(again.summary_document())
    assert UnitBriefing.load(2026, "vinh-hai", period="Q1", project=project).peers is again.peers


def test_a_reports_rows_are_those_a_filter_on_its_source_selects(tmp_path, seed_text):
    from cchc_tools.content.views import UnitBriefing
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    root = tmp_path / "can-tho"
    make_communes(root, seed_text)
    project = load_project(root, env={})
    data = computed(project)
    for slug in ("vinh-chau", "cai-khe", "ninh-kieu"):
        b = UnitBriefing.load(2026, slug, period="Q1", project=project)
        src = b.report["source"]
        pd.testing.assert_frame_equal(b.rows, data.table[data.table["source"] == src])
        pd.testing.assert_frame_equal(b.findings, data.findings[data.findings["source"] == src])
        assert len(b.findings) or slug == "vinh-chau"
        assert b.assessed["source"].eq(src).all() and len(b.assessed) == len(b.ind)
