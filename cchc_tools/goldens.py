"""Refresh the outputs that nbval checks, and strip every other output from the notebooks.

Policy: notebooks are stored without outputs, except the few golden cells
marked ``# NBVAL_CHECK_OUTPUT``, whose stored output nbval compares on every
``make test``. Run ``make goldens`` after a change that is meant to alter a
published figure, and review the diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from cchc_tools.paths import notebooks_dir

MARK = "NBVAL_CHECK_OUTPUT"


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop outputs and run metadata, keeping only the golden cells' outputs."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type != "code":
            continue
        if MARK not in cell.source:  # nbval needs the golden cells' execution counts
            cell.execution_count = None
            cell.outputs = []
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    return nb


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(notebooks_dir())}}).execute()
    nbformat.write(strip(nb), path)


def main(argv: list[str] | None = None) -> int:
    names = argv if argv is not None else sys.argv[1:]
    paths = [notebooks_dir() / n for n in names] if names else sorted(notebooks_dir().glob("*.ipynb"))
    for p in paths:
        refresh(p)
        print(f"refreshed {p.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
