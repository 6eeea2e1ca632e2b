"""The model core: a resolved scenario and a seed in, plain data out. No I/O."""

from .ledger import COUNTS, STATES, Event, ReplicationResult
from .plan import Plan, compile_plan
from .flow import simulate

__all__ = ["COUNTS", "STATES", "Event", "Plan", "ReplicationResult", "compile_plan", "simulate"]
