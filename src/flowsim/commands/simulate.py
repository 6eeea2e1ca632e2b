"""run, compare and sweep: run scenarios and write their results."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..scenario import load
from . import Command
from .common import check_work, executor_of, held, output_folder, progress, say_dropped
from .options import EXIT_OK


def run_command(args: argparse.Namespace) -> int:
    from ..experiments.run import run
    from ..outputs.text import headline
    from ..outputs.writers import write_results

    loaded = held(args, load(args.scenario, args.overrides))
    if not args.quiet:
        say_dropped(loaded)
    check_work(args, [loaded], args.replications or loaded.scenario.scenario.replications)
    out = output_folder(args, Path("results") / loaded.scenario.name, "run", loaded.files,
                        {"scenario": loaded.scenario.name})
    with executor_of(args, charts=not args.no_charts) as executor, out:
        result = run(loaded, replications=args.replications, seed=args.seed,
                     executor=executor, progress=progress(args, "replications"))
        write_results(result, out, loaded=loaded, charts=not args.no_charts, daily=args.daily,
                      executor=executor)
    if not args.quiet:
        print(headline(result, out.path))
    return EXIT_OK


def compare_command(args: argparse.Namespace) -> int:
    from ..experiments.compare import compare
    from ..outputs.text import comparison_text
    from ..outputs.writers import write_comparison

    loaded = [held(args, load(path, args.overrides)) for path in [args.baseline, *args.others]]
    reps = args.replications or loaded[0].scenario.scenario.replications
    check_work(args, loaded, reps * len(loaded))
    members = None
    if args.ensemble:
        from ..experiments.ensemble import read_members

        members = read_members(args.ensemble)
        check_work(args, loaded, reps * len(loaded) * len(members), writes=False)
    out = output_folder(args, Path("results") / f"compare-{loaded[0].scenario.name}",
                        "compare", [p for one in loaded for p in one.files],
                        {"scenarios": [one.scenario.name for one in loaded]})
    robust = None
    with executor_of(args, charts=not args.no_charts) as executor, out:
        if members is None:
            comparison = compare(loaded[0], loaded[1:], replications=args.replications,
                                 seed=args.seed, executor=executor,
                                 progress=progress(args, "replications"))
        else:
            # The ensemble layer of an exploration: every member, no assumptions.
            from ..experiments.explore import explore, robustness_table

            found = explore(loaded[0], loaded[1:], [], members, [], replications=reps,
                            seed=args.seed, headline_replications=args.replications,
                            ensemble_sets=len(members), executor=executor,
                            progress=progress(args, "runs"))
            comparison, robust = found.comparison, robustness_table(found)
        write_comparison(comparison, out, loaded=loaded, charts=not args.no_charts,
                         daily=args.daily, executor=executor, robustness=robust)
    if not args.quiet:
        print(comparison_text(comparison, out.path, robust))
    return EXIT_OK


def sweep_command(args: argparse.Namespace) -> int:
    from ..experiments.sweep import check_keys, grid, parse_vary
    from ..outputs.sweeps import sweep
    from ..outputs.text import sweep_text

    loaded = load(args.scenario, args.overrides)
    varies = [parse_vary(text) for text in args.vary]
    check_keys(loaded.scenario, varies)
    reps = args.replications or loaded.scenario.scenario.replications
    check_work(args, [loaded], reps * len(grid(varies)), writes=False)
    out = output_folder(args, Path("results") / f"{loaded.scenario.name}-sweep", "sweep",
                        loaded.files)
    with executor_of(args) as executor, out:
        result = sweep(loaded, varies, out, replications=args.replications, seed=args.seed,
                       executor=executor, progress=progress(args, "points"), resume=args.resume)
    if not args.quiet:
        print(sweep_text(loaded.scenario.name, result, out.path))
    return EXIT_OK


def _run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")


def _compare_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument("baseline", metavar="BASELINE.toml",
                   help="the scenario the others are compared with, usually "
                   "scenarios/baseline.toml")
    c.add_argument("others", nargs="+", metavar="OTHER.toml", help="the what-if scenarios")
    c.add_argument("--ensemble", type=Path, metavar="ENSEMBLE.csv",
                   help="also run every scenario at every member of an ensemble (from "
                   "flowsim calibrate --ensemble) and write robustness.csv: each answer's "
                   "paired effect across those sets and whether it keeps its sign. What the "
                   "record cannot test as well: flowsim explore")


def _sweep_arguments(w: argparse.ArgumentParser) -> None:
    w.add_argument("scenario", metavar="SCENARIO.toml")
    w.add_argument("--vary", action="append", default=[], required=True, metavar="KEY=VALUES",
                   help="a key and its values: KEY=v1,v2,... or KEY=low:high:count "
                   "(e.g. notice.0.hours=0,24,72 or matching.tin_rate=0.02:0.06:5); repeatable")
    w.add_argument("--resume", action="store_true",
                   help="keep the finished points of an interrupted sweep with the same settings")


RUN = Command(
    "run", "run a scenario and write its tables",
    "Run a scenario's replications and write summary.csv, stats.csv, daily_stats.csv, "
    "events.csv, results.xlsx (a workbook of them with a data dictionary), manifest.json and "
    "the charts disclosures and outcomes (PNG and SVG) into --out (default "
    "results/<scenario name>/).",
    run_command, _run_arguments, options="outputs")

COMPARE = Command(
    "compare", "compare what-if scenarios with a baseline",
    "Run a baseline and other scenarios with the same seed and replications and write "
    "comparison.csv (each metric's mean and its difference from the baseline, with a paired "
    "95% interval) and each scenario's own files into --out (default "
    "results/compare-<baseline name>/). --set applies to every scenario.",
    compare_command, _compare_arguments, options="outputs")

SWEEP = Command(
    "sweep", "run a scenario over a grid of values",
    "Run a full-factorial grid over scenario keys and write sweep.csv (point, the varied "
    "values, replication, metric, value), sweep_stats.csv and points.csv into --out "
    "(default results/<scenario name>-sweep/). Finished points are kept as they finish; "
    "rerun an interrupted sweep with --resume to skip them.",
    sweep_command, _sweep_arguments, options="work",
    interrupted="the finished points are kept: rerun the same command with --resume to go on")
