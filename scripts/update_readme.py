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
from flowsim.experiments.compare import compare
from flowsim.outputs.markdown import headline_markdown
from flowsim.experiments.ensemble import read_members, robustness
from flowsim.outputs.record import record_table_markdown
from flowsim.outputs.tables import dictionary_markdown
from flowsim.outputs.text import robust_words

from flowsim.experiments.executors import make_executor

ROOT = Path(__file__).resolve().parents[1]


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md: no <!-- {name}:start --> ... <!-- {name}:end --> markers")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def library_comparison():
    """The baseline against every what-if file in scenarios/, as the README shows them."""
    scenarios = ROOT / "scenarios"
    others = [flowsim.load(p) for p in sorted(scenarios.glob("*.toml"))
              if p.name != "baseline.toml"]
    return compare(flowsim.load(scenarios / "baseline.toml"), others)


def robustness_markdown(comparison, jobs: int = 2) -> str:
    """Each what-if's records disclosed across the shipped ensemble, in words: every
    member run with the library comparison's replications and seed."""
    scenarios = ROOT / "scenarios"
    loaded = [flowsim.load(scenarios / "baseline.toml"),
              *(flowsim.load(p) for p in sorted(scenarios.glob("*.toml"))
                if p.name != "baseline.toml")]
    members = read_members(ROOT / "calibration" / "ensemble.csv")
    executor = make_executor("local", jobs)
    try:
        table = robustness(loaded[0], loaded[1:], members, headline=comparison.table,
                           replications=comparison.baseline.replications,
                           seed=comparison.baseline.seed, executor=executor)
    finally:
        executor.close()
    lines = ["| scenario | records disclosed, difference from baseline | across the record-consistent sets |",
             "|---|---|---|"]
    for _, row in table[table["metric"] == "transferred"].iterrows():
        lines.append(f"| `{row['scenario']}` | {row['headline']:+,.0f} | {robust_words(row)} |")
    lines.append("")
    lines.append(f"{len(members)} sets of calibration/ensemble.csv, "
                 f"{comparison.baseline.replications} replications at each; robust: every set "
                 "gives the difference the headline's sign, and they spread over less than half "
                 "its size.")
    return "\n".join(lines)


def main() -> int:
    readme = ROOT / "README.md"
    comparison = library_comparison()
    before = readme.read_text(encoding="utf-8")
    text = replace_block(before, "record-table", record_table_markdown(comparison.baseline))
    text = replace_block(text, "library-table", headline_markdown(comparison))
    text = replace_block(text, "robustness-table", robustness_markdown(comparison))
    text = replace_block(text, "data-dictionary", dictionary_markdown())
    if text == before:
        print(f"{readme}: already up to date")
        return 0
    readme.write_text(text, encoding="utf-8")
    print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
