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


def panels(comparison) -> list[dict]:
    """The disclosures chart's panels, one per scenario, as its definition holds them."""
    return charts.comparison_figures(comparison.results, comparison.table)["disclosures"].spec["concat"]


def layer_values(panel: dict, mark: str) -> list[dict]:
    """The rows a panel draws with `mark` from data of its own."""
    return [row for layer in panel["layer"] if layer["mark"]["type"] == mark
            and "data" in layer for row in layer["data"]["values"]]


def test_each_panel_has_its_scenarios_title_and_own_rules(comparison):
    shown = panels(comparison)
    assert [p["title"]["text"] for p in shown] == [
        ["As it happened"], ["72-hour notice from the MOU"], ["No injunction; ICE keeps asking"]]
    labels = [[r["label"] for r in layer_values(p, "text")] for p in shown]
    assert "72 h notice 7 Apr" in labels[1]
    assert not any("72 h" in label for label in labels[0])
    assert not any("injunction" in label for label in labels[2])  # it has none
    notice = [r for r in layer_values(shown[1], "rule") if r["label"].startswith("72 h")]
    assert [r["line"] for r in notice] == [":"]  # a notice rule is dotted, an order solid


def test_each_panel_fits_its_own_horizon_and_quantity(comparison):
    base, _, long = panels(comparison)

    def x_end(p):
        return p["data"]["values"][-1]["date"]  # the horizon's last day: the axis's end

    def y_top(p):
        return p["layer"][0]["encoding"]["y"]["scale"]["domain"][1]

    assert x_end(base) < x_end(long)  # only the long scenario runs to 2027
    assert y_top(base) < y_top(long) / 2


def test_the_mean_is_drawn_and_the_share_said_where_all_or_nothing(comparison):
    notice = panels(comparison)[1]
    fold = notice["layer"][1]["transform"][0]["fold"]
    assert "mean" in fold and "median history" in fold
    k = int((comparison.results[1].metrics["transferred"] > 0).sum())
    assert f"disclosure in {k} of 20 histories" in notice["title"]["subtitle"]


def test_the_record_is_marked_on_the_baseline_only(comparison):
    marked = [[r["label"] for r in layer_values(p, "point")] for p in panels(comparison)]
    assert marked == [["record: 47,289 on 2025-08-07"], [], []]


def test_panels_set_side_by_side_share_one_legend_of_every_line(comparison):
    """The baseline's median is grey and dotted in every panel that draws it."""
    scales = [p["layer"][1]["encoding"]["color"]["scale"] for p in panels(comparison)]
    assert all(s == scales[0] for s in scales)
    assert dict(zip(scales[0]["domain"], scales[0]["range"]))["median of the baseline"] == "#777777"


def test_the_files_and_the_report_draw_the_pages_definition(comparison):
    """The file's panel and the page's are one definition: the same data and layers, in
    type sizes of their own."""
    from flowsim.outputs.charts.vega import disclosures_spec

    base, notice = comparison.results[0], comparison.results[1]
    page = disclosures_spec(notice, base)
    page_panel = page["vconcat"][0] if "vconcat" in page else page
    file_panel = panels(comparison)[1]
    assert page_panel["data"] == file_panel["data"]
    assert [layer["mark"]["type"] for layer in page_panel["layer"]] == \
        [layer["mark"]["type"] for layer in file_panel["layer"]]
    assert [layer.get("data") for layer in page_panel["layer"]] == \
        [layer.get("data") for layer in file_panel["layer"]]


def test_a_chart_defined_in_vega_lite_draws_the_same_bytes_twice(comparison):
    fig = charts.comparison_figures(comparison.results, comparison.table)["disclosures"]
    svg = fig.svg()
    assert svg.startswith("<svg") and "72-hour notice from the MOU" in svg
    assert svg == fig.svg()
    assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n" and fig.png() == fig.png()


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
        shown = charts.run_figures(result)["disclosures"].spec["concat"][0]["title"]["text"]
        assert " ".join(shown).startswith(title[:20].strip())
        assert len(shown) <= charts.MAX_TITLE_LINES
        assert shown[-1].endswith("…") == (len(title) > 200)


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
    assert spec["vconcat"][0]["title"]["text"] == [run.scenario.scenario.title]


def test_a_page_computes_the_daily_rows_of_its_charts_states_as_the_files_do():
    import flowsim
    from flowsim.outputs.charts.vega import DISCLOSURES_STATES

    run = flowsim.run(flowsim.load(SCENARIOS / "notice_72h.toml"), replications=12)
    alone = run.daily_stats_of(DISCLOSURES_STATES)
    whole = run.daily_stats
    pd.testing.assert_frame_equal(
        alone.reset_index(drop=True),
        whole[whole["state"].isin(DISCLOSURES_STATES)].reset_index(drop=True))
    assert set(alone["state"]) == set(DISCLOSURES_STATES)


def test_a_day_is_kept_when_its_rounded_numbers_change_and_the_last_day_always():
    from flowsim.outputs.charts.vega import changes_only

    dates = ["d0", "d1", "d2", "d3", "d4", "d5"]
    rows = changes_only(dates, {"a": [1.0, 1.0, 1.001, 2.0, float("nan"), float("nan")],
                                "b": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]})
    # d2 differs by less than the rounding (2 places): drawn, it is d1's step.
    assert rows == [{"date": "d0", "a": 1.0, "b": 0.0}, {"date": "d3", "a": 2.0, "b": 0.0},
                    {"date": "d4", "a": None, "b": 0.0}, {"date": "d5", "a": None, "b": 0.0}]
