"""calibrate (one best fit, or an ensemble by history matching) and sensitivity."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..experiments.defaults import CALIBRATE_REPLICATIONS, SENSITIVITY_REPLICATIONS
from ..experiments.ensemble import DEFAULT_CUTOFF, DEFAULT_WAVES
from ..scenario import load
from . import Command
from .common import check_work, executor_of, output_folder, progress
from .options import EXIT_OK, positive_int


def calibration_command_line(args: argparse.Namespace, replications: int, seed: int) -> str:
    """The command that gives this fit again, for the files it writes."""
    return "flowsim calibrate " + " ".join(
        [args.scenario, "--targets", str(args.targets), *(f"--free {f}" for f in args.free),
         *(f"--set {o}" for o in args.overrides), "-n", str(replications), "--seed", str(seed)])


def calibrate_command(args: argparse.Namespace) -> int:
    if args.ensemble:
        return ensemble_command(args)
    from ..experiments.calibrate import DEFAULT_REPLICATIONS, calibrate, parse_free
    from ..experiments.targets import load_targets
    from ..outputs.scenario_files import scenario_text
    from ..outputs.text import calibration_text
    from ..outputs.writers import (
        check_scenario_file,
        write_calibration,
        write_scenario_file,
    )

    if not args.free:
        raise InputError("name at least one parameter to fit", source="--free")
    loaded = load(args.scenario, args.overrides)
    targets = load_targets(args.targets)
    free = [parse_free(text, loaded) for text in args.free]
    check_work(args, [loaded], (args.replications or DEFAULT_REPLICATIONS) * args.max_evaluations,
               writes=False)
    out = output_folder(args, Path("results") / f"{loaded.scenario.name}-calibration",
                        "calibrate", [*loaded.files, args.targets])
    if args.write_scenario:
        check_scenario_file(args.write_scenario, force=args.force)
    with executor_of(args) as executor, out:
        fit = calibrate(loaded, targets, free, replications=args.replications,
                        seed=args.seed, max_evaluations=args.max_evaluations,
                        executor=executor, progress=progress(args, "evaluations"))
        command = calibration_command_line(args, fit.replications, fit.seed)
        write_calibration(fit, out, command=command, targets_path=args.targets)
    if args.write_scenario:
        write_scenario_file(args.write_scenario,
                            scenario_text(fit, command, args.targets, args.write_scenario),
                            force=args.force)
    if not args.quiet:
        print(calibration_text(fit, out.path, args.write_scenario))
    return EXIT_OK


def ensemble_command(args: argparse.Namespace) -> int:
    from ..experiments.calibrate import DEFAULT_REPLICATIONS
    from ..experiments.ensemble import (
        Unknown,
        check_unknowns,
        history_match,
        load_unknowns,
        validate_members,
    )
    from ..experiments.targets import load_targets, load_validation
    from ..outputs.text import ensemble_text
    from ..outputs.writers import write_ensemble
    from ..scenario import parse_bounds, split_assignment

    loaded = load(args.scenario, args.overrides)
    targets = load_targets(args.targets)
    unknowns = load_unknowns(args.unknowns) if args.unknowns else []
    for text in args.free:
        key, bounds = split_assignment(text, source="--free", form="key=low:high")
        low, high = parse_bounds(bounds, key, source="--free")
        unknowns = [u for u in unknowns if u.key != key]
        unknowns.append(Unknown(key=key, low=low, high=high, reason="--free"))
    check_unknowns(loaded, unknowns, str(args.unknowns or "--free"))
    reps = args.replications or DEFAULT_REPLICATIONS
    check_work(args, [loaded], reps * args.ensemble, writes=False)
    out = output_folder(args, Path("results") / f"{loaded.scenario.name}-ensemble",
                        "calibrate", [*loaded.files, args.targets,
                                      *([args.unknowns] if args.unknowns else [])])
    with executor_of(args) as executor, out:
        ensemble = history_match(loaded, targets, unknowns, candidates=args.ensemble,
                                 replications=reps, seed=args.seed, cutoff=args.cutoff,
                                 waves=args.waves, executor=executor,
                                 progress=progress(args, "candidates"))
        figures = load_validation(args.targets)
        validation = (validate_members(loaded, ensemble.members[["member", *(u.key for u in unknowns)]],
                                       figures, replications=ensemble.replications,
                                       seed=ensemble.seed, executor=executor)
                      if figures and len(ensemble.members) else None)
        write_ensemble(ensemble, out, loaded=loaded, targets_path=args.targets,
                       unknowns_path=args.unknowns, validation=validation)
    if not args.quiet:
        print(ensemble_text(loaded.scenario.name, ensemble, out.path, validation))
    return EXIT_OK


def sensitivity_command(args: argparse.Namespace) -> int:
    from ..experiments.sensitivity import (
        DEFAULT_METRICS,
        DEFAULT_REPLICATIONS,
        parse_param,
        point_count,
        sensitivity,
    )
    from ..outputs.text import sensitivity_text
    from ..outputs.writers import write_sensitivity

    loaded = load(args.scenario, args.overrides)
    ranges = [parse_param(text, loaded) for text in args.param]
    metrics = args.metric or list(DEFAULT_METRICS)
    points = point_count(args.method, args.samples, len(ranges))
    check_work(args, [loaded], (args.replications or DEFAULT_REPLICATIONS) * points,
               writes=False)
    out = output_folder(args, Path("results") / f"{loaded.scenario.name}-sensitivity",
                        "sensitivity", loaded.files)
    with executor_of(args) as executor, out:
        result = sensitivity(loaded, ranges, method=args.method, samples=args.samples,
                             replications=args.replications, seed=args.seed, metrics=metrics,
                             executor=executor, progress=progress(args, "points"))
        write_sensitivity(result, out, loaded=loaded, samples=args.samples,
                          replications=result.replications, seed=result.seed, metrics=metrics,
                          charts=True)
    if not args.quiet:
        print(sensitivity_text(loaded.scenario.name, result, metrics, out.path))
    return EXIT_OK


def _calibrate_arguments(k: argparse.ArgumentParser) -> None:
    k.add_argument("scenario", metavar="SCENARIO.toml")
    k.add_argument("--targets", type=Path, required=True, metavar="TARGETS.toml",
                   help="the record's figures with their tolerances (e.g. "
                   "calibration/targets.toml)")
    k.add_argument("--free", action="append", default=[], metavar="KEY[=LOW:HIGH]",
                   help="a parameter to fit, within bounds (default: half to twice its value); "
                   "repeatable. With --ensemble, a range to sample (adds to --unknowns)")
    k.add_argument("--ensemble", type=positive_int, metavar="N",
                   help="instead of one best fit, history matching: sample N candidate sets "
                   "of the unknowns per wave (Latin hypercube) and keep those not implausible: "
                   "writes ensemble.csv, candidates.csv, constraints.csv, waves.csv and, for "
                   "the [[validation]] figures of the targets file, validation.csv")
    k.add_argument("--unknowns", type=Path, metavar="UNKNOWNS.toml",
                   help="with --ensemble: the unknowns and their ranges (e.g. "
                   "calibration/unknowns.toml)")
    k.add_argument("--cutoff", type=float, default=DEFAULT_CUTOFF, metavar="X",
                   help="with --ensemble: keep a candidate whose largest implausibility, "
                   "|goal - model| / sqrt(observation + discrepancy + simulation variance), "
                   f"is at most X (default {DEFAULT_CUTOFF:g}, the standard)")
    k.add_argument("--waves", type=positive_int, default=DEFAULT_WAVES, metavar="N",
                   help="with --ensemble: at most N waves, each sampling where the one before "
                   f"left candidates not implausible, until that region stops shrinking "
                   f"(default {DEFAULT_WAVES})")
    k.add_argument("--max-evaluations", type=positive_int, default=200, metavar="N",
                   help="at most N evaluations of the objective (default 200)")
    k.add_argument("--write-scenario", type=Path, metavar="FILE",
                   help="also write a scenario file that extends this one with the fitted values")


def _sensitivity_arguments(n: argparse.ArgumentParser) -> None:
    n.add_argument("scenario", metavar="SCENARIO.toml")
    n.add_argument("--param", action="append", default=[], required=True, metavar="KEY=LOW:HIGH",
                   help="a parameter and its range, e.g. matching.tin_rate=0.02:0.05; repeatable")
    n.add_argument("--method", choices=("morris", "sobol"), default="morris",
                   help="morris (default): elementary effects, cheap, ranks the parameters; "
                   "sobol: shares of the variance, about ten times the runs")
    n.add_argument("--samples", type=positive_int, default=16, metavar="N",
                   help="Morris trajectories, or the Sobol' base sample (a power of two); "
                   "default 16")
    n.add_argument("--metric", action="append", default=[], metavar="METRIC",
                   help="an output to analyse (default: transferred, blocked_notice, "
                   "blocked_injunction, first_transfer_days); repeatable. The first is charted")


CALIBRATE = Command(
    "calibrate", "fit free parameters to the record's targets",
    "Fit the --free parameters of a scenario to the targets (a TOML file of the record's "
    "figures with tolerances) by minimising the sum of squared residuals, each in units of "
    "its tolerance, with scipy's bounded Nelder-Mead. Every evaluation runs the same "
    "replications with the same seed, so a rerun finds the same fit. Writes fitted.csv, "
    "residuals.csv and manifest.json into --out (default "
    "results/<scenario name>-calibration/).",
    calibrate_command, _calibrate_arguments, options="work",
    replications=f"{CALIBRATE_REPLICATIONS} per evaluation")

SENSITIVITY = Command(
    "sensitivity", "rank the assumptions that drive the answers",
    "Sample the --param ranges with SALib (Morris elementary effects or Sobol' indices), run "
    "--replications replications at every point with the same seed, and analyse the mean of "
    "each metric. Writes indices.csv (Morris: mu, mu_star, its 95% interval, sigma; Sobol': "
    "S1, ST and their 95% intervals), samples.csv and a tornado chart into --out (default "
    "results/<scenario name>-sensitivity/). Seeded: a rerun gives the same indices.",
    sensitivity_command, _sensitivity_arguments, options="work",
    replications=f"{SENSITIVITY_REPLICATIONS} per point")
