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
