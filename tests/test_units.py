"""Official administrative units: resolving names, the project's province, the 2025 reform."""

from __future__ import annotations

import pytest

import cchc_tools as cc
from cchc_tools.project import load_project
from cchc_tools.units import (
    UnitNotFound,
    era_is_legacy,
    is_legacy,
    predecessors,
    resolve_unit,
    successors,
    unit_sort_key,
)


def test_bundled_appendix_unit_is_thi_xa_vinh_chau_of_soc_trang(seed_df):
    first = seed_df.iloc[0]
    assert (first["unit"], first["unit_code"], first["province"]) == ("vinh-chau", "950", "Tỉnh Sóc Trăng")
    unit = cc.resolve_unit("thị xã Vĩnh Châu", 2022)
    assert (unit.code, unit.name, unit.level, unit.province, unit.province_code, unit.legacy) == (
        "950", "Thị xã Vĩnh Châu", "district", "Tỉnh Sóc Trăng", "94", True)
    names = dict(unit.successors)
    assert names["31795"] == "Xã Vĩnh Hải" and names["31783"] == "Phường Vĩnh Châu"
    assert len(names) >= 4
    for code in names:  # all in Cần Thơ today
        now = resolve_unit(names[code], 2026, "Cần Thơ")
        assert now.code == code and now.province == "Thành phố Cần Thơ" and not now.legacy


def test_current_commune_needs_its_province_when_its_name_repeats():
    with pytest.raises(UnitNotFound) as err:
        resolve_unit("xã Vĩnh Hải", 2026, province="")
    assert len(err.value.candidates) >= 3 and any("Cần Thơ" in c for c in err.value.candidates)
    unit = resolve_unit("xã Vĩnh Hải", 2026, "thành phố Cần Thơ")
    assert (unit.code, unit.level, unit.province, unit.successors) == ("31795", "commune", "Thành phố Cần Thơ", ())


def test_the_project_names_the_province(tmp_path):
    assert load_project(tmp_path, env={}).province == ""
    (tmp_path / "cchc.toml").write_text('[project]\nprovince = "Cần Thơ"\n', encoding="utf-8")
    province = load_project(tmp_path, env={}).province
    assert province == "Cần Thơ"
    assert resolve_unit("xã Vĩnh Hải", 2026, province).code == "31795"
    # a current province covers the legacy provinces merged into it
    assert resolve_unit("xã Vĩnh Hải", 2022, province).province == "Tỉnh Sóc Trăng"
    override = load_project(tmp_path, env={"CCHC_PROVINCE": "Khánh Hòa"}).province  # the environment wins
    assert resolve_unit("xã Vĩnh Hải", 2026, override).province == "Tỉnh Khánh Hòa"


def test_names_and_levels():
    assert resolve_unit("thành phố Sóc Trăng", 2022).level == "district"  # a city of a province
    assert resolve_unit("thành phố Cần Thơ", 2022).level == "province"  # a city run by the centre
    assert resolve_unit("tỉnh Sóc Trăng", 2022).successors == (("92", "Thành phố Cần Thơ"),)
    assert resolve_unit("Vinh Chau", 2022, "Sóc Trăng").code == "950"  # no diacritics, no type
    with pytest.raises(UnitNotFound):
        resolve_unit("thị xã Vĩnh Châu", 2026)  # no districts since 1 July 2025


def test_unresolved_unit_keeps_its_slug_with_a_finding_of_close_names(tmp_path, seed_text):
    p = tmp_path / "x.txt"
    p.write_text(seed_text.replace("thị xã Vĩnh Châu)", "thị xã Vĩnh Chân Mới)"), encoding="utf-8")
    df = cc.load_appendix(p, province="Sóc Trăng")
    assert (df["unit"].iloc[0], df["unit_code"].iloc[0]) == ("vinh-chan-moi", "")
    found = cc.validate(df, province="Sóc Trăng")
    hit = found[found["rule"] == "unit_unresolved"]
    assert len(hit) == 1 and "Thị xã Vĩnh Châu" in hit.iloc[0]["message_vi"]


def test_successors_predecessors_and_eras():
    assert ("31795", "Xã Vĩnh Hải") in successors("31795")  # a legacy commune
    assert ("950", "Thị xã Vĩnh Châu") in predecessors("31795", level="district")
    assert ("31795", "Xã Vĩnh Hải") in predecessors("31795")
    assert [c for c, _ in predecessors("92")] == ["92", "93", "94"]  # Cần Thơ, Hậu Giang, Sóc Trăng
    assert successors("nope") == [] and predecessors("950") == []  # 950 is no current unit
    assert is_legacy("950", 2026) and is_legacy("31795", 2022) and not is_legacy("31795", 2026)
    assert era_is_legacy(2025, "Q1") and era_is_legacy(2025, "annual") is None
    assert era_is_legacy(None, report_date="2025-06-30") and not era_is_legacy(None, report_date="2025-07-01")
    ranked = sorted([("31795", False), ("950", True), ("92", False), ("", False)], key=lambda x: unit_sort_key(*x))
    assert ranked == [("92", False), ("31795", False), ("", False), ("950", True)]


def test_a_title_without_the_units_name_is_resolved_from_its_folder(tmp_path, seed_text):
    p = tmp_path / "2022" / "vinh-chau" / "phu-luc.txt"
    p.parent.mkdir(parents=True)
    p.write_text(seed_text.replace("của Ủy ban nhân dân thị xã Vĩnh Châu)", ")"), encoding="utf-8")
    first = cc.load_appendix(p, province="Cần Thơ").iloc[0]
    assert (first["unit_name"], first["unit_code"], first["province"]) == ("", "950", "Tỉnh Sóc Trăng")


def test_the_public_names_other_modules_use_for_official_units():
    from cchc_tools.units import name_key, official_name, province_units

    communes = province_units("Cần Thơ", "commune", legacy=False)
    assert ("31795", "Xã Vĩnh Hải") in communes and communes == sorted(communes, key=lambda u: int(u[0]))
    assert len({c for c, _ in communes}) == len(communes) > 50
    districts = province_units("Cần Thơ", "district", legacy=True)  # Sóc Trăng's districts are Cần Thơ's history
    assert ("950", "Thị xã Vĩnh Châu") in districts and not {c for c, _ in districts} & {c for c, _ in communes}
    assert province_units("Sóc Trăng", "district", legacy=True) != districts  # one legacy province of three
    assert province_units("Atlantis", "commune", legacy=False) is None and province_units("", "commune", False) is None
    assert official_name("31795", 2026) == "Xã Vĩnh Hải" and official_name("950", 2022) == "Thị xã Vĩnh Châu"
    assert official_name("99999", 2026) == "" and official_name("", 2026) == ""
    assert name_key("  SỞ TÀI CHÍNH ") == name_key("Sở Tài chính") == "dept:so tai chinh"


def _package_units(legacy: bool) -> dict[str, set[tuple[str, str]]]:
    """The units of an era straight from the package's database, by level: (code, name)."""
    import sqlite3

    from cchc_tools.units import _package_data

    with sqlite3.connect(f"file:{_package_data() / 'dataset.db'}?mode=ro", uri=True) as con:
        if legacy:
            rows = con.execute("SELECT provinceCode, province, districtCode, district, wardCode, ward "
                               "FROM admin_units_legacy").fetchall()
        else:
            rows = [(pc, p, None, None, wc, w) for pc, p, wc, w in
                    con.execute("SELECT provinceCode, province, wardCode, ward FROM admin_units").fetchall()]
    out: dict[str, set[tuple[str, str]]] = {"province": set(), "district": set(), "commune": set()}
    for pc, p, dc, d, wc, w in rows:
        out["province"].add((pc, p))
        if dc:
            out["district"].add((dc, d))
        if wc:
            out["commune"].add((wc, w))
    return out


@pytest.mark.parametrize("legacy", [True, False])
def test_the_index_holds_every_unit_of_the_package_as_its_database_says(legacy):
    from cchc_tools.units import _data

    era = _data().legacy if legacy else _data().current
    for level, expected in _package_units(legacy).items():
        got = {(c, u.name) for c, u in era.units.items() if u.level == level}
        assert got == expected, level
    assert era.provinces == {c for c, u in era.units.items() if u.level == "province"}
    assert all(c in era.codes(u.key) for c, u in era.units.items())  # every unit found by its folded short name
    assert era.codes("no-such-key") == []


def test_the_index_copy_is_written_whole_read_back_and_built_again_when_damaged(tmp_path, monkeypatch):
    import sqlite3

    from cchc_tools import units

    built = units._build()
    name = units._index_key()[1]
    copy = tmp_path / name

    def tables() -> dict[str, list[tuple]]:
        with sqlite3.connect(copy) as con:
            return {t: sorted(con.execute(f"SELECT * FROM {t}")) for t in built}

    units._read_or_build(tmp_path, name)
    assert tables() == {t: sorted(rows) for t, rows in built.items()}
    assert [p.name for p in tmp_path.iterdir()] == [name]
    monkeypatch.setattr(units, "_build", lambda: pytest.fail("a sound copy is read, not built again"))
    data = units._read_or_build(tmp_path, name)
    assert data.legacy.units["950"].name == "Thị xã Vĩnh Châu" and data.successors("31795") == ["31795"]
    assert data.district_of("31795") == "950" and "31795" in data.wards_of("950")
    assert "31795" in data.predecessors("31795") and data.province_successor["94"] == "92"
    monkeypatch.undo()
    sound = copy.read_bytes()
    with sqlite3.connect(tmp_path / "other.sqlite") as con:  # a database of another layout
        con.execute("CREATE TABLE meta (schema INTEGER, name TEXT)")
        con.execute("INSERT INTO meta VALUES (2, ?)", (name,))
    other = (tmp_path / "other.sqlite").read_bytes()
    (tmp_path / "other.sqlite").unlink()
    for damaged in (sound[:1000], b"not a database" * 100, b"", other):
        copy.write_bytes(damaged)
        data = units._read_or_build(tmp_path, name)
        assert data.current.units["31795"].name == "Xã Vĩnh Hải"
        assert tables() == {t: sorted(rows) for t, rows in built.items()}  # written again, whole
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_the_index_is_kept_in_memory_when_its_folder_cannot_be_written(tmp_path, monkeypatch):
    from cchc_tools import atomic, units

    def refuse(target):
        raise OSError("read-only")

    monkeypatch.setattr(atomic, "atomic_path", refuse)
    data = units._read_or_build(tmp_path / "ro", units._index_key()[1])
    assert data.legacy.units["950"].name == "Thị xã Vĩnh Châu" and len(data.current.units) > 3000
    assert not (tmp_path / "ro").exists()


def test_the_index_key_follows_the_package_version_and_its_files(tmp_path, monkeypatch):
    import shutil
    from importlib.metadata import version

    from cchc_tools import units

    folder = units._package_data()
    assert units._package_version(folder.parent) == version("vietnamadminunits")
    assert units._index_key()[1].startswith(f"units-{version('vietnamadminunits')}-{units._INDEX_SCHEMA}-")
    data = tmp_path / "vietnamadminunits" / "data"
    data.mkdir(parents=True)
    for name in units._SOURCES:
        shutil.copy2(folder / name, data / name)
    monkeypatch.setattr(units, "_package_data", lambda: data)
    before = units._index_key.__wrapped__()
    with open(data / "converter_2025.json", "a", encoding="utf-8") as f:
        f.write("\n")  # the package's data changed: another copy
    assert units._index_key.__wrapped__()[1] != before[1]


def test_distinct_slugs_of_a_table_and_of_the_loaders_columns_agree():
    import pandas as pd

    from cchc_tools.units import distinct_slug_list, distinct_slugs

    units = ["chau-thanh", "chau-thanh", "vinh-chau", "vinh-chau", "x", "chau-thanh", "chau-thanh"]
    codes = ["933", "942", "950", "31783", "", "933", ""]
    years = [2022, 2022, 2022, 2026, None, 2023, 2022]
    periods = ["annual", "Q1", None, "Q1", None, "annual", "annual"]
    expected = ["chau-thanh-933", "chau-thanh-942", "vinh-chau", "vinh-chau", "x", "chau-thanh-933", "chau-thanh"]
    assert distinct_slug_list(units, codes, years, periods) == expected
    table = pd.DataFrame({"unit": units, "unit_code": codes, "period": periods,
                          "year": pd.array(years, dtype="Int64")})
    assert distinct_slugs(table)["unit"].tolist() == expected
    alone = [0, 2, 3, 4]  # one Châu Thành: no clash, nothing renamed
    picked = [[col[i] for i in alone] for col in (units, codes, years, periods)]
    assert distinct_slug_list(*picked) == picked[0] == distinct_slugs(table.iloc[alone])["unit"].tolist()
