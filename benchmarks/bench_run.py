"""Speed of flowsim runs, for the figures quoted in issues and the documentation.

    python benchmarks/bench_run.py [--replications 1000] [--repeat 3]

Measures, in one process on one core:
1. one baseline replication (the model alone), and where its time goes: how many SimPy
   events, keyed uniforms and binomial splits one history takes, what each costs alone,
   and the rest, which is the model's own Python (stages, rules, ledger, filing seasons,
   records after disclosure);
2. `replications` baseline replications with every CSV and the manifest written;
3. a scenario whose one request holds 7.3 million records against one of 1,000.
Reports the best of `repeat` timings (the least disturbed by other work on the machine).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import simpy  # noqa: E402

import flowsim  # noqa: E402
from timing import best_of  # noqa: E402
from flowsim.outputs.writers import write_results  # noqa: E402
from flowsim.model import compile_plan, plan as plan_module, seeding, simulate  # noqa: E402

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
    where_the_time_goes(plan, seed, single / n_single, args.repeat)

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


@contextmanager
def counted():
    """Count, while inside, the SimPy events scheduled (by kind), the keyed uniforms
    drawn and the binomial splits made, keeping each split's (u, n, p) to time it alone."""
    seen = {"events": Counter(), "uniforms": 0, "splits": []}
    schedule, uniform, quantile = (simpy.Environment.schedule, seeding.uniform,
                                   seeding.binomial_quantile)

    def counted_schedule(env, event, *args, **kwargs):
        seen["events"][type(event).__name__] += 1
        return schedule(env, event, *args, **kwargs)

    def counted_uniform(*key):
        seen["uniforms"] += 1
        return uniform(*key)

    def counted_quantile(u, n, p):
        seen["splits"].append((u, n, p))
        return quantile(u, n, p)

    simpy.Environment.schedule = counted_schedule
    seeding.uniform = plan_module.uniform = counted_uniform
    seeding.binomial_quantile = counted_quantile
    try:
        yield seen
    finally:
        simpy.Environment.schedule = schedule
        seeding.uniform = plan_module.uniform = uniform
        seeding.binomial_quantile = quantile


def simpy_costs(repeat: int, loops: int = 20_000) -> dict[str, float]:
    """Seconds per SimPy event of each kind, each in a loop that does nothing else: a
    timeout waited for; a server's request and release (half a pair each); a process
    started and ended (half each). A kind not measured costs what a timeout does."""
    def timeouts(env):
        for _ in range(loops):
            yield env.timeout(1)

    def serves(env, server):
        for _ in range(loops):
            with server.request() as slot:
                yield slot

    def nothing(env):
        return
        yield

    def run(body) -> float:
        def once() -> None:
            env = simpy.Environment()
            body(env)
            env.run()
        return best_of(repeat, once) / loops

    timeout = run(lambda env: env.process(timeouts(env)))
    pair = run(lambda env: env.process(serves(env, simpy.Resource(env, 1))))
    process = run(lambda env: [env.process(nothing(env)) for _ in range(loops)])
    return {"Timeout": timeout, "Request": pair / 2, "Release": pair / 2,
            "Initialize": process / 2, "Process": process / 2}


def where_the_time_goes(plan, seed: int, history_seconds: float, repeat: int,
                        histories: int = 200) -> None:
    """One history's time as SimPy events, keyed uniforms and binomial splits, each at its
    cost alone, and the rest: the model's own Python."""
    with counted() as seen:
        for r in range(histories):
            simulate(plan, seed, r)
    splits = seen["splits"]
    costs = simpy_costs(repeat)
    events = sum(seen["events"].values()) / histories
    simpy_seconds = sum(n * costs.get(kind, costs["Timeout"])
                        for kind, n in seen["events"].items()) / histories
    kinds = ", ".join(f"{n / histories:g} {kind}" for kind, n in seen["events"].most_common())
    split_seconds = best_of(repeat, lambda: [seeding.binomial_quantile(*s) for s in splits])
    parts = [
        (f"SimPy events ({kinds})", events, simpy_seconds / events),
        ("keyed uniforms (one BLAKE2b hash each)", seen["uniforms"] / histories,
         best_of(repeat, lambda: [seeding.uniform(1, 2, 3, 4, 5, i) for i in range(20_000)])
         / 20_000),
        ("binomial splits (the baseline's own n and p)", len(splits) / histories,
         split_seconds / max(1, len(splits))),
    ]
    rest = history_seconds
    print("  where it goes, per history, each part at its cost alone:")
    for label, count, seconds in parts:
        rest -= count * seconds
        print(f"    {label}\n      {count:5.1f} x {seconds * 1e6:5.2f} us = "
              f"{count * seconds * 1e6:6.1f} us")
    print(f"    the rest, the model's own Python: {rest * 1e6:6.1f} us")


if __name__ == "__main__":
    main()
