"""The scenarios a page offers: the facilitator's files and the room's gallery.

Each file is read once for as long as it and every file it extends keep their
modification time and size; an edited file is read again, and an answer is cached under
that signature, so a name reused for another file never brings back the old answer.
Reading happens in a thread, never on the server's event loop. A gallery file that
cannot be read is left out with one logged line; a gallery folder that is gone or cannot
be written is one line when a participant saves.

Saving writes the page's scenario as a small file of differences, re-reads it, and
links it into the gallery only if it resolves to the very scenario the page ran.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError
from ..scenario import load

log = logging.getLogger("flowsim.serve")

GALLERY_NAME = re.compile(r"[^a-z0-9_-]+")
NAME_CHARS = 40
TITLE_CHARS = 120
# The gallery's bounds: files in all, bytes in all, and saves from one address.
GALLERY_FILES = 200
GALLERY_BYTES = 8 * 2**20
SAVES_PER_ADDRESS = 20
GALLERY_FILE_MODE = 0o644
# How long a listing of the gallery folder is reused before it is looked at again.
LISTING_SECONDS = 1.0

Signature = tuple[tuple[str, int, int], ...]


class GalleryUnavailable(Exception):
    """The gallery folder cannot take a file: one line, for a 503."""


@dataclass(frozen=True)
class Offered:
    """A scenario the page offers: its file, what the list shows and what it was read
    from (`files`, with the modification time and size of each in `signature`)."""

    name: str
    path: Path
    title: str
    question: str
    gallery: bool
    files: tuple[Path, ...]
    signature: Signature


def signature_of(files: Sequence[Path]) -> Signature | None:
    """(path, modification time, size) of each file, or None if one cannot be seen."""
    found = []
    for path in files:
        try:
            info = path.stat()
        except OSError:
            return None
        found.append((str(path), info.st_mtime_ns, info.st_size))
    return tuple(found)


def read_offered(path: Path, *, gallery: bool = False) -> Offered:
    """The scenario of `path`, or an InputError naming it."""
    loaded = load(path)
    files = tuple(Path(f) for f in loaded.files)
    signature = signature_of(files)
    if signature is None:
        raise InputError("changed while it was read; try again", source=str(path))
    meta = loaded.scenario.scenario
    return Offered(meta.name, Path(path), meta.title or meta.name, meta.question or "",
                   gallery, files, signature)


def same_scenario(a: Any, b: Any) -> bool:
    """Whether two scenarios run the same: all but their names and titles agree."""
    def plain(s: Any) -> dict[str, Any]:
        doc = s.model_dump(mode="json")
        doc["scenario"] = {k: v for k, v in doc["scenario"].items()
                           if k not in ("name", "title", "question")}
        return doc

    return plain(a) == plain(b)


@dataclass
class Catalogue:
    files: list[Path]
    folder: Path | None = None
    read: dict[Path, Offered] = field(default_factory=dict)
    skipped: set = field(default_factory=set)  # (path, signature) already logged
    saves: dict[str, int] = field(default_factory=dict)  # address -> gallery saves
    listing: tuple[float, list[Offered]] = (0.0, [])
    lock: threading.RLock = field(default_factory=threading.RLock)

    def start(self) -> list[Offered]:
        """Read the facilitator's files, strictly: a bad one is an error before the
        server listens."""
        offered = [read_offered(p) for p in self.files]
        if not offered:
            raise InputError("no scenario files to offer", source="flowsim serve")
        names = [o.name for o in offered]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise InputError(f"two files are named {name!r}; scenario.name must differ",
                                 source=str(offered[i].path))
        for o in offered:
            self.read[o.path] = o
        return offered

    def _current(self, path: Path, *, gallery: bool) -> Offered | None:
        known = self.read.get(path)
        if known is not None and signature_of(known.files) == known.signature:
            return known
        try:
            offered = read_offered(path, gallery=gallery)
        except InputError as exc:
            mark = (path, signature_of([path]))
            if mark not in self.skipped:
                self.skipped.add(mark)
                log.warning("flowsim: %s left out: %s", "gallery file" if gallery
                            else "scenario file", exc)
            self.read.pop(path, None)
            return None
        self.read[path] = offered
        return offered

    def gallery_paths(self) -> list[Path]:
        if self.folder is None or not self.folder.is_dir():
            return []
        try:
            paths = sorted(p for p in self.folder.glob("*.toml") if p.is_file())
        except OSError:
            return []
        if len(paths) > GALLERY_FILES:
            log.warning("flowsim: the gallery holds %d files; the page offers the first %d",
                        len(paths), GALLERY_FILES)
        return paths[:GALLERY_FILES]

    def scan(self) -> list[Offered]:
        """Every scenario offered now: the facilitator's, then the gallery's whose names
        are not taken. Blocking: call it in a thread."""
        with self.lock:
            now = time.monotonic()
            if now - self.listing[0] < LISTING_SECONDS:
                return self.listing[1]
            offered = [o for o in (self._current(p, gallery=False) for p in self.files) if o]
            taken = {o.name for o in offered}
            for path in self.gallery_paths():
                o = self._current(path, gallery=True)
                if o is not None and o.name not in taken:
                    taken.add(o.name)
                    offered.append(o)
            self.listing = (now, offered)
            return offered

    def find(self, name: str) -> Offered | None:
        """The scenario named `name`, read again if it or a file it extends changed."""
        hit = next((o for o in self.scan() if o.name == name), None)
        if hit is None:
            return None
        with self.lock:
            current = self._current(hit.path, gallery=hit.gallery)
        return current if current is not None and current.name == name else None

    def base_title(self, offered: Offered) -> str:
        """The title of the facilitator's file a scenario derives from: a gallery save
        of a gallery save is titled after the library's scenario, not a growing chain."""
        own = {o.path.resolve(): o for o in self.read.values() if not o.gallery}
        for path in offered.files:
            if path.resolve() in own:
                return own[path.resolve()].title
        return offered.title

    def save(self, offered: Offered, sets: Sequence[str], wanted: str, title: str,
             address: str, text_of: Any) -> Path:
        """Write the page's scenario into the gallery, whole, under a name no other
        scenario has; it is linked in only if it reads back as what the page ran."""
        folder = self.folder
        if folder is None:
            raise GalleryUnavailable("this page has no gallery; start it with flowsim "
                                     "serve --gallery DIR")
        with self.lock:
            if self.saves.get(address, 0) >= SAVES_PER_ADDRESS:
                raise InputError(f"this computer has saved {SAVES_PER_ADDRESS} scenarios, "
                                 "as many as the gallery takes from one", source="gallery")
            try:
                present = [p.stat().st_size for p in folder.iterdir()]
            except OSError as exc:
                raise GalleryUnavailable(f"the gallery folder cannot be read "
                                         f"({exc.strerror or exc})") from None
            if len(present) >= GALLERY_FILES or sum(present) >= GALLERY_BYTES:
                raise GalleryUnavailable("the gallery is full; ask the facilitator to make "
                                         "room")
            taken = {o.name for o in self.scan()}
            name = wanted
            for n in range(2, 1000):
                if name not in taken and not (folder / f"{name}.toml").exists():
                    break
                name = f"{wanted}-{n}"
            else:
                raise InputError("the gallery has too many scenarios of that name",
                                 source="name")
            extends = os.path.relpath(offered.path.resolve(), folder.resolve())
            text = text_of(offered.path, sets, name=name, title=title, extends=extends)
            target = folder / f"{name}.toml"
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
            except OSError as exc:
                raise GalleryUnavailable(f"the gallery folder cannot be written "
                                         f"({exc.strerror or exc})") from None
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.chmod(tmp, GALLERY_FILE_MODE)
                if not same_scenario(load(tmp).scenario, load(offered.path, sets).scenario):
                    raise InputError("the file would not run what the page ran; nothing was "
                                     "saved", source="gallery")
                os.link(tmp, target)  # fails if the name was taken meanwhile: never overwrites
            except OSError as exc:
                raise GalleryUnavailable(f"the gallery folder cannot be written "
                                         f"({exc.strerror or exc})") from None
            finally:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            self.saves[address] = self.saves.get(address, 0) + 1
            self.listing = (0.0, [])
        return target
