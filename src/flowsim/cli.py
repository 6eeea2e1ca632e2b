"""The command line: parses arguments and dispatches to the commands (`commands/`),
nothing more."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Sequence

from . import __version__
from .commands import Command, all_commands
from .commands.options import EXIT_BAD_INPUT, EXIT_INTERNAL, positive_int, replications, seed
from .errors import InputError
from .experiments.defaults import DAILY_CHOICES
from .experiments.executors import EXECUTORS


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for any bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
    common.add_argument("--replications", "-n", type=replications, metavar="N",
                        help=f"replications (default: {replications_default})")
    common.add_argument("--seed", type=seed, metavar="S",
                        help="seed (default: the scenario's scenario.seed)")
    common.add_argument("--out", type=Path, metavar="DIR",
                        help="output folder: new, empty, or one this command wrote before "
                        "(replaced whole when the new results are complete)")
    common.add_argument("--force", action="store_true",
                        help="write into a folder that holds other files, and run work "
                        "estimated to take over 15 minutes; files flowsim did not write are "
                        "always kept")
    common.add_argument("--jobs", "-j", type=positive_int, default=1, metavar="N",
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


def _parents(command: Command) -> list[argparse.ArgumentParser]:
    if command.options == "set":
        return [_set_option()]
    if command.options in ("work", "outputs"):
        return [_work_options(command.replications, outputs=command.options == "outputs")]
    return []


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="flowsim",
        description="Simulate how taxpayer records flowed from ICE requests through the IRS "
        "to disclosure in 2025, under the court's rules or other ones.",
        epilog="Exit status: 0 success, 2 bad input (file, key or value), 1 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"flowsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for command in all_commands():
        sub = subparsers.add_parser(command.name, parents=_parents(command), help=command.help,
                                    description=command.description)
        command.arguments(sub)
        sub.set_defaults(command_of=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return args.command_of.run(args)
    except InputError as exc:
        print(f"flowsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, Terminated) as exc:
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else "terminated"
        print(f"flowsim: {what}; {args.command_of.interrupted}", file=sys.stderr)
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
