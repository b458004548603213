"""The PDF reader asks a project's own forms, not the kit's alone, whether the first line of a page ends the label
broken above it: ``read_raw`` and the loader pass the project's forms to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cchc_tools import load_appendices
from cchc_tools.errors import AppendixError
from cchc_tools.forms import Forms, form_text, get_form
from cchc_tools.ingest.readers import read_raw
from cchc_tools.ingest.readers.base import RawRow

LABEL = "Số buổi đối thoại Với doanh nghiệp về thủ tục hành chính"  # a row of the project's form only
ABOVE, REST = "Số buổi đối thoại", "Với doanh nghiệp về thủ tục hành chính"


@pytest.fixture
def project_forms(tmp_path) -> Forms:
    folder = tmp_path / "forms"
    folder.mkdir()
    text = form_text(get_form("district-2022")).replace("# form: district-2022", "# form: mine")
    assert "Số văn bản chỉ đạo CCHC đã ban hành" in text
    (folder / "mine.csv").write_text(text.replace("Số văn bản chỉ đạo CCHC đã ban hành", LABEL), encoding="utf-8")
    return Forms(folder)


def test_a_label_broken_across_pages_is_joined_when_the_projects_form_has_it(project_forms):
    from cchc_tools.ingest.readers.pdf import _is_continuation

    prev = RawRow(line=12, stt="2", label=ABOVE, uom="Buổi", value="4", note="", page=3)
    rest = {"stt": "", "label": REST, "uom": "", "value": "", "note": ""}
    assert not _is_continuation(prev, True, rest)  # the kit's forms do not know the label: a row of its own
    assert _is_continuation(prev, True, rest, project_forms)  # the project's form does: the rest of the label


def test_read_raw_and_the_loader_give_the_pdf_reader_the_projects_forms(tmp_path, project_forms, monkeypatch):
    import cchc_tools.ingest.readers.pdf as pdf

    asked = []

    def reading(path, forms=None):
        asked.append(forms)
        raise AppendixError(path, "stop here")

    monkeypatch.setattr(pdf, "read_pdf", reading)
    path = tmp_path / "phu-luc.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(AppendixError):
        read_raw(path, project_forms)
    result = load_appendices([path], forms=project_forms)
    assert [str(e) for e in result.errors] == [f"{Path(path)}: stop here"]
    assert asked == [project_forms, project_forms]
    with pytest.raises(AppendixError):
        read_raw(path)
    assert asked[-1] is None  # no project: the reader's default, the kit's forms
