"""Speed of a run's export: every default output of 1,000 baseline replications.

    python benchmarks/bench_export.py [--replications 1000] [--repeat 3] [--jobs 2]

Measures, in one process, the best of `repeat` timings of
1. the replications alone;
2. the replications with the tables, workbook and manifest written, then with the charts
   as well (what `flowsim run` writes), in this process alone and on a pool of `jobs`
   workers started beforehand, as a long session would have it (the charts are then
   drawn in the workers while the tables are written here);
3. each part of the export on its own: the tables, the workbook, the charts;
and, from the shell, wall clock with interpreter start:
4. importing the libraries a run needs, and nothing else: the floor under any command;
5. `flowsim run scenarios/baseline.toml --replications N`, with and without charts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import flowsim  # noqa: E402
from timing import best_of  # noqa: E402
from flowsim.experiments.executors import PoolExecutor  # noqa: E402
from flowsim.outputs import charts, writers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
LIBRARIES = "import numpy, pandas, scipy.special, pydantic, simpy, xlsxwriter"


def line(label: str, seconds: float) -> None:
    print(f"{label:<66} {seconds:7.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    loaded = flowsim.load(BASELINE)
    n = args.replications
    pool = PoolExecutor(args.jobs)
    flowsim.run(loaded, replications=2 * args.jobs, executor=pool)  # start the workers

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def written(drawn: bool, executor: PoolExecutor | None = None) -> None:
            result = flowsim.run(loaded, replications=n, executor=executor)
            writers.write_results(result, out / f"charts-{drawn}", loaded=loaded,
                                  charts=drawn, executor=executor)

        line(f"{n} baseline replications, run only",
             best_of(args.repeat, lambda: flowsim.run(loaded, replications=n)))
        line("  with tables, workbook and manifest (write_results)",
             best_of(args.repeat, lambda: written(False)))
        line("  with the charts as well (what flowsim run writes)",
             best_of(args.repeat, lambda: written(True)))
        line(f"{n} replications on {args.jobs} workers, run only",
             best_of(args.repeat, lambda: flowsim.run(loaded, replications=n, executor=pool)))
        line("  with tables, workbook and manifest",
             best_of(args.repeat, lambda: written(False, pool)))
        line("  with the charts as well, drawn in the workers",
             best_of(args.repeat, lambda: written(True, pool)))
        pool.close()

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
            line(f"  of which {name}", best_of(args.repeat, part))

        def shell(command: list[str]) -> float:
            subprocess.run(command, check=True)  # warm the file cache
            return best_of(args.repeat, lambda: subprocess.run(command, check=True))

        line("from the shell: importing the libraries a run needs, and nothing else",
             shell([sys.executable, "-c", LIBRARIES]))
        run = [sys.executable, "-m", "flowsim", "run", str(BASELINE), "--replications", str(n),
               "--quiet"]
        line(f"flowsim run baseline.toml -n {n} from the shell",
             shell([*run, "--out", str(out / "shell")]))
        line(f"flowsim run baseline.toml -n {n} --no-charts from the shell",
             shell([*run, "--out", str(out / "shell-tables"), "--no-charts"]))
        line(f"flowsim run baseline.toml -n {n} --jobs {args.jobs} from the shell",
             shell([*run, "--out", str(out / "shell-jobs"), "--jobs", str(args.jobs)]))


if __name__ == "__main__":
    main()
