"""Speed of a run's export: every default output of 1,000 baseline replications.

    python benchmarks/bench_export.py [--replications 1000] [--repeat 3]

Measures, in one process, the best of `repeat` timings of
1. the replications alone;
2. the replications with every default output written (what `flowsim run` writes);
3. each part of the export on its own: the tables, the charts, the workbook;
and, once the process is warm, `flowsim run scenarios/baseline.toml --replications N`
from the shell, wall clock, interpreter start included.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import flowsim  # noqa: E402
from timing import best_of  # noqa: E402
from flowsim.outputs import charts, writers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loaded = flowsim.load(BASELINE)
    n = args.replications

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t_run = best_of(args.repeat, lambda: flowsim.run(loaded, replications=n))

        def written(charts: bool) -> None:
            result = flowsim.run(loaded, replications=n)
            writers.write_results(result, out / f"charts-{charts}", loaded=loaded,
                                  charts=charts)

        t_files = best_of(args.repeat, lambda: written(False))
        t_all = best_of(args.repeat, lambda: written(True))
        print(f"{n} baseline replications, run only:                       {t_run:7.3f} s")
        print(f"  with tables, workbook and manifest (write_results):     {t_files:7.3f} s")
        print(f"  with the charts as well (what flowsim run writes):      {t_all:7.3f} s")
        result = flowsim.run(loaded, replications=n)
        parts = {
            "tables": lambda: {k: writers.write_csv(t, out / f"{k}.csv")
                               for k, t in writers.file_tables(result).items()},
            "workbook": lambda: writers.write_workbook(
                out / "r.xlsx", writers.run_headline(result),
                writers.run_sheets(writers.file_tables(result), loaded)),
            "charts": lambda: writers.write_figures(charts.run_charts(result), out),
        }
        for name, part in parts.items():
            t = best_of(args.repeat, part)
            print(f"  of which {name:<10}                                    {t:7.3f} s")

        command = [sys.executable, "-m", "flowsim", "run", str(BASELINE), "--replications",
                   str(n), "--out", str(out / "shell"), "--quiet"]
        subprocess.run(command, check=True)  # warm the file cache
        best = float("inf")
        for _ in range(args.repeat):
            began = time.perf_counter()
            subprocess.run(command, check=True)
            best = min(best, time.perf_counter() - began)
        print(f"flowsim run baseline.toml -n {n} from the shell:          {best:7.3f} s")


if __name__ == "__main__":
    main()
