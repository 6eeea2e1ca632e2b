"""Regenerate the tables in README.md that come from running the model.

    python scripts/update_readme.py

Each table sits between `<!-- NAME:start -->` and `<!-- NAME:end -->` markers; a test
checks that README.md holds what this script writes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import flowsim
from flowsim.experiments.ensemble import read_members
from flowsim.experiments.explore import explore, load_assumptions
from flowsim.experiments.targets import load_targets
from flowsim.outputs.markdown import independent_check_markdown, library_markdown, tradeoff_markdown
from flowsim.outputs.record import record_table_markdown
from flowsim.outputs.tables import dictionary_markdown

from flowsim.experiments.executors import make_executor

ROOT = Path(__file__).resolve().parents[1]


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md: no <!-- {name}:start --> ... <!-- {name}:end --> markers")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def library_exploration(jobs: int = 2):
    """The baseline against every what-if file in scenarios/, explored across what the
    record leaves open at `flowsim explore`'s defaults, as the README shows them."""
    scenarios = ROOT / "scenarios"
    calibration = ROOT / "calibration"
    others = [flowsim.load(p) for p in sorted(scenarios.glob("*.toml"))
              if p.name != "baseline.toml"]
    executor = make_executor("local", jobs)
    try:
        return explore(flowsim.load(scenarios / "baseline.toml"), others,
                       load_assumptions(calibration / "assumptions.toml"),
                       read_members(calibration / "ensemble.csv"),
                       load_targets(calibration / "targets.toml"), executor=executor)
    finally:
        executor.close()


def main() -> int:
    readme = ROOT / "README.md"
    exploration = library_exploration()
    before = readme.read_text(encoding="utf-8")
    text = replace_block(before, "record-table",
                         record_table_markdown(exploration.comparison.baseline))
    text = replace_block(text, "library-table", library_markdown(exploration))
    text = replace_block(text, "tradeoff-table", tradeoff_markdown(exploration))
    text = replace_block(text, "independent-check", independent_check_markdown(
        flowsim.load(ROOT / "calibration" / "yale-budget-lab.toml")))
    text = replace_block(text, "data-dictionary", dictionary_markdown())
    if text == before:
        print(f"{readme}: already up to date")
        return 0
    readme.write_text(text, encoding="utf-8")
    print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
