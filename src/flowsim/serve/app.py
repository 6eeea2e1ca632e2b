"""The workshop page's web app: a Starlette application over `runs`.

Nothing a client sends is used as a file path: a scenario is named, and looked up among
the files the facilitator offered (and the gallery's). Runs go through a bounded process
pool; answers are cached by (scenario, overrides, replications, seed); a run that a newer
change from the same page has superseded before it started is dropped.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import multiprocessing
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError
from ..scenario import MAX_REPLICATIONS, load
from . import runs

STATIC = Path(__file__).resolve().parent / "static"
# The shipped library sits beside the package in a checkout, as record/ does.
LIBRARY = Path(__file__).resolve().parents[3] / "scenarios"
PAGE_MAX_REPLICATIONS = min(2_000, MAX_REPLICATIONS)
MAX_SETS = 64
MAX_SET_CHARS = 500
MAX_QUERY_BYTES = 16_384
MAX_BODY_BYTES = 16_384
CACHE_ENTRIES = 256
GALLERY_NAME = re.compile(r"[^a-z0-9_-]+")


def error_line(exc: Exception) -> str:
    """The line the command line prints for the same bad input."""
    return f"flowsim: error: {exc}"


@dataclass
class Offered:
    """A scenario the page offers: its file and what the list shows."""

    name: str
    path: Path
    title: str
    question: str
    gallery: bool = False


def read_offered(paths: Sequence[Path], *, gallery: bool = False,
                 strict: bool = True) -> list[Offered]:
    """The scenarios of `paths`; a bad file is an error (the facilitator's own files) or,
    in the gallery, left out."""
    offered = []
    for path in paths:
        try:
            meta = load(path).scenario.scenario
        except InputError:
            if strict:
                raise
            continue
        offered.append(Offered(meta.name, Path(path), meta.title or meta.name,
                               meta.question or "", gallery))
    return offered


@dataclass
class Settings:
    files: list[Path]
    replications: int = 200
    jobs: int = 1
    gallery: Path | None = None


@dataclass
class State:
    settings: Settings
    offered: list[Offered]
    pool: concurrent.futures.Executor
    slots: asyncio.Semaphore
    cache: collections.OrderedDict = field(default_factory=collections.OrderedDict)
    inflight: dict = field(default_factory=dict)
    latest: dict = field(default_factory=dict)   # client -> its newest change's number

    # Each gallery file read once, by (path, modification time, size): a run names its
    # scenario, and that must not mean reading every file of the room's gallery again.
    gallery_read: dict = field(default_factory=dict)

    def gallery(self) -> list[Offered]:
        folder = self.settings.gallery
        if folder is None or not folder.is_dir():
            return []
        taken = {o.name for o in self.offered}
        found = []
        for path in sorted(folder.glob("*.toml")):
            try:
                info = path.stat()
            except OSError:
                continue
            key = (path, info.st_mtime_ns, info.st_size)
            if key not in self.gallery_read:
                self.gallery_read[key] = read_offered([path], gallery=True, strict=False)
            found += [o for o in self.gallery_read[key] if o.name not in taken]
        return found

    def scenarios(self) -> list[Offered]:
        return [*self.offered, *self.gallery()]

    def find(self, name: str) -> Offered | None:
        return next((o for o in self.scenarios() if o.name == name), None)

    @property
    def baseline(self) -> Offered:
        """The scenario named baseline, or in a file named baseline.toml, or the first."""
        return next((o for o in self.offered if o.name == "baseline"),
                    next((o for o in self.offered if o.path.stem == "baseline"),
                         self.offered[0]))


def _int(text: str | None, key: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"expected a whole number, got {text!r}", source=key) from None
    if not low <= value <= high:
        raise InputError(f"must be from {low:,} to {high:,} on the page, got {value:,}",
                         source=key)
    return value


def parse_query(request: Any, state: State) -> tuple[Offered, list[str], int, int | None]:
    """The scenario, overrides, replications and seed a request names, checked."""
    if len(request.url.query.encode()) > MAX_QUERY_BYTES:
        raise InputError(f"the address is longer than {MAX_QUERY_BYTES:,} bytes", source="query")
    params = request.query_params
    sets = params.getlist("set")
    if len(sets) > MAX_SETS:
        raise InputError(f"at most {MAX_SETS} changes at once, got {len(sets)}", source="set")
    for text in sets:
        if len(text) > MAX_SET_CHARS:
            raise InputError(f"a change is at most {MAX_SET_CHARS} characters", source="set")
    name = params.get("scenario") or state.baseline.name
    offered = state.find(name)
    if offered is None:
        raise LookupError(name)
    reps = _int(params.get("replications"), "replications", state.settings.replications, 1,
                PAGE_MAX_REPLICATIONS)
    seed_text = params.get("seed")
    seed = None if not seed_text else _int(seed_text, "seed", 0, 0, 2**63 - 1)
    return offered, sets, reps, seed


def build_app(settings: Settings):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    files = settings.files or sorted(LIBRARY.glob("*.toml"))
    offered = read_offered(files)
    if not offered:
        raise InputError("no scenario files to offer", source="flowsim serve")
    names = [o.name for o in offered]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InputError(f"two files are named {name!r}; scenario.name must differ",
                             source=str(offered[i].path))
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=settings.jobs, mp_context=context)
    for _ in range(settings.jobs):
        pool.submit(runs.warm)
    state = State(settings, offered, pool, asyncio.Semaphore(settings.jobs))

    def bad(exc: Exception, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": error_line(exc)}, status_code=status)

    def unknown(name: str) -> JSONResponse:
        return JSONResponse({"error": f"flowsim: error: no scenario named {name!r} is offered "
                                      "here; see /api/scenarios"}, status_code=404)

    async def compute(key: tuple, fn, *args) -> Any:
        if key in state.cache:
            state.cache.move_to_end(key)
            return state.cache[key]
        if key in state.inflight:
            return await asyncio.shield(state.inflight[key])
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(state.pool, fn, *args)
        state.inflight[key] = future
        try:
            value = await future
        finally:
            state.inflight.pop(key, None)
        state.cache[key] = value
        while len(state.cache) > CACHE_ENTRIES:
            state.cache.popitem(last=False)
        return value

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def scenarios(request: Request) -> Response:
        return JSONResponse({
            "scenarios": [{"name": o.name, "title": o.title, "question": o.question,
                           "gallery": o.gallery} for o in state.scenarios()],
            "baseline": state.baseline.name, "replications": settings.replications,
            "max_replications": PAGE_MAX_REPLICATIONS,
            "gallery": settings.gallery is not None})

    async def controls(request: Request) -> Response:
        name = request.query_params.get("scenario") or state.baseline.name
        offered = state.find(name)
        if offered is None:
            return unknown(name)
        try:
            items = await compute(("controls", str(offered.path)), runs.controls, offered.path)
        except InputError as exc:
            return bad(exc)
        return JSONResponse({"scenario": name, "controls": items})

    async def run(request: Request) -> Response:
        try:
            offered, sets, reps, seed = parse_query(request, state)
        except LookupError as exc:
            return unknown(str(exc))
        except InputError as exc:
            return bad(exc)
        client = request.query_params.get("client", "")[:64]
        number = _int(request.query_params.get("change"), "change", 0, 0, 2**31)
        if client:
            state.latest[client] = max(number, state.latest.get(client, 0))
            while len(state.latest) > 10_000:
                state.latest.pop(next(iter(state.latest)))
        key = ("run", offered.name, tuple(sets), reps, seed)
        async with state.slots:
            if client and key not in state.cache and number < state.latest.get(client, 0):
                return JSONResponse({"superseded": True}, status_code=409)
            try:
                answer = await compute(key, runs.page_run, offered.path, sets, reps, seed,
                                       state.baseline.path)
            except InputError as exc:
                return bad(exc)
        return JSONResponse(answer)

    async def scenario_toml(request: Request) -> Response:
        try:
            offered, sets, _, _ = parse_query(request, state)
            text = runs.scenario_file(offered.path, sets)
        except LookupError as exc:
            return unknown(str(exc))
        except InputError as exc:
            return bad(exc)
        return PlainTextResponse(text, media_type="application/toml", headers={
            "Content-Disposition": f'attachment; filename="{offered.name}-page.toml"'})

    async def gallery(request: Request) -> Response:
        folder = settings.gallery
        if folder is None:
            return JSONResponse({"error": "flowsim: error: this page has no gallery; start it "
                                          "with flowsim serve --gallery DIR"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return bad(InputError("the request is too large", source="gallery"))
        try:
            offered, sets, _, _ = parse_query(request, state)
            wanted = GALLERY_NAME.sub("_", (request.query_params.get("name") or "").lower())
            wanted = wanted.strip("_-")[:40]
            if not wanted:
                raise InputError("give the scenario a name (letters, digits, _ or -)",
                                 source="name")
            path = save_to_gallery(folder, offered, sets, wanted, state)
        except LookupError as exc:
            return unknown(str(exc))
        except InputError as exc:
            return bad(exc)
        return JSONResponse({"saved": path.stem, "file": path.name})

    app = Starlette(routes=[
        Route("/", index),
        Route("/api/scenarios", scenarios),
        Route("/api/controls", controls),
        Route("/api/run", run),
        Route("/api/scenario.toml", scenario_toml),
        Route("/api/gallery", gallery, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
    app.state.flowsim = state
    return app


def save_to_gallery(folder: Path, offered: Offered, sets: Sequence[str], wanted: str,
                    state: State) -> Path:
    """Write the page's scenario into the gallery, whole, under a name no other
    scenario has: a participant never overwrites a shipped file or another's."""
    taken = {o.name for o in state.scenarios()}
    name = wanted
    for n in range(2, 1000):
        if name not in taken and not (folder / f"{name}.toml").exists():
            break
        name = f"{wanted}-{n}"
    else:
        raise InputError("the gallery has too many scenarios of that name", source="name")
    title = f"{offered.title}: {wanted.replace('_', ' ')}"
    extends = os.path.relpath(offered.path.resolve(), folder.resolve())
    text = runs.scenario_file(offered.path, sets, name=name, title=title, extends=extends)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        load(tmp)  # the file validates before anyone sees it
        target = folder / f"{name}.toml"
        os.link(tmp, target)  # fails if the name was taken meanwhile: never overwrites
    finally:
        os.unlink(tmp)
    return target
