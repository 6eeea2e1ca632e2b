"""Starting the workshop page: its checks before anything listens, what it tells the
facilitator, and the server until Ctrl-C."""

from __future__ import annotations

import shutil
import socket
import sys
import threading
from pathlib import Path
from typing import Sequence

from ..errors import InputError
from ..experiments.executors import usable_cores


def check_can_serve(host: str, port: int, gallery: Path | None) -> None:
    """One line before anything starts: a missing extra, a gallery that is not a folder,
    a port that cannot be listened on."""
    try:
        import segno  # noqa: F401
        import starlette  # noqa: F401
        import tomli_w  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise InputError(f"needs {exc.name}, which is not installed: pip install -e "
                         "\".[serve]\" from the checkout", source="flowsim serve") from None
    if gallery is not None and not gallery.is_dir():
        raise InputError("is not a folder; make it first", source=str(gallery))
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                         "choose another with --port", source="--port") from None


def start(files: Sequence[Path], *, host: str, port: int, replications: int, jobs: int,
          gallery: Path | None, join_code: str | None, allow_hosts: Sequence[str],
          open_browser: bool) -> None:
    """Serve the page until Ctrl-C."""
    check_can_serve(host, port, gallery)
    from .app import Settings, build_app
    from .room import qr_terminal
    from .sockets import serve

    # A bad file is one line here, before anything listens or any worker starts.
    app = build_app(Settings(list(files), replications, min(jobs, usable_cores()), gallery,
                             host, port, join_code, tuple(allow_hosts)))
    state = app.state.flowsim
    room = state.room
    if room.join_code:
        addresses = room.join_addresses()
        where = f"serving the room's network on {host}:{port}; " if room.network else ""
        print(f"flowsim: {where}a browser joins with the code {room.join_code}:",
              file=sys.stderr)
        for address in addresses:
            print(f"  {address}", file=sys.stderr)
        print(qr_terminal(addresses[0]), file=sys.stderr)
        url = (addresses[0] if not room.network
               else f"http://127.0.0.1:{port}/?join={room.join_code}")
    else:
        url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    print(f"flowsim: the workshop page is at {url} (Ctrl-C stops it)", file=sys.stderr)
    if open_browser:
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    try:
        serve(app, host, port)
    finally:
        state.pool.shutdown(cancel_futures=True)
        shutil.rmtree(state.stops, ignore_errors=True)
