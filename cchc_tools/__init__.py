"""cchc-kit: load, check and brief on Vietnamese administrative-reform (CCHC) appendices.

The names below are imported when first used (PEP 562), so that ``import cchc_tools`` and the ``cchc``
command start at once; ``cchc_tools.open()`` opens the analyst's workspace.
"""

from __future__ import annotations

from cchc_tools.lazy import lazy_exports
from cchc_tools.version import __version__ as __version__

_EXPORTS = {
    "assess": "cchc_tools.analysis.assess",
    "consolidate": "cchc_tools.analysis.assess",
    "validate": "cchc_tools.analysis.checks",
    "indicators": "cchc_tools.analysis.indicators",
    "load_catalog": "cchc_tools.catalog",
    "AppendixError": "cchc_tools.errors",
    "CchcError": "cchc_tools.errors",
    "UnknownUnitError": "cchc_tools.errors",
    "LoadResult": "cchc_tools.ingest.loader",
    "load_appendices": "cchc_tools.ingest.loader",
    "load_appendix": "cchc_tools.ingest.loader",
    "fmt_count": "cchc_tools.numbers",
    "fmt_number": "cchc_tools.numbers",
    "fmt_percent": "cchc_tools.numbers",
    "parse_number": "cchc_tools.numbers",
    "resolve_unit": "cchc_tools.units",
    "open": "cchc_tools.workbench",  # cchc_tools.open(); never `from cchc_tools import *`
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
