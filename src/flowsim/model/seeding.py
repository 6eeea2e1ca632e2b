"""Random streams keyed by what is drawn, not by when.

Every draw comes from a Generator seeded with (scenario seed, replication, stage,
entity). Entities are keyed by their names, so two scenarios that share a request
draw the same numbers for it whatever else differs: common random numbers.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum

import numpy as np


class Stage(IntEnum):
    RECORDS = 1
    REVIEW = 2
    MATCHING = 3
    APPROVAL = 4
    NOTICE = 5
    ARRIVALS = 6
    IMPACT = 7
    UNCERTAIN = 8


def entity_key(name: str) -> int:
    """A stable 64-bit key for an entity name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def generator(seed: int, replication: int, stage: Stage, entity: int) -> np.random.Generator:
    return np.random.default_rng([seed, replication, int(stage), entity])
