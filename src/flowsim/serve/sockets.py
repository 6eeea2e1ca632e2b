"""The page's HTTP server: uvicorn, with limits at the socket that it lacks.

uvicorn caps connections for the whole server (`limit_concurrency`): past it every new
request is a 503, so one computer holding idle sockets locks the room out. It also waits
without end for a request's first line and headers. Here each connection is counted
against its address, and one that has not sent a whole request head within
`HEADER_SECONDS` is closed; the server-wide cap is set far above what one address may hold.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# Connections one address may hold open at once: a browser opens six to a server.
CONNECTIONS_PER_ADDRESS = 16
# Seconds a connection may take to send a whole request head (line and headers).
HEADER_SECONDS = 10.0
# Seconds an idle kept-alive connection stays open after an answer.
KEEP_ALIVE_SECONDS = 5
# Connections and tasks in all; far above what one address may hold.
SERVER_CONNECTIONS = 1024


class RoomProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with a per-address connection cap and a deadline
    for each request head."""

    open_by_address: dict[str, int] = {}
    connections_per_address = CONNECTIONS_PER_ADDRESS
    head_seconds = HEADER_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._address = self.client[0] if self.client else "?"
        self._head_timer: asyncio.TimerHandle | None = None
        held = self.open_by_address.get(self._address, 0)
        if held >= self.connections_per_address:
            self._address = None  # not counted: closed at once
            transport.close()
            return
        self.open_by_address[self._address] = held + 1
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        if self._address is not None:
            left = self.open_by_address.get(self._address, 1) - 1
            if left > 0:
                self.open_by_address[self._address] = left
            else:
                self.open_by_address.pop(self._address, None)
            self._address = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_deadline)

    def _waiting_for_head(self) -> bool:
        answering = self.cycle is not None and not self.cycle.response_complete
        return not answering and self.conn.their_state is h11.IDLE

    def _head_deadline(self) -> None:
        self._head_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.close()


def server(app: Any, host: str, port: int, protocol: type = RoomProtocol) -> Any:
    """A uvicorn server of `app` with the room's socket limits."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, http=protocol, log_level="warning",
                            limit_concurrency=SERVER_CONNECTIONS,
                            timeout_keep_alive=KEEP_ALIVE_SECONDS, timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


def serve(app: Any, host: str, port: int) -> None:
    """Serve `app` until Ctrl-C (which uvicorn passes on once it has shut down)."""
    try:
        server(app, host, port).run()
    except KeyboardInterrupt:
        pass
