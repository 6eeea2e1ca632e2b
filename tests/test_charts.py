"""Charts that cannot mislead: titles people read, each scenario's own rules, the mean
beside the median, the record on the baseline, axes that fit, and a sweep's chart."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flowsim
from flowsim import cli
from flowsim.experiments.compare import compare
from flowsim.outputs import charts

SCENARIOS = Path(__file__).parents[1] / "scenarios"


@pytest.fixture(scope="module")
def comparison():
    loaded = [flowsim.load(SCENARIOS / f"{n}.toml")
              for n in ("baseline", "notice_72h", "no_injunction_resubmit")]
    return compare(loaded[0], loaded[1:], replications=20)


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_each_panel_has_its_scenarios_title_and_own_rules(comparison):
    fig = charts.comparison_figures(comparison.results, comparison.table)["disclosures"]
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in axes] == [
        "As it happened", "72-hour notice from the MOU", "No injunction; ICE keeps asking"]
    assert any("72 h notice 7 Apr" in t for t in texts(axes[1]))
    assert not any("72 h" in t for t in texts(axes[0]))
    assert not any("injunction" in t for t in texts(axes[2]))  # it has none


def test_each_panel_fits_its_own_horizon_and_quantity(comparison):
    fig = charts.comparison_figures(comparison.results, comparison.table)["disclosures"]
    base, _, long = [ax for ax in fig.axes if ax.get_visible()]
    assert base.get_xlim()[1] < long.get_xlim()[1]  # only the long scenario runs to 2027
    assert base.get_ylim()[1] < long.get_ylim()[1] / 2


def test_the_mean_is_drawn_and_the_share_said_where_all_or_nothing(comparison):
    fig = charts.comparison_figures(comparison.results, comparison.table)["disclosures"]
    notice = [ax for ax in fig.axes if ax.get_visible()][1]
    labels = [line.get_label() for line in notice.get_lines()]
    assert "mean" in labels and "median history" in labels
    k = int((comparison.results[1].metrics["transferred"] > 0).sum())
    assert f"disclosure in {k} of 20 histories" in texts(notice)


def test_the_record_is_marked_on_the_baseline_only(comparison):
    fig = charts.comparison_figures(comparison.results, comparison.table)["disclosures"]
    axes = [ax for ax in fig.axes if ax.get_visible()]
    marked = [any(line.get_label().startswith("record: 47,289") for line in ax.get_lines())
              for ax in axes]
    assert marked == [True, False, False]


def test_outcomes_set_rejected_records_aside_as_numbers(comparison):
    fig = charts.comparison_figures(comparison.results, comparison.table)["outcomes"]
    ax = fig.axes[0]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "rejected by IRS review" not in legend and "disclosed to ICE" in legend
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0].startswith("As it happened") and "14.9 M rejected by IRS review" in ticks[0]


def test_comparison_labels_sit_past_their_interval(comparison):
    fig = charts.comparison_figure(comparison.table, {r.name: charts.title_of(r)
                                                      for r in comparison.results})
    ax = fig.axes[0]
    rows = comparison.table[(comparison.table["metric"] == "transferred")
                            & (comparison.table["scenario"] != "baseline")]
    for note, (_, row) in zip(ax.texts, rows.iterrows()):
        end = row["diff_ci95_high"] if row["diff_mean"] >= 0 else row["diff_ci95_low"]
        assert note.xy[0] == pytest.approx(end)


def test_a_sobol_tornado_stays_on_its_share_axis():
    indices = pd.DataFrame({"metric": ["transferred"] * 2, "parameter": ["a", "b"],
                            "low": [0, 0], "high": [1, 1], "ST": [0.9, 0.1],
                            "ST_conf": [0.5, 0.3], "S1": [0.8, 0.05]})
    ax = charts.tornado_figure(indices, "sobol").axes[0]
    assert ax.get_xlim() == (0, 1)
    bar = next(c for c in ax.containers if hasattr(c, "lines") and c.lines[2])
    for segment in bar.lines[2][0].get_segments():
        assert 0 <= min(x for x, _ in segment) and max(x for x, _ in segment) <= 1


def test_a_sweep_folder_is_charted_and_reported(tmp_path, capsys):
    out = tmp_path / "sw"
    assert cli.main(["sweep", str(SCENARIOS / "notice_72h.toml"), "--vary",
                     "notice.0.hours=24,72", "--vary", "notice.0.grant=0.2,0.8", "-n", "6",
                     "--out", str(out), "-q"]) == 0
    assert (out / "sweep.png").stat().st_size > 1000
    (out / "sweep.png").unlink()
    assert cli.main(["charts", str(out)]) == 0 and (out / "sweep.png").exists()
    assert cli.main(["report", str(out), "-o", str(tmp_path / "s.html")]) == 0
    page = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert "a sweep over notice.0.hours, notice.0.grant" in page
    assert page.count("data:image/png;base64,") == 1


HOSTILE_TITLES = ["Costs $x^{$", "$" * 7, "a \\frac{1}{0} $\\alpha$ " + "long " * 20_000]


@pytest.mark.slow
def test_every_chart_draws_a_title_as_text(tmp_path, capsys):
    """A user's title (and its "$") is text in every chart a run, a compare, a sweep and
    the report draw; a very long one is cut short with an ellipsis."""
    what_ifs = []
    for n, title in enumerate(HOSTILE_TITLES):
        what_ifs.append(tmp_path / f"hostile{n}.toml")
        quoted = title.replace("\\", "\\\\")
        what_ifs[-1].write_text(f'extends = "{SCENARIOS / "notice_72h.toml"}"\n[scenario]\n'
                                f'name = "hostile{n}"\ntitle = "{quoted}"\n', encoding="utf-8")
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(SCENARIOS / "baseline.toml"), *map(str, what_ifs),
                     "-n", "4", "--out", str(out), "-q"]) == 0
    assert cli.main(["sweep", str(what_ifs[0]), "--vary", "notice.0.hours=24,72", "-n", "3",
                     "--out", str(tmp_path / "sw"), "-q"]) == 0
    assert cli.main(["report", str(out), "-o", str(tmp_path / "r.html")]) == 0
    assert cli.main(["charts", str(out), str(tmp_path / "sw")]) == 0
    capsys.readouterr()
    for path, title in zip(what_ifs, HOSTILE_TITLES):
        result = flowsim.run(flowsim.load(path), replications=3)
        shown = charts.run_figures(result)["disclosures"].axes[0].get_title(loc="left")
        assert shown.replace("\n", " ").startswith(title[:20].strip())
        assert shown.count("\n") < charts.MAX_TITLE_LINES
        assert shown.endswith("…") == (len(title) > 200)


def test_the_page_charts_one_definition_whose_steps_are_every_days_numbers():
    """The Vega-Lite chart keeps only the days a value changes; read as steps, its rows
    give the run's daily statistics on every day."""
    import numpy as np

    import flowsim
    from flowsim.outputs.charts.vega import SERIES, disclosures_spec

    run = flowsim.run(flowsim.load(SCENARIOS / "notice_72h.toml"), replications=10)
    base = flowsim.run(flowsim.load(SCENARIOS / "baseline.toml"), replications=10)
    spec = disclosures_spec(run, base)
    rows = spec["vconcat"][0]["data"]["values"]
    daily = run.daily_stats[run.daily_stats["state"] == "transferred"]
    kept = [r["date"] for r in rows]
    steps = np.searchsorted(np.array(kept), daily["date"].to_numpy(dtype=str), side="right") - 1
    assert (steps >= 0).all() and len(rows) < len(daily) / 10
    for column, field in (("p50", SERIES["p50"]), ("mean", SERIES["mean"]), ("p95", "p95")):
        drawn = np.array([rows[i][field] for i in steps])
        np.testing.assert_allclose(drawn, daily[column].round(2).to_numpy())
    assert spec["vconcat"][0]["title"]["text"] == run.scenario.scenario.title
