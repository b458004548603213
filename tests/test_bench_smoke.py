"""A tiny run of every benchmark, so the suite cannot rot. No timing is asserted: machines are noisy."""

from __future__ import annotations

import json
import shutil

import pytest

from benchmarks.run import main


@pytest.mark.slow
def test_benchmark_suite_runs_and_reports(tmp_path, capsys):
    out = tmp_path / "latest.json"
    assert main(["--smoke", "--out", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["smoke"] is True and report["machine"]["cores"] >= 1
    by_name = {r["name"]: r for r in report["results"]}
    pdf = {"ingest_pdf"} if shutil.which("soffice") else set()  # the PDFs are printed by LibreOffice
    assert set(by_name) == {"ingest_txt", "ingest_txt_real", "ingest_xlsx", "briefing", "batch_html",
                            "batch_all_formats", "incremental", "incremental_cycle", "explorer_redraw",
                            "workspace_open"} | pdf
    for r in by_name.values():
        assert r["kit_s"] > 0 and r["baseline_s"] > 0 and r["ratio"] == r["kit_s"] / r["baseline_s"]
    assert by_name["ingest_txt"]["files"] == 20 and by_name["batch_html"]["briefings"] == 2
    for name in ("ingest_txt", "ingest_txt_real"):  # CPU seconds beside the wall time (a loaded machine)
        r = by_name[name]
        assert r["kit_cpu_s"] > 0 and r["cpu_ratio"] == r["kit_cpu_s"] / r["baseline_cpu_s"]
        assert 0 < r["load_cpu_s"] < r["kit_cpu_s"]  # loading alone: the kit's CPU less validate's
    assert by_name["batch_html"]["runs"][0]["peak_total_mb"] > 0
    # one changed file of two units: its briefing, the year's comparison, its trend and the index
    assert len(by_name["incremental"]["outputs_rewritten"]) == 4, by_name["incremental"]["rewritten"]
    assert len(by_name["incremental"]["rebuilt"]) == 3
    cycle = by_name["incremental_cycle"]  # the cycle's letter of the changed unit only (or none: no letter due)
    assert cycle["cycles"] and not cycle["other_units_letters_rewritten"], cycle["letters_rewritten"]
    assert by_name["batch_html"]["runs"][0]["summaries"] == 2
    explorer, workspace = by_name["explorer_redraw"], by_name["workspace_open"]
    assert explorer["units"] == 4 and explorer["changes"] == len(explorer["runs_cpu_s"]) > 10
    assert explorer["max_s"] >= explorer["kit_s"] and explorer["peak_mb"] > 0
    assert workspace["units"] == 3 and workspace["reports"] == 12 and workspace["periods"] == ["Q1", "Q2", "Q3", "Q4"]
    assert workspace["peak_mb"] > 0 and workspace["cold_s"] > 0 and workspace["rows"] > 12 * 100
    table = capsys.readouterr().out
    assert "goal" in table and "ingest_txt" in table
