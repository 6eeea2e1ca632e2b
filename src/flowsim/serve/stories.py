"""Stories: a facilitator's walk through a room's questions, one view at a time.

A story is a TOML file in the `stories/` folder beside the library: a title and a list of
`[[views]]`, each a scenario the page offers, the changes made to it (`set`), up to three
scenarios set beside it (`also`) and a note the room reads. The facilitator steps through
it; the pages that follow the facilitator go where it goes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

# A view shows its scenario and at most this many beside it.
MAX_BESIDE = 3


@dataclass(frozen=True)
class View:
    scenario: str
    sets: tuple[str, ...]
    also: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Story:
    name: str
    title: str
    views: tuple[View, ...]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title,
                "views": [{"scenario": v.scenario, "set": list(v.sets), "also": list(v.also),
                           "note": v.note} for v in self.views]}


class StoryError(ValueError):
    """A story file that cannot be shown: the reason, naming the file and the key."""


def _texts(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StoryError(f"{key}: must be a list of texts")
    return tuple(value)


def read_story(path: Path, offered: Iterable[str]) -> Story:
    """One story file, checked against the scenarios the page offers."""
    names = set(offered)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StoryError(f"cannot be read ({exc})") from None
    title = doc.get("title")
    if not isinstance(title, str) or not title.strip():
        raise StoryError("title: a story needs a title")
    views = doc.get("views")
    if not isinstance(views, list) or not views:
        raise StoryError("views: a story needs at least one [[views]]")
    made = []
    for i, view in enumerate(views):
        key = f"views.{i}"
        if not isinstance(view, dict):
            raise StoryError(f"{key}: must be a table")
        scenario = view.get("scenario")
        if scenario not in names:
            raise StoryError(f"{key}.scenario: no scenario named {scenario!r} is offered")
        sets = _texts(view.get("set", []), f"{key}.set")
        if any("=" not in s for s in sets):
            raise StoryError(f"{key}.set: each change is KEY=VALUE")
        also = _texts(view.get("also", []), f"{key}.also")
        if len(also) > MAX_BESIDE or any(a not in names for a in also):
            raise StoryError(f"{key}.also: up to {MAX_BESIDE} scenarios the page offers")
        note = view.get("note", "")
        if not isinstance(note, str):
            raise StoryError(f"{key}.note: must be a text")
        made.append(View(scenario, sets, also, note))
    return Story(path.stem, title.strip(), tuple(made))


def read_stories(folder: Path, offered: Iterable[str]) -> tuple[list[Story], list[str]]:
    """Every story in `folder` the page can show, and one line for each it cannot."""
    names = list(offered)
    stories, problems = [], []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            stories.append(read_story(path, names))
        except StoryError as exc:
            problems.append(f"flowsim: story {path.name} left out: {exc}")
    return stories, problems
