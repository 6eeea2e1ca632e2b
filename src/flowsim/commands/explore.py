"""explore: every what-if across what the record leaves open, with its verdict."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..library import CALIBRATION, CALIBRATION_FILES
from ..scenario import load
from . import Command
from .common import check_work, executor_of, held, output_folder, progress
from .options import EXIT_OK, positive_int

# Used when no other is named: the current folder's calibration/ files where it has them
# (a checkout, or a copy being edited), else the ones flowsim ships.
ASSUMPTIONS, ENSEMBLE, TARGETS = (Path("calibration") / name for name in CALIBRATION_FILES)


def _default(given: Path | None, here: Path, off: bool) -> Path | None:
    if off:
        return None
    if given is not None:
        return given
    return next((p for p in (here, CALIBRATION / here.name) if p.is_file()), None)


def explore_command(args: argparse.Namespace) -> int:
    from ..experiments.ensemble import read_members
    from ..experiments.explore import DEFAULT_REPLICATIONS, explore, load_assumptions
    from ..experiments.targets import load_targets
    from ..outputs.text import exploration_text
    from ..outputs.writers import write_comparison

    loaded = [held(args, load(path, args.overrides)) for path in [args.baseline, *args.others]]
    assumptions_path = _default(args.assumptions, ASSUMPTIONS, False)
    ensemble_path = _default(args.ensemble, ENSEMBLE, args.no_ensemble)
    targets_path = _default(args.targets, TARGETS, False)
    assumptions = load_assumptions(assumptions_path) if assumptions_path else []
    members = read_members(ensemble_path) if ensemble_path else None
    targets = load_targets(targets_path) if targets_path else []
    reps = args.replications or DEFAULT_REPLICATIONS
    sets = (0 if members is None else min(len(members), args.ensemble_sets)) + args.samples
    own = args.headline_replications or loaded[0].scenario.scenario.replications
    check_work(args, loaded, reps * len(loaded) * sets + own * len(loaded))
    inputs = [p for one in loaded for p in one.files]
    inputs += [p for p in (assumptions_path, ensemble_path, targets_path) if p]
    out = output_folder(args, Path("results") / f"explore-{loaded[0].scenario.name}",
                        "explore", inputs, {"scenarios": [one.scenario.name for one in loaded]})
    with executor_of(args, charts=not args.no_charts) as executor, out:
        found = explore(loaded[0], loaded[1:], assumptions, members, targets,
                        samples=args.samples, replications=reps, seed=args.seed,
                        headline_replications=args.headline_replications,
                        ensemble_sets=args.ensemble_sets, executor=executor,
                        progress=progress(args, "runs"))
        write_comparison(found.comparison, out, loaded=loaded, charts=not args.no_charts,
                         exploration=found, daily=args.daily, executor=executor)
    if not args.quiet:
        print(exploration_text(found, out.path))
    return EXIT_OK


def _arguments(e: argparse.ArgumentParser) -> None:
    from ..experiments.explore import DEFAULT_ENSEMBLE_SETS, DEFAULT_SAMPLES

    e.add_argument("baseline", metavar="BASELINE.toml")
    e.add_argument("others", nargs="+", metavar="OTHER.toml", help="the what-if scenarios")
    e.add_argument("--assumptions", type=Path, metavar="FILE",
                   help=f"what the record cannot test, each with its range (default "
                   f"{ASSUMPTIONS} here, else the one flowsim ships); a scenario's own "
                   "[[assumptions]] are explored too")
    e.add_argument("--ensemble", type=Path, metavar="ENSEMBLE.csv",
                   help=f"the record-consistent sets of flowsim calibrate --ensemble "
                   f"(default {ENSEMBLE} here, else the one flowsim ships)")
    e.add_argument("--ensemble-sets", type=positive_int, default=DEFAULT_ENSEMBLE_SETS,
                   metavar="N", help=f"run each answer at N members of the ensemble (a seeded "
                   f"sample when it has more; default {DEFAULT_ENSEMBLE_SETS})")
    e.add_argument("--no-ensemble", action="store_true",
                   help="explore the assumptions at the scenarios' own calibrated values")
    e.add_argument("--targets", type=Path, metavar="TARGETS.toml",
                   help=f"the record's figures: a set under which the baseline misses one is "
                   f"dropped (default {TARGETS} here, else the one flowsim ships)")
    e.add_argument("--samples", type=positive_int, default=DEFAULT_SAMPLES, metavar="N",
                   help=f"sets of assumptions sampled (default {DEFAULT_SAMPLES}), each joined "
                   "to an ensemble member")
    e.add_argument("--headline-replications", type=positive_int, metavar="N",
                   help="replications of the headline, at the scenarios' own values "
                   "(default: the baseline's scenario.replications)")


EXPLORE = Command(
    "explore", "ask what-ifs across what the record leaves open, with a verdict for each",
    "Run a baseline and what-ifs at their own values (the headline, with its simulation "
    "precision), at every record-consistent set of an ensemble, and across sampled "
    "assumptions the record cannot test, each paired with the baseline on common random "
    "numbers. Writes what compare writes, plus verdicts.csv (each answer's range, verdict "
    "and the condition under which it holds), exploration.csv (every set) and a chart of "
    "each answer that is not settled, into --out (default results/explore-<baseline name>/). "
    "--replications is per set.",
    explore_command, _arguments, options="outputs", replications="20 per set")
