"""flowsim: how taxpayer records flowed from ICE requests through the IRS in 2025.

A discrete-event simulation of requests, IRS review and matching, sign-off and the
court's transfer rules, run from TOML scenario files.

    >>> import flowsim
    >>> loaded = flowsim.load("scenarios/baseline.toml")        # doctest: +SKIP
    >>> result = flowsim.run(loaded, replications=100)           # doctest: +SKIP
    >>> result.stats.set_index("metric").loc["transferred", "mean"]  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .errors import ConservationError, ScenarioError  # noqa: E402
from .scenario import LoadedScenario, Scenario, load  # noqa: E402


def __getattr__(name: str):
    # The experiment layer pulls in pandas; `flowsim validate` and `flowsim explain`
    # need only the scenario layer, so it loads on first use.
    if name in ("run", "RunResult"):
        from . import experiment

        return getattr(experiment, name)
    raise AttributeError(f"module 'flowsim' has no attribute {name!r}")

__all__ = [
    "ConservationError",
    "LoadedScenario",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load",
    "run",
]
