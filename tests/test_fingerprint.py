"""What a page depends on is in its fingerprint: its own inputs and the peer context it shows (issue 26).

One unit of five resubmits a figure that moves it in the ranking; the incremental run re-renders exactly the
pages whose shown ranks or peer counts changed, and every page then agrees with a full ``--force`` run.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from cchc_tools import paths, provenance
from cchc_tools.cli import main
from cchc_tools.project import load_project
from cchc_tools.site import brief_all

KIT = load_project(paths.KIT_ROOT)
PLAN_RATE = "Tỷ lệ hoàn thành Kế hoạch CCHC năm"
TASKS_DONE = "Số nhiệm vụ đã hoàn thành\t"


def _ranks(out: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """unit -> indicator -> (rank, peers), as each unit's page wrote them (its indicators.csv)."""
    out_ranks = {}
    for f in sorted(out.glob("2023/*/indicators.csv")):
        with f.open(encoding="utf-8-sig", newline="") as fh:
            out_ranks[f.parent.name] = {r["indicator"]: (r["rank"], r["peers"]) for r in csv.DictReader(fh)}
    return out_ranks


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def _plan(text: str) -> tuple[int, int]:
    """(tasks planned, tasks done) of an appendix."""
    planned = int(re.search(r"^\tSố nhiệm vụ đề ra trong kế hoạch\t[^\t]*\t(\d+)", text, re.MULTILINE).group(1))
    done = int(re.search(rf"^\t{TASKS_DONE}[^\t]*\t(\d+)", text, re.MULTILINE).group(1))
    return planned, done


def _resubmit(path: Path, done: int) -> None:
    """The unit's corrected appendix: tasks done, and its own completion rate said the same way."""
    text = path.read_text(encoding="utf-8")
    planned, _ = _plan(text)
    rate = f"{done / planned * 100:.2f}".replace(".", ",")
    text = re.sub(rf"^(\t{TASKS_DONE}[^\t]*\t)\d+", rf"\g<1>{done}", text, count=1, flags=re.MULTILINE)
    text = re.sub(rf"^(\t{PLAN_RATE}[^\t]*\t[^\t]*\t)[\d,]+", rf"\g<1>{rate}", text, count=1, flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def five_units(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fingerprint")
    data, out = tmp / "data", tmp / "out"
    assert main(["demo-data", "--units", "5", "--years", "2023", "--out", str(data)]) == 0
    first = brief_all(KIT, data, out, jobs=2, progress=False, formats="html", cycle=False)
    assert not first.failed and len(first.outcomes) == 11, [o.error for o in first.failed]
    return data, out


@pytest.mark.slow
def test_a_peers_resubmission_rerenders_exactly_the_pages_whose_ranks_changed(five_units, tmp_path):
    data, out = five_units
    before, mtimes = _ranks(out), _mtimes(out)
    # the unit ranked second on plan completion falls to the last place (its own rate said consistently,
    # so that no finding unranks it): the units below it move up, the ones above keep their ranks
    order = sorted(before, key=lambda u: int(before[u]["plan_completion"][0]))
    mover = order[1]
    appendix = next((data / "2023" / mover).glob("*.txt"))
    _resubmit(appendix, 0)
    again = brief_all(KIT, data, out, jobs=2, progress=False, formats="html", cycle=False)
    assert not again.failed, [o.error for o in again.failed]
    full = brief_all(KIT, data, tmp_path / "full", jobs=2, progress=False, formats="html", cycle=False, force=True)
    assert not full.failed and not full.skipped

    # (a) every page's ranks and peer counts are a full run's
    after, truth = _ranks(out), _ranks(tmp_path / "full")
    assert after == truth
    assert truth[mover]["plan_completion"] == ("5", "5")  # the change did move it, and nobody was unranked

    # (b) exactly the pages whose inputs or shown context changed were rewritten
    moved = {u for u in truth if u != mover and truth[u] != before[u]}
    kept = set(truth) - moved - {mover}
    assert moved and kept, (moved, kept)  # the test means something: some ranks moved, some did not
    changed = {k for k, v in _mtimes(out).items() if mtimes.get(k) != v}
    pages = {k.removesuffix(".html") for k in changed if k.endswith(".html") and k != "index.html"}
    assert pages == {"2023/compare", *(f"2023/{u}/{page}" for u in moved | {mover} for page in ("briefing", "summary")),
                     *(f"trend/{u}" for u in moved | {mover})}
    assert {o.task.parameters.get("unit") for o in again.skipped} == kept  # the runner says so as well
    # the stamp names the context in words, with its hash
    stamp = provenance.Stamp.from_dict(json.loads(
        (out / "2023" / mover / "briefing.provenance.json").read_text(encoding="utf-8")))
    lines = stamp.page_lines()
    assert ("Số liệu so sánh với đơn vị khác",
            f"Thứ hạng và số đơn vị cùng nhóm (SHA-256 {stamp.context['ranks'][:12]})") in lines
    assert dict(lines)["Tham số"] == f"năm 2023; đơn vị (thư mục) {mover}; tệp HTML"


def test_peer_context_changes_only_with_what_the_page_shows(monkeypatch):
    import pandas as pd

    def table(values):
        units = zip("abc", ("u1", "u2", "u3"), values, strict=True)
        rows = [[s, u, 2023, "annual", "district", "x", v] for s, u, v in units]
        t = pd.DataFrame(rows, columns=["source", "unit", "year", "period", "level", "indicator", "value"])
        t["rank"] = t["value"].rank(ascending=False, method="min").astype("Int64")
        t["peers"] = pd.array([3, 3, 3], dtype="Int64")
        return t

    p = {"unit": "u1", "year": "2023", "period": "annual"}
    base = provenance.peer_context(table([90, 80, 70]), None, "unit", p)
    assert set(base) == {"ranks", "weak"}
    # a peer's value that moves no rank of u1: same context; one that passes u1: another
    assert provenance.peer_context(table([90, 85, 70]), None, "unit", p) == base
    assert provenance.peer_context(table([90, 95, 70]), None, "unit", p) != base
    # a comparison shows last year's ranks: a change of the year before changes it
    c = {"year": "2024", "period": "annual"}
    assert (provenance.peer_context(table([90, 80, 70]), None, "compare", c)
            != provenance.peer_context(table([90, 95, 70]), None, "compare", c))
    # a page that shows its group's lowest list: a lowest unit's value changes it, though no rank moves
    monkeypatch.setitem(provenance.SHOWN, "unit", ("ranks", "group"))
    shown = provenance.peer_context(table([90, 80, 70]), None, "unit", p)
    moved = provenance.peer_context(table([90, 80, 60]), None, "unit", p)
    assert shown["ranks"] == moved["ranks"] and shown["group"] != moved["group"]


def test_a_batchs_pages_share_their_groups_lowest_and_each_context_is_its_pages_own(tmp_path):
    """The lowest reports of a peer group are found once per batch (``Context.memo``), and every page's context
    is the one computed for it alone."""
    from cchc_tools.demo import generate

    data = tmp_path / "data"
    generate(data, units=8, years=[2022, 2023])
    ctx = provenance.batch_context(KIT, data)
    assert ctx.memo == {}
    units = sorted(set(ctx.assessed["unit"]))
    for unit in units:
        p = {"unit": unit, "year": "2023", "period": "annual"}
        shared = provenance.peer_context(ctx.assessed, ctx.consolidated, "unit", p, ctx.memo)
        assert shared == provenance.peer_context(ctx.assessed, ctx.consolidated, "unit", p)
    groups = ctx.assessed[ctx.assessed["year"] == 2023].drop_duplicates(["period", "level"])
    weak = sorted(k for k in ctx.memo if k[0] == "weak")  # beside them, the batch's indexes
    assert weak == sorted(("weak", "2023", p, lv) for p, lv in zip(groups["period"], groups["level"], strict=True))
    assert any(lows for k, v in ctx.memo.items() if k[0] == "weak" for lows in v.values())  # someone is lowest


def test_a_trends_inputs_are_the_reports_it_shows_its_legacy_predecessors_included(tmp_path, seed_text, seed_df):
    from cchc_tools.content.views import UnitTrend
    from cchc_tools.pipeline import load_data
    from tests.form_fixtures import seed_variant, write

    root = tmp_path / "data"
    write(root / "2022/vinh-chau/a.txt", seed_text)
    write(root / "2026/vinh-hai/xa.txt", seed_variant(
        seed_text, seed_df, title="THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2026",
        attach="(Kèm theo Báo cáo số 5/BC-UBND ngày 10 tháng 12 năm 2026", new_terms=True, level="commune",
        unit="của Ủy ban nhân dân xã Vĩnh Hải, thành phố Cần Thơ)"))
    result = load_data(KIT, root)
    for unit in ("vinh-hai", "vinh-chau"):
        view = UnitTrend.load(unit, root)
        shown = {*view.reps["source"], *(view.predecessors["source"] if len(view.predecessors) else ())}
        assert set(provenance.input_sources("trend", {"unit": unit}, result, root=KIT.root)) == shown
    assert len(provenance.input_sources("trend", {"unit": "vinh-hai"}, result, root=KIT.root)) == 2


# --- one hash of the kit, every setting that changes a page's words (issue 29) ------------------------------


def test_the_kit_hash_covers_code_data_templates_and_translations_never_their_sources(tmp_path):
    from cchc_tools.fingerprint import package_files, sha_of

    pkg = tmp_path / "pkg"
    files = {"a.py": "x = 1\n", "data/rules.yaml": "rules: []\n", "data/project/cchc.toml": "[project]\n",
             "render/templates/page.html.j2": "<p>{{ x }}</p>\n", "locale/vi/LC_MESSAGES/cchc.mo": "mo",
             "locale/vi/LC_MESSAGES/cchc.po": "po", "locale/cchc.pot": "pot", "__pycache__/a.cpython-311.pyc": "pyc"}
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text, encoding="utf-8")
    hashed = package_files(pkg)
    assert set(hashed) == {"a.py", "data/rules.yaml", "data/project/cchc.toml", "render/templates/page.html.j2",
                           "locale/vi/LC_MESSAGES/cchc.mo"}
    before = sha_of(hashed)
    for name in ("locale/vi/LC_MESSAGES/cchc.po", "locale/cchc.pot", "__pycache__/a.cpython-311.pyc"):
        (pkg / name).write_text("changed", encoding="utf-8")
    assert sha_of(package_files(pkg)) == before  # a source or a cache is not what runs
    for name in ("locale/vi/LC_MESSAGES/cchc.mo", "data/project/cchc.toml", "render/templates/page.html.j2"):
        (pkg / name).write_text("changed", encoding="utf-8")
        assert sha_of(package_files(pkg)) != before, name
        before = sha_of(package_files(pkg))


def test_the_snapshot_and_the_pages_hash_the_same_kit(tmp_path, seed_text):
    """The data folder's snapshot and a page's stamp are both made again when the kit changes: the same hash."""
    from cchc_tools.fingerprint import kit_code, kit_files, reference_files
    from cchc_tools.pipeline import find_snapshot
    from tests.form_fixtures import write

    write(tmp_path / "data/2022/vinh-chau/a.txt", seed_text)
    signature = json.loads(find_snapshot(KIT, tmp_path / "data").signature)
    stamp = provenance.compute("unit", {"year": "2022", "unit": "vinh-chau", "data_dir": str(tmp_path / "data")},
                               project=KIT)
    assert signature[1] == stamp.kit_code == kit_code()
    kit = kit_files()
    assert {"locale/vi/LC_MESSAGES/cchc.mo", "data/catalog.csv", "render/templates/style.css",
            "provenance.py"} <= set(kit)
    assert stamp.reference == reference_files() and "catalog.csv" in stamp.reference


def test_the_message_language_is_in_every_fingerprint(monkeypatch, tmp_path, seed_text):
    from tests.form_fixtures import write

    write(tmp_path / "data/2022/vinh-chau/a.txt", seed_text)
    params = {"year": "2022", "unit": "vinh-chau", "data_dir": str(tmp_path / "data")}
    monkeypatch.delenv("CCHC_LANG", raising=False)
    vi = provenance.compute("unit", params, project=KIT)
    monkeypatch.setenv("CCHC_LANG", "en_US.UTF-8")
    en = provenance.compute("unit", params, project=KIT)
    assert (vi.settings, en.settings) == ({"language": "vi"}, {"language": "en"})
    assert vi.fingerprint() != en.fingerprint()
    assert provenance.compute("unit", params, project=KIT, lang="vi").fingerprint() == vi.fingerprint()
    # a reporting cycle's fingerprint and each letter's shared part too
    assert provenance.kit_part(KIT, "en") != provenance.kit_part(KIT, "vi")
    assert provenance.kit_part(KIT)["settings"] == {"language": "en"}


@pytest.mark.slow
def test_changing_the_message_language_rerenders_every_page_on_the_next_incremental_run(five_units, monkeypatch,
                                                                                          tmp_path):
    import shutil

    data, done = five_units  # made in the tests' language (conftest: CCHC_LANG=en)
    out = shutil.copytree(done, tmp_path / "out")  # the fixture's outputs stay as its other tests left them
    same = brief_all(KIT, data, out, jobs=2, progress=False, formats="html", cycle=False)
    assert len(same.skipped) == 11, same.summary()  # up to date in that language
    mtimes = _mtimes(out)
    monkeypatch.setenv("CCHC_LANG", "vi")
    vietnamese = brief_all(KIT, data, out, jobs=2, progress=False, formats="html", cycle=False)
    assert not vietnamese.failed and not vietnamese.skipped and len(vietnamese.outcomes) == 11, vietnamese.summary()
    changed = {k for k, v in _mtimes(out).items() if mtimes.get(k) != v and k.endswith(".html") and k != "index.html"}
    assert len(changed) == 16  # 5 briefings and their 5 summaries, 1 comparison, 5 trends
    for state in out.rglob("*.provenance.json"):
        assert json.loads(state.read_text(encoding="utf-8"))["settings"] == {"language": "vi"}, state
    again = brief_all(KIT, data, out, jobs=2, progress=False, formats="html", cycle=False)
    assert len(again.skipped) == 11, again.summary()  # and the next run in the same language keeps them
