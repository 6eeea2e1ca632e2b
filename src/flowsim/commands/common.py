"""What the simulating commands share: their output folder, the check of their work,
their executor and their progress bar, from the shared options."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..experiments.executors import Executor, make_executor, usable_cores
from ..outputs.folders import OutputFolder
from ..outputs.work import check_work as check_work_of
from ..scenario import LoadedScenario


def output_folder(args: argparse.Namespace, default: Path, command: str,
                  inputs: Iterable[Path], identity: dict | None = None) -> OutputFolder:
    """The command's output folder, checked now: a refusal comes before any work."""
    out = OutputFolder(args.out if args.out is not None else default, command,
                       inputs=inputs, force=args.force, identity=identity)
    out.check()
    return out


def check_work(args: argparse.Namespace, scenarios: Sequence[LoadedScenario],
               replications: int, *, writes: bool = True) -> None:
    """Estimate a large run before starting it; --force past the bounds."""
    said = check_work_of([s.scenario for s in scenarios], replications,
                         workers=min(args.jobs, usable_cores()), writes=writes,
                         force=args.force)
    if said and not args.quiet:
        print(f"flowsim: {said}", file=sys.stderr)


@contextmanager
def executor_of(args: argparse.Namespace, *, charts: bool = False) -> Iterator[Executor]:
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
        from ..outputs import charts as _  # noqa: F401
    try:
        yield executor
    finally:
        executor.close()


def progress(args: argparse.Namespace, unit: str):
    if args.quiet or not sys.stderr.isatty():
        return None
    from ..outputs.text import progress_bar

    return lambda done, total: progress_bar(done, total, unit)


def held(args: argparse.Namespace, loaded: LoadedScenario) -> LoadedScenario:
    """The scenario to run: as loaded, or with its uncertain inputs at their means."""
    return loaded.held_at_means() if args.hold_uncertain else loaded


def say_dropped(loaded: LoadedScenario) -> None:
    """One line for each inherited list item a file's own list leaves out."""
    for sentence in loaded.dropped:
        print(f"flowsim: note: {sentence}", file=sys.stderr)
