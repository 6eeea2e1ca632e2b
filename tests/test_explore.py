"""Every answer with every uncertainty that drives it: assumptions, exploration, verdicts
and the conditions under which an answer holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowsim
from flowsim import cli
from flowsim.experiments.discovery import box
from flowsim.experiments.explore import explore, keys_of, load_assumptions, verdict

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "scenarios"
ASSUMPTIONS = ROOT / "calibration" / "assumptions.toml"
LIBRARY = sorted(SCENARIOS.glob("*.toml"))


def judged(diffs, headline, zero=1.0):
    diffs = np.asarray(diffs, dtype=float)
    sets = pd.DataFrame({"kept": True, "layer": "explored", "x": np.arange(len(diffs))})
    return verdict("s", "transferred", headline, 0.0, diffs, sets, ["x"], zero)


def test_an_answer_whose_sign_changes_is_never_settled():
    assert judged([-100, -90, 5, -110], -100)["verdict"] == "depends"


def test_zero_against_a_difference_is_a_change_of_sign():
    """A difference under the zero threshold counts as none: against a headline of -100,
    a set giving 0.5 says the rule did nothing there."""
    assert judged([-100, 0.5, -95], -100)["verdict"] == "depends"


def test_the_size_within_a_quarter_is_settled_and_beyond_it_is_direction():
    assert judged([-100, -80, -124], -100)["verdict"] == "settled"
    assert judged([-100, -60, -130], -100)["verdict"] == "direction"


def test_no_difference_anywhere_is_settled_at_zero():
    row = judged([0, 0.2, -0.3], 0.0)
    assert (row["verdict"], row["low"] <= 0 <= row["high"]) == ("settled", True)


def test_sets_where_the_baseline_missed_a_target_do_not_count():
    diffs = np.array([-100.0, 50.0, -95.0])
    sets = pd.DataFrame({"kept": [True, False, True], "layer": "explored", "x": [0, 1, 2]})
    assert verdict("s", "transferred", -100, 0, diffs, sets, ["x"], 1)["verdict"] == "settled"


def test_the_box_finds_the_two_conditions_that_make_an_answer_hold():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (400, 3)) * [1, 10, 1]
    holds = (x[:, 0] > 0.4) & (x[:, 1] <= 2.0)
    found = box(x, ["grant", "ruling_days", "noise"], holds)
    named = {(name, above) for name, above, _ in found.conditions}
    assert named == {("grant", True), ("ruling_days", False)}
    assert found.coverage >= 0.8 and found.density >= 0.9


def test_one_condition_is_enough_when_it_alone_separates():
    x = np.linspace(0, 1, 100)[:, None] * np.ones((1, 2))
    x[:, 1] = np.random.default_rng(1).uniform(size=100)
    found = box(x, ["a", "b"], x[:, 0] > 0.55)
    assert [c[0] for c in found.conditions] == ["a"] and found.density == 1.0


def test_every_assumption_range_holds_the_library_s_own_reading():
    """An assumption's range holds every reading a shipped scenario makes of it, and a
    court's probabilities, on which the record says nothing, span 0 to 1."""
    for a in load_assumptions(ASSUMPTIONS):
        if a.key.endswith((".grant", ".relief")):
            assert (a.low, a.high) == (0, 1), a.key
        for path in LIBRARY:
            loaded = flowsim.load(path)
            for key in keys_of(loaded, a):
                value = flowsim.scenario.lookup(loaded.scenario.to_toml_dict(), key, source="")
                own = value if not isinstance(value, dict) else \
                    flowsim.scenario.distributions.parse(value).mean
                assert a.low <= own <= a.high, (a.key, path.name, own)


def test_an_assumption_applies_where_the_scenario_gives_the_value():
    """A court's grant is explored where a rule gives grant, its older relief where a rule
    gives relief: never both on one rule, which no scenario may say."""
    grant, relief = (next(a for a in load_assumptions(ASSUMPTIONS) if a.key == k)
                     for k in ("notice.*.grant", "notice.*.relief"))
    base, notice = (flowsim.load(SCENARIOS / f"{n}.toml") for n in ("baseline", "notice_from_mou"))
    assert (keys_of(base, grant), keys_of(base, relief)) == ([], ["notice.0.relief"])
    assert (keys_of(notice, grant), keys_of(notice, relief)) == (["notice.0.grant"], [])


@pytest.fixture(scope="module")
def explored():
    loaded = [flowsim.load(SCENARIOS / f"{n}.toml")
              for n in ("baseline", "notice_from_mou", "verified_address", "better_ice_data")]
    from flowsim.experiments.ensemble import read_members
    from flowsim.experiments.targets import load_targets

    return explore(loaded[0], loaded[1:], load_assumptions(ASSUMPTIONS),
                   read_members(ROOT / "calibration" / "ensemble.csv").head(8),
                   load_targets(ROOT / "calibration" / "targets.toml"), samples=24,
                   replications=20, headline_replications=40)


def test_a_court_answer_depends_on_the_court_and_says_when_it_holds(explored):
    v = explored.verdicts.set_index(["scenario", "metric"]).loc[("notice_from_mou", "transferred")]
    assert v["verdict"] == "depends" and v["low"] < v["headline"] < 0 <= v["high"] + 1
    assert "(notice.*." in v["condition"] and "only when" in v["condition"]
    assert v["depends_on"].startswith("notice.*.")
    assert "covers" in v["condition"] and "of sets inside it" in v["condition"]


def test_a_scenario_s_own_assumption_is_explored_for_it_alone(explored):
    """verified_address's range of surviving TIN-path matches widens its answer; applied to
    the baseline it would break the record, and no set is dropped."""
    v = explored.verdicts.set_index(["scenario", "metric"])
    assert explored.dropped == 0
    assert v.loc[("verified_address", "transferred"), "high"] > -30_000
    assert v.loc[("better_ice_data", "transferred"), "verdict"] == "settled"
    rows = explored.rows
    assert rows[rows["scenario"] == "better_ice_data"]["matching.tin_rate"].min() > 0.03


def explore_command(out, *extra):
    return ["explore", str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "notice_from_mou.toml"),
            str(SCENARIOS / "faster_matching.toml"), "--samples", "12", "-n", "4",
            "--headline-replications", "20", "--out", str(out), "-q", *extra]


def test_explore_writes_verdicts_a_workbook_sheet_and_a_report(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "e"
    assert cli.main(explore_command(out)) == 0
    verdicts = pd.read_csv(out / "verdicts.csv")
    assert {"headline", "mc_half_width", "ensemble_low", "ensemble_high", "low", "high", "min",
            "max", "share_same_sign", "verdict", "depends_on", "condition"} <= set(verdicts.columns)
    assert (out / "explore-notice_from_mou.svg").exists()
    assert not (out / "explore-faster_matching.svg").exists()  # settled: no chart
    assert "verdicts" in openpyxl.load_workbook(out / "results.xlsx").sheetnames
    assert cli.main(["report", str(out), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Over what the record leaves open: depends:" in html
    assert "over what the record leaves open (5–95%)" in html
    section = html[html.index('id="scenario-notice_from_mou"'):]
    box = section[section.index("<summary>What this assumes</summary>"):]
    box = box[:box.index("</details>")]
    assert "notice.0.grant" in box and "depends most on <code>" in box


def test_explore_gives_the_same_bytes_in_a_pool(tmp_path):
    assert cli.main(explore_command(tmp_path / "a", "--no-charts")) == 0
    assert cli.main(explore_command(tmp_path / "b", "--no-charts", "-j", "2")) == 0
    for name in ("verdicts.csv", "exploration.csv", "comparison.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.slow
def test_explore_gives_the_same_bytes_on_dask(tmp_path):
    pytest.importorskip("distributed")
    assert cli.main(explore_command(tmp_path / "a", "--no-charts")) == 0
    assert cli.main(explore_command(tmp_path / "d", "--no-charts", "--executor", "dask",
                                    "-j", "2")) == 0
    for name in ("verdicts.csv", "exploration.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "d" / name).read_bytes()


@pytest.mark.parametrize("text, fragment", [
    ('[[assumptions]]\nkey = "notice.*.grant"\nlow = 1\nhigh = 0\ngroup = "court"\nreason = "x"\n',
     "assumptions.0.high: needs low < high"),
    ('[[assumptions]]\nkey = "notice.*.grant"\nlow = 0\nhigh = 1\ngroup = "judges"\nreason = "x"\n',
     "assumptions.0.group"),
])
def test_a_bad_assumptions_file_is_one_line(tmp_path, capsys, text, fragment):
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    code = cli.main([*explore_command(tmp_path / "o"), "--assumptions", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and fragment in err and "bad.toml" in err
    assert not (tmp_path / "o").exists()


def test_compare_with_an_ensemble_writes_whether_each_answer_keeps_its_sign(tmp_path):
    """The documented robustness.csv: the ensemble layer alone, the same bytes in a pool."""
    members = tmp_path / "members.csv"
    members.write_text("\n".join((ROOT / "calibration" / "ensemble.csv").read_text(
        encoding="utf-8").splitlines()[:9]) + "\n", encoding="utf-8")
    command = ["compare", str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "june24_accepted.toml"),
               str(SCENARIOS / "better_ice_data.toml"), "--ensemble", str(members), "-n", "10",
               "--no-charts", "-q"]
    assert cli.main([*command, "--out", str(tmp_path / "a")]) == 0
    assert cli.main([*command, "--out", str(tmp_path / "b"), "-j", "2"]) == 0
    written = (tmp_path / "a" / "robustness.csv").read_bytes()
    assert written == (tmp_path / "b" / "robustness.csv").read_bytes()
    table = pd.read_csv(tmp_path / "a" / "robustness.csv").set_index(["scenario", "metric"])
    assert (table["members"] <= 8).all()
    better = table.loc[("better_ice_data", "transferred")]
    assert bool(better["keeps_sign"]) and better["diff_low"] > 0
    june24 = table.loc[("june24_accepted", "transferred")]
    assert june24["diff_low"] <= june24["headline"] <= june24["diff_high"]


def test_explore_from_another_folder_uses_the_shipped_calibration(tmp_path, monkeypatch):
    """Run where no calibration/ folder is, `flowsim explore` explores what the record
    cannot test from the files flowsim ships, not from nothing."""
    monkeypatch.chdir(tmp_path)
    files = {p.stem: p for p in flowsim.scenarios()}
    assert cli.main(["explore", str(files["baseline"]), str(files["notice_72h"]),
                     "--samples", "3", "--ensemble-sets", "1", "-n", "2",
                     "--headline-replications", "4", "--no-charts", "-q",
                     "--out", str(tmp_path / "x")]) == 0
    explored = pd.read_csv(tmp_path / "x" / "exploration.csv")
    assert "notice.*.grant" in explored.columns
    assert (explored["layer"] == "ensemble").sum() == 1


def test_explore_with_nothing_to_explore_says_so_in_one_line(tmp_path, capsys):
    empty = tmp_path / "none.toml"
    empty.write_text("assumptions = []\n", encoding="utf-8")
    code = cli.main(["explore", str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "notice_72h.toml"),
                     "--assumptions", str(empty), "--no-ensemble", "-q",
                     "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "has nothing to explore" in err
    assert not (tmp_path / "x").exists()
