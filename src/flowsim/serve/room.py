"""Who may use the page: the names the server answers as, the room's join code, and
which requests may change anything.

- **Host.** A request whose `Host` is not a name the server listens as is refused: a web
  page whose name an attacker re-points at this computer (DNS rebinding) reaches nothing.
  Serving the room's network, any address literal is accepted too: an address cannot be
  re-pointed, and the room's laptops reach the server by its address.
- **Join code.** Serving the room's network, a browser joins with the code in the address
  the server prints (and shows as a QR code); the code is then kept in a cookie only this
  server's pages send. Without it, the page asks for the code and the API answers 403.
- **Acting.** A request that changes anything (the gallery) must be a JSON body sent from
  the page's own origin: a cross-site form or `fetch` can send neither without the
  browser asking first, and this server never says yes.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
JOIN_COOKIE = "flowsim_room"
JOIN_PARAMETER = "join"
# Letters and digits that cannot be mistaken for each other when read off a projector.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
# Wrong codes one address may try in JOIN_WINDOW_SECONDS before it must wait.
JOIN_TRIES = 20
JOIN_WINDOW_SECONDS = 600
SAFE_METHODS = ("GET", "HEAD")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
]


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def is_network(host: str) -> bool:
    """Whether listening on `host` serves more than this computer."""
    return host not in LOOPBACK_NAMES


def _host_name(header: str) -> str:
    """The name in a Host header, without its port, lower case ([::1]:80 -> ::1)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def room_addresses() -> list[str]:
    """This computer's addresses that a room's laptops may reach it by, best first."""
    found: list[str] = []
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    for info in infos:
        address = str(info[4][0])
        if address not in found and not ipaddress.ip_address(address).is_loopback:
            found.append(address)
    return found


@dataclass
class Room:
    """The names the server answers as and, on a network, its join code."""

    listen_host: str
    port: int
    join_code: str | None = None
    extra_hosts: tuple[str, ...] = ()
    failures: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def for_host(cls, host: str, port: int, *, extra_hosts: tuple[str, ...] = (),
                 join_code: str | None = None) -> "Room":
        code = join_code or (new_join_code() if is_network(host) else None)
        return cls(host, port, code, tuple(h.lower() for h in extra_hosts))

    @property
    def network(self) -> bool:
        return is_network(self.listen_host)

    @property
    def names(self) -> set[str]:
        names = {*LOOPBACK_NAMES, *self.extra_hosts}
        if self.network:
            hostname = socket.gethostname().lower()
            names |= {hostname, f"{hostname}.local", socket.getfqdn().lower()}
            if self.listen_host not in ("0.0.0.0", "::"):
                names.add(self.listen_host.lower())
        return names

    def allows_host(self, header: str) -> bool:
        name = _host_name(header)
        if name in self.names:
            return True
        return self.network and _is_address(name)

    def join_addresses(self) -> list[str]:
        """The addresses to give the room, join code included."""
        hosts = ([self.listen_host] if self.listen_host not in ("0.0.0.0", "::")
                 else room_addresses() or [socket.gethostname()])
        query = f"/?{JOIN_PARAMETER}={self.join_code}" if self.join_code else "/"
        return [f"http://{'[' + h + ']' if ':' in h else h}:{self.port}{query}" for h in hosts]

    def code_matches(self, text: str | None) -> bool:
        return bool(self.join_code and text) and hmac.compare_digest(
            text.strip().upper().encode(), self.join_code.encode())  # type: ignore[union-attr]

    def too_many_tries(self, address: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self.failures.get(address, []) if now - t < JOIN_WINDOW_SECONDS]
        self.failures[address] = recent
        while len(self.failures) > 10_000:
            self.failures.pop(next(iter(self.failures)))
        return len(recent) >= JOIN_TRIES

    def failed(self, address: str) -> None:
        self.failures.setdefault(address, []).append(time.monotonic())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookies(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, text = part.strip().partition("=")
                found.setdefault(name, text)
    return found


def same_origin_problem(scope: Scope) -> str | None:
    """Why a request that changes something may not, or None: it must be JSON sent by a
    page of this server's own origin."""
    kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if kind != "application/json":
        return "send the change as JSON (Content-Type: application/json), as the page does"
    site = _header(scope, b"sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return "only this page may save; a request from another site is refused"
    origin = _header(scope, b"origin")
    host = _header(scope, b"host") or ""
    if origin is not None and origin.lower() != f"{scope.get('scheme', 'http')}://{host}".lower():
        return "only this page may save; a request from another site is refused"
    return None


async def _send(send: Callable, status: int, body: bytes, kind: bytes,
                extra: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *HEADERS, *extra]})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Callable, status: int, line: str) -> None:
    await _send(send, status, json.dumps({"error": line}).encode(), b"application/json")


JOIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flowsim: join the room</title>
<style>body{{font:1.2rem system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
input,button{{font:inherit;padding:.4rem}}</style></head>
<body><main><h1>Join the room</h1>
<p>Type the join code shown on the facilitator's screen, or scan its QR code.</p>
<form method="get" action="/"><label for="join">Join code</label>
<input id="join" name="join" autocomplete="off" autocapitalize="characters" required>
<button type="submit">Join</button></form>
<p role="alert">{message}</p></main></body></html>
"""


class RoomGuard:
    """ASGI middleware that applies the room's rules before the app sees a request."""

    def __init__(self, app: ASGIApp, room: Room) -> None:
        self.app = app
        self.room = room

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        room = self.room
        if not room.allows_host(_header(scope, b"host") or ""):
            await send_error(send, 400, "flowsim: error: Host: this server answers only as "
                             + ", ".join(sorted(room.names)) + (" or by its address"
                                                                 if room.network else ""))
            return
        if room.join_code and not room.code_matches(_cookies(scope).get(JOIN_COOKIE)):
            await self._join(scope, send)
            return
        if scope["method"] not in SAFE_METHODS:
            problem = same_origin_problem(scope)
            if problem:
                await send_error(send, 403, f"flowsim: error: {scope['path']}: {problem}")
                return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _join(self, scope: Scope, send: Callable) -> None:
        room = self.room
        address = (scope.get("client") or ("?", 0))[0]
        if scope["path"] != "/":
            await send_error(send, 403, "flowsim: error: join the room first: open the "
                             "address on the facilitator's screen, with its join code")
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        given = next((v for k, v in query if k == JOIN_PARAMETER), None)
        message = ""
        if given is not None:
            if room.too_many_tries(address):
                await send_error(send, 429, "flowsim: error: join: too many wrong codes from "
                                 "this computer; wait ten minutes")
                return
            if room.code_matches(given):
                rest = urlencode([(k, v) for k, v in query if k != JOIN_PARAMETER])
                cookie = (f"{JOIN_COOKIE}={room.join_code}; Path=/; HttpOnly; "
                          "SameSite=Strict").encode()
                await _send(send, 303, b"", b"text/plain",
                            [(b"location", ("/?" + rest if rest else "/").encode()),
                             (b"set-cookie", cookie)])
                return
            room.failed(address)
            message = "That is not the code of this room; try again."
        await _send(send, 200, JOIN_PAGE.format(message=escape(message)).encode(),
                    b"text/html; charset=utf-8")


def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG, for phones to join from the page."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=4, title="QR code: join this room")


def qr_terminal(text: str) -> str:
    """A QR code of `text` drawn with block characters, for the terminal."""
    import io

    import segno

    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True)
    return out.getvalue()
