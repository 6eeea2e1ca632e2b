"""The commands of the command line, each declared once: its name, help, arguments and
what it does. `cli.py` builds its parser from these and dispatches to them; each command
loads its input, checks the work, runs an experiment and writes its outputs through the
layers below, and says what it wrote.

Every command has the same shape (`Command`): its own arguments added to a parser, and
a `run(args)` that returns the exit status.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable

FROM_SCENARIO = "the scenario's scenario.replications"


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    description: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None]
    # The shared options it takes: "" none, "set" --set, "work" those of a command that
    # simulates, "outputs" those and the options of a run's tables and charts.
    options: str = ""
    replications: str = FROM_SCENARIO  # what --replications defaults to, for its help
    # What an interrupted run says it kept.
    interrupted: str = "no results were written"


def all_commands() -> tuple[Command, ...]:
    """Every command, in the order `flowsim --help` lists them."""
    from . import explore, fit, results, scenarios, serve, simulate

    return (simulate.RUN, simulate.COMPARE, explore.EXPLORE, simulate.SWEEP, fit.CALIBRATE,
            fit.SENSITIVITY,
            scenarios.EXPLAIN, results.REPORT, results.CHARTS, serve.SERVE, scenarios.VALIDATE)
