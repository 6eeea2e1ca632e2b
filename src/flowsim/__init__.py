"""flowsim: how taxpayer records flowed from ICE requests through the IRS in 2025.

A discrete-event simulation of requests, IRS review and matching, sign-off and the
court's transfer rules, run from TOML scenario files.

    >>> import flowsim
    >>> loaded = flowsim.load("scenarios/baseline.toml")        # doctest: +SKIP
    >>> result = flowsim.run(loaded, replications=100)           # doctest: +SKIP
    >>> result.stats.set_index("metric").loc["transferred", "mean"]  # doctest: +SKIP
"""

__version__ = "0.3.1"

from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from pathlib import Path

from .errors import ConservationError, InputError, ScenarioError  # noqa: E402
from .scenario import LoadedScenario, Scenario, load  # noqa: E402


# The experiment layer pulls in pandas; `flowsim validate` and `flowsim explain` need
# only the scenario layer, so these load on first use.
_LAZY = {"run": "run", "RunResult": "run", "compare": "compare", "Comparison": "compare",
         "explore": "explore", "make_executor": "executors"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".experiments.{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'flowsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    # What tab completion offers: the public names, the lazily loaded ones too.
    return sorted(__all__)


def scenarios(case: str = "") -> list["Path"]:
    """The shipped scenario files: the IRS case's library (the baseline first), or with
    `case="medicaid"` the second case's. They are package data: found from any folder."""
    from .library import SCENARIOS

    folder = SCENARIOS / case
    if not (folder / "baseline.toml").is_file():
        cases = sorted(p.name for p in SCENARIOS.iterdir() if (p / "baseline.toml").is_file())
        raise InputError(f"no shipped case {case!r}; the cases are the IRS case (\"\") and "
                         + ", ".join(repr(c) for c in cases), source="flowsim.scenarios")
    files = sorted(folder.glob("*.toml"))
    return sorted(files, key=lambda p: p.stem != "baseline")


def plot(result):
    """The charts of a run or a comparison by name, from the definitions the files use:
    the disclosures chart a `VegaFigure` (the page's Vega-Lite definition), the others
    matplotlib figures; nothing is written."""
    from .experiments.compare import Comparison
    from .outputs.charts import comparison_figures, run_figures

    if isinstance(result, Comparison):
        return comparison_figures(result.results, result.table)
    return run_figures(result)


def tables(result) -> dict:
    """The tables of a run or a comparison as its CSV files hold them, by file name:
    rounded to their units, each metric with its unit, and dates beside days."""
    from .experiments.compare import Comparison
    from .outputs.tables import comparison_file
    from .outputs.writers.run import file_tables

    if isinstance(result, Comparison):
        return {"comparison": comparison_file(
            result.table, {r.name: r.scenario.scenario.start for r in result.results})}
    return file_tables(result)

__all__ = [
    "Comparison",
    "ConservationError",
    "InputError",
    "LoadedScenario",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "load",
    "explore",
    "make_executor",
    "plot",
    "run",
    "scenarios",
    "tables",
]
