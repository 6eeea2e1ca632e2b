"""The command line: parses arguments and calls the public API, nothing more."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import Sequence

from . import __version__
from .errors import ScenarioError
from .experiment import RunResult, iso_times, run
from .export import write_results
from .scenario import load

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for any bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _whole_number(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_seed = _whole_number(0)


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

    p = commands.add_parser("run", help="run a scenario and write its CSV files",
                            description="Run a scenario's replications and write summary.csv, "
                            "stats.csv, daily.csv, events.csv and manifest.json.")
    p.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")
    p.add_argument("--replications", "-n", type=_positive_int, metavar="N",
                   help="replications to run (default: the file's scenario.replications)")
    p.add_argument("--seed", type=_seed, metavar="S", help="seed (default: the file's scenario.seed)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a value, e.g. --set notice.0.hours=72 (repeatable)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: results/<scenario name>)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")

    v = commands.add_parser("validate", help="check scenario files without running them",
                            description="Check scenario files: exit 0 if all are valid, "
                            "2 with the file, key and reason of the first problem otherwise.")
    v.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml")
    v.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="check with this override applied (repeatable)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        return _validate(args)
    except ScenarioError as exc:
        print(f"flowsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("flowsim: interrupted; no results were written", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so, and keep the traceback for the report
        traceback.print_exc()
        print(f"flowsim: internal error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def _validate(args: argparse.Namespace) -> int:
    for name in args.scenarios:
        s = load(name, args.overrides).scenario
        print(f"{name}: ok ({s.name}: {len(s.requests)} requests, "
              f"{len(s.request_streams)} streams, {len(s.notice)} notice rules, "
              f"injunction {'on ' + s.injunction.at.date().isoformat() if s.injunction.enabled else 'off'})")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    loaded = load(args.scenario, args.overrides)
    out = args.out if args.out is not None else Path("results") / loaded.scenario.name
    if out.exists() and not out.is_dir():
        raise ScenarioError("is a file, not a folder", key="--out", source=str(out))
    progress = None if args.quiet or not sys.stderr.isatty() else _progress_bar
    result = run(loaded, replications=args.replications, seed=args.seed, progress=progress)
    write_results(result, out, loaded=loaded, overrides=args.overrides)
    if not args.quiet:
        print(headline(result, out))
    return EXIT_OK


def _progress_bar(done: int, total: int) -> None:
    step = max(1, total // 100)
    if done % step and done != total:
        return
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} replications")
    if done == total:
        sys.stderr.write("\r" + " " * (width + 40) + "\r")
    sys.stderr.flush()


def headline(result: RunResult, out: Path) -> str:
    """A short table of the run for the terminal."""
    stats = result.stats.set_index("metric")
    lines = [f"{result.name}: {result.replications} replications, seed {result.seed} -> {out}/",
             f"  {'records':<22}{'mean':>14}  {'95% CI of the mean':>24}  {'5-95% of runs':>24}"]
    for metric in ("requested", "rejected", "unmatched", "transferred", "blocked_notice",
                   "blocked_injunction", "pending", "transferred_tin_path"):
        row = stats.loc[metric]
        lines.append(
            f"  {metric:<22}{row['mean']:>14,.0f}  "
            f"{_pair(row['ci95_low'], row['ci95_high']):>24}  {_pair(row['p05'], row['p95']):>24}"
        )
    first = stats.loc["first_transfer_days"]
    if first["replications"] > 0:
        start = result.scenario.scenario.start
        lo, mid, hi = iso_times(start, [first["p05"], first["p50"], first["p95"]])
        lines.append(f"  first transfer: median {mid[:10]} (5-95%: {lo[:10]} to {hi[:10]}), "
                     f"in {int(first['replications'])} of {result.replications} replications")
    else:
        lines.append("  first transfer: none in any replication")
    return "\n".join(lines)


def _pair(low: float, high: float) -> str:
    if low != low:  # NaN: one replication has no interval
        return "-"
    return f"{low:,.0f} to {high:,.0f}"
