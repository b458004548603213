"""cchc-kit: load, check and brief on Vietnamese administrative-reform (CCHC) appendices."""

from __future__ import annotations

from cchc_tools.analysis.assess import assess, consolidate
from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.catalog import load_catalog
from cchc_tools.errors import AppendixError, CchcError, UnknownUnitError
from cchc_tools.ingest.loader import LoadResult, load_appendices, load_appendix
from cchc_tools.numbers import fmt_count, fmt_number, fmt_percent, parse_number
from cchc_tools.units import resolve_unit
from cchc_tools.version import __version__ as __version__
from cchc_tools.workbench import open as open  # noqa: A004 - cchc_tools.open(); never `from cchc_tools import *`

__all__ = [
    "assess",
    "consolidate",
    "AppendixError",
    "CchcError",
    "LoadResult",
    "UnknownUnitError",
    "fmt_count",
    "fmt_number",
    "fmt_percent",
    "indicators",
    "load_appendices",
    "load_appendix",
    "load_catalog",
    "open",
    "parse_number",
    "resolve_unit",
    "validate",
]
