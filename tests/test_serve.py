"""The workshop page: its JSON interface against the command line, its gallery, and the
page itself in a real browser. Every server listens on 127.0.0.1, on a free port, and is
stopped by its process id."""

from __future__ import annotations

import json
import shutil
import socket
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest

from flowsim import cli

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from servers import REPS, SCENARIOS, api, get, post_json, start_server, stop


def cli_stats(tmp_path: Path, scenario: str, sets: list[str], reps: int, seed: int) -> pd.DataFrame:
    out = tmp_path / "cli"
    args = ["run", str(SCENARIOS / f"{scenario}.toml"), "-n", str(reps), "--seed", str(seed),
            "--out", str(out), "-q", "--no-charts", *(x for s in sets for x in ("--set", s))]
    assert cli.main(args) == 0
    return pd.read_csv(out / "stats.csv").set_index("metric")


STAT = ["mean", "ci95_low", "ci95_high", "p05", "p50", "p95", "replications"]


def test_the_scenarios_offered_are_the_library(server):
    status, body = get(server + "/api/scenarios")
    assert status == 200 and body["baseline"] == "baseline"
    names = {s["name"] for s in body["scenarios"]}
    assert names >= {p.stem for p in SCENARIOS.glob("*.toml")}
    notice = next(s for s in body["scenarios"] if s["name"] == "notice_72h")
    assert notice["title"] == "72-hour notice from the MOU" and notice["question"]


def test_a_run_has_the_numbers_of_flowsim_run(server, tmp_path):
    sets = ["notice.0.hours=48", "matching.tin_rate=0.04"]
    status, body = get(api(server, "/api/run", scenario="notice_72h", set=sets,
                           replications=30, seed=5))
    assert status == 200
    page = pd.DataFrame(body["stats"]).set_index("metric")[STAT]
    expected = cli_stats(tmp_path, "notice_72h", sets, 30, 5)[STAT]
    pd.testing.assert_frame_equal(page.fillna(-1), expected.fillna(-1), check_dtype=False)
    share = body["share_with_disclosure"]
    assert share["share"] == expected.loc["any_transferred", "mean"]


def test_the_difference_is_paired_with_the_baseline(server, tmp_path):
    status, body = get(api(server, "/api/run", scenario="notice_72h", replications=30, seed=5))
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(SCENARIOS / "baseline.toml"),
                     str(SCENARIOS / "notice_72h.toml"), "-n", "30", "--seed", "5",
                     "--out", str(out), "-q", "--no-charts"]) == 0
    table = pd.read_csv(out / "comparison.csv")
    expected = table[table["scenario"] == "notice_72h"].set_index("metric")
    page = pd.DataFrame(body["difference"]).set_index("metric")
    for column in ("diff_mean", "diff_ci95_low", "diff_ci95_high", "diff_replications"):
        for metric in ("transferred", "revenue_not_paid"):
            assert page.loc[metric, column] == expected.loc[metric, column]
    assert "against 47,2" in body["sentence"] or "against" in body["sentence"]
    # Returns and revenue come with what they rest on.
    assert "rest on assumptions, not measurement" in body["basis"]


def test_the_scenario_file_reproduces_the_page(server, tmp_path):
    sets = ["notice.0.hours=48", "injunction.halts_upstream=false"]
    status, text = get(api(server, "/api/scenario.toml", scenario="notice_72h", set=sets))
    assert status == 200
    assert "hours = 48  # set on the page" in text and "halts_upstream = false  # set on the page" in text
    # It extends its scenario by file name, and is saved beside the library's files.
    assert 'extends = "notice_72h.toml"' in text and str(SCENARIOS) not in text
    for library_file in SCENARIOS.glob("*.toml"):
        shutil.copy(library_file, tmp_path)
    path = tmp_path / "page.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "run"
    assert cli.main(["run", str(path), "-n", str(REPS), "--out", str(out), "-q",
                     "--no-charts"]) == 0
    _, body = get(api(server, "/api/run", scenario="notice_72h", set=sets))
    page = pd.DataFrame(body["stats"]).set_index("metric")[STAT]
    pd.testing.assert_frame_equal(page.fillna(-1), pd.read_csv(out / "stats.csv")
                                  .set_index("metric")[STAT].fillna(-1), check_dtype=False)


def test_a_bad_value_is_400_with_the_command_lines_line(server, tmp_path, capsys):
    status, body = get(api(server, "/api/run", scenario="notice_72h", set="notice.0.hours=-4"))
    assert status == 400
    assert cli.main(["run", str(SCENARIOS / "notice_72h.toml"), "--set", "notice.0.hours=-4",
                     "--out", str(tmp_path / "x"), "-q"]) == 2
    assert body["error"] == capsys.readouterr().err.strip()
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("name", ["nope", "../scenarios/baseline", "/etc/passwd",
                                  "baseline.toml"])
def test_an_unknown_scenario_is_404_and_never_a_path(server, name):
    status, body = get(api(server, "/api/run", scenario=name))
    assert status == 404 and "no scenario named" in body["error"]


@pytest.mark.parametrize("params, key", [({"replications": "2001"}, "replications"),
                                         ({"replications": "ten"}, "replications"),
                                         ({"seed": "-1"}, "seed"),
                                         ({"set": ["x=1"] * 65}, "set")])
def test_the_page_bounds_its_work(server, params, key):
    status, body = get(api(server, "/api/run", scenario="baseline", **params))
    assert status == 400 and f"error: {key}:" in body["error"]


def test_the_page_bounds_the_horizon(server):
    status, body = get(api(server, "/api/run", scenario="baseline",
                           set="scenario.end=2031-01-01"))
    assert status == 400
    assert "scenario.end: the page runs horizons of at most 1,827 days" in body["error"]
    # The longest shipped scenario (ICE resubmitting through 2026) stays within it.
    assert get(api(server, "/api/run", scenario="no_injunction_resubmit",
                   replications=5))[0] == 200


def test_controls_come_from_the_declarations(server):
    from flowsim.scenario import param_of

    status, body = get(api(server, "/api/controls", scenario="notice_72h"))
    assert status == 200
    controls = {c["key"]: c for c in body["controls"]}
    for key, c in controls.items():
        param = param_of(key)
        assert param is not None and (c["unit"], c["label"]) == (param.unit, param.label)
    assert {"notice.0.hours", "notice.0.grant", "injunction.at", "injunction.halts_upstream",
            "matching.tin_rate", "requests.0.records"} <= set(controls)
    assert controls["notice.0.hours"]["value"] == "72"
    assert "ASSUMPTION" in controls["notice.0.hours"]["note"]
    assert list(controls)[0].startswith("notice.")  # the court's rules first


def test_the_gallery_saves_without_overwriting(server, gallery):
    sets = ["notice.0.hours=24"]
    before = {p.name for p in gallery.iterdir()}
    first = post_json(server + "/api/gallery", {"scenario": "notice_72h", "set": sets,
                                                "name": "Baseline"})
    second = post_json(server + "/api/gallery", {"scenario": "notice_72h", "set": sets,
                                                 "name": "baseline"})
    assert first[0] == second[0] == 200
    assert first[1]["saved"] == "baseline-2" and second[1]["saved"] == "baseline-3"
    assert {p.name for p in gallery.iterdir()} - before == {"baseline-2.toml", "baseline-3.toml"}
    _, listed = get(server + "/api/scenarios")
    saved = {s["name"]: s for s in listed["scenarios"] if s["gallery"]}
    assert {"baseline-2", "baseline-3"} <= set(saved)
    status, body = get(api(server, "/api/run", scenario="baseline-2"))
    assert status == 200
    _, direct = get(api(server, "/api/run", scenario="notice_72h", set=sets))
    numbers = lambda rows: [{k: v for k, v in r.items() if k != "scenario"} for r in rows]  # noqa: E731
    assert numbers(body["stats"]) == numbers(direct["stats"])
    bad = post_json(server + "/api/gallery", {"scenario": "notice_72h", "name": "../.."})
    assert bad[0] == 400 and "give the scenario a name" in bad[1]["error"]


def test_a_port_in_use_is_one_line_and_exit_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["serve", "--port", str(port)])
    assert code == 2 and "choose another with --port" in capsys.readouterr().err


@pytest.mark.slow
def test_the_second_case_is_served_beside_its_own_baseline():
    case = sorted(str(p) for p in (SCENARIOS / "medicaid").glob("*.toml"))
    process, base = start_server(*case)
    try:
        _, listed = get(base + "/api/scenarios")
        assert listed["baseline"] == "medicaid_baseline"
        status, body = get(api(base, "/api/run", scenario="never_lifted", replications=10))
        assert status == 200 and body["baseline"]["name"] == "medicaid_baseline"
        diff = {d["metric"]: d for d in body["difference"]}
        assert diff["usable_at_horizon"]["diff_mean"] < 0
        _, controls = get(api(base, "/api/controls", scenario="medicaid_baseline"))
        keys = {c["key"] for c in controls["controls"]}
        assert {"injunction.share", "injunction.until", "use_orders.2.share",
                "access.0.records"} <= keys
    finally:
        stop(process)


@pytest.mark.slow
def test_ctrl_c_stops_the_server_cleanly():
    process, _ = start_server()
    assert stop(process) == 0
    assert "Traceback" not in process.stderr.read()


# --- the page in a real browser -------------------------------------------------------

def wait_for(driver, condition, seconds: float = 60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.05).until(condition)


def shown(driver) -> int:
    return int(driver.execute_script("return document.body.dataset.shown || 0"))


def mean_shown(driver, metric: str = "transferred") -> str:
    return driver.execute_script(
        f"const c = document.querySelector('#headline tr[data-metric={metric}] td.mean');"
        "return c ? c.textContent : '';")


def open_page(driver, address: str) -> None:
    """Open the page and wait for its first answer."""
    driver.get(address)
    wait_for(driver, lambda d: shown(d) >= 1)


def api_mean(server: str, scenario: str, change: str, metric: str = "transferred") -> str:
    """The API's mean of `metric` with one change, as the page shows it."""
    _, body = get(api(server, "/api/run", scenario=scenario, set=change))
    row = next(r for r in body["stats"] if r["metric"] == metric)
    return f"{row['mean']:,.0f}"


def set_control(driver, key: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, f"c-{key}")
    # One edit, as a person makes it: clear() would commit an empty box first, and the
    # page would run (and draw) the unchanged scenario before the new value.
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(value, Keys.TAB)  # a change is committed on leaving the box


def change_and_wait(driver, key: str, value: str) -> None:
    """Set a control and wait until the page has drawn its answer to the change."""
    before = shown(driver)
    set_control(driver, key, value)
    wait_for(driver, lambda d: shown(d) > before)


def test_the_page_redraws_and_agrees_with_the_api(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h")
    change_and_wait(driver, "notice.0.hours", "24")
    assert "set=notice.0.hours%3D24" in driver.current_url or \
        "set=notice.0.hours=24" in urllib.parse.unquote(driver.current_url)
    assert mean_shown(driver) == api_mean(server, "notice_72h", "notice.0.hours=24")
    changed = driver.find_element("css selector", '.control.changed[data-key="notice.0.hours"]')
    assert "changed from 72" in changed.text
    wait_for(driver, lambda d: "<svg" in d.find_element("id", "chart-page").get_attribute("innerHTML"))
    driver.back()
    wait_for(driver, lambda d: "notice.0.hours" not in urllib.parse.unquote(d.current_url))
    wait_for(driver, lambda d: d.find_element("id", "c-notice.0.hours").get_attribute("value") == "72")


def test_a_shared_link_restores_the_view(server, browser):
    driver = browser()
    open_page(driver, server + "/?" + urllib.parse.urlencode(
        [("scenario", "notice_72h"), ("set", "notice.0.grant=0.9")]))
    assert driver.find_element("id", "scenario").get_attribute("value") == "notice_72h"
    assert driver.find_element("id", "c-notice.0.grant").get_attribute("value") == "0.9"
    assert mean_shown(driver) == api_mean(server, "notice_72h", "notice.0.grant=0.9")


def message_beside(driver, key: str) -> str:
    """The message the page shows beside a control, once it shows one."""
    return wait_for(driver, lambda d: d.find_element(
        "css selector", f'[data-role=control][data-key="{key}"] [data-role=error]').text)


def test_a_bad_value_shows_its_message_and_keeps_the_last_result(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h")
    good = mean_shown(driver)
    set_control(driver, "notice.0.hours", "-5")
    assert message_beside(driver, "notice.0.hours").startswith(
        "notice window: must not be negative")
    assert mean_shown(driver) == good


def test_no_request_leaves_this_computer(server, browser):
    driver = browser(performance_log=True)
    open_page(driver, server + "/?scenario=baseline")
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls
    outside = [u for u in urls if not (u.startswith(server) or u.startswith("data:"))]
    assert outside == []


def test_a_changed_baseline_is_compared_with_the_baseline_unchanged():
    from flowsim.serve import runs

    baseline = SCENARIOS / "baseline.toml"
    # The baseline's 24-hour notice rule in force from the MOU: each file waits a day.
    body = runs.page_run(baseline, ["notice.0.from=2025-04-07"], 20, None, baseline)
    shift = next(d for d in body["difference"] if d["metric"] == "first_transfer_days")
    assert shift["diff_mean"] == pytest.approx(1.0, abs=0.01)
    assert "the first disclosure comes 1 day later" in body["sentence"]


def test_an_unknown_scenario_in_the_address_says_so_and_shows_the_baseline(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=nope")
    assert "No scenario named “nope”" in driver.find_element("id", "error").text
    assert driver.find_element("id", "scenario").get_attribute("value") == "baseline"


def test_the_page_saves_to_the_gallery_from_its_own_origin(server, gallery, browser):
    from selenium.webdriver.common.by import By

    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h&set=notice.0.hours%3D36")
    driver.find_element(By.ID, "gallery-name").send_keys("from the page")
    driver.find_element(By.ID, "save").click()
    # It asks for the title the room will read, offering the one that says the change.
    asked = wait_for(driver, lambda d: d.find_element(By.ID, "gallery-status").text)
    assert asked.startswith("Give it the title the room will read")
    offered = driver.find_element(By.ID, "gallery-title").get_attribute("value")
    assert offered == "72-hour notice from the MOU, notice window 36 hours"
    driver.find_element(By.ID, "save").click()
    status = wait_for(driver, lambda d: d.find_element(By.ID, "gallery-status").text
                      .startswith("Saved") and d.find_element(By.ID, "gallery-status").text)
    assert status == "Saved as from_the_page."
    text = (gallery / "from_the_page.toml").read_text(encoding="utf-8")
    assert "hours = 36  # set on the page" in text
    assert 'title = "72-hour notice from the MOU, notice window 36 hours"' in text
