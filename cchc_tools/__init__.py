"""cchc-kit: load, check and brief on Vietnamese administrative-reform (CCHC) appendices."""

from __future__ import annotations

from .catalog import load_catalog
from .errors import AppendixError, CchcError, UnknownUnitError
from .loader import LoadResult, load_appendices, load_appendix

__version__ = "0.1.0"

__all__ = [
    "AppendixError",
    "CchcError",
    "LoadResult",
    "UnknownUnitError",
    "load_appendices",
    "load_appendix",
    "load_catalog",
]
