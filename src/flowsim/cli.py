"""The command line: parses arguments and calls the public API, nothing more."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
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
from .experiments.defaults import CALIBRATE_REPLICATIONS, DAILY_CHOICES, SENSITIVITY_REPLICATIONS
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


def _set_option() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="override a value, e.g. --set notice.0.hours=72 (repeatable)")
    return common


def _work_options(replications_default: str, *, outputs: bool = False) -> argparse.ArgumentParser:
    """The options of a command that simulates: `replications_default` says, in its help,
    what --replications defaults to for this command; `outputs` adds the options of the
    commands that write a run's tables and charts (run and compare)."""
    common = argparse.ArgumentParser(add_help=False, parents=[_set_option()])
    common.add_argument("--replications", "-n", type=_replications, metavar="N",
                        help=f"replications (default: {replications_default})")
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
    if outputs:
        common.add_argument("--hold-uncertain", action="store_true",
                            help="hold inputs marked per = \"replication\" at their means, so "
                            "the spread across replications shows chance alone")
        common.add_argument("--no-charts", action="store_true",
                            help="write the tables only (PNG and SVG charts are drawn by "
                            "default)")
        common.add_argument("--daily", choices=DAILY_CHOICES, default="stats",
                            help="stats (default): daily_stats.csv, each state's mean and "
                            "percentiles per day; per-replication: daily.csv as well, one row "
                            "per day per replication (large: 270 rows per replication)")
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
    from_scenario = "the scenario's scenario.replications"
    common = _work_options(from_scenario, outputs=True)

    p = commands.add_parser("run", parents=[common], help="run a scenario and write its tables",
                            description="Run a scenario's replications and write summary.csv, "
                            "stats.csv, daily_stats.csv, events.csv, results.xlsx (a workbook "
                            "of them with a data dictionary), manifest.json and the charts "
                            "disclosures and outcomes (PNG and SVG) into --out (default "
                            "results/<scenario name>/).")
    p.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")

    c = commands.add_parser(
        "compare", parents=[common], help="compare what-if scenarios with a baseline",
        description="Run a baseline and other scenarios with the same seed and replications "
        "and write comparison.csv (each metric's mean and its difference from the baseline, "
        "with a paired 95% interval) and each scenario's own files into --out "
        "(default results/compare-<baseline name>/). --set applies to every scenario.")
    c.add_argument("baseline", metavar="BASELINE.toml",
                   help="the scenario the others are compared with, usually "
                   "scenarios/baseline.toml")
    c.add_argument("others", nargs="+", metavar="OTHER.toml", help="the what-if scenarios")
    c.add_argument("--ensemble", type=Path, metavar="ENSEMBLE.csv",
                   help="also run every scenario at every member of an ensemble (from "
                   "flowsim calibrate --ensemble) and write robustness.csv: whether each "
                   "answer keeps its sign whatever the record leaves unsettled")

    w = commands.add_parser(
        "sweep", parents=[_work_options(from_scenario)], help="run a scenario over a grid of values",
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
        "calibrate", parents=[_work_options(f"{CALIBRATE_REPLICATIONS} per evaluation")],
        help="fit free parameters to the record's targets",
        description="Fit the --free parameters of a scenario to the targets (a TOML file of "
        "the record's figures with tolerances) by minimising the sum of squared residuals, "
        "each in units of its tolerance, with scipy's bounded Nelder-Mead. Every evaluation "
        "runs the same replications with the same seed, so a rerun finds the same fit. "
        "Writes fitted.csv, residuals.csv and manifest.json into --out (default "
        "results/<scenario name>-calibration/).")
    k.add_argument("scenario", metavar="SCENARIO.toml")
    k.add_argument("--targets", type=Path, required=True, metavar="TARGETS.toml",
                   help="the record's figures with their tolerances (e.g. "
                   "calibration/targets.toml)")
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
        "sensitivity", parents=[_work_options(f"{SENSITIVITY_REPLICATIONS} per point")],
        help="rank the assumptions that drive the answers",
        description="Sample the --param ranges with SALib (Morris elementary effects or "
        "Sobol' indices), run --replications replications at every point with the same seed, "
        "and analyse the mean of each metric. Writes indices.csv (Morris: mu, mu_star, its "
        "95% interval, sigma; Sobol': S1, ST and their 95% intervals), samples.csv and a "
        "tornado chart into --out (default results/<scenario name>-sensitivity/). Seeded: a "
        "rerun gives the same indices.")
    n.add_argument("scenario", metavar="SCENARIO.toml")
    n.add_argument("--param", action="append", default=[], required=True, metavar="KEY=LOW:HIGH",
                   help="a parameter and its range, e.g. matching.tin_rate=0.02:0.05; repeatable")
    n.add_argument("--method", choices=("morris", "sobol"), default="morris",
                   help="morris (default): elementary effects, cheap, ranks the parameters; "
                   "sobol: shares of the variance, about ten times the runs")
    n.add_argument("--samples", type=_positive_int, default=16, metavar="N",
                   help="Morris trajectories, or the Sobol' base sample (a power of two); "
                   "default 16")
    n.add_argument("--metric", action="append", default=[], metavar="METRIC",
                   help="an output to analyse (default: transferred, blocked_notice, "
                   "blocked_injunction, first_transfer_days); repeatable. The first is charted")

    e = commands.add_parser(
        "explain", parents=[_set_option()],
        help="show a scenario's values, their sources, its timeline and expected flow",
        description="A dry run: every resolved value (after extends and --set) with the file "
        "it came from and its note, the timeline of requests and court rules, and the flow "
        "the means imply. Runs no simulation.")
    e.add_argument("scenario", metavar="SCENARIO.toml")

    r = commands.add_parser(
        "report", help="one self-contained HTML page of results folders",
        description="Write one HTML file (charts inlined, nothing loaded from the network) "
        "of the results folders of `run`, `compare` or `sweep`: a one-page summary first "
        "(each scenario's question and finding in words, the table at a glance, the "
        "comparison chart), then each scenario's headline numbers, charts and assumptions, "
        "and the record beside the baseline. A scenario named baseline, or else the first, "
        "is the baseline.")
    r.add_argument("folders", nargs="+", metavar="RESULTS_DIR", type=Path)
    r.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="the HTML file to write (default report.html, or handout.html with "
                   "--handout); an existing file is replaced only if it is a flowsim report")
    r.add_argument("--handout", action="store_true",
                   help="instead, one printable landscape sheet per scenario: its question, "
                   "its finding in words and a 16:9 chart in large type")
    r.add_argument("--force", action="store_true",
                   help="replace --output even if flowsim did not write it")

    g = commands.add_parser(
        "charts", help="draw (again) the charts of results folders",
        description="Draw the PNG and SVG charts of results folders from their CSV files: "
        "for a run, disclosures and outcomes; for a compare, those of all its scenarios and "
        "the comparison; for a sweep, each metric against the varied key.")
    g.add_argument("folders", nargs="+", metavar="RESULTS_DIR", type=Path)

    s = commands.add_parser(
        "serve", help="serve the workshop page on this computer",
        description="Serve a local web page where a room picks a scenario, changes its court "
        "rules, requests and matching, and sees the flow redrawn beside the baseline. "
        "Without files it offers the shipped library (scenarios/). It listens on "
        "127.0.0.1 unless --host says otherwise; Ctrl-C stops it.")
    s.add_argument("scenarios", nargs="*", metavar="SCENARIO.toml",
                   help="the scenarios to offer (default: the shipped library); one named "
                   "baseline, or else the first, is the baseline")
    s.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1, this computer only; "
                   "0.0.0.0 serves the room's network, which joins with a code the server "
                   "prints)")
    s.add_argument("--port", type=_whole_number(1, 65535), default=8765, metavar="PORT",
                   help="the port (default 8765)")
    s.add_argument("--replications", "-n", type=_whole_number(1, 2000), default=200,
                   metavar="N", help="replications per answer (default 200; at most 2,000)")
    s.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N",
                   help="worker processes for the runs (default 1)")
    s.add_argument("--gallery", type=Path, metavar="DIR",
                   help="a folder where participants save their scenarios, shown to everyone")
    s.add_argument("--join-code", type=_join_code, metavar="CODE",
                   help="the code a browser joins the room with (default: a new one each "
                   "start when serving the network; given, it is asked for on this computer "
                   "too)")
    s.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another name this computer is reached by (a DNS name the room "
                   "uses); requests for any other name are refused")
    s.add_argument("--open", action="store_true", help="open the page in this computer's browser")

    v = commands.add_parser("validate", parents=[_set_option()],
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
                          charts=True)
    if not args.quiet:
        print(sensitivity_text(loaded.scenario.name, result, metrics, out.path))
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from .outputs.explain import explain_text

    print(explain_text(load(args.scenario, args.overrides)))
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from .outputs.writers import check_report_file, write_report_file
    from .outputs.report import render, render_handout, render_sweep
    from .outputs.readers import is_sweep, read_results, read_sweep

    output = args.output or Path("handout.html" if args.handout else "report.html")
    check_report_file(output, force=args.force)  # before any results are read
    if any(is_sweep(f) for f in args.folders):
        if len(args.folders) > 1 or args.handout:
            raise InputError("a sweep's report is of that sweep alone; give its folder on its "
                             "own, without --handout", source=str(args.folders[0]))
        page = render_sweep(read_sweep(args.folders[0]))
    else:
        results = read_results(args.folders)
        page = render_handout(results) if args.handout else render(results)
    write_report_file(output, page, force=args.force)
    print(f"wrote {output} ({len(page) / 1e6:.1f} MB)")
    return EXIT_OK


def _charts(args: argparse.Namespace) -> int:
    from .outputs.charts import Chart, comparison_charts, run_charts, sweep_figure
    from .outputs.writers import redraw_figures
    from .outputs.readers import is_sweep, read_results, read_sweep

    for folder in args.folders:
        if is_sweep(folder):
            swept = read_sweep(folder)
            written = redraw_figures([Chart("sweep", sweep_figure, (swept.stats, swept.keys))],
                                     folder)
        elif (folder / "comparison.csv").exists():
            results = read_results([folder])
            written = redraw_figures(comparison_charts(results.runs, results.comparison),
                                     folder)
        else:
            written = redraw_figures(run_charts(read_results([folder]).baseline), folder)
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
def _executor(args: argparse.Namespace, *, charts: bool = False) -> Iterator[Executor]:
    if args.jobs > usable_cores() and not args.quiet:
        print(f"flowsim: --jobs {args.jobs} is more than this machine's {usable_cores()} "
              f"cores; using {usable_cores()}", file=sys.stderr)
    if args.executor == "dask":
        # A lost cluster is reported in one line; distributed's own log would add pages.
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
    executor = make_executor(args.executor, args.jobs, args.scheduler)
    if charts and executor.workers > 1 and args.executor == "local" \
            and multiprocessing.get_start_method() == "fork":
        # The pool's workers are forked on its first task: with matplotlib loaded before,
        # each draws its charts without loading it again (a second apiece).
        from .outputs import charts as _  # noqa: F401
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
    with _executor(args, charts=not args.no_charts) as executor, out:
        result = run(loaded, replications=args.replications, seed=args.seed,
                     executor=executor, progress=_progress(args, "replications"))
        write_results(result, out, loaded=loaded, charts=not args.no_charts, daily=args.daily,
                      executor=executor)
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
    with _executor(args, charts=not args.no_charts) as executor, out:
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
                         robustness=robust, daily=args.daily, executor=executor)
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


def _join_code(text: str) -> str:
    from .serve.room import JOIN_ALPHABET

    code = text.strip().upper()
    if not 4 <= len(code) <= 32 or any(ch not in JOIN_ALPHABET for ch in code):
        raise argparse.ArgumentTypeError(f"a join code is 4 to 32 of {JOIN_ALPHABET} (letters "
                                         f"and digits that cannot be mistaken), got {text!r}")
    return code


def _serve(args: argparse.Namespace) -> int:
    import shutil
    import socket

    try:
        import segno  # noqa: F401
        import starlette  # noqa: F401
        import tomli_w  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise InputError(f"needs {exc.name}, which is not installed: pip install -e "
                         "\".[serve]\" from the checkout", source="flowsim serve") from None
    from .serve.app import Settings, build_app
    from .serve.room import qr_terminal
    from .serve.sockets import serve

    if args.gallery is not None and not args.gallery.is_dir():
        raise InputError("is not a folder; make it first", source=str(args.gallery))
    try:
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as exc:
        raise InputError(f"cannot listen on {args.host}:{args.port} ({exc.strerror}); "
                         "choose another with --port", source="--port") from None
    jobs = min(args.jobs, usable_cores())
    # A bad file is one line here, before anything listens or any worker starts.
    app = build_app(Settings([Path(p) for p in args.scenarios], args.replications, jobs,
                             args.gallery, args.host, args.port, args.join_code,
                             tuple(args.allow_host)))
    state = app.state.flowsim
    room = state.room
    if room.join_code:
        addresses = room.join_addresses()
        where = (f"serving the room's network on {args.host}:{args.port}; " if room.network
                 else "")
        print(f"flowsim: {where}a browser joins with the code {room.join_code}:",
              file=sys.stderr)
        for address in addresses:
            print(f"  {address}", file=sys.stderr)
        print(qr_terminal(addresses[0]), file=sys.stderr)
        url = addresses[0] if not room.network else \
            f"http://127.0.0.1:{args.port}/?join={room.join_code}"
    else:
        url = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    print(f"flowsim: the workshop page is at {url} (Ctrl-C stops it)", file=sys.stderr)
    if args.open:
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    try:
        serve(app, args.host, args.port)
    finally:
        state.pool.shutdown(cancel_futures=True)
        shutil.rmtree(state.stops, ignore_errors=True)
    return EXIT_OK


COMMANDS = {"run": _run, "serve": _serve, "compare": _compare, "sweep": _sweep, "calibrate": _calibrate,
            "sensitivity": _sensitivity,
            "explain": _explain,
            "report": _report, "charts": _charts, "validate": _validate}
