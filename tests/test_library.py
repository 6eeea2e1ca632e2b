"""The what-if library in scenarios/: complete, cited, and both sides of its trade-off."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import flowsim
from flowsim.outputs.markdown import library_markdown, tradeoff_markdown

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "scenarios"
WHAT_IFS = sorted(p for p in SCENARIOS.glob("*.toml") if p.name != "baseline.toml")
# The second case: its own folder, its own baseline.
MEDICAID = SCENARIOS / "medicaid"
MEDICAID_WHAT_IFS = sorted(p for p in MEDICAID.glob("*.toml") if p.name != "baseline.toml")
TEXT_KEYS = {"name", "title", "question", "extends", "dist", "headline", "key", "group", "reason"}


def test_the_library_has_at_least_eight_what_ifs():
    assert len(WHAT_IFS) >= 8


@pytest.mark.parametrize("path", [*WHAT_IFS, *MEDICAID_WHAT_IFS],
                         ids=[*(p.stem for p in WHAT_IFS), *(f"medicaid-{p.stem}" for p in MEDICAID_WHAT_IFS)])
def test_each_what_if_extends_the_baseline_and_asks_a_question(path):
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw["extends"] == "baseline.toml"
    s = flowsim.load(path).scenario
    assert s.name == path.stem
    assert s.scenario.question.startswith("What if") and s.scenario.question.endswith("?")


CASE_FILES = [SCENARIOS / "baseline.toml", *WHAT_IFS, MEDICAID / "baseline.toml",
              *MEDICAID_WHAT_IFS]
CASE_IDS = [str(p.relative_to(SCENARIOS).with_suffix("")) for p in CASE_FILES]


@pytest.mark.parametrize("path", CASE_FILES, ids=CASE_IDS)
def test_every_number_cites_the_record_or_is_an_assumption(path):
    """A line that sets a number carries FACTS or ASSUMPTION in its own comment or in the
    comment block above it (a block covers the lines after it up to a blank line)."""
    block: list[str] = []
    after_code = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code, _, comment = line.partition("#")
        if not line.strip():
            block, after_code = [], False
            continue
        if not code.strip():
            block = [comment] if after_code else block + [comment]
            after_code = False
            continue
        after_code = True
        key, _, value = code.partition("=")
        if key.strip() not in TEXT_KEYS and re.search(r"\d", value):
            cited = " ".join([comment, *block])
            assert "FACTS" in cited or "ASSUMPTION" in cited, f"{path.name}:{number}: {line}"


@pytest.mark.docs
def test_every_what_if_answers_on_both_sides_of_the_trade_off(library):
    """Each row of the trade-off table has records, people, returns and revenue, the
    revenue answer's verdict, and the sentence that says what returns and revenue rest on."""
    body = tradeoff_markdown(library)
    rows = [line for line in body.splitlines() if line.startswith("| `")]
    assert len(rows) == len(WHAT_IFS) + 1
    for row in rows[1:]:
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert all(c and c != "unknown" for c in cells[1:5]), row
        assert cells[5] in ("settled", "direction", "depends"), row
    assert "rest on assumptions, not measurement" in body


@pytest.mark.docs
def test_the_library_table_shows_every_layer(library):
    """Each what-if's row leads with its own figure and has its difference, its range over
    what the record leaves open, its verdict and when it holds; simulation precision is
    the footnote, with the sentence that says what it is not."""
    body = library_markdown(library)
    header, *rows = [line for line in body.splitlines() if line.startswith("| ")]
    assert [c.strip() for c in header.split("|")[1:-1]] == [
        "scenario", "question", "its figure", "difference from the baseline",
        "over what the record leaves open (5–95 %)", "verdict",
        "when it holds, or what it depends on"]
    for row in rows[2:]:
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert " to " in cells[4] and cells[5] in ("settled", "direction", "depends"), row
        assert cells[6], row
    assert "not that the answer is known" in body.splitlines()[-1]
    verdicts = {line.split("|")[1].strip(): line.split("|")[6].strip() for line in rows[1:]}
    # The court what-ifs rest on a court no record shows: they cannot be settled.
    assert verdicts["`notice_from_mou`"] == "depends"
    assert verdicts["`better_ice_data`"] == "settled"


CALIBRATION = ROOT / "calibration"
CHECKS = [CALIBRATION / "yale-budget-lab.toml"]
CITED_FILES = [*CASE_FILES, *CHECKS, CALIBRATION / "targets.toml",
               CALIBRATION / "targets-about-4000.toml", CALIBRATION / "assumptions.toml"]


@pytest.mark.parametrize("path", CHECKS, ids=[p.stem for p in CHECKS])
def test_every_number_of_a_check_cites_the_record_or_is_an_assumption(path):
    test_every_number_cites_the_record_or_is_an_assumption(path)


@pytest.mark.parametrize("path", CITED_FILES, ids=[p.stem for p in CITED_FILES])
def test_every_citation_names_a_row_of_the_record(path):
    from flowsim.outputs.record import cited_ids, read_record

    rows = read_record()
    text = path.read_text(encoding="utf-8")
    cited = cited_ids(text)
    assert cited or "FACTS" not in text
    assert [c for c in cited if c not in rows] == []
    # Every FACTS mention carries at least one id.
    assert text.count("FACTS:") <= len(cited) + text.count("FACTS: <")


def test_the_record_has_a_source_for_every_row():
    from flowsim.outputs.record import read_record

    rows = read_record()
    assert len(rows) >= 30
    assert all(row.sources and row.date and row.what for row in rows.values())


def test_without_the_injunction_the_d_mass_order_stops_transfers_from_its_date():
    """The 2025-11-21 injunction removed and ICE asking through 2026: the baseline's
    2026-02-05 order still stops every transfer from its date (FACTS: 2026-02-05)."""
    import datetime as dt

    from flowsim.model import compile_plan, simulate
    from flowsim.model.ledger import Event

    s = flowsim.load(SCENARIOS / "no_injunction_resubmit.toml").scenario
    order_days = (dt.datetime(2026, 2, 5) - s.scenario.start).days
    sent = []
    for replication in range(20):
        result = simulate(compile_plan(s), s.scenario.seed, replication)
        sent += [t for t, _, _, event, _ in result.events if event == Event.TRANSFERRED]
    assert len(sent) > 20  # resubmissions are disclosed before the order
    assert max(sent) < order_days


def test_every_shipped_title_is_unique():
    """A room tells scenarios apart by their titles."""
    titles = [flowsim.load(p).scenario.scenario.title for p in CASE_FILES]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("path", CASE_FILES, ids=CASE_IDS)
def test_every_assumption_is_explored_or_gives_its_reason(path):
    """Each value a file marks ASSUMPTION is explored across a range, or its note says why
    it is what it is; and the scenario's headline is a metric flowsim measures."""
    from flowsim.experiments.explore import load_assumptions
    from flowsim.experiments.run import METRICS
    from flowsim.outputs.explain import assumption_rows

    loaded = flowsim.load(path)
    assert loaded.scenario.scenario.headline in METRICS
    shared = load_assumptions(ROOT / "calibration" / "assumptions.toml")
    for key, value, reason in assumption_rows(loaded, shared):
        said = reason.split("ASSUMPTION", 1)[-1].strip(" :")
        assert "explored" in value or len(said.split()) >= 3, (key, reason)


def test_the_report_warns_when_two_scenarios_share_a_title(tmp_path):
    from flowsim import cli

    twin = tmp_path / "twin.toml"
    twin.write_text(f'extends = "{SCENARIOS / "baseline.toml"}"\n[scenario]\n'
                    'title = "As it happened"\n', encoding="utf-8")
    assert cli.main(["compare", str(SCENARIOS / "baseline.toml"), str(twin), "-n", "2",
                     "--no-charts", "-q", "--out", str(tmp_path / "c")]) == 0
    assert cli.main(["report", str(tmp_path / "c"), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Scenarios baseline, twin share the title “As it happened”" in html
