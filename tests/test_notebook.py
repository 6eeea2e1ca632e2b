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
