"""What readers get: one unit's briefing, a year's comparison, a unit's trend, as document blocks.

Each view selects its reports from the loaded data folder, whose indicators, findings and
assessment are computed once per data folder and process (``pipeline.computed``), and builds
``content.document`` blocks and tables: notebooks display them, and ``cchc_tools.render.save(view, out_dir,
formats)`` writes the Word file, the workbook and the unit's tables from the same blocks (a view writes nothing
and imports no renderer; it names its files: ``stem``). No arithmetic is done here that the analysis modules
already do.

``unit`` (UnitBriefing), ``compare`` (YearComparison) and ``trend`` (UnitTrend) each hold one view;
``common`` holds what they share.
"""

from cchc_tools.content.views.common import (
    CHARTS,
    HEADLINE_IDS,
    SPECS,
    STATUS_VI,
    Stamped,
    definition,
    provenance_block,
    source_line,
)
from cchc_tools.content.views.compare import RANK_BY, YearComparison
from cchc_tools.content.views.trend import UnitTrend, legacy_reports
from cchc_tools.content.views.unit import UnitBriefing

__all__ = ["CHARTS", "HEADLINE_IDS", "RANK_BY", "SPECS", "STATUS_VI", "Stamped", "UnitBriefing", "UnitTrend",
           "YearComparison", "definition", "legacy_reports", "provenance_block", "source_line"]
