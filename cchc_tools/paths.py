"""The kit's own paths, resolved from the package itself (never from the working directory or the environment).

A province's folders (data, outputs, cache, forms) belong to its project: see :mod:`cchc_tools.project`.
The functions here name the kit's own repository, which is one such project (the bundled appendix),
and the kit's notebooks, which every project's briefings run.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"
KIT_ROOT = PACKAGE_DIR.parent
CATALOG_CSV = PACKAGE_DATA / "catalog.csv"
INDICATORS_YAML = PACKAGE_DATA / "indicators.yaml"
LEVELS_YAML = PACKAGE_DATA / "levels.yaml"
RULES_YAML = PACKAGE_DATA / "rules.yaml"
TARGETS_YAML = PACKAGE_DATA / "targets.yaml"
SENTENCES_YAML = PACKAGE_DATA / "sentences.yaml"


def raw_dir() -> Path:
    """The kit's bundled appendices (``data/raw`` of its repository): read-only for the code."""
    return KIT_ROOT / "data" / "raw"


def notebooks_dir() -> Path:
    """The kit's notebooks, which run every project's briefings."""
    return KIT_ROOT / "notebooks"
