"""cchc-kit: load, check and brief on Vietnamese administrative-reform (CCHC) appendices."""

from __future__ import annotations

from .catalog import load_catalog
from .checks import validate
from .errors import AppendixError, CchcError, UnknownUnitError
from .indicators import indicators
from .loader import LoadResult, load_appendices, load_appendix
from .numbers import fmt_count, fmt_number, fmt_percent, parse_number

__version__ = "0.1.0"

__all__ = [
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
    "parse_number",
    "validate",
]
