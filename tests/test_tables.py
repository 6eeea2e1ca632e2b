"""The files a spreadsheet user opens: rounded numbers, dates beside days, the share of
histories with a disclosure, honest replication counts, daily statistics, the workbook
and the data dictionary."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowsim
from flowsim.experiments.compare import compare
from flowsim.experiments.stats import wilson_interval
from flowsim.outputs.tables import DECIMALS, DICTIONARY
from flowsim.outputs.writers import write_comparison, write_results

SCENARIOS = Path(__file__).parents[1] / "scenarios"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("tables") / "cmp"
    loaded = [flowsim.load(SCENARIOS / f"{n}.toml")
              for n in ("baseline", "notice_72h", "injunction_may12")]
    comparison = compare(loaded[0], loaded[1:], replications=40)
    write_comparison(comparison, out, loaded=loaded)
    return comparison, out


def test_wilson_interval_by_hand():
    # p = 1/2, n = 10, z = 1.96: centre 0.5, half-width 0.2634 (Wilson 1927).
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    # At 0 of 10 the normal interval collapses to a point; Wilson's does not.
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((1 - 0.2775, 1.0), abs=1e-4)


def test_share_with_a_disclosure_is_the_histories_that_disclosed(compared):
    comparison, out = compared
    for result in comparison.results:
        stats = pd.read_csv(out / result.name / "stats.csv").set_index("metric")
        share = stats.loc["any_transferred"]
        disclosed = int((result.metrics["transferred"] > 0).sum())
        assert share["mean"] == round(disclosed / result.replications, 4)
        low, high = wilson_interval(disclosed, result.replications)
        assert (share["ci95_low"], share["ci95_high"]) == (round(low, 4), round(high, 4))
    blocked = pd.read_csv(out / "injunction_may12" / "stats.csv").set_index("metric")
    assert blocked.loc["any_transferred", "mean"] == 0 and blocked.loc["any_transferred",
                                                                       "ci95_high"] > 0


def test_numbers_are_rounded_to_what_they_mean(compared):
    assert (DECIMALS["records"], DECIMALS["days"], DECIMALS["share"]) == (0, 2, 4)
    _, out = compared
    text = (out / "notice_72h" / "stats.csv").read_text()
    for line in text.splitlines()[1:]:
        cells = line.split(",")
        unit, numbers = cells[2], cells[3:10]
        places = DECIMALS[unit]
        for cell in filter(None, numbers):
            decimals = len(cell.partition(".")[2])
            assert decimals <= places, (line, cell)
    assert not re.search(r"\d\.\d{5,}", (out / "comparison.csv").read_text())


def test_dates_stand_beside_the_day_counts(compared):
    comparison, out = compared
    stats = pd.read_csv(out / "baseline" / "stats.csv", keep_default_na=False).set_index("metric")
    start = comparison.baseline.scenario.scenario.start
    first = stats.loc["first_transfer_days"]
    assert first["p50_date"] == f"{start + dt.timedelta(days=float(first['p50'])):%Y-%m-%d}"
    assert stats.loc["transferred", "p50_date"] == ""


def test_time_metrics_say_how_many_replications_they_rest_on(compared):
    comparison, out = compared
    table = pd.read_csv(out / "comparison.csv").set_index(["scenario", "metric"])
    notice = comparison.results[1]
    disclosed = int((notice.metrics["transferred"] > 0).sum())
    assert 0 < disclosed < notice.replications  # all-or-nothing: the case that matters
    row = table.loc[("notice_72h", "first_transfer_days")]
    assert row["replications"] == disclosed and row["diff_replications"] == disclosed
    assert table.loc[("notice_72h", "transferred"), "replications"] == notice.replications
    assert table.loc[("injunction_may12", "first_transfer_days"), "replications"] == 0


def test_daily_stats_hold_each_state_per_day(compared):
    comparison, out = compared
    base = comparison.baseline
    daily = pd.read_csv(out / "baseline" / "daily_stats.csv")
    assert len(daily) == base.plan.days * len(set(daily["state"]))
    last = daily[daily["state"] == "transferred"].iloc[-1]
    values = base.metrics["transferred"]
    assert last["mean"] == round(values.mean())
    assert last["p50"] == round(float(np.percentile(values, 50)))
    assert daily["date"].iloc[0] == f"{base.scenario.scenario.start:%Y-%m-%d}"


def test_the_workbook_holds_the_numbers_of_the_csv_files(tmp_path):
    import openpyxl

    loaded = flowsim.load(SCENARIOS / "baseline.toml")
    out = tmp_path
    write_results(flowsim.run(loaded, replications=20), out / "baseline", loaded=loaded)
    book = openpyxl.load_workbook(out / "baseline" / "results.xlsx")
    assert book.sheetnames == ["headline", "stats", "daily statistics", "filing seasons",
                               "what this assumes", "assumptions",
                               "dictionary"]
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames[1:])
    assumed = {row[0].value for row in book["what this assumes"].iter_rows(min_row=2)}
    assert {"review.days", "matching.records_per_day"} <= assumed
    assert "matching.tin_rate" not in assumed  # fitted to the record, not assumed
    daily = book["daily statistics"]
    assert isinstance(daily["A2"].value, dt.datetime)  # a real date, not text
    written = pd.read_excel(out / "baseline" / "results.xlsx", sheet_name="stats")
    expected = pd.read_csv(out / "baseline" / "stats.csv")
    numbers = expected.select_dtypes("number").columns
    assert list(written.columns) == list(expected.columns)
    np.testing.assert_array_equal(written[numbers].to_numpy(dtype=float),
                                  expected[numbers].to_numpy(dtype=float))
    # The daily sheet is daily_stats.csv one row per date, without the states at zero.
    wide = pd.read_excel(out / "baseline" / "results.xlsx", sheet_name="daily statistics")
    daily = pd.read_csv(out / "baseline" / "daily_stats.csv")
    for state, rows in daily.groupby("state"):
        if rows["p95"].max() == 0:
            assert f"{state} mean" not in wide.columns
            continue
        for stat in ("mean", "p05", "p50", "p95"):
            np.testing.assert_array_equal(wide[f"{state} {stat}"].to_numpy(dtype=float),
                                          rows[stat].to_numpy(dtype=float))
    assert len(wide) == daily["date"].nunique()
    headline = [c.value for row in book["headline"].iter_rows() for c in row if c.value]
    assert any("every history" in str(v) for v in headline)
    # Its table says where every requested record ended: each end state, summing to the
    # records requested.
    from flowsim.model.outcomes import LABELS, STATES

    means = {row[0].value: row[1].value for row in book["headline"].iter_rows()
             if len(row) > 1 and row[0].value in LABELS.values()}
    from flowsim.experiments.run import FILING_METRICS

    # ... and beside them, the other side of the trade-off, with what it rests on.
    assert set(means) == {LABELS[s] for s in ("requested", *STATES, *FILING_METRICS)}
    assert sum(means[LABELS[s]] for s in STATES) == pytest.approx(
        means[LABELS["requested"]], abs=len(STATES))
    assert means[LABELS["revenue_not_paid"]] == pytest.approx(
        means[LABELS["income_tax_not_paid"]] + means[LABELS["payroll_tax_not_paid"]], abs=2)
    assert any("rest on assumptions" in str(v) for v in headline)


def test_the_compare_workbook_holds_comparison_csv(compared):
    _, out = compared
    written = pd.read_excel(out / "results.xlsx", sheet_name="comparison")
    expected = pd.read_csv(out / "comparison.csv")
    numbers = expected.select_dtypes("number").columns
    np.testing.assert_array_equal(written[numbers].to_numpy(dtype=float),
                                  expected[numbers].to_numpy(dtype=float))


def test_the_dictionary_names_every_column_written(compared, tmp_path):
    _, out = compared
    result = flowsim.run(flowsim.load(SCENARIOS / "baseline.toml"), replications=2)
    write_results(result, tmp_path / "run", daily="per-replication")
    described = {(c.table, c.name) for c in DICTIONARY}
    for folder, names in ((out, ("comparison.csv",)),
                          (out / "baseline", ("summary.csv", "stats.csv", "daily_stats.csv",
                                              "events.csv")),
                          (tmp_path / "run", ("daily.csv",))):
        for name in names:
            header = (folder / name).read_text().splitlines()[0].split(",")
            missing = [c for c in header if (name, c) not in described and c != "scenario"]
            assert missing == [], (name, missing)


def test_plain_sentences_tell_the_all_or_nothing_story(compared):
    from flowsim.outputs.text import scenario_sentence

    comparison, _ = compared
    base, notice, blocked = comparison.results
    k = int((notice.metrics["transferred"] > 0).sum())
    words = scenario_sentence(notice, comparison.table, base)
    assert f"in {k} of {notice.replications} histories" in words
    assert "72-hour notice from the MOU" in words and "As it happened" in words
    assert "no history discloses" in scenario_sentence(blocked, comparison.table, base)
    assert "every history" in scenario_sentence(base)
    assert math.isfinite(comparison.row("notice_72h", "first_transfer_days")["diff_mean"])
