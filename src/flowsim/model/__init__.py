"""The model core: a resolved scenario and a seed in, plain data out. No I/O."""

from .ledger import ReplicationResult
from .outcomes import COUNTS, OUTCOMES, STATES, Event
from .plan import Plan, compile_plan
from . import after, filing, flow
from .flow import simulate
from .rules import GATE_RULES

# What each part of a scenario says on explain's timeline: the requests, the court's
# rules at the gate, the orders after disclosure, the filers' seasons.
TIMELINES = (flow.timeline, *(rule.timeline for rule in GATE_RULES), after.timeline,
             filing.timeline)

__all__ = ["COUNTS", "OUTCOMES", "STATES", "TIMELINES", "Event", "Plan", "ReplicationResult",
           "compile_plan", "simulate"]
