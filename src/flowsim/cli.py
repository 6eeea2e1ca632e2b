"""The command line: parses arguments and calls the public API, nothing more."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from . import __version__
from .errors import InputError
from .experiments.executors import EXECUTORS, Executor, make_executor, usable_cores
from .outputs.folders import OutputFolder
from .scenario import MAX_REPLICATIONS, LoadedScenario, load


EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for any bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _whole_number(minimum: int, maximum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {value:,}")
        return value

    return parse


_positive_int = _whole_number(1, 10**6)
_replications = _whole_number(1, MAX_REPLICATIONS)
_seed = _whole_number(0, 2**63 - 1)
# A run this long or this large asks for --force first.
CONFIRM_SECONDS = 15 * 60
CONFIRM_BYTES = 2 * 10**9
# Above this many replications in all, the work is estimated before it starts.
ESTIMATE_FROM_REPLICATIONS = 20_000


class Terminated(BaseException):
    """SIGTERM, raised where the process is so that partial files are cleaned up."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _common_options(*, run_options: bool = True) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="override a value, e.g. --set notice.0.hours=72 (repeatable)")
    if not run_options:
        return common
    common.add_argument("--replications", "-n", type=_replications, metavar="N",
                        help="replications (default: the scenario's scenario.replications)")
    common.add_argument("--seed", type=_seed, metavar="S",
                        help="seed (default: the scenario's scenario.seed)")
    common.add_argument("--out", type=Path, metavar="DIR",
                        help="output folder: new, empty, or one this command wrote before "
                        "(replaced whole when the new results are complete)")
    common.add_argument("--force", action="store_true",
                        help="write into a folder that holds other files, and run work "
                        "estimated to take over 15 minutes; files flowsim did not write are "
                        "always kept")
    common.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N",
                        help="worker processes (default 1); results are the same for any N")
    common.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="local processes (default) or a Dask cluster")
    common.add_argument("--scheduler", metavar="ADDRESS",
                        help="with --executor dask: the scheduler, e.g. tcp://host:8786 "
                        "(default: start a local Dask cluster of --jobs workers)")
    common.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bar and no summary, only errors")
    common.add_argument("--hold-uncertain", action="store_true",
                        help="hold inputs marked per = \"replication\" at their means, so the "
                        "spread across replications shows chance alone (run and compare)")
    common.add_argument("--no-charts", action="store_true",
                        help="write the CSV files only (run and compare draw PNG and SVG "
                        "charts by default)")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="flowsim",
        description="Simulate how taxpayer records flowed from ICE requests through the IRS "
        "to disclosure in 2025, under the court's rules or other ones.",
        epilog="Exit status: 0 success, 2 bad input (file, key or value), 1 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"flowsim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    common = _common_options()

    p = commands.add_parser("run", parents=[common], help="run a scenario and write its CSV files",
                            description="Run a scenario's replications and write summary.csv, "
                            "stats.csv, daily.csv, events.csv, manifest.json and the charts "
                            "disclosures and outcomes (PNG and SVG) into --out (default "
                            "results/<scenario name>/).")
    p.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")

    c = commands.add_parser(
        "compare", parents=[common], help="compare what-if scenarios with a baseline",
        description="Run a baseline and other scenarios with the same seed and replications "
        "and write comparison.csv (each metric's mean and its difference from the baseline, "
        "with a paired 95%% interval) and each scenario's own files into --out "
        "(default results/compare-<baseline name>/). --set applies to every scenario.")
    c.add_argument("baseline", metavar="BASELINE.toml")
    c.add_argument("others", nargs="+", metavar="OTHER.toml")
    c.add_argument("--ensemble", type=Path, metavar="ENSEMBLE.csv",
                   help="also run every scenario at every member of an ensemble (from "
                   "flowsim calibrate --ensemble) and write robustness.csv: whether each "
                   "answer keeps its sign whatever the record leaves unsettled")

    w = commands.add_parser(
        "sweep", parents=[common], help="run a scenario over a grid of values",
        description="Run a full-factorial grid over scenario keys and write sweep.csv (point, "
        "the varied values, replication, metric, value), sweep_stats.csv and points.csv into "
        "--out (default results/<scenario name>-sweep/). Finished points are kept as they "
        "finish; rerun an interrupted sweep with --resume to skip them.")
    w.add_argument("scenario", metavar="SCENARIO.toml")
    w.add_argument("--vary", action="append", default=[], required=True, metavar="KEY=VALUES",
                   help="a key and its values: KEY=v1,v2,... or KEY=low:high:count "
                   "(e.g. notice.0.hours=0,24,72 or matching.tin_rate=0.02:0.06:5); repeatable")
    w.add_argument("--resume", action="store_true",
                   help="keep the finished points of an interrupted sweep with the same settings")

    k = commands.add_parser(
        "calibrate", parents=[common], help="fit free parameters to the record's targets",
        description="Fit the --free parameters of a scenario to the targets (a TOML file of "
        "the record's figures with tolerances) by minimising the sum of squared residuals, "
        "each in units of its tolerance, with scipy's bounded Nelder-Mead. Every evaluation "
        "runs the same replications with the same seed, so a rerun finds the same fit. "
        "Writes fitted.csv, residuals.csv and manifest.json into --out (default "
        "results/<scenario name>-calibration/).")
    k.add_argument("scenario", metavar="SCENARIO.toml")
    k.add_argument("--targets", type=Path, required=True, metavar="TARGETS.toml")
    k.add_argument("--free", action="append", default=[], metavar="KEY[=LOW:HIGH]",
                   help="a parameter to fit, within bounds (default: half to twice its value); "
                   "repeatable. With --ensemble, a range to sample (adds to --unknowns)")
    k.add_argument("--ensemble", type=_positive_int, metavar="N",
                   help="instead of one best fit, sample N candidate sets of the unknowns "
                   "(Latin hypercube) and keep those that meet every target: writes "
                   "ensemble.csv, candidates.csv and constraints.csv")
    k.add_argument("--unknowns", type=Path, metavar="UNKNOWNS.toml",
                   help="with --ensemble: the unknowns and their ranges (e.g. "
                   "calibration/unknowns.toml)")
    k.add_argument("--cutoff", type=float, default=1.0, metavar="X",
                   help="with --ensemble: keep a candidate whose largest |model - goal| / "
                   "tolerance is at most X (default 1: every target met)")
    k.add_argument("--max-evaluations", type=_positive_int, default=200, metavar="N",
                   help="at most N evaluations of the objective (default 200)")
    k.add_argument("--write-scenario", type=Path, metavar="FILE",
                   help="also write a scenario file that extends this one with the fitted values")

    n = commands.add_parser(
        "sensitivity", parents=[common], help="rank the assumptions that drive the answers",
        description="Sample the --param ranges with SALib (Morris elementary effects or "
        "Sobol' indices), run --replications replications at every point with the same seed, "
        "and analyse the mean of each metric. Writes indices.csv (Morris: mu, mu_star, its "
        "95%% interval, sigma; Sobol': S1, ST and their 95%% intervals), samples.csv and a "
        "tornado chart into --out (default results/<scenario name>-sensitivity/). Seeded: a "
        "rerun gives the same indices.")
    n.add_argument("scenario", metavar="SCENARIO.toml")
    n.add_argument("--param", action="append", default=[], required=True, metavar="KEY=LOW:HIGH",
                   help="a parameter and its range, e.g. matching.tin_rate=0.02:0.05; repeatable")
    n.add_argument("--method", choices=("morris", "sobol"), default="morris")
    n.add_argument("--samples", type=_positive_int, default=16, metavar="N",
                   help="Morris trajectories, or the Sobol' base sample (a power of two); "
                   "default 16")
    n.add_argument("--metric", action="append", default=[], metavar="METRIC",
                   help="an output to analyse (default: transferred, blocked_notice, "
                   "blocked_injunction, first_transfer_days); repeatable. The first is charted")

    e = commands.add_parser(
        "explain", parents=[_common_options(run_options=False)],
        help="show a scenario's values, their sources, its timeline and expected flow",
        description="A dry run: every resolved value (after extends and --set) with the file "
        "it came from and its note, the timeline of requests and court rules, and the flow "
        "the means imply. Runs no simulation.")
    e.add_argument("scenario", metavar="SCENARIO.toml")

    r = commands.add_parser(
        "report", help="one self-contained HTML page of results folders",
        description="Write one HTML file (charts inlined, nothing loaded from the network) "
        "of the results folders of `run` or `compare`: each scenario's question, assumptions, "
        "headline numbers and charts, the comparison and the record beside the baseline. "
        "A scenario named baseline, or else the first, is the baseline.")
    r.add_argument("folders", nargs="+", metavar="RESULTS_DIR", type=Path)
    r.add_argument("-o", "--output", type=Path, default=Path("report.html"), metavar="FILE",
                   help="the HTML file to write (default report.html); an existing file is "
                   "replaced only if it is a flowsim report")
    r.add_argument("--force", action="store_true",
                   help="replace --output even if flowsim did not write it")

    g = commands.add_parser(
        "charts", help="draw (again) the charts of results folders",
        description="Draw the PNG and SVG charts of results folders from their CSV files: "
        "for a run, disclosures and outcomes; for a compare, those of all its scenarios and "
        "the comparison.")
    g.add_argument("folders", nargs="+", metavar="RESULTS_DIR", type=Path)

    v = commands.add_parser("validate", parents=[_common_options(run_options=False)],
                            help="check scenario files without running them",
                            description="Check scenario files: exit 0 if all are valid, "
                            "2 with the file, key and reason of the first problem otherwise.")
    v.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"flowsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, Terminated) as exc:
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else "terminated"
        if args.command == "sweep":
            print(f"flowsim: {what}; the finished points are kept: rerun the same command "
                  "with --resume to go on", file=sys.stderr)
        else:
            print(f"flowsim: {what}; no results were written", file=sys.stderr)
        return 130 if isinstance(exc, KeyboardInterrupt) else 143
    except Exception as exc:  # a bug: say so in one line, and keep the traceback for a report
        where = _save_traceback()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"flowsim: internal error (a bug in flowsim, not in your input): {reason}; "
              f"the traceback is in {where}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _save_traceback() -> str:
    """Write the current exception's traceback to a new file; return where it went."""
    try:
        fd, path = tempfile.mkstemp(prefix="flowsim-traceback-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            traceback.print_exc(file=file)
        return path
    except OSError:
        traceback.print_exc()
        return "the lines above"


def _validate(args: argparse.Namespace) -> int:
    from .outputs.text import validation_line

    for name in args.scenarios:
        print(validation_line(name, load(name, args.overrides).scenario))
    return EXIT_OK


def _calibrate(args: argparse.Namespace) -> int:
    if args.ensemble:
        return _ensemble(args)
    from .experiments.calibrate import DEFAULT_REPLICATIONS, calibrate, parse_free, scenario_text
    from .outputs.text import calibration_text
    from .outputs.writers import check_scenario_file, write_calibration, write_scenario_file
    from .experiments.targets import load_targets

    if not args.free:
        raise InputError("name at least one parameter to fit", source="--free")
    loaded = load(args.scenario, args.overrides)
    targets = load_targets(args.targets)
    free = [parse_free(text, loaded) for text in args.free]
    _check_work(args, [loaded], (args.replications or DEFAULT_REPLICATIONS) * args.max_evaluations,
                writes=False)
    out = _output_folder(args, Path("results") / f"{loaded.scenario.name}-calibration",
                         "calibrate", [*loaded.files, args.targets])
    if args.write_scenario:
        check_scenario_file(args.write_scenario, force=args.force)
    with _executor(args) as executor, out:
        fit = calibrate(loaded, targets, free, replications=args.replications,
                        seed=args.seed, max_evaluations=args.max_evaluations,
                        executor=executor, progress=_progress(args, "evaluations"))
        command = "flowsim calibrate " + " ".join(
            [args.scenario, "--targets", str(args.targets), *(f"--free {f}" for f in args.free),
             *(f"--set {o}" for o in args.overrides), "-n", str(fit.replications),
             "--seed", str(fit.seed)])
        write_calibration(fit, out, command=command, targets_path=args.targets)
    if args.write_scenario:
        write_scenario_file(args.write_scenario,
                            scenario_text(fit, command, args.targets, args.write_scenario),
                            force=args.force)
    if not args.quiet:
        print(calibration_text(fit, out.path, args.write_scenario))
    return EXIT_OK


def _ensemble(args: argparse.Namespace) -> int:
    from .experiments.calibrate import DEFAULT_REPLICATIONS
    from .experiments.ensemble import Unknown, check_unknowns, history_match, load_unknowns
    from .experiments.targets import load_targets
    from .outputs.text import ensemble_text
    from .outputs.writers import write_ensemble
    from .scenario import parse_bounds, split_assignment

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
    _check_work(args, [loaded], reps * args.ensemble, writes=False)
    out = _output_folder(args, Path("results") / f"{loaded.scenario.name}-ensemble",
                         "calibrate", [*loaded.files, args.targets,
                                       *([args.unknowns] if args.unknowns else [])])
    with _executor(args) as executor, out:
        ensemble = history_match(loaded, targets, unknowns, candidates=args.ensemble,
                                 replications=reps, seed=args.seed, cutoff=args.cutoff,
                                 executor=executor, progress=_progress(args, "candidates"))
        write_ensemble(ensemble, out, loaded=loaded, targets_path=args.targets,
                       unknowns_path=args.unknowns)
    if not args.quiet:
        print(ensemble_text(loaded.scenario.name, ensemble, out.path))
    return EXIT_OK


def _sensitivity(args: argparse.Namespace) -> int:
    from .outputs.writers import write_sensitivity
    from .experiments.sensitivity import (DEFAULT_METRICS, DEFAULT_REPLICATIONS, parse_param,
                                          sensitivity)
    from .outputs.text import sensitivity_text

    loaded = load(args.scenario, args.overrides)
    ranges = [parse_param(text, loaded) for text in args.param]
    metrics = args.metric or list(DEFAULT_METRICS)
    points = args.samples * (len(ranges) + 1 if args.method == "morris" else 2 * len(ranges) + 2)
    _check_work(args, [loaded], (args.replications or DEFAULT_REPLICATIONS) * points,
                writes=False)
    out = _output_folder(args, Path("results") / f"{loaded.scenario.name}-sensitivity",
                         "sensitivity", loaded.files)
    with _executor(args) as executor, out:
        result = sensitivity(loaded, ranges, method=args.method, samples=args.samples,
                             replications=args.replications, seed=args.seed, metrics=metrics,
                             executor=executor, progress=_progress(args, "points"))
        write_sensitivity(result, out, loaded=loaded, samples=args.samples,
                          replications=result.replications, seed=result.seed, metrics=metrics,
                          charts=not args.no_charts)
    if not args.quiet:
        print(sensitivity_text(loaded.scenario.name, result, metrics, out.path))
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from .outputs.explain import explain_text

    print(explain_text(load(args.scenario, args.overrides)))
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from .outputs.writers import check_report_file, write_report_file
    from .outputs.report import render
    from .outputs.readers import read_results

    check_report_file(args.output, force=args.force)  # before any results are read
    page = render(read_results(args.folders))
    write_report_file(args.output, page, force=args.force)
    print(f"wrote {args.output} ({len(page) / 1e6:.1f} MB)")
    return EXIT_OK


def _charts(args: argparse.Namespace) -> int:
    from .outputs.charts import comparison_figures, run_figures
    from .outputs.writers import redraw_figures
    from .outputs.readers import read_results

    for folder in args.folders:
        results = read_results([folder])
        if (folder / "comparison.csv").exists():
            runs = [(r.name, r.scenario, r.daily, r.stats) for r in results.runs]
            written = redraw_figures(comparison_figures(runs, results.comparison), folder)
        else:
            run = results.baseline
            written = redraw_figures(run_figures(run.name, run.scenario, run.daily, run.stats),
                                     folder)
        print(f"{folder}: " + ", ".join(written))
    return EXIT_OK


def _output_folder(args: argparse.Namespace, default: Path, command: str,
                   inputs: Iterable[Path], identity: dict | None = None) -> OutputFolder:
    """The command's output folder, checked now: a refusal comes before any work."""
    out = OutputFolder(args.out if args.out is not None else default, command,
                       inputs=inputs, force=args.force, identity=identity)
    out.check()
    return out


def _check_work(args: argparse.Namespace, scenarios: Sequence[LoadedScenario],
                replications: int, *, writes: bool = True) -> None:
    """Estimate a large run before starting it; ask for --force past the bounds."""
    if replications < ESTIMATE_FROM_REPLICATIONS:
        return
    from .experiments.run import estimate_work

    workers = min(args.jobs, usable_cores())
    estimate = estimate_work([s.scenario for s in scenarios], replications, workers=workers,
                             writes=writes)
    if (estimate.seconds > CONFIRM_SECONDS or estimate.output_bytes > CONFIRM_BYTES) \
            and not args.force:
        raise InputError(f"{replications:,} replications would take about {estimate.text}; "
                         "pass --force to run them anyway, or ask for fewer",
                         source="--replications")
    if estimate.seconds > 60 and not args.quiet:
        print(f"flowsim: {replications:,} replications will take about {estimate.text}",
              file=sys.stderr)


@contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Executor]:
    if args.jobs > usable_cores() and not args.quiet:
        print(f"flowsim: --jobs {args.jobs} is more than this machine's {usable_cores()} "
              f"cores; using {usable_cores()}", file=sys.stderr)
    if args.executor == "dask":
        # A lost cluster is reported in one line; distributed's own log would add pages.
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
    executor = make_executor(args.executor, args.jobs, args.scheduler)
    try:
        yield executor
    finally:
        executor.close()


def _progress(args: argparse.Namespace, unit: str):
    if args.quiet or not sys.stderr.isatty():
        return None
    from .outputs.text import progress_bar

    return lambda done, total: progress_bar(done, total, unit)


def _held(args: argparse.Namespace, loaded: LoadedScenario) -> LoadedScenario:
    """The scenario to run: as loaded, or with its uncertain inputs at their means."""
    return loaded.held_at_means() if args.hold_uncertain else loaded


def _run(args: argparse.Namespace) -> int:
    from .experiments.run import run
    from .outputs.writers import write_results

    loaded = _held(args, load(args.scenario, args.overrides))
    _check_work(args, [loaded], args.replications or loaded.scenario.scenario.replications)
    out = _output_folder(args, Path("results") / loaded.scenario.name, "run", loaded.files,
                         {"scenario": loaded.scenario.name})
    with _executor(args) as executor, out:
        result = run(loaded, replications=args.replications, seed=args.seed,
                     executor=executor, progress=_progress(args, "replications"))
        write_results(result, out, loaded=loaded, charts=not args.no_charts)
    if not args.quiet:
        from .outputs.text import headline

        print(headline(result, out.path))
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from .experiments.compare import compare
    from .outputs.writers import write_comparison

    loaded = [_held(args, load(path, args.overrides)) for path in [args.baseline, *args.others]]
    reps = args.replications or loaded[0].scenario.scenario.replications
    _check_work(args, loaded, reps * len(loaded))
    out = _output_folder(args, Path("results") / f"compare-{loaded[0].scenario.name}",
                         "compare", [p for one in loaded for p in one.files],
                         {"scenarios": [one.scenario.name for one in loaded]})
    members = None
    if args.ensemble:
        from .experiments.ensemble import read_members

        members = read_members(args.ensemble)
        _check_work(args, loaded, reps * len(loaded) * len(members), writes=False)
    with _executor(args) as executor, out:
        comparison = compare(loaded[0], loaded[1:], replications=args.replications,
                             seed=args.seed, executor=executor,
                             progress=_progress(args, "replications"))
        robust = None
        if members is not None:
            from .experiments.ensemble import robustness

            robust = robustness(loaded[0], loaded[1:], members, headline=comparison.table,
                                replications=args.replications, seed=args.seed,
                                executor=executor, progress=_progress(args, "runs"))
        write_comparison(comparison, out, loaded=loaded, charts=not args.no_charts,
                         robustness=robust)
    if not args.quiet:
        from .outputs.text import comparison_text

        print(comparison_text(comparison, out.path, robust))
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from .experiments.sweep import parse_vary
    from .outputs.sweeps import sweep

    from .experiments.sweep import check_keys, grid
    from .outputs.text import sweep_text

    loaded = load(args.scenario, args.overrides)
    varies = [parse_vary(text) for text in args.vary]
    check_keys(loaded.scenario, varies)
    reps = args.replications or loaded.scenario.scenario.replications
    _check_work(args, [loaded], reps * len(grid(varies)), writes=False)
    out = _output_folder(args, Path("results") / f"{loaded.scenario.name}-sweep", "sweep",
                         loaded.files)
    with _executor(args) as executor, out:
        result = sweep(loaded, varies, out, replications=args.replications, seed=args.seed,
                       executor=executor, progress=_progress(args, "points"), resume=args.resume)
    if not args.quiet:
        print(sweep_text(loaded.scenario.name, result, out.path))
    return EXIT_OK


COMMANDS = {"run": _run, "compare": _compare, "sweep": _sweep, "calibrate": _calibrate,
            "sensitivity": _sensitivity,
            "explain": _explain,
            "report": _report, "charts": _charts, "validate": _validate}
