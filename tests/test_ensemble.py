"""Ensembles of record-consistent parameter sets, and what-ifs asked across them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flowsim
from flowsim import cli
from flowsim.experiments.ensemble import history_match, load_unknowns
from flowsim.experiments.targets import load_targets

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "scenarios"
TARGETS = ROOT / "calibration" / "targets.toml"
UNKNOWNS = ROOT / "calibration" / "unknowns.toml"
CANDIDATES, REPS = 240, 8


@pytest.fixture(scope="module")
def ensemble():
    loaded = flowsim.load(SCENARIOS / "baseline.toml")
    return history_match(loaded, load_targets(TARGETS), load_unknowns(UNKNOWNS),
                         candidates=CANDIDATES, replications=REPS)


def test_every_unknown_cites_the_record_or_is_an_assumption():
    for u in load_unknowns(UNKNOWNS):
        assert "FACTS:" in u.reason or "ASSUMPTION" in u.reason, u.key


def test_a_candidate_that_misses_a_target_is_never_a_member(ensemble):
    """Kept means every target's implausibility is at most the standard cut-off of 3; the
    members are the last wave's kept candidates."""
    scores = [c for c in ensemble.candidates.columns if c.startswith("implausibility: ")]
    last = ensemble.candidates[ensemble.candidates["wave"] == ensemble.candidates["wave"].max()]
    kept, missed = last[last["kept"]], ensemble.candidates[~ensemble.candidates["kept"]]
    assert len(kept) == len(ensemble.members) > 0 and len(missed) > 0
    assert (kept[scores].max(axis=1) <= 3).all() and (missed[scores].max(axis=1) > 3).all()
    assert ensemble.cutoff == 3


def test_each_wave_samples_inside_the_region_the_one_before_left(ensemble):
    waves = ensemble.waves
    assert len(waves) >= 2
    assert (waves["region_volume"].diff().dropna() < 0).all()
    for (_, before), (_, after) in zip(waves.iterrows(), waves.iloc[1:].iterrows()):
        sampled = ensemble.candidates[ensemble.candidates["wave"] == after["wave"]]
        for u in load_unknowns(UNKNOWNS):
            lo, hi = before[f"{u.key}: low"], before[f"{u.key}: high"]
            assert sampled[u.key].between(lo - 1e-9 * abs(lo), hi + 1e-9 * abs(hi)).all()


def test_the_fit_constrains_the_match_rate_more_than_the_review_time(ensemble):
    share = ensemble.constraints.set_index("parameter")["kept_share_of_range"]
    assert share["matching.tin_rate"] < 0.5 and share["matching.tin_rate"] < share["review.days.mode"]


def test_implausibility_weighs_a_miss_by_every_declared_uncertainty():
    """|10 - 12| / sqrt(1 + 1 + 4 / 3): observation and discrepancy 1 each, and the
    simulation variance of a mean of three draws of variance 4."""
    import datetime as dt
    import math

    import numpy as np

    from flowsim.experiments.targets import Target, evaluate

    target = Target(name="t", metric="transferred", value=10, tolerance=5, observation_sd=1,
                    discrepancy_sd=1)
    table = evaluate([target], {"transferred": np.array([10.0, 12.0, 14.0])},
                     dt.datetime(2025, 1, 1))
    assert table["implausibility"].iloc[0] == pytest.approx(2 / math.sqrt(2 + 4 / 3))
    assert table["residual"].iloc[0] == pytest.approx(2 / 5)


def test_priors_do_not_come_from_the_targets():
    """The match rates' priors span what is plausible (wider than the targets' own
    arithmetic, 0.0334 and 0.0037, by an order of magnitude each way)."""
    rates = {u.key: u for u in load_unknowns(UNKNOWNS)}
    assert rates["matching.tin_rate"].high / rates["matching.tin_rate"].low >= 10
    assert rates["matching.name_address_rate"].high / rates["matching.name_address_rate"].low >= 10


def test_the_ensemble_is_checked_against_figures_it_was_not_fitted_to(tmp_path):
    out = tmp_path / "v"
    assert cli.main(ensemble_command(out)) == 0
    validation = pd.read_csv(out / "validation.csv").set_index("figure")
    assert set(validation.index) == {"disclosures on incomplete addresses",
                                     "requests sent after their date"}
    order = validation.loc["requests sent after their date"]
    assert (order["record"], order["ensemble_p95"], order["inside"]) == (0, 0, True)
    incomplete = validation.loc["disclosures on incomplete addresses"]
    assert 2_000 < incomplete["ensemble_p05"] <= incomplete["ensemble_p95"] < 2_600
    assert (out / "waves.csv").exists()


def ensemble_command(out: Path, *extra) -> list[str]:
    return ["calibrate", str(SCENARIOS / "baseline.toml"), "--targets", str(TARGETS),
            "--ensemble", str(CANDIDATES), "--unknowns", str(UNKNOWNS), "-n", str(REPS),
            "--out", str(out), "-q", *extra]


def test_the_same_seed_gives_byte_identical_ensemble_files(tmp_path):
    assert cli.main(ensemble_command(tmp_path / "a")) == 0
    assert cli.main(ensemble_command(tmp_path / "b", "-j", "2")) == 0
    for name in ("ensemble.csv", "candidates.csv", "constraints.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_few_members_get_advice(tmp_path, capsys):
    assert cli.main([*ensemble_command(tmp_path / "f")[:-1], "--ensemble", "30"]) == 0
    out = capsys.readouterr().out
    assert "under 20 the ensemble says little" in out and "more candidates" in out


def test_an_unknown_outside_the_scenario_is_one_line(tmp_path, capsys):
    code = cli.main(["calibrate", str(SCENARIOS / "baseline.toml"), "--targets", str(TARGETS),
                     "--ensemble", "10", "--free", "matching.tin_rat=0.01:0.02",
                     "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "matching.tin_rat" in err and "no such key" in err


def test_a_variant_built_on_a_worker_runs_as_the_scenario_built_here(pool):
    import numpy as np

    from flowsim.errors import InputError
    from flowsim.experiments.ensemble import Variant, run_all

    loaded = flowsim.load(SCENARIOS / "notice_72h.toml")
    sets = ("matching.setup_days=15.5", "notice.0.grant=0.3")
    here = run_all([loaded.with_overrides(sets).scenario], 7, 6, None, None)[0]
    there = run_all([Variant(loaded, sets), Variant(loaded, ())], 7, 6, pool, None)
    assert all(np.array_equal(here[m], there[0][m], equal_nan=True) for m in here)
    assert not np.array_equal(there[0]["transferred"], there[1]["transferred"])
    with pytest.raises(InputError, match="notice.0.grant") as err:
        run_all([Variant(loaded, ("notice.0.grant=1.5",))], 7, 6, pool, None)
    assert "between 0 and 1" in str(err.value)
