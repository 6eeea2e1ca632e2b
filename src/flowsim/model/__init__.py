"""The model core: a resolved scenario and a seed in, plain data out. No I/O."""

from .ledger import ReplicationResult
from .outcomes import COUNTS, OUTCOMES, STATES, Event
from .plan import Plan, compile_plan
from .flow import simulate

__all__ = ["COUNTS", "OUTCOMES", "STATES", "Event", "Plan", "ReplicationResult", "compile_plan", "simulate"]
