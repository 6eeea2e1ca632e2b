"""Speed of flowsim runs, for the figures quoted in issues and the documentation.

    python benchmarks/bench_run.py [--replications 1000] [--repeat 3]

Measures, in one process on one core:
1. one baseline replication (the model alone);
2. `replications` baseline replications with every CSV and the manifest written;
3. a scenario whose one request holds 7.3 million records against one of 1,000.
Reports the best of `repeat` timings (the least disturbed by other work on the machine).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import flowsim  # noqa: E402
from timing import best_of  # noqa: E402
from flowsim.outputs.writers import write_results  # noqa: E402
from flowsim.model import compile_plan, simulate  # noqa: E402

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loaded = flowsim.load(BASELINE)
    plan = compile_plan(loaded.scenario)
    seed = loaded.scenario.scenario.seed

    n_single = 500
    single = best_of(args.repeat, lambda: [simulate(plan, seed, r) for r in range(n_single)])
    print(f"one baseline replication (model only):        {single / n_single * 1e3:8.3f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        def run_and_write() -> None:
            result = flowsim.run(loaded, replications=args.replications)
            write_results(result, Path(tmp) / "out", loaded=loaded)

        full = best_of(args.repeat, run_and_write)
        t_run = best_of(args.repeat, lambda: flowsim.run(loaded, replications=args.replications))
    print(f"{args.replications} baseline replications, run only:      {t_run:8.3f} s")
    print(f"{args.replications} baseline replications with export:   {full:8.3f} s")

    sizes = {}
    for records in (1_000, 7_300_000):
        s = loaded.with_overrides([
            "requests=[]", "notice=[]",
            f'requests=[{{name="one", at=2025-06-27, records={records}}}]',
        ])
        sizes[records] = best_of(args.repeat, lambda: flowsim.run(s, replications=args.replications))
        print(f"{args.replications} replications, one request of {records:>9,} records: "
              f"{sizes[records]:8.3f} s")
    print(f"ratio 7.3 M / 1,000 records:                     {sizes[7_300_000] / sizes[1_000]:8.3f}")


if __name__ == "__main__":
    main()
