"""The room's server against a participant who tries to subvert, flood or crash it, and
against other web pages a participant opens. Every server listens on 127.0.0.1 on a free
port and is stopped by its process id; other computers of the room are other loopback
addresses (127.0.0.2, ...); every loop is bounded in count and time."""

from __future__ import annotations

import shlex
import socket
import time
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from servers import SCENARIOS, api, ask, free_port, post_json, start_server, stop  # noqa: E402

from flowsim.scenario import load  # noqa: E402
from flowsim.serve.budget import ANSWERS_PER_ADDRESS  # noqa: E402
from flowsim.serve.catalogue import GALLERY_FILES, SAVES_PER_ADDRESS  # noqa: E402
from flowsim.serve.sockets import CONNECTIONS_PER_ADDRESS  # noqa: E402

INJECTION = ('scenario.title=x\ninjunction = { enabled = false }\nrequests = [{ name = '
             '"hidden", at = 2025-07-01, records = 9999999 }]\n#')
SHELL = "scenario.title=x'; touch PWNED; echo '"
# The worst request: ICE asking every half hour until 2029.
FLOOD = ["request_streams.0.interval_days=0.02", "scenario.end=2029-12-31",
         "request_streams.0.until=2029-12-31"]


def save(server: str, scenario: str, sets: list[str], name: str, **options) -> tuple[int, dict]:
    return post_json(server + "/api/gallery", {"scenario": scenario, "set": sets, "name": name},
                     **options)


# -- saved files are exactly what the page ran ------------------------------------------

@pytest.mark.parametrize("bad", ["\n", "\r", "\x00", "\x7f", "\u2028", "\t"])
def test_a_control_character_in_a_change_is_refused(server, gallery, bad):
    before = set(gallery.iterdir())
    status, body = save(server, "baseline", [f"scenario.title=x{bad}y"], "ctl")
    assert status == 400
    assert body["error"].startswith("flowsim: error: set: contains a line break or another "
                                    "control character")
    assert set(gallery.iterdir()) == before
    status, body = ask(api(server, "/api/run", scenario="baseline",
                           set=f"scenario.title=x{bad}y"))
    assert status == 400 and "control character" in body["error"]


def test_the_toml_injection_saves_nothing(server, gallery):
    before = set(gallery.iterdir())
    status, body = save(server, "baseline", [INJECTION], "inj")
    assert status == 400 and "error: set:" in body["error"]
    assert set(gallery.iterdir()) == before


def test_the_same_as_line_is_quoted_for_a_shell(server, gallery):
    status, body = save(server, "baseline", [SHELL], "quoted")
    assert status == 200
    text = (gallery / body["file"]).read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("# The same as: "))
    words = shlex.split(line.removeprefix("# The same as: "))
    assert words == ["flowsim", "run", "baseline.toml", "--set", SHELL]


def test_a_saved_file_runs_what_the_page_ran(server, gallery):
    sets = ["review.days.mode=2.5", "scenario.end=2026-03-01", "notice.0.relief=0.4"]
    status, body = save(server, "baseline", sets, "same")
    assert status == 200
    path = gallery / body["file"]
    saved, ran = load(path).scenario, load(SCENARIOS / "baseline.toml", sets).scenario
    assert saved.scenario.end == ran.scenario.end
    assert saved.review == ran.review and saved.notice == ran.notice
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_written_files_and_errors_name_no_folder_of_this_computer(server, gallery):
    folders = [str(SCENARIOS.resolve()), str(SCENARIOS.resolve().parent), str(Path.home())]
    _, text = ask(api(server, "/api/scenario.toml", scenario="notice_72h",
                      set="notice.0.hours=48"))
    status, body = save(server, "notice_72h", ["notice.0.hours=48"], "nopath")
    saved = (gallery / body["file"]).read_text(encoding="utf-8")
    _, error = ask(api(server, "/api/run", scenario="notice_72h", set="notice.0.hours=-4"))
    _, toml_error = ask(api(server, "/api/scenario.toml", scenario="baseline",
                            set="matching.tin_rate=2"))
    for shown in (text, error["error"], toml_error["error"]):  # what a participant sees
        assert not any(folder in shown for folder in folders), shown
    # The gallery's own file, on the facilitator's disk, extends the library by a
    # relative path: no absolute one.
    assert tomllib.loads(saved)["extends"].endswith("notice_72h.toml")
    assert not Path(tomllib.loads(saved)["extends"]).is_absolute()


def test_a_gallery_save_of_a_gallery_save_keeps_the_librarys_title(server):
    status, first = save(server, "notice_72h", ["notice.0.hours=48"], "first")
    assert status == 200
    status, second = save(server, first["saved"], ["notice.0.hours=36"], "second")
    assert status == 200
    titles = {s["name"]: s["title"] for s in ask(server + "/api/scenarios")[1]["scenarios"]}
    assert titles[second["saved"]] == "72-hour notice from the MOU: second"


# -- only the page's own origin may act --------------------------------------------------

def test_a_foreign_host_is_refused(server):
    status, body = ask(server + "/api/scenarios", headers={"Host": "evil.example.com"})
    assert status == 400 and body["error"].startswith("flowsim: error: Host:")
    status, _ = ask(server + "/api/scenarios", headers={"Host": f"localhost:{server[-5:]}"})
    assert status == 200


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example.com"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_a_save_from_another_origin_is_refused(server, gallery, headers):
    before = set(gallery.iterdir())
    status, body = save(server, "baseline", [], "xsite", headers=headers)
    assert status == 403 and "only this page may save" in body["error"]
    assert set(gallery.iterdir()) == before


def test_a_save_that_is_not_json_is_refused(server, gallery):
    before = set(gallery.iterdir())
    status, body = ask(api(server, "/api/gallery", scenario="baseline", name="form"),
                       method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"},
                       body=b"scenario=baseline&name=form")
    assert status == 403 and "JSON" in body["error"]
    assert set(gallery.iterdir()) == before


CROSS_SITE_PAGE = """<!doctype html><html><body>
<form id="f" method="post" action="{target}/api/gallery?scenario=baseline&name=csrf-form"
      enctype="text/plain"><input name='{{"scenario": "baseline", "name": "csrf-form", "x": "' value='"}}'></form>
<script>
fetch("{target}/api/gallery", {{method: "POST", mode: "no-cors",
  headers: {{"Content-Type": "text/plain"}},
  body: JSON.stringify({{scenario: "baseline", name: "csrf-nocors"}})}}).catch(() => 0);
fetch("{target}/api/gallery", {{method: "POST",
  headers: {{"Content-Type": "application/json"}},
  body: JSON.stringify({{scenario: "baseline", name: "csrf-json"}})}})
  .then(() => "read", () => "refused")
  .then((outcome) => {{ document.title = outcome;
                        setTimeout(() => document.getElementById("f").submit(), 300); }});
</script></body></html>"""


def test_a_page_of_another_origin_cannot_save(server, gallery, browser, tmp_path):
    """A page served from a second origin on 127.0.0.1 tries a form post, a no-cors
    fetch and a JSON fetch: none saves anything, and none can read an answer."""
    import http.server
    import threading

    (tmp_path / "index.html").write_text(CROSS_SITE_PAGE.format(target=server), "utf-8")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    other = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    before = set(gallery.iterdir())
    try:
        driver = browser()
        driver.get(f"http://127.0.0.1:{other.server_address[1]}/index.html")
        deadline = time.monotonic() + 20
        titles = []
        while not driver.current_url.startswith(server) and time.monotonic() < deadline:
            titles.append(driver.title)
            time.sleep(0.05)
        assert "refused" in titles  # the JSON fetch could not read an answer
        assert driver.current_url.startswith(server)  # the form's post was sent
    finally:
        other.shutdown()
        other.server_close()
    assert set(gallery.iterdir()) == before


def test_the_room_asks_for_its_join_code(tmp_path):
    process, base = start_server("--join-code", "RXM42K", reps=5)
    try:
        status, body = ask(base + "/api/scenarios")
        assert status == 403 and "join the room first" in body["error"]
        status, page = ask(base + "/")
        assert status == 200 and "Join the room" in page and "/static/app.js" not in page
        status, page = ask(base + "/?join=WRONG1")
        assert status == 200 and "not the code of this room" in page
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]))
        connection.request("GET", "/?join=rxm42k&scenario=notice_72h")
        response = connection.getresponse()
        cookie = response.getheader("set-cookie")
        assert response.status == 303 and response.getheader("location") == "/?scenario=notice_72h"
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        connection.close()
        jar = {"Cookie": cookie.split(";")[0]}
        status, body = ask(base + "/api/scenarios", headers=jar)
        assert status == 200 and body["baseline"] == "baseline"
        status, body = ask(base + "/api/room", headers=jar)
        assert body["network"] and body["address"].endswith("/?join=RXM42K")
        assert body["qr"].startswith("<svg")
    finally:
        stop(process)
    assert "RXM42K" in process.stderr.read()


@pytest.mark.slow
def test_wrong_join_codes_are_bounded_per_computer():
    process, base = start_server("--join-code", "RXM42K", reps=5)
    try:
        statuses = [ask(base + f"/?join=BAD{n:03d}", source="127.0.0.3")[0] for n in range(21)]
        assert statuses[:20] == [200] * 20 and statuses[20] == 429
        assert ask(base + "/?join=BAD999", source="127.0.0.4")[0] == 200
    finally:
        stop(process)


# -- the work of an answer is bounded ---------------------------------------------------

def test_an_answer_over_the_work_budget_is_refused_at_once(server):
    # Within 30 s, or the ask fails: the 58 s run of the issue never starts.
    status, body = ask(api(server, "/api/run", scenario="no_injunction_resubmit", set=FLOOD,
                           replications=4), timeout=30)
    assert status == 400 and body["error"].startswith("flowsim: error: work: this answer "
                                                      "would take about")
    assert "its requests are too many for the page" in body["error"]
    status, body = ask(api(server, "/api/run", scenario="no_injunction_resubmit",
                           replications=2000))
    assert status == 400 and "use at most" in body["error"]


def test_one_computer_has_a_bounded_number_of_answers_on_the_way(server):
    """Slow answers sent at once from one address: those past the bound are 429 at once;
    another computer is still answered."""
    import concurrent.futures

    sets = ["request_streams.0.interval_days=3"]  # about 170 requests, within the budget
    urls = [api(server, "/api/run", scenario="no_injunction_resubmit", set=sets,
                replications=40, seed=n) for n in range(ANSWERS_PER_ADDRESS + 2)]
    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        answers = list(pool.map(lambda u: ask(u, source="127.0.0.5", timeout=60), urls))
        other = ask(api(server, "/api/run", scenario="baseline", replications=5),
                    source="127.0.0.6")
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(200) >= ANSWERS_PER_ADDRESS
    assert set(statuses) <= {200, 429} and 429 in statuses
    assert other[0] == 200


def test_a_page_answer_stops_when_its_page_is_gone_or_its_time_is_up(tmp_path):
    from flowsim.serve import runs

    baseline = SCENARIOS / "baseline.toml"
    gone = tmp_path / "gone"
    gone.touch()
    with pytest.raises(runs.Stopped, match="its page was closed"):
        runs.page_run(baseline, [], 50, 1, baseline, cancel=str(gone))
    with pytest.raises(runs.Stopped, match="ran longer than"):
        runs.page_run(baseline, [], 50, 1, baseline, timeout_seconds=0.0)
    assert runs.page_run(baseline, [], 5, 1, baseline, cancel=str(tmp_path / "here"))["stats"]


# -- bounded inputs at the socket -------------------------------------------------------

def reply_of(s: socket.socket) -> bytes:
    """One whole HTTP reply: its head and the body its Content-Length gives."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_a_body_is_refused_on_its_declared_length(server):
    """A 600 MB body is refused on Content-Length, before any of it is read."""
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/gallery HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                  b"application/json\r\nContent-Length: 600000000\r\n\r\n{")
        reply = reply_of(s).decode()
    assert reply.startswith("HTTP/1.1 400") and "larger than 16,384 bytes" in reply


def test_a_body_is_counted_as_it_comes(server):
    """A chunked body that does not say its length is refused once it passes the bound."""
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/gallery HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                  b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + b"400\r\n" + b" " * 1024 + b"\r\n" * 1)
        for _ in range(19):  # 20 KiB in all, and never the last chunk
            s.sendall(b"400\r\n" + b" " * 1024 + b"\r\n")
        reply = reply_of(s)
    assert reply.startswith(b"HTTP/1.1 400") and b"larger than 16,384 bytes" in reply


def test_idle_sockets_from_one_computer_do_not_lock_out_another(server):
    port = int(server.rsplit(":", 1)[1])
    held = []
    try:
        for _ in range(200):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.5)
        status, _ = ask(server + "/api/scenarios", source="127.0.0.2", timeout=10)
        assert status == 200
        closed = 0
        for s in held:
            s.settimeout(0.01)
            try:
                closed += s.recv(1) == b""
            except (TimeoutError, socket.timeout):
                pass
        assert closed == 200 - CONNECTIONS_PER_ADDRESS
    finally:
        for s in held:
            s.close()


def test_a_request_head_sent_too_slowly_is_cut_off():
    """The per-connection deadline for a request's head, on an in-process server with a
    short deadline."""
    import asyncio
    import threading

    from flowsim.serve import sockets

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    class Quick(sockets.RoomProtocol):
        head_seconds = 0.5

    port = free_port()
    server = sockets.server(app, "127.0.0.1", port, protocol=Quick)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
            slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the end
            assert slow.recv(100) == b""  # closed by the server, within the 10 s timeout
        with socket.create_connection(("127.0.0.1", port), timeout=10) as quick:
            quick.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert quick.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(10)


# -- the gallery is bounded, read off the event loop and never stale --------------------

def test_the_gallery_takes_a_bounded_number_of_saves_from_one_computer(server):
    statuses = [save(server, "baseline", [f"matching.tin_rate=0.0{n % 9 + 1}"], f"many{n}",
                     source="127.0.0.7")[0] for n in range(SAVES_PER_ADDRESS + 1)]
    assert statuses[:SAVES_PER_ADDRESS] == [200] * SAVES_PER_ADDRESS
    assert statuses[-1] == 400
    assert save(server, "baseline", [], "another", source="127.0.0.8")[0] == 200


@pytest.mark.slow
def test_a_full_gallery_refuses_with_one_line(tmp_path):
    folder = tmp_path / "full"
    folder.mkdir()
    for n in range(GALLERY_FILES):
        (folder / f"f{n:03d}.txt").write_text("x")
    process, base = start_server("--gallery", str(folder), reps=5)
    try:
        status, body = save(base, "baseline", [], "one-more")
        assert status == 503 and body["error"] == ("flowsim: error: gallery: the gallery is "
                                                   "full; ask the facilitator to make room")
    finally:
        stop(process)


def test_an_edited_or_replaced_gallery_file_gives_its_own_answer(server, gallery):
    status, body = save(server, "notice_72h", ["notice.0.grant=0.0"], "edited")
    name, path = body["saved"], gallery / body["file"]
    mean = lambda b: next(r["mean"] for r in b["stats"] if r["metric"] == "transferred")  # noqa: E731
    status, first = ask(api(server, "/api/run", scenario=name, seed=3))
    assert status == 200
    path.write_text(path.read_text(encoding="utf-8").replace("grant = 0.0", "grant = 1.0"),
                    encoding="utf-8")
    status, second = ask(api(server, "/api/run", scenario=name, seed=3))
    assert status == 200 and mean(second) < mean(first)


@pytest.mark.slow
def test_a_broken_gallery_file_is_left_out_with_a_line(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "missing-parent.toml").write_text('extends = "x.toml"\n', "utf-8")
    (folder / "not-a-table.toml").write_text(
        f'extends = "{SCENARIOS / "baseline.toml"}"\nscenario = 5\n', "utf-8")
    process, base = start_server("--gallery", str(folder), reps=5)
    try:
        status, body = ask(base + "/api/scenarios")
        assert status == 200
        assert not any(s["gallery"] for s in body["scenarios"])
        assert ask(api(base, "/api/run", scenario="baseline"))[0] == 200
    finally:
        stop(process)
    log = process.stderr.read()
    assert "gallery file left out: " in log and "not-a-table.toml: scenario: must be a table" in log
    assert "missing-parent.toml" in log and "Traceback" not in log


def test_malformed_parameters_are_400(server):
    for params in ({"change": "abc"}, {"change": "-1"}, {"seed": "x"},
                   {"replications": "1e9"}, {"scenario": "a\nb"}):
        status, body = ask(api(server, "/api/run", **params))
        assert status == 400, params
        assert body["error"].startswith("flowsim: error: ")


@pytest.mark.slow
def test_a_gallery_folder_that_is_gone_is_one_line(tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    process, base = start_server("--gallery", str(folder), reps=5)
    try:
        folder.rmdir()
        status, body = save(base, "baseline", [], "lost")
        assert status == 503 and body["error"].startswith("flowsim: error: gallery: the "
                                                          "gallery folder cannot be")
        folder.write_text("now a file")
        status, body = save(base, "baseline", [], "lost")
        assert status == 503 and "gallery folder cannot be" in body["error"]
        assert ask(base + "/api/scenarios")[0] == 200
    finally:
        stop(process)
    assert "Traceback" not in process.stderr.read()


def test_a_title_with_dollars_is_drawn_on_the_page(server, gallery):
    (gallery / "dollars.toml").write_text(
        f'extends = "{SCENARIOS / "baseline.toml"}"\n[scenario]\nname = "dollars"\n'
        'title = "Costs $x^{$"\n', "utf-8")
    time.sleep(1.1)
    status, body = ask(api(server, "/api/run", scenario="dollars", replications=5))
    assert status == 200 and body["chart"]["vconcat"][0]["title"]["text"] == ["Costs $x^{$"]


# -- the workers are shared fairly --------------------------------------------------------

def test_a_computer_that_keeps_asking_is_served_once_a_round():
    """One worker; one computer queues three answers, then five others one each: after its
    first, each of the others goes before its second."""
    import asyncio

    from flowsim.serve.budget import FairSlots

    async def room() -> list[str]:
        slots, order, everyone_asked = FairSlots(1), [], asyncio.Event()

        async def answer(address: str) -> None:
            slots.claim(address)
            try:
                await slots.acquire(address)
                order.append(address)
                await everyone_asked.wait()  # the first answer runs while the rest ask
                slots.release(address)
            finally:
                slots.unclaim(address)

        first = [asyncio.create_task(answer("greedy")) for _ in range(3)]
        await asyncio.sleep(0)
        others = [asyncio.create_task(answer(f"p{n}")) for n in range(5)]
        await asyncio.sleep(0)
        everyone_asked.set()
        await asyncio.gather(*first, *others)
        return order

    assert asyncio.run(room()) == ["greedy", "p0", "p1", "p2", "p3", "p4", "greedy", "greedy"]


def test_a_computer_may_have_only_so_many_answers_on_the_way():
    from flowsim.serve.budget import Busy, FairSlots

    slots = FairSlots(1)
    for _ in range(ANSWERS_PER_ADDRESS):
        slots.claim("a")
    with pytest.raises(Busy):
        slots.claim("a")
    slots.claim("b")
    slots.unclaim("a")
    slots.claim("a")


@pytest.mark.slow
def test_an_edited_baseline_gives_answers_of_its_own(tmp_path):
    """Answers are kept by the files they were read from, the baseline's included: with
    the baseline's 24-hour rule moved to the MOU its disclosure comes a day later, and a
    what-if that does not extend it (it extends a copy) is a day less behind it."""
    import shutil

    shutil.copy(SCENARIOS / "baseline.toml", tmp_path / "baseline.toml")
    shutil.copy(SCENARIOS / "baseline.toml", tmp_path / "copy.toml")
    (tmp_path / "other.toml").write_text(
        'extends = "copy.toml"\n[scenario]\nname = "other"\n', encoding="utf-8")
    process, base = start_server(str(tmp_path / "baseline.toml"), str(tmp_path / "other.toml"),
                                 reps=5)
    try:
        def later_by_days() -> float:
            _, body = ask(api(base, "/api/run", scenario="other", seed=3))
            return next(d["diff_mean"] for d in body["difference"]
                        if d["metric"] == "first_transfer_days")

        assert later_by_days() == 0
        baseline = tmp_path / "baseline.toml"
        text = baseline.read_text(encoding="utf-8")
        assert "from = 2025-09-05" in text
        baseline.write_text(text.replace("from = 2025-09-05", "from = 2025-04-07", 1),
                            encoding="utf-8")
        assert later_by_days() == pytest.approx(-1, abs=0.01)
    finally:
        stop(process)


def test_a_chart_goes_before_a_verdict_that_waited_longer():
    """One worker, busy: a verdict waits, then a chart asks; the chart is served first."""
    import asyncio

    from flowsim.serve.budget import FairSlots, Priority

    async def room() -> list[str]:
        slots, order = FairSlots(1), []
        await slots.acquire("a")

        async def ask(address: str, priority: Priority) -> None:
            await slots.acquire(address, priority)
            order.append(f"{address} {priority.name}")
            slots.release(address, priority)

        waiting = [asyncio.create_task(ask("b", Priority.VERDICT))]
        await asyncio.sleep(0)
        waiting.append(asyncio.create_task(ask("c", Priority.RUN)))
        await asyncio.sleep(0)
        slots.release("a")
        await asyncio.gather(*waiting)
        return order

    assert asyncio.run(room()) == ["c RUN", "b VERDICT"]


def test_a_chart_is_quick_only_when_other_computers_charts_fill_the_workers():
    import asyncio

    from flowsim.serve.budget import FairSlots, Priority

    async def room() -> list[bool]:
        slots = FairSlots(2)
        seen = [slots.crowded("c")]
        await slots.acquire("a")
        await slots.acquire("a")            # one computer's side-by-side fills both
        seen += [slots.crowded("a"), slots.crowded("c")]
        slots.release("a")
        await slots.acquire("b", Priority.VERDICT)
        seen.append(slots.crowded("c"))     # a verdict is not a chart
        slots.release("b", Priority.VERDICT)
        await slots.acquire("b")
        seen += [slots.crowded("c"), slots.crowded("a")]
        return seen

    assert asyncio.run(room()) == [False, False, True, False, True, False]


@pytest.mark.parametrize("asked, quick", [(200, 50), (1000, 250), (40, 20), (10, 10)])
def test_a_quick_answer_runs_a_quarter_of_the_histories_and_at_least_twenty(asked, quick):
    from flowsim.serve.budget import quick_replications

    assert quick_replications(asked) == quick


def test_a_waiting_answer_a_newer_change_supersedes_goes_without_a_slot():
    import asyncio

    from flowsim.serve.budget import FairSlots, Priority

    async def room() -> list[object]:
        slots, newest = FairSlots(1), {"p": 1}
        await slots.acquire("a")
        old = asyncio.create_task(slots.acquire("p", Priority.VERDICT,
                                                lambda: newest["p"] > 1))
        other = asyncio.create_task(slots.acquire("q", Priority.VERDICT))
        await asyncio.sleep(0)
        newest["p"] = 2
        slots.drop_superseded()
        dropped = await old
        running = dict(slots.running)  # the superseded answer was handed no slot
        slots.release("a")
        return [dropped, running, await other, dict(slots.running), len(slots.waiting)]

    assert asyncio.run(room()) == [False, {"a": 1}, True, {"q": 1}, 0]
