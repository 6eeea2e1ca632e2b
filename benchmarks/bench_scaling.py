"""How the cost of a scenario grows with the number of requests it lists.

    python benchmarks/bench_scaling.py [--small 50] [--large 5000] [--repeat 3]

Writes two scenario files that extend the baseline, one listing `small` requests and one
listing `large` (a request every hour from 2025-06-27, 1,000 records each), and times,
for each: validating the file (`flowsim.load`), `flowsim explain`'s text, and one
replication. Reports the time per request of each and the ratio large/small (1.0 is
exactly linear; the target is within 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import flowsim  # noqa: E402
from flowsim.outputs.explain import explain_text  # noqa: E402
from flowsim.model import compile_plan, simulate  # noqa: E402
from timing import best_of  # noqa: E402

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def scenario_file(folder: Path, count: int) -> Path:
    first = dt.datetime(2025, 6, 27)
    lines = [f'extends = "{BASELINE}"', "", "[scenario]", f'name = "requests_{count}"',
             "end = 2026-12-31", ""]
    for i in range(count):
        at = first + dt.timedelta(hours=i)
        lines += ["[[requests]]", f'name = "request {i}"  # ASSUMPTION: a generated request',
                  f"at = {at:%Y-%m-%dT%H:%M:%S}", "records = 1_000", ""]
    path = folder / f"requests_{count}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def measure(path: Path, repeat: int) -> dict[str, float]:
    loaded = flowsim.load(path)
    plan = compile_plan(loaded.scenario)
    return {
        "validate": best_of(repeat, lambda: flowsim.load(path)),
        "explain": best_of(repeat, lambda: explain_text(loaded)),
        "one replication": best_of(repeat, lambda: simulate(plan, 1, 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = measure(scenario_file(Path(tmp), args.small), args.repeat)
        large = measure(scenario_file(Path(tmp), args.large), args.repeat)
    print(f"{'step':<16}{args.small:>8} requests{args.large:>9} requests"
          f"{'per request, small':>22}{'per request, large':>22}{'ratio':>8}")
    for step in small:
        per_small, per_large = small[step] / args.small, large[step] / args.large
        print(f"{step:<16}{small[step]:>15.3f} s{large[step]:>16.3f} s"
              f"{per_small * 1e3:>19.3f} ms{per_large * 1e3:>19.3f} ms"
              f"{per_large / per_small:>8.2f}")


if __name__ == "__main__":
    main()
