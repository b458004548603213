"""Every path the kit uses, resolved from the package itself.

Kernels started by papermill, nbval and JupyterLab each run in a different
working directory, so nothing here depends on ``os.getcwd()``. Set
``CCHC_HOME`` to point the kit at another project tree (tests do this).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"
CATALOG_CSV = PACKAGE_DATA / "catalog.csv"
INDICATORS_YAML = PACKAGE_DATA / "indicators.yaml"
RULES_YAML = PACKAGE_DATA / "rules.yaml"
TARGETS_YAML = PACKAGE_DATA / "targets.yaml"
SENTENCES_YAML = PACKAGE_DATA / "sentences.yaml"


def project_root() -> Path:
    """The project tree: ``$CCHC_HOME`` if set, else the folder holding the package."""
    env = os.environ.get("CCHC_HOME")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def data_dir() -> Path:
    return project_root() / "data"


def raw_dir() -> Path:
    """Appendices as units sent them: read-only for the code."""
    return data_dir() / "raw"


def processed_dir() -> Path:
    return data_dir() / "processed"


def cache_dir() -> Path:
    """Loaded tables kept between processes: ``$CCHC_CACHE_DIR``, else ``data/processed/cache``."""
    env = os.environ.get("CCHC_CACHE_DIR")
    return Path(env).resolve() if env else processed_dir() / "cache"


def outputs_dir() -> Path:
    return project_root() / "outputs"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"
