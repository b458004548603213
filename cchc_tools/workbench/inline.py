"""A unit's briefing shown inside a notebook: the same document blocks as its page, rendered to HTML."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cchc_tools.content.document import Document
from cchc_tools.content.views.unit import UnitBriefing
from cchc_tools.project import Project


@dataclass
class InlineBriefing:
    """``ws.brief(unit)``: the unit's briefing (``.briefing``, its blocks ``.document``), displayed inline."""

    briefing: UnitBriefing

    @classmethod
    def load(cls, year: int, unit: str, data_dir: str | Path, period: str = "annual",
             project: Project | None = None) -> InlineBriefing:
        return cls(UnitBriefing.load(year, unit, data_dir, period, project=project))

    @cached_property
    def document(self) -> Document:
        return self.briefing.document()

    def _repr_html_(self) -> str:
        from cchc_tools.render.html import render_block

        body = "".join(render_block(b) for b in self.document.blocks if b is not None)
        return f'<div class="cchc-inline-briefing" lang="vi">{body}</div>'

    def __repr__(self) -> str:
        return f"<Báo cáo tóm tắt: {self.document.title}>"
