"""Regenerate what the README and the documentation show that comes from the code: the
tables of results (from running the library) and the reference pages (from the
declarations and the command line's parser).

    python scripts/update_docs.py

Each generated part sits between `<!-- NAME:start -->` and `<!-- NAME:end -->` markers;
`tests/test_docs.py` checks that every file holds what this script writes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import flowsim
from flowsim.cli import build_parser
from flowsim.experiments.ensemble import read_members
from flowsim.experiments.executors import make_executor
from flowsim.experiments.explore import explore, load_assumptions
from flowsim.experiments.targets import load_targets, load_validation
from flowsim.outputs.markdown import (independent_check_markdown, library_markdown,
                                      tradeoff_markdown, validation_markdown)
from flowsim.outputs.record import record_table_markdown
from flowsim.outputs.reference import commands_markdown, glossary_markdown, scenario_keys_markdown
from flowsim.outputs.tables import dictionary_markdown

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION = ROOT / "calibration"


def block_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {name}:start -->\n)(.*?)\n?(<!-- {name}:end -->)", re.S)


def replace_block(text: str, name: str, body: str, where: str) -> str:
    pattern = block_pattern(name)
    if not pattern.search(text):
        raise SystemExit(f"{where}: no <!-- {name}:start --> ... <!-- {name}:end --> markers")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text)


def block_of(text: str, name: str) -> str | None:
    """What a file holds between a block's markers, or None without them."""
    found = block_pattern(name).search(text)
    return found.group(2) if found else None


def library_exploration(jobs: int = 2):
    """The baseline against every what-if file in scenarios/, explored across what the
    record leaves open at `flowsim explore`'s defaults."""
    scenarios = ROOT / "scenarios"
    others = [flowsim.load(p) for p in sorted(scenarios.glob("*.toml"))
              if p.name != "baseline.toml"]
    executor = make_executor("local", jobs)
    try:
        return explore(flowsim.load(scenarios / "baseline.toml"), others,
                       load_assumptions(CALIBRATION / "assumptions.toml"),
                       read_members(CALIBRATION / "ensemble.csv"),
                       load_targets(CALIBRATION / "targets.toml"), executor=executor)
    finally:
        executor.close()


def reference_blocks() -> dict[str, dict[str, str]]:
    """The blocks written from the declarations alone, by file."""
    return {
        "docs/reference/scenario-files.md": {"scenario-keys": scenario_keys_markdown()},
        "docs/reference/commands.md": {"commands": commands_markdown(build_parser())},
        "docs/reference/outputs.md": {"data-dictionary": dictionary_markdown()},
        "docs/reference/glossary.md": {"glossary": glossary_markdown()},
    }


def result_blocks(exploration) -> dict[str, dict[str, str]]:
    """The blocks written from running the library, by file."""
    baseline = exploration.comparison.baseline
    targets = CALIBRATION / "targets.toml"
    record = record_table_markdown(baseline)
    return {
        "README.md": {"record-table": record,
                      "library-table": library_markdown(exploration, short=True)},
        "docs/background/record.md": {"record-table": record},
        "docs/reference/library.md": {"library-table": library_markdown(exploration),
                                      "tradeoff-table": tradeoff_markdown(exploration)},
        "docs/background/validation.md": {
            "validation-table": validation_markdown(baseline, load_targets(targets),
                                                    load_validation(targets)),
            "independent-check": independent_check_markdown(
                flowsim.load(CALIBRATION / "yale-budget-lab.toml"))},
    }


def main() -> int:
    written = {}
    for blocks in (reference_blocks(), result_blocks(library_exploration())):
        for name, bodies in blocks.items():
            written.setdefault(name, {}).update(bodies)
    for name, bodies in written.items():
        path = ROOT / name
        before = path.read_text(encoding="utf-8")
        text = before
        for block, body in bodies.items():
            text = replace_block(text, block, body, name)
        if text == before:
            print(f"{name}: already up to date")
            continue
        path.write_text(text, encoding="utf-8")
        print(f"updated {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
