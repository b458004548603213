"""Words the kit shows in more than one place, said once: levels, the synthetic-data banner, severities.

Section titles are the catalog's (``cchc_tools.catalog.SECTIONS``).
"""

from __future__ import annotations

LEVEL_VI = {"province": "cấp tỉnh", "department": "sở, ban, ngành", "district": "cấp huyện", "commune": "cấp xã"}

SYNTHETIC_BANNER = "DỮ LIỆU MẪU – KHÔNG PHẢI SỐ LIỆU THẬT"
SYNTHETIC_NOTE = ("các số liệu trong báo cáo này do máy tạo ra (dữ liệu mẫu), không phải số liệu đơn vị báo cáo, "
                  "chỉ dùng để minh họa và kiểm thử.")

SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Lưu ý"}


def level_phrase(level: str) -> str:
    """``district`` -> ``cấp huyện``; an unknown level says nothing."""
    return LEVEL_VI.get(level, "")
