"""Speed of `flowsim explore` over the whole library, as a user types it.

    python benchmarks/bench_explore.py [--repeat 1]

Measures the wall time of `flowsim explore` over the baseline and every what-if of
scenarios/ at the command's defaults (start-up, every run, every file and chart), with
one local worker, two local workers and a local Dask cluster of two workers, and checks
that the three write the same verdicts.csv and exploration.csv.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
LIBRARY = [str(SCENARIOS / "baseline.toml"),
           *(str(p) for p in sorted(SCENARIOS.glob("*.toml")) if p.name != "baseline.toml")]


def timed(out: Path, *extra: str) -> float:
    command = [sys.executable, "-m", "flowsim", "explore", *LIBRARY, "--out", str(out), "-q",
               *extra]
    t0 = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = {"one worker": (), "two local workers": ("-j", "2"),
                "Dask, two workers": ("--executor", "dask", "-j", "2")}
        seconds = {}
        for label, extra in runs.items():
            seconds[label] = min(timed(folder / f"{label}-{i}", "--force", *extra)
                                 for i in range(args.repeat))
            print(f"explore, whole library, {label + ':':<22}{seconds[label]:8.1f} s", flush=True)
        one = seconds["one worker"]
        for label in list(runs)[1:]:
            print(f"speed-up, {label + ':':<31}{one / seconds[label]:8.2f}x")
        for name in ("verdicts.csv", "exploration.csv"):
            files = {(folder / f"{label}-0" / name).read_bytes() for label in runs}
            print(f"{name}: {'the same bytes' if len(files) == 1 else 'DIFFERENT'} in all three")


if __name__ == "__main__":
    main()
