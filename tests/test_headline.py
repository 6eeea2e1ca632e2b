"""A headline per question: `[scenario] headline` decides what every summary leads with."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowsim
from flowsim import cli
from flowsim.experiments.compare import compare
from flowsim.outputs.text import scenario_sentence

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "scenarios"
MEDICAID = SCENARIOS / "medicaid"


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("value, fragment", [
    ("transfered", "is not a metric flowsim measures ('transfered') (did you mean 'transferred'?)"),
    ("people_at_disclosed_addresses", "needs the [impact] table"),
])
def test_a_headline_is_a_metric_the_scenario_answers(capsys, value, fragment):
    code, _, err = run_cli(capsys, "validate", MEDICAID / "baseline.toml", "--set",
                           f"scenario.headline={value}")
    assert code == 2 and err.count("\n") == 1
    assert "scenario.headline" in err and fragment in err


def test_a_headline_is_not_inherited(tmp_path):
    """Like the question, the headline belongs to the file that asks it."""
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{SCENARIOS / "faster_matching.toml"}"\n', encoding="utf-8")
    assert flowsim.load(SCENARIOS / "faster_matching.toml").scenario.scenario.headline == \
        "first_transfer_days"
    assert flowsim.load(child).scenario.scenario.headline == "transferred"


def test_the_terminal_leads_a_run_with_its_headline(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "run", SCENARIOS / "faster_matching.toml", "-n", "3",
                           "--out", tmp_path / "r", "--no-charts")
    assert code == 0
    assert out.splitlines()[1].startswith("  headline: first disclosure: median 2025-07-")


@pytest.fixture(scope="module")
def faster():
    return compare(flowsim.load(SCENARIOS / "baseline.toml"),
                   [flowsim.load(SCENARIOS / "faster_matching.toml")], replications=5)


def test_a_question_about_time_leads_with_the_date(faster):
    """Matching four times faster discloses as many records, weeks earlier: that is what
    its sentence says first."""
    base, fast = faster.results
    sentence = scenario_sentence(fast, faster.table, base)
    lead = sentence.split(";")[0]
    assert lead.startswith("Under “Matching four times faster”, first disclosure: median 2025-07-")
    assert "days earlier" in lead


def test_a_compare_shows_each_what_ifs_own_headline(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "compare", SCENARIOS / "baseline.toml",
                           SCENARIOS / "faster_matching.toml", "-n", "3", "--out", tmp_path / "c",
                           "--no-charts")
    assert code == 0
    line = next(x for x in out.splitlines() if x.strip().startswith("faster_matching leads"))
    assert "first disclosure" in line and "days earlier" in line


def test_the_medicaid_files_lead_with_what_ice_could_act_on():
    """A nationwide injunction changes no record sent (+0): its question's figure is the
    record-days ICE could view, which it cuts."""
    c = compare(flowsim.load(MEDICAID / "baseline.toml"),
                [flowsim.load(MEDICAID / "nationwide_injunction.toml")], replications=5)
    base, nationwide = c.results
    assert c.row(nationwide.name)["diff_mean"] == 0
    lead = scenario_sentence(nationwide, c.table, base).split(";")[0]
    assert "record-days it could view without transfer" in lead and ", -" in lead


def test_the_workbook_leads_with_the_headline(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "r"
    assert cli.main(["run", str(SCENARIOS / "faster_matching.toml"), "-n", "3", "--out", str(out),
                     "--no-charts"]) == 0
    sheet = openpyxl.load_workbook(out / "results.xlsx")["headline"]
    assert str(sheet["A3"].value).startswith("first disclosure: median 2025-07-")


def test_the_page_answer_carries_the_headline(server):
    from servers import api, get

    status, body = get(api(server, "/api/run", scenario="faster_matching", replications=3))
    assert status == 200
    assert body["headline"]["metric"] == "first_transfer_days"
    assert "days earlier" in body["headline"]["text"]


def test_the_page_answer_says_what_it_assumes(server):
    from servers import api, get

    status, body = get(api(server, "/api/run", scenario="notice_from_mou", replications=3))
    assert status == 200
    assumed = {a["key"]: a for a in body["assumes"]}
    assert "ASSUMPTION" in assumed["notice.0.grant"]["why"]
    assert "matching.tin_rate" not in assumed  # fitted to the record
