"""The workshop page's web app: a Starlette application over `runs`.

Nothing a client sends is used as a file path: a scenario is named, and looked up among
the files the facilitator offered (and the gallery's). Every value the page takes is one
line of bounded length. Runs go through a bounded process pool, shared fairly between
the room's computers (`budget`); each answer's work is estimated and bounded before it
starts, stopped when its page has gone or it runs too long, and cached by the signature
of the files it was read from. `room` decides who may ask at all, and every error is one
line that names no folder of this computer.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import functools
import json
import logging
import multiprocessing
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from ..errors import InputError
from ..library import SCENARIOS
from ..scenario import MAX_REPLICATIONS
from . import runs
from . import stories as story_files
from ..outputs.glossary import glossary_rows
from .budget import TIMEOUT_SECONDS, Busy, FairSlots, Priority, quick_replications
from .catalogue import (GALLERY_NAME, NAME_CHARS, TITLE_CHARS, Catalogue, GalleryUnavailable,
                        Offered)
from .room import Room, RoomGuard, qr_svg

log = logging.getLogger("flowsim.serve")

STATIC = Path(__file__).resolve().parent / "static"
PAGE_MAX_REPLICATIONS = min(2_000, MAX_REPLICATIONS)
MAX_SETS = 64
MAX_SET_CHARS = 500
MAX_QUERY_BYTES = 16_384
MAX_BODY_BYTES = 16_384
# Seconds a client may take to send a body the server reads.
BODY_SECONDS = 10.0
CACHE_ENTRIES = 256
# How often a running answer checks that its page is still there.
DISCONNECT_CHECK_SECONDS = 0.25


def error_line(exc: Exception) -> str:
    """The line the command line prints for the same bad input."""
    return f"flowsim: error: {exc}"


def check_line(text: str, key: str) -> str:
    """A value the page took: one line, no control characters (a line break in a value
    would become a line of its own in a saved file)."""
    for ch in text:
        if runs.breaks_a_line(ch):
            raise InputError(f"contains a line break or another control character "
                             f"(U+{ord(ch):04X}); a value is one line", source=key)
    return text


@dataclass
class Settings:
    files: list[Path]
    replications: int = 200
    jobs: int = 1
    gallery: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8765
    join_code: str | None = None
    extra_hosts: tuple[str, ...] = ()


@dataclass
class Inflight:
    """An answer being computed, the pages waiting for it and the file that stops it."""

    future: asyncio.Future
    cancel: Path
    waiting: int = 1


@dataclass
class State:
    settings: Settings
    catalogue: Catalogue
    offered: list[Offered]
    pool: concurrent.futures.Executor
    slots: FairSlots
    room: Room
    stops: Path  # the folder of the files that stop answers whose pages have gone
    private: tuple[str, ...] = ()  # folders an error must not name
    cache: collections.OrderedDict = field(default_factory=collections.OrderedDict)
    inflight: dict = field(default_factory=dict)
    latest: dict = field(default_factory=dict)   # client -> its newest change's number
    story_steps: dict = field(default_factory=dict)  # story -> the facilitator's step

    @property
    def baseline(self) -> Offered:
        """The scenario named baseline, or in a file named baseline.toml, or the first."""
        return next((o for o in self.offered if o.name == "baseline"),
                    next((o for o in self.offered if o.path.stem == "baseline"),
                         self.offered[0]))

    def public(self, text: str) -> str:
        """`text` without the folders of this computer: a file is named by its name."""
        for folder in self.private:
            text = text.replace(folder + os.sep, "").replace(folder, ".")
        return text

    async def scenarios(self) -> list[Offered]:
        return await asyncio.to_thread(self.catalogue.scan)

    async def find(self, name: str) -> Offered:
        offered = await asyncio.to_thread(self.catalogue.find, name)
        if offered is None:
            raise LookupError(name)
        return offered


def _int(text: str | None, key: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"expected a whole number, got {text[:40]!r}", source=key) from None
    if not low <= value <= high:
        raise InputError(f"must be from {low:,} to {high:,} on the page, got {value:,}",
                         source=key)
    return value


def check_sets(sets: Sequence[Any]) -> list[str]:
    if len(sets) > MAX_SETS:
        raise InputError(f"at most {MAX_SETS} changes at once, got {len(sets)}", source="set")
    for text in sets:
        if not isinstance(text, str):
            raise InputError("each change is a text KEY=VALUE", source="set")
        if len(text) > MAX_SET_CHARS:
            raise InputError(f"a change is at most {MAX_SET_CHARS} characters", source="set")
        check_line(text, "set")
    return list(sets)


async def parse_query(request: Any, state: State) -> tuple[Offered, list[str], int, int | None]:
    """The scenario, overrides, replications and seed a request names, checked."""
    if len(request.url.query.encode()) > MAX_QUERY_BYTES:
        raise InputError(f"the address is longer than {MAX_QUERY_BYTES:,} bytes", source="query")
    params = request.query_params
    sets = check_sets(params.getlist("set"))
    name = check_line(params.get("scenario") or state.baseline.name, "scenario")
    offered = await state.find(name)
    reps = _int(params.get("replications"), "replications", state.settings.replications, 1,
                PAGE_MAX_REPLICATIONS)
    seed_text = params.get("seed")
    seed = None if not seed_text else _int(seed_text, "seed", 0, 0, 2**63 - 1)
    return offered, sets, reps, seed


async def read_json_body(request: Any) -> dict[str, Any]:
    """The request's JSON body, refused on its declared length and counted as it comes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise InputError(f"the request is larger than {MAX_BODY_BYTES:,} bytes", source="body")

    async def gather() -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise InputError(f"the request is larger than {MAX_BODY_BYTES:,} bytes",
                                 source="body")
        return bytes(body)

    try:
        body = await asyncio.wait_for(gather(), BODY_SECONDS)
    except asyncio.TimeoutError:
        raise InputError(f"the request took longer than {BODY_SECONDS:g} s to send",
                         source="body") from None
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        raise InputError("is not JSON", source="body") from None
    if not isinstance(doc, dict):
        raise InputError("must be a JSON object", source="body")
    return doc


# The facilitator's own computer: the one the server runs on.
LOOPBACK = ("127.0.0.1", "::1")


class Forbidden(Exception):
    """A request this computer may not make (a participant stepping the room's story)."""


def _address(request: Any) -> str:
    return request.client.host if request.client else "?"


def build_app(settings: Settings):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    files = [Path(p) for p in settings.files] or sorted(SCENARIOS.glob("*.toml"))
    catalogue = Catalogue(files, settings.gallery)
    offered = catalogue.start()
    room = Room.for_host(settings.host, settings.port, extra_hosts=settings.extra_hosts,
                         join_code=settings.join_code)
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=settings.jobs, mp_context=context)
    for _ in range(settings.jobs):
        pool.submit(runs.warm)
    stops = Path(tempfile.mkdtemp(prefix="flowsim-stops-"))
    private = {str(p.resolve().parent) for p in files} | {str(Path.cwd()), str(Path.home()),
                                                         str(SCENARIOS), str(stops)}
    if settings.gallery is not None:
        private.add(str(settings.gallery.resolve()))
        private.add(str(settings.gallery))
    state = State(settings, catalogue, offered, pool, FairSlots(settings.jobs), room, stops,
                  tuple(sorted(private, key=len, reverse=True)))

    def failure(exc: Exception) -> JSONResponse:
        """The one mapping of what went wrong to an answer: a status and one line."""
        if isinstance(exc, LookupError):
            status, line = 404, (f"flowsim: error: no scenario named {str(exc)[:80]!r} is "
                                 "offered here; see /api/scenarios")
        elif isinstance(exc, Busy):
            status, line = 429, ("flowsim: error: this computer has answers on the way "
                                 "already; wait for them")
        elif isinstance(exc, InputError):
            status, line = 400, error_line(exc)
        elif isinstance(exc, Forbidden):
            status, line = 403, f"flowsim: error: {exc}"
        elif isinstance(exc, GalleryUnavailable):
            status, line = 503, f"flowsim: error: gallery: {exc}"
        elif isinstance(exc, runs.Stopped):
            status, line = 503, f"flowsim: error: the answer was stopped: {exc}"
        else:
            log.exception("flowsim: the page's request failed")
            status, line = 500, ("flowsim: internal error (a bug in flowsim, not in your "
                                 "input); the facilitator's terminal has the details")
        return JSONResponse({"error": state.public(line)}, status_code=status)

    def route(path: str, fn: Callable[[Request], Awaitable[Response]],
              method: str = "GET") -> Route:
        @functools.wraps(fn)
        async def handled(request: Request) -> Response:
            try:
                return await fn(request)
            except Exception as exc:  # noqa: BLE001 - every failure is one line
                refused = failure(exc)
                if request.method != "GET":
                    # A body the server did not read whole is not read on: the
                    # connection closes after the answer.
                    refused.headers["Connection"] = "close"
                return refused

        return Route(path, handled, methods=[method])

    def cached(key: tuple) -> Any:
        if key in state.cache:
            state.cache.move_to_end(key)
            return state.cache[key]
        return None

    def keep(key: tuple, value: Any) -> None:
        state.cache[key] = value
        while len(state.cache) > CACHE_ENTRIES:
            state.cache.popitem(last=False)

    async def watch(request: Request, running: Inflight) -> None:
        """Stop the answer when every page waiting for it has gone."""
        while True:
            await asyncio.sleep(DISCONNECT_CHECK_SECONDS)
            if await request.is_disconnected():
                running.waiting -= 1
                if running.waiting <= 0:
                    running.cancel.touch()
                return

    async def answer(request: Request, key: tuple, address: str, superseded: Callable,
                     fn: Callable, *args: Any, priority: Priority = Priority.RUN) -> Any:
        """The answer to `key`: kept, being computed for another page, or computed now
        in a fair share of the workers (None if `superseded` before it started)."""
        if (hit := cached(key)) is not None:
            return hit
        if (running := state.inflight.get(key)) is not None:
            running.waiting += 1
            watcher = asyncio.create_task(watch(request, running))
            try:
                return await asyncio.shield(running.future)
            finally:
                watcher.cancel()
        state.slots.claim(address)
        try:
            if not await state.slots.acquire(address, priority, superseded):
                return None
            try:
                if superseded():
                    return None
                if (hit := cached(key)) is not None:
                    return hit
                if await request.is_disconnected():
                    raise runs.Stopped("its page was closed")
                cancel = state.stops / uuid.uuid4().hex
                work = functools.partial(fn, *args, cancel=str(cancel))
                future = asyncio.get_running_loop().run_in_executor(state.pool, work)
                running = state.inflight[key] = Inflight(future, cancel)
                watcher = asyncio.create_task(watch(request, running))
                try:
                    value = await asyncio.wait_for(asyncio.shield(future),
                                                   TIMEOUT_SECONDS + 10)
                except asyncio.TimeoutError:
                    cancel.touch()
                    raise runs.Stopped(f"it ran longer than the {TIMEOUT_SECONDS:g} s a "
                                       "page answer may") from None
                finally:
                    watcher.cancel()
                    state.inflight.pop(key, None)
                    cancel.unlink(missing_ok=True)
            finally:
                state.slots.release(address, priority)
        finally:
            state.slots.unclaim(address)
        keep(key, value)
        return value

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def scenarios(request: Request) -> Response:
        return JSONResponse({
            "scenarios": [{"name": o.name, "title": o.title, "question": o.question,
                           "gallery": o.gallery} for o in await state.scenarios()],
            "baseline": state.baseline.name, "replications": settings.replications,
            "max_replications": PAGE_MAX_REPLICATIONS,
            "gallery": settings.gallery is not None, "glossary": glossary_rows(),
            "stories": [s.as_json() for s in await asyncio.to_thread(stories)],
            "facilitator": _address(request) in LOOPBACK})

    async def controls(request: Request) -> Response:
        name = check_line(request.query_params.get("scenario") or state.baseline.name,
                          "scenario")
        offered = await state.find(name)
        key = ("controls", offered.signature)
        items = cached(key)
        if items is None:
            items = await asyncio.to_thread(runs.controls, offered.path)
            keep(key, items)
        return JSONResponse({"scenario": name, "controls": items})

    def change_of(request: Request) -> Callable[[], bool]:
        """The page's change a request answers (its client and number), kept as that
        client's newest if it is; whether a newer change has superseded it."""
        client = check_line(request.query_params.get("client", "")[:64], "client")
        number = _int(request.query_params.get("change"), "change", 0, 0, 2**31)
        if client:
            state.latest[client] = max(number, state.latest.get(client, 0))
            while len(state.latest) > 10_000:
                state.latest.pop(next(iter(state.latest)))
            state.slots.drop_superseded()
        return lambda: bool(client) and number < state.latest.get(client, 0)

    async def run(request: Request) -> Response:
        offered, sets, reps, seed = await parse_query(request, state)
        superseded = change_of(request)
        # The baseline as its files are now: an edited baseline keys answers of its own.
        base = await state.find(state.baseline.name)

        def key(replications: int) -> tuple:
            return ("run", offered.signature, base.signature, tuple(sets), replications, seed)

        # While the room's other charts fill the workers, a quick answer from fewer
        # histories (unless the whole one is kept or already on its way).
        address, whole = _address(request), key(reps)
        histories = reps
        if (cached(whole) is None and whole not in state.inflight
                and state.slots.crowded(address)):
            histories = quick_replications(reps)
        value = await answer(request, key(histories), address, superseded,
                             runs.page_run, offered.path, sets, histories, seed, base.path)
        if value is None:
            return JSONResponse({"superseded": True}, status_code=409)
        return JSONResponse({**value, "quick": histories < reps, "asked_replications": reps})

    async def verdict(request: Request) -> Response:
        offered, sets, _, _ = await parse_query(request, state)
        superseded = change_of(request)
        base = await state.find(state.baseline.name)
        key = ("verdict", offered.signature, base.signature, tuple(sets))
        value = await answer(request, key, _address(request), superseded,
                             runs.page_verdict, offered.path, sets, base.path,
                             priority=Priority.VERDICT)
        if value is None:
            return JSONResponse({"superseded": True}, status_code=409)
        return JSONResponse(value)

    def stories() -> list[Any]:
        found, problems = story_files.read_stories(
            state.baseline.path.parent / "stories", [o.name for o in state.offered])
        for line in problems:
            log.warning(state.public(line))
        return found

    async def story(request: Request) -> Response:
        """Where the facilitator is in a story (GET), or, from the facilitator's own
        computer, the step it has gone to (POST)."""
        if request.method == "POST":
            if _address(request) not in LOOPBACK:
                raise Forbidden("only the facilitator's computer steps a story for the room")
            doc = await read_json_body(request)
            name, step = doc.get("story"), doc.get("step")
            found = {s.name: s for s in await asyncio.to_thread(stories)}
            if name not in found:
                raise InputError(f"no story named {str(name)[:80]!r}", source="story")
            if not isinstance(step, int) or not 0 <= step < len(found[name].views):
                raise InputError(f"a step from 0 to {len(found[name].views) - 1}",
                                 source="step")
            state.story_steps[name] = step
            return JSONResponse({"story": name, "step": step})
        name = check_line(request.query_params.get("story") or "", "story")
        return JSONResponse({"story": name, "step": state.story_steps.get(name, 0)})

    async def combine(request: Request) -> Response:
        """The changes that combine the page's what-if with another (`with`), and their
        title: two what-ifs that set one value differently are one line naming it."""
        first = await state.find(check_line(request.query_params.get("scenario") or "",
                                            "scenario"))
        second = await state.find(check_line(request.query_params.get("with") or "", "with"))
        sets = await asyncio.to_thread(runs.combined_sets, first.path, second.path)
        title = f"{first.title} + {second.title}"
        return JSONResponse({"sets": [*sets, f"scenario.title={runs.toml_literal(title)}"],
                             "title": title})

    async def scenario_toml(request: Request) -> Response:
        offered, sets, _, _ = await parse_query(request, state)
        text = await asyncio.to_thread(runs.scenario_file, offered.path, sets)
        return PlainTextResponse(text, media_type="application/toml", headers={
            "Content-Disposition": f'attachment; filename="{offered.name}-page.toml"'})

    async def gallery(request: Request) -> Response:
        if settings.gallery is None:
            raise GalleryUnavailable("this page has no gallery; start it with flowsim serve "
                                     "--gallery DIR")
        doc = await read_json_body(request)
        name = doc.get("scenario") or state.baseline.name
        sets = check_sets(doc.get("set") or [])
        wanted, title = doc.get("name") or "", doc.get("title") or ""
        for key, value in (("scenario", name), ("name", wanted), ("title", title)):
            if not isinstance(value, str):
                raise InputError("must be a text", source=key)
            check_line(value, key)
        offered = await state.find(name)
        wanted = GALLERY_NAME.sub("_", wanted.lower()).strip("_-")[:NAME_CHARS]
        if not wanted:
            raise InputError("give the scenario a name (letters, digits, _ or -)",
                             source="name")
        given = next((s.split("=", 1)[1].strip().strip('"') for s in sets
                      if s.split("=", 1)[0].strip() == "scenario.title"), "")
        title = " ".join((title or given).split())[:TITLE_CHARS] or \
            f"{catalogue.base_title(offered)}: {wanted.replace('_', ' ')}"
        path = await asyncio.to_thread(catalogue.save, offered, sets, wanted, title,
                                       _address(request), runs.scenario_file)
        return JSONResponse({"saved": path.stem, "file": path.name})

    async def room_join(request: Request) -> Response:
        """How others join: the address with its code, and its QR code (joined pages
        only: the guard answers no one else)."""
        if not room.join_code:
            return JSONResponse({"network": False})
        address = room.join_addresses()[0]
        return JSONResponse({"network": True, "address": address, "code": room.join_code,
                             "qr": await asyncio.to_thread(qr_svg, address)})

    app = Starlette(routes=[
        route("/", index),
        route("/api/scenarios", scenarios),
        route("/api/controls", controls),
        route("/api/run", run),
        route("/api/verdict", verdict),
        route("/api/combine", combine),
        route("/api/story", story),
        route("/api/story", story, "POST"),
        route("/api/scenario.toml", scenario_toml),
        route("/api/gallery", gallery, "POST"),
        route("/api/room", room_join),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
    app.state.flowsim = state
    guarded = RoomGuard(app, room)
    guarded.state = app.state  # type: ignore[attr-defined]
    return guarded
