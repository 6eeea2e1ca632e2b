"""Starting and stopping `flowsim serve` for tests, and asking it things.

Every server listens on 127.0.0.1, on a free port, and is stopped by its process id. A
request may come from another loopback address (`source`), as another computer of the
room would.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).parents[1] / "scenarios"
REPS = 40
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*extra: str, reps: int = REPS) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "flowsim", "serve", "--host", "127.0.0.1",
                                "--port", str(port), "--replications", str(reps), *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server ended: {process.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
            status, _ = ask(base + "/api/scenarios", timeout=10)
            if status in (200, 403):  # 403: a room that asks for its join code
                return process, base
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise AssertionError("the server did not answer within a minute")


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def ask(url: str, *, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None,
        source: str | None = None, timeout: float = 60) -> tuple[int, Any]:
    """One request: its status and its body (JSON decoded where it is JSON)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                            source_address=(source, 0) if source else None)
    data = None if body is None else (body if isinstance(body, bytes)
                                      else json.dumps(body).encode())
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""),
                           body=data, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode()
        kind = response.getheader("content-type", "")
        return response.status, json.loads(text) if "json" in kind and text else text
    finally:
        connection.close()


def get(url: str, method: str = "GET") -> tuple[int, object]:
    return ask(url, method=method)


def post_json(url: str, doc: Any, **options: Any) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **options.pop("headers", {})}
    return ask(url, method="POST", body=doc, headers=headers, **options)


def api(base: str, path: str, **params) -> str:
    query = urllib.parse.urlencode([(k, v) for k, values in params.items()
                                    for v in (values if isinstance(values, list) else [values])])
    return f"{base}{path}?{query}"

