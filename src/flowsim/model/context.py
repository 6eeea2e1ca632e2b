"""What a stage or a gate rule may ask of the replication it runs in.

Stages (`stages.py`) and rules (`rules.py`) are written against this interface, not
against `flow.Replication`, which is one implementation of it: a new stage or rule
needs to know only what is here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator, Protocol

import simpy

from .outcomes import Event
from .plan import Plan
from .seeding import Stream

if TYPE_CHECKING:
    from .stages import Block


class Context(Protocol):
    env: simpy.Environment       # the clock, in days from scenario.start
    plan: Plan                   # the scenario's compiled values
    closes_days: float | None    # when a rule closes the gate for good, if one does

    def draws(self, stream: Stream, key: int) -> Any:
        """The random (or mean) draws of one stream and entity (`seeding.Draws`)."""

    def wait(self, event: simpy.Event) -> Generator[simpy.Event, object, bool]:
        """Wait for `event`, or for upstream work to halt; True if it halted."""

    def pause(self, days: float) -> Generator[simpy.Event, object, bool]:
        """Wait `days`, or for upstream work to halt; True if it halted."""

    def log(self, block: "Block", event: Event) -> None:
        """Record that `event` happened to the block's records, now."""

    def settle(self, block: "Block", event: Event, records: float) -> None:
        """End `records` of the block in the state `event` settles them in."""

    def transfer(self, block: "Block", people: tuple[float, float, float], targets: float) -> None:
        """Disclose the block's records (with the people living at their addresses: all,
        in mixed-status households, and US-citizen children among those; and how many of
        the records are the investigation's targets)."""

    def reviewed(self, block: "Block", rejected_share: float) -> None:
        """Say what review decided (the share of the block rejected), for a request that
        answers its rejection."""

    def halt_upstream(self, block: "Block") -> bool:
        """End the block's records as halted upstream of the gate; False."""

    def block_at_gate(self, block: "Block") -> bool:
        """End a ready file's records as blocked by the injunction; False."""

    def new_file(self) -> int:
        """The number of a new file."""
