"""The declarations everything derives from: outcome states, parameters, stages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flowsim.model.outcomes import COUNTS, LABELS, OUTCOMES, STATES, TERMINAL_EVENTS, Event
from flowsim.model.rules import GATE_RULES
from flowsim.model.stages import PIPELINE
from flowsim.scenario import TABLES, Scenario, param_of
from flowsim.scenario.keys import parse_range, split_assignment
from flowsim.errors import ScenarioError


def test_every_end_state_is_emitted_by_a_stage_or_a_rule_or_is_what_is_left():
    emitted = {s for stage in PIPELINE for s in stage.outcomes}
    emitted |= {s for rule in GATE_RULES for s in rule.outcomes}
    left = {o.name for o in OUTCOMES if o.event is None}
    assert emitted | left == set(STATES)
    assert len(left) == 1 and not emitted & left


def test_each_settling_event_belongs_to_one_state():
    assert len(TERMINAL_EVENTS) == len([o for o in OUTCOMES if o.event is not None])
    assert all(isinstance(e, Event) for e in TERMINAL_EVENTS)


def test_every_count_has_a_label():
    assert set(COUNTS) <= set(LABELS)
    assert len(set(LABELS.values())) == len(LABELS)


def test_the_schema_has_a_field_for_every_declared_parameter_and_no_other():
    for spec in TABLES:
        model = Scenario.model_fields[spec.key].annotation
        fields = {(f.alias or name) for name, f in _model(model).model_fields.items()}
        assert fields == {p.key for p in spec.params}, spec.key


def _model(annotation):
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(_model(a) for a in get_args(annotation) if _model_or_none(a))


def _model_or_none(annotation):
    try:
        return _model(annotation)
    except StopIteration:
        return None


def test_a_stage_quantities_are_the_drawable_parameters_of_its_table():
    review = PIPELINE[0]
    assert [p.key for p in review.quantities()] == ["days"]
    assert param_of("notice.3.hours").unit == "hours"
    assert param_of("matching.nope") is None


@pytest.mark.parametrize("text, expected", [
    ("0.02:0.05", (0.02, 0.05, None, False)),
    ("1_000:2_000", (1000.0, 2000.0, None, True)),
    (".5:1", (0.5, 1.0, None, False)),
    ("-3:4:8", None),
])
def test_one_number_grammar_for_ranges(text, expected):
    parsed = parse_range(text, "k", source="--x")
    got = None if parsed is None else (parsed.low, parsed.high, parsed.count, parsed.whole)
    assert got == expected


def test_a_counted_range_and_a_bad_one():
    r = parse_range("0:72:4", "k", source="--vary", count=True)
    assert (r.low, r.high, r.count, r.whole) == (0.0, 72.0, 4, True)
    with pytest.raises(ScenarioError, match="low < high"):
        parse_range("5:1", "k", source="--param")
    with pytest.raises(ScenarioError, match="expected key=low:high"):
        split_assignment("nokey", source="--param", form="key=low:high")


def test_charts_leave_the_users_matplotlib_alone():
    """Importing and drawing keeps a notebook user's backend and style."""
    code = (
        "import matplotlib; matplotlib.use('svg'); matplotlib.rcParams['font.size'] = 13\n"
        "import flowsim.outputs.charts as c, pandas as pd\n"
        "t = pd.DataFrame({'scenario': ['a', 'b'], 'baseline': ['a', 'a'],"
        " 'metric': ['transferred'] * 2, 'diff_mean': [0.0, 5.0],"
        " 'diff_ci95_low': [0.0, 4.0], 'diff_ci95_high': [0.0, 6.0]})\n"
        "c.png_bytes(c.comparison_figure(t))\n"
        "print(matplotlib.get_backend(), matplotlib.rcParams['font.size'],"
        " matplotlib.rcParams['svg.hashsalt'])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["svg", "13.0", "None"]


# -- what the page, explain and the charts read from the declarations --------------------

# Every scenario file of both cases (stories/ holds stories, not scenarios).
LIBRARY = sorted(p for p in (__import__("pathlib").Path(__file__).parents[1] / "scenarios")
                 .rglob("*.toml") if "stories" not in p.parts)


def test_every_declared_control_table_has_controls_on_the_page():
    """Every table a page offers (its group) shows as controls for some shipped scenario,
    and no other table does."""
    pytest.importorskip("tomli_w")
    from flowsim.scenario.parameters import CONTROL_TABLES, GROUPS
    from flowsim.serve import runs

    shown = {c["table"] for path in LIBRARY for c in runs.controls(path)}
    assert shown == {spec.key for spec in CONTROL_TABLES}
    assert {spec.group for spec in TABLES} - {""} <= set(GROUPS)


def test_the_page_script_lists_no_table_metric_or_kind():
    """app.js takes tables, metrics and kinds from the server's answers: a new one shows
    on the page without an edit there."""
    from pathlib import Path

    import flowsim.serve
    from flowsim.scenario.parameters import DISTRIBUTION_KINDS

    script = (Path(flowsim.serve.__file__).parent / "static" / "app.js").read_text("utf-8")
    declared = {spec.key for spec in TABLES if spec.group} | set(COUNTS) | set(DISTRIBUTION_KINDS)
    named = {word for word in declared if f'"{word}"' in script or f"'{word}'" in script}
    assert named == set()


@pytest.mark.parametrize("rule", GATE_RULES, ids=lambda r: r.__name__)
def test_every_gate_rule_says_its_dates_and_draws_its_markers(rule):
    """Each rule gives explain its sentences and the charts their markers (the baseline
    holds a notice rule and an injunction): a rule without them fails here."""
    import flowsim
    from flowsim.model.rules import GateRule
    from flowsim.outputs.explain import timeline

    assert rule.timeline is not GateRule.timeline and rule.markers is not GateRule.markers
    baseline = flowsim.load(LIBRARY[[p.name for p in LIBRARY].index("baseline.toml")]).scenario
    sentences, markers = rule.timeline(baseline), rule.markers(baseline)
    assert sentences and markers
    assert set(sentences) <= set(timeline(baseline))
    assert {m.when for m in markers} <= {when for when, _ in sentences}


def test_every_stage_before_the_gate_marks_when_it_is_done():
    from flowsim.model.stages import MILESTONES, Gate

    for stage in PIPELINE:
        assert stage is Gate or stage.milestones, stage.__name__
    assert len({m.name for m in MILESTONES}) == len(MILESTONES)


def test_a_block_keeps_its_sub_counts_in_proportion():
    from flowsim.model.stages import Block
    from flowsim.scenario.distributions import Fixed

    block = Block("R", 1, 1000, Fixed(1.0), Fixed(1.0), tin_path=400, incomplete=100)
    block.remove(250)
    assert (block.records, block.tin_path, block.incomplete) == (750, 300, 75)
    block.remove(700, tin_path=300)  # no TIN-path record is left, so no incomplete one
    assert (block.records, block.tin_path, block.incomplete) == (50, 0, 0)
    block.remove(50)
    assert (block.records, block.tin_path, block.incomplete) == (0, 0, 0)
