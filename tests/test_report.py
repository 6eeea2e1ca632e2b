"""The HTML report: self-contained, with the numbers of stats.csv, and whole in a browser."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import flowsim
from flowsim import cli
from flowsim.experiments.compare import compare
from flowsim.outputs.writers import write_comparison

SCENARIOS = Path(__file__).parents[1] / "scenarios"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    loaded = [flowsim.load(SCENARIOS / f"{n}.toml")
              for n in ("baseline", "notice_72h", "better_ice_data")]
    write_comparison(compare(loaded[0], loaded[1:], replications=30), folder / "cmp",
                     loaded=loaded, charts=True)
    assert cli.main(["report", str(folder / "cmp"), "-o", str(folder / "report.html")]) == 0
    return folder


def stats_of(report: Path, scenario: str) -> pd.DataFrame:
    return pd.read_csv(report / "cmp" / scenario / "stats.csv").set_index("metric")


def test_report_loads_nothing_from_outside(report):
    page = (report / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""src\s*=\s*["'](https?:|//)""", page)
    assert "<link" not in page and "<script" not in page
    # The only outside addresses are the record's sources, as links a reader may follow.
    outside = re.findall(r"""<(\w+)[^>]*href\s*=\s*["'](?:https?:|//)""", page)
    assert set(outside) <= {"a"}
    assert page.count("data:image/png;base64,") >= 3 + 2 * 3


def test_report_shows_questions_and_assumptions(report):
    page = (report / "report.html").read_text(encoding="utf-8")
    assert "What if every disclosure had needed 72 hours" in page
    assert "Assumptions: what differs from As it happened" in page
    assert "ASSUMPTION: three times the court" in page  # the note beside notice.0.hours
    assert "Does the model reproduce the record?" in page
    assert "baseline <code>baseline</code>" not in page


def test_headline_tables_hold_the_numbers_of_stats_csv(report):
    page = (report / "report.html").read_text(encoding="utf-8")
    for scenario in ("baseline", "notice_72h", "better_ice_data"):
        section = page.split(f'<section id="scenario-{scenario}"')[1].split("</section>")[0]
        row = re.search(r'<tr data-metric="transferred">(.*?)</tr>', section).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        s = stats_of(report, scenario).loc["transferred"]
        assert cells[1] == f"{s['mean']:,.0f}"
        assert cells[2] == f"{s['ci95_low']:,.0f} to {s['ci95_high']:,.0f}"


def test_report_of_a_missing_folder_is_bad_input(tmp_path, capsys):
    code = cli.main(["report", str(tmp_path / "nothing"), "-o", str(tmp_path / "r.html")])
    assert code == 2 and "no such results folder" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_report_of_run_folders_compares_them(tmp_path, capsys):
    for name in ("baseline", "verified_address"):
        assert cli.main(["run", str(SCENARIOS / f"{name}.toml"), "-n", "5", "-q", "--no-charts",
                         "--out", str(tmp_path / name)]) == 0
    assert cli.main(["report", str(tmp_path / "verified_address"), str(tmp_path / "baseline"),
                     "-o", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "difference from As it happened (paired 95% CI)" in page


def test_charts_command_draws_from_the_csv_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", str(SCENARIOS / "baseline.toml"), "-n", "5", "-q", "--no-charts",
                     "--out", str(out)]) == 0
    assert not (out / "disclosures.png").exists()
    assert cli.main(["charts", str(out)]) == 0
    for name in ("disclosures.png", "disclosures.svg", "outcomes.png", "outcomes.svg"):
        assert (out / name).stat().st_size > 1000


def _browser(*, performance_log: bool = False):
    """Headless Chromium through chromedriver; in CI a missing browser is a failure."""
    have = shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)
    if not have:
        if os.environ.get("CI"):
            pytest.fail("Chromium and chromedriver must be installed in CI (see .ci/run)")
        pytest.skip("Chromium and chromedriver are not installed (apt-get install chromium "
                    "chromium-driver)")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1200,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", **(
        {"performance": "ALL"} if performance_log else {})})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_report_in_a_real_browser(report, browser):
    """The page loads without console errors, every chart decodes, the tables hold the
    numbers of stats.csv, and a screenshot is taken."""
    from selenium.webdriver.common.by import By

    driver = browser()
    driver.get((report / "report.html").as_uri())
    assert driver.title.startswith("flowsim report")
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    images = driver.find_elements(By.TAG_NAME, "img")
    assert len(images) >= 9
    for img in images:
        assert driver.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0 "
            "&& arguments[0].naturalHeight > 0", img), img.get_attribute("alt")
    for scenario in ("baseline", "notice_72h", "better_ice_data"):
        row = driver.find_element(
            By.CSS_SELECTOR, f'section[data-scenario="{scenario}"] tr[data-metric="transferred"]')
        cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        s = stats_of(report, scenario).loc["transferred"]
        assert cells[1] == f"{s['mean']:,.0f}"
        assert cells[3] == f"{s['p05']:,.0f} to {s['p95']:,.0f}"
    finding = driver.find_element(By.CSS_SELECTOR, '#summary li[data-scenario="notice_72h"]')
    assert "What if every disclosure" in finding.text
    shot = report / "report.png"
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_the_summary_fits_a_projector_at_1920_by_1080(report, browser):
    driver = browser()
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    driver.get((report / "report.html").as_uri())
    box = driver.execute_script(
        "const b = document.getElementById('summary').getBoundingClientRect();"
        "return [b.left, b.top, b.right, b.bottom, innerWidth, innerHeight];")
    left, top, right, bottom, width, height = box
    assert (width, height) == (1920, 1080)
    assert left >= 0 and top >= 0 and right <= width and bottom <= height, box
    summary = driver.find_element("id", "summary")
    assert summary.find_elements("tag name", "img")  # the comparison chart is on it
    driver.save_screenshot(str(report / "summary.png"))


def test_the_summary_is_dated_and_says_each_finding_in_words(report):
    import datetime as dt

    page = (report / "report.html").read_text(encoding="utf-8")
    summary = page.split('<section id="summary">')[1].split("</section>")[0]
    assert f"Made {dt.date.today():%Y-%m-%d}" in summary
    assert "Under “72-hour notice from the MOU”" in summary
    assert "date shift, mean" in summary and "histories with a disclosure" in summary
    assert "<details>" in page  # the full assumptions sit behind a fold


@pytest.fixture(scope="module")
def lone_what_if(tmp_path_factory) -> str:
    """The report of one what-if's run folder, with nothing beside it."""
    folder = tmp_path_factory.mktemp("lone")
    assert cli.main(["run", str(SCENARIOS / "notice_72h.toml"), "-n", "3", "--no-charts",
                     "--out", str(folder / "r"), "-q"]) == 0
    assert cli.main(["report", str(folder / "r"), "-o", str(folder / "r.html")]) == 0
    return (folder / "r.html").read_text(encoding="utf-8")


def test_a_lone_what_if_is_not_asked_the_record_question(lone_what_if):
    assert "reproduce the record" not in lone_what_if


def test_handout_is_one_sheet_per_scenario_with_a_wide_chart(report):
    import base64
    import struct

    out = report / "handout.html"
    assert cli.main(["report", str(report / "cmp"), "--handout", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<section class="sheet"') == 3
    for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        width, height = struct.unpack(">II", base64.b64decode(data)[16:24])
        assert width / height == pytest.approx(16 / 9, rel=0.01)


def test_the_report_links_every_row_it_cites(lone_what_if):
    page = lone_what_if
    links = set(re.findall(r'href="#fact-([^"]+)"', page))
    rows = set(re.findall(r'id="fact-([^"]+)"', page))
    assert {"2025-09-05", "2025-06-27", "not-found-threshold"} <= links
    assert links == rows


def test_the_summary_sets_both_sides_of_the_trade_off_side_by_side(report):
    """Records and people disclosed beside returns and revenue lost, for every scenario,
    each what-if as its difference from the baseline, and what returns and revenue rest on."""
    from flowsim.experiments.stats import dollars_text

    page = (report / "report.html").read_text(encoding="utf-8")
    summary = page.split('<section id="summary">')[1].split("</section>")[0]
    table = summary.split("Both sides of the trade-off")[1].split("</table>")[0]
    rows = dict(re.findall(r'<tr data-scenario="([^"]+)">(.*?)</tr>', table))
    assert set(rows) == {"baseline", "notice_72h", "better_ice_data"}
    revenue = stats_of(report, "baseline").loc["revenue_not_paid", "mean"]
    assert re.findall(r"<td[^>]*>(.*?)</td>", rows["baseline"])[-1] == dollars_text(revenue)
    diff = pd.read_csv(report / "cmp" / "comparison.csv").set_index(["scenario", "metric"])
    assert re.findall(r"<td[^>]*>(.*?)</td>", rows["notice_72h"])[-1] == dollars_text(
        diff.loc[("notice_72h", "revenue_not_paid"), "diff_mean"], signed=True)
    assert "rest on assumptions, not measurement" in summary


def test_the_report_says_what_made_it(report):
    import json

    page = (report / "report.html").read_text(encoding="utf-8")
    section = page.split('<section id="made-with">')[1].split("</section>")[0]
    manifest = json.loads((report / "cmp" / "baseline" / "manifest.json").read_text())
    assert f"<td>python</td><td>{manifest['packages']['python']}</td>" in section
    assert f"<td>hardware: cpus</td><td>{manifest['hardware']['cpus']}</td>" in section


def test_the_report_holds_the_one_glossary(report):
    from flowsim.outputs.glossary import GLOSSARY

    page = (report / "report.html").read_text(encoding="utf-8")
    section = page.split('<section id="glossary">')[1].split("</section>")[0]
    assert re.findall(r'<dt id="g-([^"]+)">', section) == [t.anchor for t in GLOSSARY]
