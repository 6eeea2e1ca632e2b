"""flowsim from Python and Jupyter: what a notebook finds, shows and draws."""

from __future__ import annotations

import os

import flowsim


def test_tab_completion_offers_run_compare_and_explore():
    assert {"run", "compare", "explore", "load", "scenarios", "plot"} <= set(dir(flowsim))


def test_the_shipped_scenarios_are_found_from_any_folder(tmp_path):
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        files = flowsim.scenarios()
        medicaid = flowsim.scenarios("medicaid")
    finally:
        os.chdir(here)
    assert files[0].stem == "baseline" and "notice_72h" in {p.stem for p in files}
    assert medicaid[0].stem == "baseline" and len(medicaid) >= 4


def test_a_result_shows_itself_as_a_table_with_units():
    from helpers import scenario

    html = flowsim.run(scenario(), replications=3)._repr_html_()
    assert html.startswith("<p><strong>") and "<table" in html
    assert "<td>transferred</td>" in html and "<td>records</td>" in html


def test_a_comparison_shows_each_headline_beside_the_baseline():
    files = {p.stem: p for p in flowsim.scenarios()}
    c = flowsim.compare(flowsim.load(files["baseline"]), [flowsim.load(files["dmass_stayed"])],
                        replications=3)
    html = c._repr_html_()
    assert "<td>dmass_stayed</td>" in html and "<td>usable_at_horizon</td>" in html


def test_plot_draws_the_files_charts_without_writing_any(tmp_path):
    from helpers import scenario

    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        figures = flowsim.plot(flowsim.run(scenario(), replications=3))
    finally:
        os.chdir(here)
    assert {"disclosures", "outcomes"} <= set(figures)
    assert list(tmp_path.iterdir()) == []


def test_tables_are_the_files_own_with_units_and_dates(tmp_path):
    """`flowsim.tables` gives what `flowsim run` writes: the same stats.csv, cell for cell."""
    from flowsim import cli

    files = {p.stem: p for p in flowsim.scenarios()}
    loaded = flowsim.load(files["baseline"])
    stats = flowsim.tables(flowsim.run(loaded, replications=4))["stats"]
    assert {"unit", "mean_date", "p50_date"} <= set(stats.columns)
    assert cli.main(["run", str(files["baseline"]), "-n", "4", "--no-charts", "-q",
                     "--out", str(tmp_path / "out")]) == 0
    again = stats.to_csv(index=False, lineterminator="\n", float_format="%.15g")
    assert again == (tmp_path / "out" / "stats.csv").read_text(encoding="utf-8")


def test_a_comparisons_table_is_comparison_csv():
    files = {p.stem: p for p in flowsim.scenarios()}
    c = flowsim.compare(flowsim.load(files["baseline"]), [flowsim.load(files["notice_72h"])],
                        replications=3)
    table = flowsim.tables(c)["comparison"]
    assert table.loc[table["metric"] == "transferred", "unit"].tolist() == ["records"] * 2
    assert table.loc[table["metric"] == "first_transfer_days", "mean_date"].str.match(
        r"\d{4}-\d{2}-\d{2}").all()
