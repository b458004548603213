"""The findings an analyst makes by hand in the bundled 2022 Vĩnh Châu appendix, and nothing else.

The one place they are written down: ``test_checks`` compares ``validate`` against them and the
``cchc check`` tests count them. Each is (rule, severity, lines), lines ascending.
"""

from __future__ import annotations

SEED_SOURCE = "data/raw/2022/vinh-chau/phu-luc-cchc-2022-vinh-chau.txt"

SEED_FINDINGS = [
    # 9.375 + 1.535 documents "fully electronic" and "electronic with paper" exceed the 9.375 total
    ("edocs_district_parts_le_total", "error", "182; 183; 184"),
    # the note says 17% but 1.535 / 9.375 = 16,37%
    ("edocs_district_parallel_note_rate", "warning", "182; 184"),
    # a count of tasks with unit % (line 11); dossier counts with unit TTHC (lines 202, 203)
    ("uom_mismatch", "warning", "11"),
    ("uom_mismatch", "warning", "202"),
    ("uom_mismatch", "warning", "203"),
    # 7 people disciplined in total, but the groups listed add up to 0 + 1 + 5 + 1 + 1 = 8
    ("discipline_sum", "warning", "151; 152; 154; 156; 160; 161"),
    # 48 public service units under autonomy (VI.3, line 165) but only 46 public service units (IV.1, line 94)
    ("sncl_autonomy_le_sncl", "warning", "94; 165"),
    # 223 leaders with a digital certificate (line 209), but IV.5 lists 4 + 30 + 106 + 29 = 169 leaders
    ("certs_total_le_leaders", "warning", "115; 116; 118; 119; 209"),
    # values written without their unit
    ("uom_missing", "info", "55"),
    ("uom_missing", "info", "86"),
    ("uom_missing", "info", "151"),
    ("uom_missing", "info", "165"),
]


def count(severity: str) -> int:
    return sum(1 for _, s, _ in SEED_FINDINGS if s == severity)
