"""Small deterministic scenarios whose answers can be worked out by hand."""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

from flowsim.scenario import Scenario, validate

START = dt.date(2025, 1, 1)


def day(n: float) -> dt.datetime:
    """The moment `n` days after START (clock zero)."""
    return dt.datetime(2025, 1, 1) + dt.timedelta(days=n)


def request(name: str, at_day: float, records: int, accept: float = 1.0) -> dict[str, Any]:
    return {"name": name, "at": day(at_day), "records": records, "accept": accept}


# One request of 1,000 records on day 10. Review 2 days, matching 3 + 1000/100 = 13 days,
# sign-off 1 day: the file reaches the gate on day 26. Every record matches on the TIN path.
BASE: dict[str, Any] = {
    "scenario": {"name": "hand", "start": START, "end": dt.date(2025, 12, 31),
                 "replications": 3, "seed": 7},
    "requests": [request("R1", 10, 1000)],
    "review": {"days": 2, "capacity": 1},
    "matching": {"capacity": 1, "setup_days": 3, "records_per_day": 100,
                 "tin_rate": 1.0, "name_address_rate": 0.0},
    "approval": {"days": 1},
}
GATE_DAY = 26


def scenario(**changes: Any) -> Scenario:
    """BASE with top-level tables replaced or merged (a dict merges into a table)."""
    raw = copy.deepcopy(BASE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return validate(raw, {}, default_source="<test>")


def load_script(name: str):
    """A script of scripts/ as a module (they are not a package)."""
    path = Path(__file__).parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
