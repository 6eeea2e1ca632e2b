"""The second case, from scenario files alone: it validates, runs, compares, charts,
reports and serves like the IRS case, and its what-ifs move what they should."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowsim import cli

CASE = Path(__file__).parents[1] / "scenarios" / "medicaid"
FILES = [CASE / f"{n}.toml" for n in ("baseline", "nationwide_injunction", "no_injunction",
                                      "never_lifted")]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("medicaid") / "cmp"
    assert cli.main(["compare", *map(str, FILES), "-n", "30", "--out", str(out), "-q"]) == 0
    return out


def row(out: Path, scenario: str, metric: str) -> pd.Series:
    t = pd.read_csv(out / "comparison.csv")
    return t[(t["scenario"] == scenario) & (t["metric"] == metric)].iloc[0]


def test_every_file_validates(capsys):
    assert cli.main(["validate", *map(str, FILES)]) == 0
    assert capsys.readouterr().out.count(": ok") == 4


def test_no_injunction_leaves_everything_usable(compared):
    r = row(compared, "no_injunction", "use_barred_at_horizon")
    assert r["mean"] == 0
    usable = row(compared, "no_injunction", "usable_at_horizon")
    assert usable["mean"] == row(compared, "no_injunction", "transferred")["mean"]


def test_the_partial_lifting_allows_part_of_the_barred_dataset(compared):
    base = row(compared, "medicaid_baseline", "usable_at_horizon")
    never = row(compared, "never_lifted", "usable_at_horizon")
    assert never["diff_mean"] < 0 and never["diff_ci95_high"] < 0
    assert row(compared, "never_lifted", "blocked_injunction")["mean"] > 0
    assert base["mean"] > never["mean"]


def test_a_nationwide_injunction_cuts_the_days_the_data_could_be_viewed(compared):
    """Its bar covers ICE's view access, not the dataset sent before it: the record-days
    it cuts are of records ICE could only view, counted apart from those sent."""
    viewed = row(compared, "nationwide_injunction", "viewable_record_days")
    assert viewed["diff_mean"] < 0 and viewed["diff_ci95_high"] < 0
    assert row(compared, "nationwide_injunction", "usable_record_days")["diff_mean"] == 0


def test_the_view_access_is_counted_and_ends(compared):
    stats = pd.read_csv(compared / "medicaid_baseline" / "stats.csv").set_index("metric")
    assert stats.loc["accessed", "mean"] == 79_000_000
    assert stats.loc["viewed_access_ended_at_horizon", "mean"] == 79_000_000
    # What it could view is apart from what it was sent.
    sent = stats.loc[["usable_at_horizon", "use_barred_at_horizon", "disposed_at_horizon"], "mean"]
    assert sent.sum() == pytest.approx(stats.loc["transferred", "mean"])


@pytest.mark.slow
def test_it_charts_and_reports(compared, tmp_path):
    assert (compared / "after_disclosure.png").stat().st_size > 10_000
    assert cli.main(["report", str(compared), "-o", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Medicaid data, as it happened" in page and "record-days usable" in page
    assert "reproduce the record" not in page  # the IRS record is not this case's
    assert "medicaid-2025-08-12" in page  # its citations link to the record's rows
