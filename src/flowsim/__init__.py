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
from .experiment import RunResult, run  # noqa: E402
from .scenario import LoadedScenario, Scenario, load  # noqa: E402

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
