from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Snapshots of loaded folders go to a temporary place, not into the checkout (kernels inherit this).
os.environ.setdefault("CCHC_CACHE_DIR", tempfile.mkdtemp(prefix="cchc-cache-"))
# Tests match the kit's messages in English (the msgids); tests of the Vietnamese messages set it.
os.environ.setdefault("CCHC_LANG", "en")

from cchc_tools import paths  # noqa: E402

SEED = paths.raw_dir() / "2022" / "vinh-chau" / "phu-luc-cchc-2022-vinh-chau.txt"
GOLDEN = Path(__file__).parent / "golden" / "vinh-chau-2022.csv"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_df():
    from cchc_tools import load_appendix

    return load_appendix(SEED)


@pytest.fixture
def write_variant(tmp_path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(content: str | bytes, name: str = "variant.txt") -> Path:
        p = tmp_path / name
        if isinstance(content, str):
            p.write_text(content, encoding="utf-8")
        else:
            p.write_bytes(content)
        return p

    return _write


@pytest.fixture(scope="session")
def kit():
    """The kit's own repository as a project (the bundled appendix)."""
    from cchc_tools.project import load_project

    return load_project(paths.KIT_ROOT)


@pytest.fixture
def whole(monkeypatch):
    """How many times a data folder's computation ran whole (``pipeline.compute``), not updated from what was
    kept: the length of the table of each run."""
    from cchc_tools import pipeline

    calls = []
    real = pipeline.compute

    def counted(table, project):
        calls.append(len(table))
        return real(table, project)

    monkeypatch.setattr(pipeline, "compute", counted)
    return calls
