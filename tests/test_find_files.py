"""find_files walks a folder in the order of its sorted paths, as the rglob it replaced did."""

from __future__ import annotations

import os
from pathlib import Path

from cchc_tools.ingest.loader import REJECTED_SUFFIXES, find_files
from cchc_tools.ingest.readers import READERS


def _by_rglob(folder: Path) -> tuple[list[Path], list[str]]:
    """The definition find_files keeps: every file under the folder, sorted as paths, hidden ones left out."""
    files, skipped = [], []
    for f in sorted(folder.rglob("*")):
        if not f.is_file() or any(part.startswith(".") for part in f.relative_to(folder).parts):
            continue
        if f.suffix.lower() in READERS or f.suffix.lower() in REJECTED_SUFFIXES:
            (skipped.append(str(f)) if f.name.startswith("~$") else files.append(f))
        else:
            skipped.append(str(f))
    return files, skipped


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x", encoding="utf-8")


def test_the_order_and_choice_of_rglob(tmp_path):
    root = tmp_path / "data"
    names = ["2025/a/phu-luc.txt", "2025/a-b/phu-luc.txt", "2025/a b/phu-luc.docx", "2025/a.b/x.xlsx", "2025/a",
             "2025/A/Z.TXT", "2025/a/~$phu-luc.docx", "2025/a/ghi-chu.md", "2025/a/.an.txt", "2025/.an/phu-luc.txt",
             "2025/Phường 1/phu-luc.txt", "2025/phường 1/phu-luc.PDF", "2025/b/c/d/phu-luc.xls", "2025/b/c.txt",
             "2025/b.txt", "2025/b/bao-cao.csv", "2025/b/bao-cao.", "2025/10/x.txt", "2025/9/x.txt", "z.txt"]
    for n in names:
        if n == "2025/a":
            continue
        _touch(root / n)
    (root / "2025" / "empty").mkdir()
    outside = tmp_path / "outside"
    _touch(outside / "phu-luc.txt")
    os.symlink(outside, root / "2025" / "linked")  # a linked folder: neither walks into it
    os.symlink(outside / "phu-luc.txt", root / "2025" / "linked.txt")  # a linked file: a file
    os.symlink(tmp_path / "nowhere.txt", root / "2025" / "broken.txt")  # a broken link: not a file
    files, skipped = find_files(root)
    assert (files, skipped) == _by_rglob(root)
    assert root / "2025" / "a-b" / "phu-luc.txt" in files and root / "2025" / "linked.txt" in files
    assert not any(".an" in str(f) for f in files) and str(root / "2025" / "a" / "~$phu-luc.docx") in skipped
    assert files.index(root / "2025" / "a" / "phu-luc.txt") < files.index(root / "2025" / "a-b" / "phu-luc.txt")


def test_files_and_folders_given_together(tmp_path):
    _touch(tmp_path / "d" / "x.txt")
    _touch(tmp_path / "e.txt")
    assert find_files([tmp_path / "e.txt", str(tmp_path / "d")]) == ([tmp_path / "e.txt", tmp_path / "d" / "x.txt"],
                                                                      [])
