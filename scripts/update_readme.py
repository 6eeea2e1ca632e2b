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
from flowsim.experiments.compare import compare, headline_markdown
from flowsim.outputs.record import record_table_markdown

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


def main() -> int:
    readme = ROOT / "README.md"
    comparison = library_comparison()
    text = replace_block(readme.read_text(encoding="utf-8"), "record-table",
                         record_table_markdown(comparison.baseline))
    text = replace_block(text, "library-table", headline_markdown(comparison))
    readme.write_text(text, encoding="utf-8")
    print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
