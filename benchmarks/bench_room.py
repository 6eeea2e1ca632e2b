"""The room's server under one adversarial participant.

    python benchmarks/bench_room.py [--clients 20] [--seconds 60] [--jobs 1] [--replications 200]

1. A room of `clients` participants, each from its own loopback address (127.0.0.10, ...)
   as a room's laptops are, changes a value every two seconds for `seconds` seconds;
   latency of their answers (median, 95th percentile), errors, and answers refused as
   too many at once.
2. The same room while one more participant (127.0.0.200) keeps asking for the heaviest
   answer the page allows: ICE asking every eight days through 2026
   (no_injunction_resubmit, request_streams.0.interval_days=8, just within the work
   budget), with a new seed each time
   so that nothing comes from the cache, as many at once as it is allowed.
3. Memory of the server while a client sends a 600 MB body (declared, then streamed).
4. What 200 idle sockets held from one address do to a second client: its latency for
   ten requests while they are held, and how many of the 200 the server kept open.

The server listens on 127.0.0.1 on a free port and is stopped by its process id; every
loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import http.client
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import memory_mib, percentile, start  # noqa: E402


def ask(port: int, path: str, source: str, timeout: float = 120) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                            source_address=(source, 0))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def room(port: int, clients: int, seconds: float, adversary: bool, seed: int) -> dict:
    """Participants pick from the page's own steps, so the cache answers repeats; `seed`
    keeps one run of the room from reading answers the other left in the cache."""
    latencies: list[float] = []
    statuses: list[int] = []
    heavy: list[float] = []
    heavy_statuses: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def timed(query: str, source: str, statuses: list[int], times: list[float]) -> int:
        began = time.perf_counter()
        try:
            status = ask(port, f"/api/run?{query}", source)
        except OSError:
            status = -1
        with lock:
            statuses.append(status)
            if status == 200:
                times.append(time.perf_counter() - began)
        return status

    def participant(index: int) -> None:
        change = 0
        while time.monotonic() < stop_at:
            change += 1
            hours = 12 * (1 + (index * 7 + change * 3) % 20)
            grant = (1 + (index + change) % 9) / 10
            query = urllib.parse.urlencode([("scenario", "notice_72h"),
                                            ("set", f"notice.0.hours={hours}"),
                                            ("set", f"notice.0.grant={grant}"),
                                            ("seed", str(seed)),
                                            ("client", f"room{seed}-{index}"),
                                            ("change", str(change))])
            began = time.perf_counter()
            timed(query, f"127.0.0.{10 + index}", statuses, latencies)
            time.sleep(max(0.0, 2.0 - (time.perf_counter() - began)))

    def attacker(lane: int) -> None:
        seed = lane * 1_000_000
        while time.monotonic() < stop_at:
            seed += 1
            query = urllib.parse.urlencode([("scenario", "no_injunction_resubmit"),
                                            ("set", "request_streams.0.interval_days=8"),
                                            ("seed", str(seed))])
            if timed(query, "127.0.0.200", heavy_statuses, heavy) != 200:
                time.sleep(0.2)

    threads = [threading.Thread(target=participant, args=(i,)) for i in range(clients)]
    if adversary:
        threads += [threading.Thread(target=attacker, args=(lane,)) for lane in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 180)
    return {"latencies": latencies, "statuses": statuses, "heavy": heavy,
            "heavy_statuses": heavy_statuses}


def report(label: str, load: dict) -> None:
    lat = load["latencies"]
    refused = sum(s == 429 for s in load["statuses"])
    overtaken = sum(s == 409 for s in load["statuses"])
    errors = sum(s not in (200, 409, 429) for s in load["statuses"])
    heavy = load["heavy"]
    print(f"{label}: {len(lat)} answers, median {statistics.median(lat):.3f} s, "
          f"p95 {percentile(lat, 95):.3f} s, max {max(lat):.3f} s; {refused} refused as too "
          f"many at once, {overtaken} overtaken, {errors} errors" + (
              f"; the adversary got {len(heavy)} heavy answers (median "
              f"{statistics.median(heavy):.2f} s), statuses "
              f"{dict(collections.Counter(load['heavy_statuses']))}" if load["heavy_statuses"]
              else ""))


def big_body(port: int, pid: int) -> None:
    before = memory_mib(pid)
    peak = before
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/gallery HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                  b"application/json\r\nContent-Length: 600000000\r\n\r\n")
        chunk = b" " * 2**20
        try:
            for _ in range(600):
                s.sendall(chunk)
                sent += len(chunk)
                peak = max(peak, memory_mib(pid))
        except OSError:
            pass
        s.settimeout(5)
        try:
            reply = s.recv(200).split(b"\r\n", 1)[0].decode()
        except OSError:
            reply = "(closed)"
    print(f"600 MB body: the server answered {reply!r} after {sent / 2**20:.0f} MiB were "
          f"sent; server memory {before:.0f} MiB before, {peak:.0f} MiB at most")


def idle_sockets(port: int) -> None:
    held = []
    try:
        for _ in range(200):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.5)
        times = []
        for _ in range(10):
            began = time.perf_counter()
            status = ask(port, "/api/scenarios", "127.0.0.2", timeout=30)
            times.append((time.perf_counter() - began, status))
        open_ = 0
        for s in held:
            s.settimeout(0.01)
            try:
                open_ += s.recv(1) != b""
            except OSError:
                open_ += 1
        print(f"200 idle sockets from 127.0.0.1: the server kept {open_} open; a second "
              f"client's 10 requests: statuses {sorted({st for _, st in times})}, median "
              f"{statistics.median(t for t, _ in times) * 1000:.0f} ms, max "
              f"{max(t for t, _ in times) * 1000:.0f} ms")
    finally:
        for s in held:
            s.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--replications", type=int, default=200)
    args = parser.parse_args()
    gallery = tempfile.mkdtemp(prefix="bench-room-")
    process, base = start(args.jobs, args.replications, "--gallery", gallery)
    port = int(base.rsplit(":", 1)[1])
    try:
        print(json.dumps({"clients": args.clients, "seconds": args.seconds,
                          "jobs": args.jobs, "replications": args.replications}))
        report("room alone", room(port, args.clients, args.seconds, adversary=False, seed=1))
        report("room with one adversary", room(port, args.clients, args.seconds,
                                               adversary=True, seed=2))
        big_body(port, process.pid)
        idle_sockets(port)
    finally:
        process.send_signal(2)
        try:
            process.wait(timeout=15)
        except Exception:  # noqa: BLE001 - stopped by its id whatever happens
            process.kill()


if __name__ == "__main__":
    main()
