"""flowsim: how taxpayer records flowed from ICE requests through the IRS in 2025.

A discrete-event simulation of requests, IRS review and matching, sign-off and the
court's transfer rules, run from TOML scenario files.

    >>> import flowsim
    >>> loaded = flowsim.load("scenarios/baseline.toml")        # doctest: +SKIP
    >>> result = flowsim.run(loaded, replications=100)           # doctest: +SKIP
    >>> result.stats.set_index("metric").loc["transferred", "mean"]  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .errors import ConservationError, InputError, ScenarioError  # noqa: E402
from .scenario import LoadedScenario, Scenario, load  # noqa: E402


# The experiment layer pulls in pandas; `flowsim validate` and `flowsim explain` need
# only the scenario layer, so these load on first use.
_LAZY = {"run": "run", "RunResult": "run", "compare": "compare", "Comparison": "compare",
         "make_executor": "executors"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".experiments.{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'flowsim' has no attribute {name!r}")

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
    "make_executor",
    "run",
]
