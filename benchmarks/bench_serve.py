"""Speed of the workshop page, in the real browser and under a room.

    python benchmarks/bench_serve.py [--changes 50] [--clients 20] [--seconds 60] [--jobs 2]

1. Latency: headless Chromium changes notice.0.hours on the page `changes` times (each a
   value not asked before, so nothing comes from the cache) and times each change from
   the key press that commits it to the redrawn figures; median and 95th percentile.
2. Load: `clients` threads, each a page of its own, change a value every two seconds
   for `seconds` seconds, all at once (the harshest room: every change in the same
   instant), each from a loopback address of its own as each laptop of a room has its
   own address. Each change does what the page does: /api/run for the chart, then, once
   it is drawn and without waiting for it, /api/verdict for the small exploration (both
   with the client id and change number, so a superseded one is dropped). Values come
   from the page's own steps (hours 12..240 in steps of 12, grant 0.1..0.9):
   participants pick the same values, and the cache answers those. Reports the latency
   of the charts (and how many were quick answers while the room was busy), of the
   verdicts, errors, answers dropped as superseded, and the memory of the server and its
   workers before and after.
The server listens on 127.0.0.1 on a free port and is stopped by its process id.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(jobs: int, replications: int, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "flowsim", "serve", "--port", str(port),
                                "--jobs", str(jobs), "--replications", str(replications),
                                *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/api/scenarios", timeout=2).read()
            return process, base
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def memory_mib(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines()
                              if line.startswith("VmRSS")))
            for task in Path(f"/proc/{p}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def browser_latency(base: str, changes: int) -> list[float]:
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1600,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    shown = "return Number(document.body.dataset.shown || 0)"
    times = []
    try:
        driver.get(base + "/?scenario=notice_72h")
        deadline = time.monotonic() + 60
        while driver.execute_script(shown) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        for i in range(changes):
            before = driver.execute_script(shown)
            box = driver.find_element(By.ID, "c-notice.0.hours")
            box.clear()
            box.send_keys(str(100 + i))
            began = time.perf_counter()
            box.send_keys(Keys.TAB)
            deadline = time.monotonic() + 30
            while driver.execute_script(shown) <= before and time.monotonic() < deadline:
                time.sleep(0.005)
            times.append(time.perf_counter() - began)
    finally:
        driver.quit()
    return times


def ask(url: str, source: str) -> tuple[int, dict]:
    """One answer asked from `source`: its status and body (read whole)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60,
                                            source_address=(source, 0))
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def room(base: str, clients: int, seconds: float) -> dict:
    charts: list[float] = []
    verdicts: list[float] = []
    errors: list[str] = []
    counts = {"quick": 0, "dropped": 0, "verdicts dropped": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    pending: list[threading.Thread] = []

    def timed(url: str, source: str, on_answer) -> None:
        began = time.perf_counter()
        try:
            status, body = ask(url, source)
        except OSError as exc:
            with lock:
                errors.append(str(exc))
            return
        with lock:
            on_answer(status, body, time.perf_counter() - began)

    def participant(index: int) -> None:
        rng = random.Random(index)
        source = f"127.0.0.{index + 2}"  # each participant its own computer
        change = 0
        while time.monotonic() < stop_at:
            change += 1
            hours = 12 * rng.randint(1, 20)
            grant = rng.randint(1, 9) / 10
            query = urllib.parse.urlencode([("scenario", "notice_72h"),
                                            ("set", f"notice.0.hours={hours}"),
                                            ("set", f"notice.0.grant={grant}"),
                                            ("client", f"bench-{index}"),
                                            ("change", str(change))])
            began = time.perf_counter()
            drawn = []

            def chart(status: int, body: dict, took: float) -> None:
                if status == 200:
                    charts.append(took)
                    counts["quick"] += bool(body.get("quick"))
                    drawn.append(True)
                elif status == 409:
                    counts["dropped"] += 1
                else:
                    errors.append(f"run {status}")

            def verdict(status: int, body: dict, took: float) -> None:
                if status == 200:
                    verdicts.append(took)
                elif status == 409:
                    counts["verdicts dropped"] += 1
                else:
                    errors.append(f"verdict {status}")

            timed(f"{base}/api/run?{query}", source, chart)
            if drawn:  # the page asks for the verdict once the chart is drawn
                thread = threading.Thread(target=timed, args=(f"{base}/api/verdict?{query}",
                                                              source, verdict))
                thread.start()
                pending.append(thread)
            time.sleep(max(0.0, 2.0 - (time.perf_counter() - began)))

    threads = [threading.Thread(target=participant, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    for t in pending:
        t.join(120)
    return {"charts": charts, "verdicts": verdicts, "errors": errors, **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--replications", type=int, default=200)
    args = parser.parse_args()
    process, base = start(args.jobs, args.replications)
    try:
        times = browser_latency(base, args.changes)
        print(f"browser, {len(times)} changes at {args.replications} replications, "
              f"--jobs {args.jobs}: median {statistics.median(times):.3f} s, "
              f"p95 {percentile(times, 95):.3f} s, max {max(times):.3f} s")
        before = memory_mib(process.pid)
        load = room(base, args.clients, args.seconds)
        after = memory_mib(process.pid)
        lat, ver = load["charts"], load["verdicts"]
        print(f"room of {args.clients} clients for {args.seconds:.0f} s: {len(lat)} charts, "
              f"median {statistics.median(lat):.3f} s, p95 {percentile(lat, 95):.3f} s "
              f"({load['quick']} quick answers while the room was busy); "
              f"{len(ver)} verdicts, median "
              f"{statistics.median(ver) if ver else float('nan'):.3f} s, p95 "
              f"{percentile(ver, 95) if ver else float('nan'):.3f} s; "
              f"{len(load['errors'])} errors; {load['dropped']} charts and "
              f"{load['verdicts dropped']} verdicts dropped as superseded; "
              f"memory {before:.0f} MiB before, {after:.0f} MiB after")
        if load["errors"]:
            print("errors:", ", ".join(sorted(set(load["errors"]))[:5]))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    main()
