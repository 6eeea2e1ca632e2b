"""Scenario files: loading, extends, --set, and where values came from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import flowsim
from flowsim.scenario import distributions as D
from flowsim.errors import ScenarioError

SCENARIOS = Path(__file__).parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_baseline_loads_with_its_values():
    s = flowsim.load(BASELINE).scenario
    assert s.name == "baseline"
    assert [r.records.mean for r in s.requests][:2] == [7_600_000, 7_300_000]
    assert isinstance(s.requests[2].records, D.PerReplication)
    assert s.requests[2].records.inner == D.Triangular(1_270_000, 1_280_000, 1_300_000)
    assert s.notice[0].hours == D.Fixed(24)
    assert s.injunction.at == dt.datetime(2025, 11, 21)
    assert isinstance(s.review.days, D.Triangular)


def test_extends_overrides_only_what_it_sets(tmp_path):
    child = write(tmp_path, "c.toml", f'extends = "{BASELINE}"\n[matching]\ntin_rate = 0.05\n')
    s = flowsim.load(child).scenario
    assert s.matching.tin_rate == D.Fixed(0.05)
    assert s.matching.records_per_day == D.Fixed(100_000)
    assert len(s.requests) == 3


def test_extends_is_relative_to_the_extending_file(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "base.toml", BASELINE.read_text())
    child = write(tmp_path / "sub", "c.toml", 'extends = "../base.toml"\n')
    s = flowsim.load(child).scenario
    assert s.matching == flowsim.load(BASELINE).scenario.matching


def test_a_file_that_extends_another_is_a_scenario_of_its_own(tmp_path):
    """Its name is its file's stem when it gives none; its parent's title and question
    are not silently its own, so its results never land in the parent's folder."""
    child = write(tmp_path, "My What-if.toml", f'extends = "{BASELINE}"\n[review]\ncapacity = 2\n')
    meta = flowsim.load(child).scenario.scenario
    assert (meta.name, meta.title, meta.question) == ("my_what-if", "", "")
    named = write(tmp_path, "n.toml", f'extends = "{BASELINE}"\n[scenario]\nname = "mine"\n'
                  'title = "Mine"\n')
    assert flowsim.load(named).scenario.scenario.title == "Mine"


def test_lists_replace_the_inherited_list(tmp_path):
    child = write(tmp_path, "c.toml", f'extends = "{BASELINE}"\nnotice = []\n'
                  '[[requests]]\nname = "only"\nat = 2025-06-01\nrecords = 5\n')
    s = flowsim.load(child).scenario
    assert s.notice == []
    assert [r.name for r in s.requests] == ["only"]


def test_injunction_can_be_switched_off(tmp_path):
    child = write(tmp_path, "c.toml", f'extends = "{BASELINE}"\n[injunction]\nenabled = false\n')
    assert not flowsim.load(child).scenario.injunction.enabled


def test_a_distribution_replaces_an_inherited_number_whole(tmp_path):
    child = write(tmp_path, "c.toml", f'extends = "{BASELINE}"\n[approval]\ndays = 2\n')
    assert flowsim.load(child).scenario.approval.days == D.Fixed(2)


def test_set_overrides_values_and_list_items():
    loaded = flowsim.load(BASELINE, ["notice.0.hours=72", "requests.1.accept=1.0",
                                     'scenario.title="Other"', "injunction.at=2025-05-12"])
    s = loaded.scenario
    assert s.notice[0].hours == D.Fixed(72)
    assert s.requests[1].accept == D.Fixed(1.0)
    assert s.scenario.title == "Other"
    assert s.injunction.at == dt.datetime(2025, 5, 12)


def test_set_takes_a_distribution_as_an_inline_table():
    s = flowsim.load(BASELINE, ['review.days={dist="uniform", low=1, high=2}']).scenario
    assert s.review.days == D.Uniform(1, 2)


def test_with_overrides_leaves_the_original_alone():
    loaded = flowsim.load(BASELINE)
    changed = loaded.with_overrides(["matching.tin_rate=0.05"])
    assert loaded.scenario.matching.tin_rate == D.Fixed(0.0332812)
    assert changed.scenario.matching.tin_rate == D.Fixed(0.05)
    assert loaded.raw["matching"]["tin_rate"] == 0.0332812


def test_sources_say_where_each_value_came_from(tmp_path):
    child = write(tmp_path, "c.toml", f'extends = "{BASELINE}"\n[matching]\ntin_rate = 0.05\n')
    loaded = flowsim.load(child, ["approval.days=2"])
    assert loaded.sources["matching.tin_rate"] == str(child)
    assert loaded.sources["matching.setup_days"] == str(BASELINE)
    assert loaded.sources["approval.days"] == "--set"
    assert loaded.files == (child, BASELINE)


def test_error_in_an_inherited_value_names_the_file_that_set_it(tmp_path):
    bad_base = write(tmp_path, "base.toml",
                     BASELINE.read_text().replace("tin_rate = 0.0332812", "tin_rate = 3"))
    child = write(tmp_path, "c.toml", 'extends = "base.toml"\n[approval]\ndays = 1\n')
    with pytest.raises(ScenarioError) as err:
        flowsim.load(child)
    assert err.value.source == str(bad_base)
    assert err.value.key == "matching.tin_rate"


def test_resolved_scenario_round_trips_through_its_dump():
    s = flowsim.load(BASELINE).scenario
    again = flowsim.Scenario.model_validate(s.to_toml_dict())
    assert again == s


def test_comments_become_notes_by_key():
    from flowsim.scenario import comment_notes

    text = (
        "# about the run\n[scenario]\nname = 'x'  # a # in 'quotes' is not a comment\n\n"
        "[matching]\n# FACTS: block\nsetup_days = 1\nrecords_per_day = 2\n"
        "tin_rate = 0.1  # ASSUMPTION: own\n\n[[notice]]\nhours = 1 # first\n[[notice]]\n"
        "hours = 2 # second\n"
    )
    notes = comment_notes(text)
    assert notes["scenario"] == "about the run"
    assert notes["scenario.name"] == "a # in 'quotes' is not a comment"
    assert notes["matching.setup_days"] == notes["matching.records_per_day"] == "FACTS: block"
    assert notes["matching.tin_rate"] == "ASSUMPTION: own"
    assert (notes["notice.0.hours"], notes["notice.1.hours"]) == ("first", "second")


def test_a_value_set_without_a_comment_never_shows_the_comment_it_replaced(tmp_path):
    child = write(tmp_path, "w.toml", f'extends = "{SCENARIOS / "notice_72h.toml"}"\n'
                  '[[notice]]\nfrom = 2025-04-07\nhours = 48\ngrant = 0.0\n')
    loaded = flowsim.load(child)
    assert loaded.note_of("notice.0.hours") == "no note: an assumption of w.toml"
    assert loaded.note_of("review.days").startswith("ASSUMPTION")  # inherited, its own note


def test_notes_follow_the_file_that_set_the_value():
    loaded = flowsim.load(SCENARIOS / "notice_72h.toml", ["approval.days=3"])
    assert loaded.note_of("notice.0.hours").startswith("ASSUMPTION: three times")
    assert loaded.note_of("matching.tin_rate").startswith("FACTS: matching-tin-path")
    assert loaded.note_of("approval.days") == "no note: set on the command line (--set)"
    assert loaded.source_of("notice.0.hours") == str(SCENARIOS / "notice_72h.toml")
    assert loaded.source_of("review.capacity") == str(BASELINE)
    assert loaded.source_of("matching.incomplete_address_rate") == str(BASELINE)
