"""validate and explain: read scenario files without running them."""

from __future__ import annotations

import argparse

from ..scenario import load
from . import Command
from .common import say_dropped
from .options import EXIT_OK


def validate_command(args: argparse.Namespace) -> int:
    from ..outputs.text import validation_line

    from ..experiments.run import check_headline

    for name in args.scenarios:
        loaded = load(name, args.overrides)
        check_headline(loaded)
        print(validation_line(name, loaded.scenario))
        say_dropped(loaded)
    return EXIT_OK


def explain_command(args: argparse.Namespace) -> int:
    from ..experiments.run import check_headline
    from ..outputs.explain import explain_text

    from ..experiments.explore import load_assumptions
    from .explore import ASSUMPTIONS

    loaded = load(args.scenario, args.overrides)
    check_headline(loaded)
    say_dropped(loaded)
    shared = load_assumptions(ASSUMPTIONS) if ASSUMPTIONS.is_file() else []
    print(explain_text(loaded, shared))
    return EXIT_OK


def _one_scenario(e: argparse.ArgumentParser) -> None:
    e.add_argument("scenario", metavar="SCENARIO.toml")


def _scenarios(v: argparse.ArgumentParser) -> None:
    v.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml")


EXPLAIN = Command(
    "explain", "show a scenario's values, their sources, its timeline and expected flow",
    "A dry run: every resolved value (after extends and --set) with the file it came from "
    "and its note, the timeline of requests and court rules, and the flow the means imply. "
    "Runs no simulation.",
    explain_command, _one_scenario, options="set")

VALIDATE = Command(
    "validate", "check scenario files without running them",
    "Check scenario files: exit 0 if all are valid, 2 with the file, key and reason of the "
    "first problem otherwise.",
    validate_command, _scenarios, options="set")
