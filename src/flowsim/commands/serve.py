"""serve: the workshop page (`flowsim.serve`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import Command
from .options import EXIT_OK, positive_int, whole_number


def join_code(text: str) -> str:
    from ..serve.room import JOIN_ALPHABET

    code = text.strip().upper()
    if not 4 <= len(code) <= 32 or any(ch not in JOIN_ALPHABET for ch in code):
        raise argparse.ArgumentTypeError(f"a join code is 4 to 32 of {JOIN_ALPHABET} (letters "
                                         f"and digits that cannot be mistaken), got {text!r}")
    return code


def serve_command(args: argparse.Namespace) -> int:
    from ..serve.start import start

    start([Path(p) for p in args.scenarios], host=args.host, port=args.port,
          replications=args.replications, jobs=args.jobs, gallery=args.gallery,
          join_code=args.join_code, allow_hosts=args.allow_host, open_browser=args.open)
    return EXIT_OK


def _serve_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("scenarios", nargs="*", metavar="SCENARIO.toml",
                   help="the scenarios to offer (default: the shipped library); one named "
                   "baseline, or else the first, is the baseline")
    s.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1, this computer only; "
                   "0.0.0.0 serves the room's network, which joins with a code the server "
                   "prints)")
    s.add_argument("--port", type=whole_number(1, 65535), default=8765, metavar="PORT",
                   help="the port (default 8765)")
    s.add_argument("--replications", "-n", type=whole_number(1, 2000), default=200,
                   metavar="N", help="replications per answer (default 200; at most 2,000)")
    s.add_argument("--jobs", "-j", type=positive_int, default=1, metavar="N",
                   help="worker processes for the runs (default 1)")
    s.add_argument("--gallery", type=Path, metavar="DIR",
                   help="a folder where participants save their scenarios, shown to everyone")
    s.add_argument("--join-code", type=join_code, metavar="CODE",
                   help="the code a browser joins the room with (default: a new one each "
                   "start when serving the network; given, it is asked for on this computer "
                   "too)")
    s.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another name this computer is reached by (a DNS name the room "
                   "uses); requests for any other name are refused")
    s.add_argument("--open", action="store_true", help="open the page in this computer's browser")


SERVE = Command(
    "serve", "serve the workshop page on this computer",
    "Serve a local web page where a room picks a scenario, changes its court rules, "
    "requests and matching, and sees the flow redrawn beside the baseline. Without files it "
    "offers the shipped library (scenarios/). It listens on 127.0.0.1 unless --host says "
    "otherwise; Ctrl-C stops it.",
    serve_command, _serve_arguments)
