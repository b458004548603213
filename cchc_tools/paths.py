"""The kit's own paths, resolved from the package itself (never from the working directory or the environment).

A province's folders (data, outputs, cache, forms) belong to its project: see :mod:`cchc_tools.project`.
The functions here name the kit's own repository, which is one such project (the bundled appendix),
and the kit's notebooks, which every project's briefings run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cchc_tools.errors import CchcError

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


# --- a project's folders, checked before anything is written ------------------------------------------------

class FolderError(CchcError):
    """A data or outputs folder the kit refuses to use (said in Vietnamese, naming the folder and why): the
    command stops before it writes anything."""


def _real(path: str | Path) -> Path:
    """``path`` with every symbolic link resolved, also when it does not exist yet."""
    return Path(os.path.realpath(Path(path).expanduser()))


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def check_data_folder(data: str | Path) -> Path:
    """The data folder, or :class:`FolderError` when it is the filesystem root (reading every file of the
    machine as appendices) or a file."""
    real = _real(data)
    if real == Path(real.anchor):
        raise FolderError(f"thư mục dữ liệu {data} là thư mục gốc của máy: bộ công cụ không đọc cả máy như phụ lục; "
                          "đặt [project] data trong cchc.toml là thư mục phụ lục của dự án (mặc định data/raw)")
    if real.exists() and not real.is_dir():
        raise FolderError(f"thư mục dữ liệu {data} là một tệp, không phải thư mục")
    return Path(data)


def check_outputs_folder(outputs: str | Path, data: str | Path | None = None) -> Path:
    """The outputs folder, checked before a run writes anything: :class:`FolderError` when it is the data folder,
    inside it or holds it (symbolic links resolved: a run would read its own outputs back as appendices, or clear
    the appendices with its outputs), when it is the filesystem root, a file, or a folder the kit cannot write
    into (the nearest existing folder on its path is checked: nothing is created here)."""
    out = _real(outputs)
    if out == Path(out.anchor):
        raise FolderError(f"thư mục kết quả {outputs} là thư mục gốc của máy; đặt [project] outputs trong cchc.toml "
                          "(mặc định outputs) hoặc --out là một thư mục riêng")
    if data is not None:
        raw = _real(data)
        if _within(out, raw):
            raise FolderError(f"thư mục kết quả {outputs} nằm trong thư mục dữ liệu {data}"
                              + (f" (qua liên kết tới {out})" if out != Path(os.path.abspath(outputs)) else "")
                              + ": lần chạy sau sẽ đọc lại kết quả như phụ lục; đặt [project] outputs trong "
                              "cchc.toml hoặc --out là một thư mục ngoài thư mục dữ liệu")
        if _within(raw, out):
            raise FolderError(f"thư mục dữ liệu {data} nằm trong thư mục kết quả {outputs}: dọn thư mục kết quả sẽ "
                              "xóa cả phụ lục; đặt [project] outputs trong cchc.toml hoặc --out là một thư mục riêng")
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise FolderError(f"thư mục kết quả {outputs} không dùng được: {probe} là một tệp, không phải thư mục")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise FolderError(f"không ghi được vào thư mục kết quả {outputs} ({probe} không cho phép ghi); cấp quyền ghi "
                          "hoặc chọn thư mục khác ([project] outputs trong cchc.toml, hoặc --out)")
    return Path(outputs)


def check_folders(data: str | Path, outputs: str | Path) -> None:
    """Both folders of a run checked (:func:`check_data_folder`, :func:`check_outputs_folder`)."""
    check_data_folder(data)
    check_outputs_folder(outputs, data)


_PART = re.compile(r"^[^/\\\x00]+$")


def child(folder: str | Path, name: str) -> Path:
    """``folder / name`` for a file or folder name built from input (a period, a unit, a year): refused
    (:class:`FolderError`) when it is not one plain name (a separator, ``..``, a NUL), never joined raw."""
    text = str(name)
    if not _PART.match(text) or text in (".", "..") or len(text.encode()) > 255:
        raise FolderError(f"tên tệp hoặc thư mục không hợp lệ: {text[:80]!r} (cần một tên, không có '/', '..')")
    return Path(folder) / text
