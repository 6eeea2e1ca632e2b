"""Ensembles of record-consistent parameter sets, and what-ifs asked across them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flowsim
from flowsim import cli
from flowsim.experiments.ensemble import history_match, load_unknowns, robustness
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
    residuals = [c for c in ensemble.candidates.columns if c.startswith("residual: ")]
    kept = ensemble.candidates[ensemble.candidates["kept"]]
    missed = ensemble.candidates[~ensemble.candidates["kept"]]
    assert len(kept) == len(ensemble.members) > 0 and len(missed) > 0
    assert (kept[residuals].abs().max(axis=1) <= 1).all()
    assert (missed[residuals].abs().max(axis=1) > 1).all()
    assert set(ensemble.members["implausibility"]) <= set(kept["implausibility"])


def test_the_fit_constrains_the_match_rate_more_than_the_review_time(ensemble):
    share = ensemble.constraints.set_index("parameter")["kept_share_of_range"]
    assert share["matching.tin_rate"] < 0.5 and share["matching.tin_rate"] < share["review.days.mode"]


def test_june24_depends_on_the_unknowns_and_better_data_does_not():
    """The record fixes setup + records / throughput, not its split: across the splits
    that reproduce it, the June 24 request either holds the matcher past the injunction
    or does not."""
    from flowsim.experiments.ensemble import Unknown

    loaded = [flowsim.load(SCENARIOS / f"{n}.toml")
              for n in ("baseline", "june24_accepted", "better_ice_data")]
    split = [Unknown(key="matching.records_per_day", low=40_000, high=1_000_000, scale="log",
                     reason="ASSUMPTION"),
             Unknown(key="matching.setup_days", low=0, high=38, reason="ASSUMPTION")]
    members = history_match(loaded[0], load_targets(TARGETS), split, candidates=120,
                            replications=REPS).members[["member", *(u.key for u in split)]]
    assert len(members) >= 8
    headline = flowsim.compare(loaded[0], loaded[1:], replications=20).table
    table = robustness(loaded[0], loaded[1:], members, headline=headline, replications=20)
    rows = table[table["metric"] == "transferred"].set_index("scenario")
    assert not rows.loc["june24_accepted", "robust"]
    assert rows.loc["june24_accepted", "diff_low"] < 0 < rows.loc["june24_accepted", "diff_high"]
    assert rows.loc["june24_accepted", "depends_on"]
    assert rows.loc["better_ice_data", "robust"]
    assert rows.loc["better_ice_data", "same_sign_share"] == 1.0


def ensemble_command(out: Path, *extra) -> list[str]:
    return ["calibrate", str(SCENARIOS / "baseline.toml"), "--targets", str(TARGETS),
            "--ensemble", str(CANDIDATES), "--unknowns", str(UNKNOWNS), "-n", str(REPS),
            "--out", str(out), "-q", *extra]


def test_the_same_seed_gives_byte_identical_ensemble_files(tmp_path):
    assert cli.main(ensemble_command(tmp_path / "a")) == 0
    assert cli.main(ensemble_command(tmp_path / "b", "-j", "2")) == 0
    for name in ("ensemble.csv", "candidates.csv", "constraints.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.slow
def test_robustness_is_the_same_serially_in_a_pool_and_on_dask(tmp_path, capsys):
    pytest.importorskip("distributed")
    assert cli.main(ensemble_command(tmp_path / "e")) == 0
    base = ["compare", str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "june24_accepted.toml"),
            "--ensemble", str(tmp_path / "e" / "ensemble.csv"), "-n", "10", "--no-charts", "-q"]
    assert cli.main([*base, "--out", str(tmp_path / "serial")]) == 0
    assert cli.main([*base, "--out", str(tmp_path / "pool"), "-j", "2"]) == 0
    assert cli.main([*base, "--out", str(tmp_path / "dask"), "--executor", "dask", "-j", "2"]) == 0
    serial = (tmp_path / "serial" / "robustness.csv").read_bytes()
    assert serial == (tmp_path / "pool" / "robustness.csv").read_bytes()
    assert serial == (tmp_path / "dask" / "robustness.csv").read_bytes()
    table = pd.read_csv(tmp_path / "serial" / "robustness.csv")
    assert set(table["metric"]) == {"transferred", "transferred_tin_path", "first_transfer_days"}


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
