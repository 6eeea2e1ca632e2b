"""Rank the assumptions behind each what-if question with a Morris screening.

    python scripts/rank_assumptions.py [--samples 12] [--replications 20] [--jobs 2]

Every scenario in scenarios/ is screened over the same ranges of the unpublished
parameters (plus, where a scenario has them, ICE's resubmission stream), leaving out
those a what-if sets itself (they are its question, not its assumptions). Parameters are
printed from most to least influential on the records disclosed, with their Morris mu*
(the mean absolute change in records disclosed across the range).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import flowsim
from flowsim.experiments.executors import make_executor
from flowsim.experiments.sensitivity import parse_param, sensitivity

ROOT = Path(__file__).resolve().parents[1]
RANGES = [
    "matching.tin_rate=0.02:0.05",
    "matching.setup_days=5:40",
    "matching.records_per_day=50000:400000",
    "review.days=1:10",
    "approval.days=1:14",
    "notice.0.hours=0:72",
    "notice.0.relief=0:1",
]
STREAM_RANGES = ["request_streams.0.interval_days=14:60", "request_streams.0.accept=0.5:1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    executor = make_executor("local", args.jobs)
    try:
        print("| scenario | assumptions, most influential first (Morris mu*, records disclosed) |")
        print("|---|---|")
        for path in sorted((ROOT / "scenarios").glob("*.toml")):
            loaded = flowsim.load(path)
            texts = [t for t in RANGES + (STREAM_RANGES if loaded.scenario.request_streams else [])
                     if len(loaded.files) == 1
                     or loaded.source_of(t.split("=")[0]) != str(loaded.path)]
            result = sensitivity(loaded, [parse_param(t, loaded) for t in texts],
                                 method="morris", samples=args.samples,
                                 replications=args.replications, metrics=["transferred"],
                                 executor=executor)
            rows = result.indices.set_index("parameter")["mu_star"]
            ranked = [f"{p} ({rows[p]:,.0f})" for p in result.ranking() if rows[p] > 0]
            print(f"| `{loaded.scenario.name}` | {'; '.join(ranked) or 'none moves it'} |")
    finally:
        executor.close()


if __name__ == "__main__":
    main()
