"""The room's page in a real browser: the answer first on every screen, its layers marked,
and errors said beside their controls in the room's words. The server listens on
127.0.0.1 on a free port (the session's `server`) and is stopped by its process id."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from servers import api, get
from test_serve import (api_mean, change_and_wait, message_beside, mean_shown, open_page,
                        set_control, shown, wait_for)

CHANGED = "/?" + urllib.parse.urlencode([("scenario", "notice_72h"),
                                         ("set", "notice.0.hours=48")])


def sized(browser, width: int, height: int):
    driver = browser()
    driver.set_window_size(width, height)
    # The window's outer size holds the browser's frame: make the page's own size exact.
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])
    return driver


def verdict_shown(driver) -> bool:
    return driver.execute_script(
        "return document.querySelector('[data-role=verdict]').dataset.verdict !== undefined")


@pytest.mark.parametrize("width, height", [(360, 740), (390, 844), (1024, 768), (1280, 720),
                                           (1920, 1080)])
def test_no_screen_scrolls_sideways(server, browser, width, height):
    driver = sized(browser, width, height)
    open_page(driver, server + CHANGED)
    wide, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= inner


def test_the_answer_is_above_the_fold_on_a_projector(server, browser):
    """At 1280 x 720: the question, the headline, the difference, the verdict and the
    sentence, all before the first scroll."""
    driver = sized(browser, 1280, 720)
    open_page(driver, server + CHANGED)
    wait_for(driver, verdict_shown, seconds=60)
    for role in ("answer", "difference", "verdict"):
        bottom = driver.execute_script(
            f"return document.querySelector('[data-role={role}]').getBoundingClientRect().bottom")
        assert 0 < bottom <= 720, role
    answer = driver.find_element("css selector", "[data-role=answer]").text
    assert "What if every disclosure had needed 72 hours" in answer
    assert "Difference from As it happened: −" in answer
    assert "over what the record leaves open" in answer and "a small exploration" in answer
    # Simulation precision is a detail of the table, not the headline.
    assert "95% CI" not in answer


def test_on_a_phone_the_answer_comes_before_the_controls(server, browser):
    driver = sized(browser, 390, 844)
    open_page(driver, server + CHANGED)
    answer, controls = driver.execute_script(
        "return ['answer', 'controls'].map((r) => "
        "document.querySelector(`[data-role=${r}]`).getBoundingClientRect().top)")
    assert answer < controls and answer < 844


def test_the_page_marks_its_parts_for_tests(server, browser):
    driver = browser()
    open_page(driver, server + CHANGED)
    for role in ("answer", "difference", "verdict", "controls", "error", "chart"):
        assert driver.find_elements("css selector", f"[data-role={role}]"), role
    control = driver.find_element("css selector",
                                  '[data-role=control][data-key="notice.0.hours"]')
    assert control.find_element("css selector", "input").get_attribute("value") == "48"


def test_a_word_in_a_number_box_says_what_it_takes_and_keeps_the_answer(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h")
    good, before, address = mean_shown(driver), shown(driver), driver.current_url
    set_control(driver, "notice.0.hours", "two days")
    assert message_beside(driver, "notice.0.hours") == \
        "notice window: a number of hours, for example 72"
    assert (mean_shown(driver), shown(driver), driver.current_url) == (good, before, address)


def test_a_refused_value_is_said_in_the_controls_words(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h")
    good = mean_shown(driver)
    set_control(driver, "notice.0.grant", "1.5")
    assert message_beside(driver, "notice.0.grant") == \
        "chance that a ruling in time blocks the file: must be between 0 and 1 (got 1.5)"
    assert mean_shown(driver) == good


def test_a_changed_scenarios_title_says_its_change(server):
    status, body = get(api(server, "/api/run", scenario="notice_72h", replications=10,
                           set=["notice.0.hours=48", "notice.0.grant=0.9"]))
    assert status == 200
    assert body["title"] == ("72-hour notice from the MOU, notice window 48 hours, chance that a "
                             "ruling in time blocks the file 0.9")


def test_the_verdict_is_a_small_exploration_that_says_its_size(server):
    status, body = get(api(server, "/api/verdict", scenario="better_ice_data"))
    assert status == 200 and body["verdict"] == "settled"
    assert body["sets"] == 12 and body["replications"] == 5
    assert "12 sets" in body["size"] and body["text"].startswith("settled: +")
    status, body = get(api(server, "/api/verdict", scenario="notice_72h"))
    assert body["verdict"] == "depends" and "notice.*.grant" in body["depends_on"]
    _, base = get(api(server, "/api/verdict", scenario="baseline"))
    assert base["verdict"] is None


def test_a_bad_value_for_the_verdict_is_400_with_its_line(server):
    status, body = get(api(server, "/api/verdict", scenario="notice_72h",
                           set="notice.0.grant=1.5"))
    assert status == 400 and "notice.0.grant: must be between 0 and 1" in body["error"]


def test_the_plain_levers_come_first_and_every_other_value_is_one_fold_away(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=appeal_lifted")
    plain = driver.find_elements("css selector", "#controls > fieldset [data-role=control]")
    keys = [p.get_attribute("data-key") for p in plain]
    assert keys[:2] == ["injunction.until", "injunction.halts_upstream"]
    assert "request_streams.0.interval_days" in keys and len(keys) <= 8
    fold = driver.find_element("id", "every-value")
    assert fold.get_attribute("open") is None
    folded = fold.find_elements("css selector", "[data-role=control]")
    _, body = get(api(server, "/api/controls", scenario="appeal_lifted"))
    assert len(plain) + len(folded) == len(body["controls"])
    # Grouped in words: the part of the case, then the rule or request by its name.
    assert "stream of recurring requests: ICE after the appeal" in fold.get_attribute("innerHTML")


def test_widgets_come_from_the_declarations_and_never_show_toml(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=appeal_lifted")
    kinds = driver.execute_script(
        "return [...document.querySelectorAll('[data-role=control] input, "
        "[data-role=control] select')].map((e) => [e.type, e.value, e.min, e.max])")
    assert not [v for _, v, _, _ in kinds if v.startswith("{")]
    assert {"date", "checkbox", "range", "number", "select-one"} <= {t for t, _, _, _ in kinds}
    slider = driver.find_element("id", "c-request_streams.0.accept")
    assert (slider.get_attribute("min"), slider.get_attribute("max")) == ("0", "1")
    parts = driver.find_elements("css selector",
                                 '[data-key="request_streams.0.records"] [data-part]')
    assert [p.get_attribute("data-part") for p in parts] == ["low", "high"]


def test_a_distribution_is_changed_by_its_parts(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=appeal_lifted")
    change_and_wait(driver, "request_streams.0.records.high", "2000000")
    change = ('request_streams.0.records={ dist = "uniform", low = 1000000, high = 2000000 }')
    assert change in urllib.parse.unquote_plus(driver.current_url)
    assert mean_shown(driver) == api_mean(server, "appeal_lifted", change)
    text = driver.find_element("css selector",
                               '[data-key="request_streams.0.records"] .preview-text').text
    assert text == "uniform: low 1,000,000, high 2,000,000"


def test_every_term_the_page_links_is_in_the_one_glossary(server, browser):
    from flowsim.outputs.glossary import GLOSSARY

    driver = browser()
    open_page(driver, server + CHANGED)
    anchors = driver.execute_script(
        "return [...document.querySelectorAll('a[href^=\"#g-\"]')].map((a) => a.hash.slice(1))")
    shown_terms = driver.execute_script(
        "return [...document.querySelectorAll('[data-role=glossary] dt')].map((d) => d.id)")
    assert shown_terms == [f"g-{t.anchor}" for t in GLOSSARY]
    assert anchors and set(anchors) <= set(shown_terms)
    driver.find_element("css selector", 'a[href="#g-histories"]').click()
    assert driver.find_element("id", "glossary").get_attribute("open") is not None


def test_scenarios_side_by_side_as_columns(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h&also=better_ice_data&also=slow_review")
    columns = wait_for(driver, lambda d: len(d.find_elements(
        "css selector", "[data-role=side-by-side] .column")) == 3 and d.find_elements(
        "css selector", "[data-role=side-by-side] .column"))
    assert [c.get_attribute("data-scenario") for c in columns] == [
        "notice_72h", "better_ice_data", "slow_review"]
    _, body = get(api(server, "/api/run", scenario="better_ice_data"))
    assert columns[1].find_element("css selector", ".lead").text == body["headline"]["value"]
    assert all(c.find_element("css selector", "[data-role=chart] svg") for c in columns)
    # One more from the panel, then one taken away: the address keeps the view.
    driver.find_element("id", "also").send_keys("No court ever rules")
    driver.find_element("id", "add-beside").click()
    wait_for(driver, lambda d: len(d.find_elements("css selector", ".column")) == 4)
    assert "also=judge_never_rules" in driver.current_url
    columns = driver.find_elements("css selector", ".column")
    columns[1].find_element("css selector", "button").click()
    wait_for(driver, lambda d: len(d.find_elements("css selector", ".column")) == 3)
    assert "also=better_ice_data" not in driver.current_url


def test_two_what_ifs_combine_into_one(server, browser):
    from flowsim.serve.runs import combined_sets
    from servers import SCENARIOS

    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h")
    before = shown(driver)
    driver.find_element("id", "with").send_keys("Better ICE data")
    driver.find_element("id", "combine").click()
    wait_for(driver, lambda d: shown(d) > before and "matching.tin_rate" in
             urllib.parse.unquote(d.current_url))
    changes = combined_sets(SCENARIOS / "notice_72h.toml", SCENARIOS / "better_ice_data.toml")
    _, body = get(api(server, "/api/run", scenario="notice_72h", set=changes))
    row = next(r for r in body["stats"] if r["metric"] == "transferred")
    assert mean_shown(driver) == f"{row['mean']:,.0f}"
    assert "+" in driver.find_element("id", "status").text


def test_two_what_ifs_that_set_one_value_differently_say_which(server):
    status, body = get(api(server, "/api/combine", scenario="notice_72h",
                           **{"with": "notice_from_mou"}))
    assert status == 400
    assert body["error"].startswith("flowsim: error: notice_from_mou.toml: notice: ")


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def axe_violations(driver) -> list[tuple[str, str, int]]:
    """axe-core's violations of the page as shown: (rule, impact, elements)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return [tuple(v) for v in driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then((r) => done("
        "r.violations.map((v) => [v.id, v.impact, v.nodes.length])));")]


@pytest.mark.parametrize("width, height, view", [(1280, 720, ""), (390, 844, ""),
                                                 (1920, 1080, "&view=presenter")])
def test_axe_finds_nothing_serious_or_critical(server, browser, width, height, view):
    driver = sized(browser, width, height)
    open_page(driver, server + CHANGED + "&also=better_ice_data" + view)
    wait_for(driver, lambda d: len(d.find_elements("css selector", ".column")) == 2)
    driver.execute_script("document.getElementById('every-value').open = true;"
                          "document.getElementById('glossary').open = true;")
    serious = [v for v in axe_violations(driver) if v[1] in ("serious", "critical")]
    assert serious == []


def test_the_presenter_view_shows_the_answer_and_the_side_by_side_only(server, browser):
    driver = sized(browser, 1280, 720)
    open_page(driver, server + "/?scenario=notice_72h&also=better_ice_data")
    driver.find_element("id", "presenter").click()
    assert "view=presenter" in driver.current_url
    visible = driver.execute_script(
        "return ['panel', 'answer', 'side-by-side', 'headline'].map("
        "(id) => document.getElementById(id).offsetParent !== null)")
    assert visible == [False, True, True, False]
    size = driver.execute_script(
        "return parseFloat(getComputedStyle(document.getElementById('lead')).fontSize)")
    assert size >= 36


def test_the_page_works_from_the_keyboard_alone(server, browser):
    """Tab from the top of the page to the notice window, type, and leave it: the answer
    is redrawn for the new value, with no mouse."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h")
    before = shown(driver)
    for _ in range(60):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("id") == "c-notice.0.hours":
            break
    else:
        pytest.fail("the notice window cannot be reached with the Tab key")
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL) \
        .send_keys("48", Keys.TAB).perform()
    wait_for(driver, lambda d: shown(d) > before)
    assert mean_shown(driver) == api_mean(server, "notice_72h", "notice.0.hours=48")


STORY = "what_the_courts_did"


def test_the_shipped_story_shows_scenarios_of_the_library():
    from flowsim.serve.stories import read_stories
    from servers import SCENARIOS

    names = [p.stem for p in SCENARIOS.glob("*.toml")]
    stories, problems = read_stories(SCENARIOS / "stories", names)
    assert problems == [] and [s.name for s in stories] == [STORY]
    assert all(v.note for v in stories[0].views) and len(stories[0].views) >= 4


@pytest.mark.parametrize("text, fragment", [
    ('title = "t"\n[[views]]\nscenario = "nowhere"\n', "views.0.scenario: no scenario named"),
    ('[[views]]\nscenario = "baseline"\n', "title: a story needs a title"),
    ('title = "t"\n[[views]]\nscenario = "baseline"\nalso = ["a", "b", "c", "d"]\n',
     "views.0.also: up to 3"),
    ('title = "t"\n[[views]]\nscenario = "baseline"\nset = ["notice.0.hours"]\n',
     "views.0.set: each change is KEY=VALUE"),
])
def test_a_story_that_cannot_be_shown_is_left_out_with_one_line(tmp_path, text, fragment):
    from flowsim.serve.stories import read_stories

    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    stories, problems = read_stories(tmp_path, ["baseline", "a", "b", "c", "d"])
    assert stories == [] and len(problems) == 1
    assert problems[0].startswith("flowsim: story bad.toml left out: ") and fragment in problems[0]


def test_a_story_steps_through_its_views(server, browser):
    driver = browser()
    open_page(driver, server + f"/?story={STORY}&step=0")
    story = driver.find_element("css selector", "[data-role=story]")
    assert "view 1 of 5" in story.text and "47,000 addresses" in story.text
    before = shown(driver)
    driver.find_element("id", "story-next").click()
    wait_for(driver, lambda d: shown(d) > before)
    assert "scenario=judge_never_rules" in driver.current_url and "step=1" in driver.current_url
    assert "view 2 of 5" in story.text


def test_pages_that_follow_go_where_the_facilitator_goes(server, browser):
    leader, follower = browser(), browser()
    open_page(leader, server + f"/?story={STORY}&step=0")
    open_page(follower, server + f"/?story={STORY}&step=0")
    follower.find_element("id", "story-follow").click()
    leader.find_element("id", "story-next").click()
    leader.find_element("id", "story-next").click()
    wait_for(follower, lambda d: "step=2" in d.current_url, seconds=30)
    wait_for(follower, lambda d: len(d.find_elements("css selector", ".column")) == 2)
    _, body = get(api(server, "/api/story", story=STORY))
    assert body["step"] == 2


def test_only_the_facilitators_computer_steps_the_room(server):
    from servers import post_json

    doc = {"story": STORY, "step": 1}
    status, body = post_json(server + "/api/story", doc, headers={"Origin": server},
                             source="127.0.0.7")
    assert status == 403 and "only the facilitator's computer" in body["error"]
    status, body = post_json(server + "/api/story", {"story": STORY, "step": 99},
                             headers={"Origin": server})
    assert status == 400 and "a step from 0 to 4" in body["error"]


def test_the_browser_draws_the_chart_and_its_data_downloads_as_csv(server, browser):
    driver = browser()
    open_page(driver, server + CHANGED)
    wait_for(driver, lambda d: d.find_elements("css selector", "#chart-page svg"))
    assert "72-hour notice from the MOU" in driver.find_element("id", "chart-page").text
    href = driver.find_element("id", "chart-data").get_attribute("href")
    assert href.startswith("data:text/csv;charset=utf-8,")
    text = urllib.parse.unquote(href.split(",", 1)[1])
    header, *rows = text.strip().splitlines()
    assert header == "date,p05,p95,median history,mean,median of the baseline"
    _, body = get(api(server, "/api/run", scenario="notice_72h", set="notice.0.hours=48"))
    values = body["chart"]["vconcat"][0]["data"]["values"]
    assert len(rows) == len(values) and rows[0].startswith(values[0]["date"] + ",")


def test_side_by_side_charts_share_their_axes(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=slow_review&also=better_ice_data")
    wait_for(driver, lambda d: len(d.find_elements("css selector", ".column svg")) == 2)
    tops = driver.execute_script(
        # The records axis of each column's first panel: its first all-number axis.
        "return [...document.querySelectorAll('.column svg')].map((svg) => ["
        "...svg.querySelectorAll('.role-axis-label')].map((g) => [...g.querySelectorAll('text')]"
        ".map((t) => t.textContent)).find((ts) => ts.length && ts.every("
        "(t) => /^[0-9,.]+$/.test(t))).join('|'))")
    assert tops[0] == tops[1] and tops[0]
    # Each column's chart runs along its whole horizon: a year and more of month labels.
    months = driver.execute_script(
        "return [...document.querySelectorAll('.column svg')].map((svg) => "
        "[...svg.querySelectorAll('.role-axis-label text')].filter((t) => "
        "/^[A-Z][a-z]{2} [0-9]{4}$/.test(t.textContent)).length)")
    assert min(months) >= 4


def test_the_view_downloads_as_one_html_file_without_scripts(server, browser):
    driver = browser()
    open_page(driver, server + CHANGED)
    wait_for(driver, lambda d: d.find_element("id", "view-file").get_attribute("href")
             .startswith("data:text/html"))
    href = driver.find_element("id", "view-file").get_attribute("href")
    html = urllib.parse.unquote(href.split(",", 1)[1])
    lead = driver.find_element("id", "lead").text
    assert lead in html and "<svg" in html and "<table" in html
    assert "<script" not in html and "http://127.0.0.1" not in html


# -- a busy room gets quick answers, then the whole ones ---------------------------------

def occupied(server: str, change: str):
    """Another computer (127.0.0.2) asks for a long chart: a thread, running about a
    second and a half, which fills the session server's one worker."""
    import threading
    import time

    from servers import ask

    def long_chart() -> None:
        ask(api(server, "/api/run", scenario="baseline", set=change, replications=1600),
            source="127.0.0.2")

    thread = threading.Thread(target=long_chart)
    thread.start()
    time.sleep(0.4)  # it has reached the worker
    return thread


def test_while_other_computers_fill_the_workers_a_chart_is_quick_and_says_so(server):
    from flowsim.serve.budget import quick_replications
    from servers import REPS, ask

    busy = occupied(server, "review.capacity=2")
    try:
        status, quick = ask(api(server, "/api/run", scenario="notice_72h",
                                set="notice.0.hours=30"), source="127.0.0.3")
    finally:
        busy.join(60)
    assert status == 200 and quick["quick"] is True
    assert quick["replications"] == quick_replications(REPS) < quick["asked_replications"] == REPS
    status, whole = ask(api(server, "/api/run", scenario="notice_72h", set="notice.0.hours=30"),
                        source="127.0.0.3")
    assert status == 200 and whole["quick"] is False and whole["replications"] == REPS


def test_the_page_shows_a_quick_answer_then_asks_again_for_the_whole_one(server, browser):
    driver = browser()
    open_page(driver, server + "/?scenario=notice_72h")
    busy = occupied(server, "review.capacity=3")
    try:
        change_and_wait(driver, "notice.0.hours", "31")
        assert driver.execute_script("return document.body.dataset.quick") == "true"
        assert "quick answer while the room is busy" in driver.find_element("id", "status").text
    finally:
        busy.join(60)
    wait_for(driver, lambda d: d.execute_script("return document.body.dataset.quick") == "false",
             seconds=30)
    assert mean_shown(driver) == api_mean(server, "notice_72h", "notice.0.hours=31")
