"""Scenario files: TOML loading, `extends`, `--set`, provenance and error translation.

A scenario is read in three steps, each of which can fail with a `ScenarioError` that
names the file, the key and the reason:

1. the file and every file it `extends` are parsed and merged (tables merge key by
   key, lists and values replace), remembering which file set each value;
2. `--set key.path=value` overrides are applied on top;
3. the merged table is validated against the schema (`schema.py`), then checked for
   consistency (dates in order, names unique, bounds on the work).

The result is a frozen `Scenario`; a what-if is a new scenario built from a changed
copy of the raw table, never a mutation of a loaded one.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Union, get_args

from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError
from . import distributions as D
from .keys import split_assignment
from .parameters import is_whole
from .schema import (INPUTS_KEY, MAX_DEPTH, MAX_EXTENDS, MAX_FILE_BYTES, Scenario,
                     check_consistency, scenario_of)

# -- loading -------------------------------------------------------------------------

SET_SOURCE = "--set"
HOLD_SOURCE = "--hold-uncertain"
DEFAULT_SOURCE = "default"
SOURCE_NOTES = {SET_SOURCE: "no note: set on the command line (--set)",
                HOLD_SOURCE: "an uncertain input held at its mean by --hold-uncertain"}
# Keys that say which scenario a file is: taken from the named file only, never inherited.
IDENTITY_KEYS = ("scenario.name", "scenario.title", "scenario.question", "scenario.headline")
KeyPath = tuple[Union[str, int], ...]


def copied(value: Any) -> Any:
    """A TOML document's copy: its tables and arrays new, its values shared (TOML's
    values are strings, numbers, booleans and dates, none of which changes in place)."""
    if isinstance(value, dict):
        return {k: copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copied(v) for v in value]
    return value


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with where it came from.

    `sources` maps each dotted key to the file (or `--set`) that gave its value;
    `notes` maps each file to its comments by key (the citations);
    `files` lists the scenario file and every file it extends, the named one first;
    `overrides` the `--set` items (and `--hold-uncertain`) applied after them.
    """

    scenario: Scenario
    path: Path
    files: tuple[Path, ...]
    raw: dict[str, Any] = field(repr=False)
    sources: dict[str, str] = field(repr=False)
    notes: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    overrides: tuple[str, ...] = ()
    # What a file's list dropped of the list it inherited, one sentence each: a list
    # replaces the inherited one whole, which a reader may not expect.
    dropped: tuple[str, ...] = ()

    @cached_property
    def _table_sources(self) -> dict[str, str]:
        """For every table (dotted prefix) the source of the last key set under it."""
        index: dict[str, str] = {}
        for key, source in self.sources.items():
            parts = key.split(".")
            for n in range(1, len(parts)):
                index[".".join(parts[:n])] = source
        return index

    def source_of(self, key: str) -> str:
        """The file or `--set` that gave `key` (or a part of it), or `default`."""
        if key in self.sources:
            return self.sources[key]
        return self._table_sources.get(key, DEFAULT_SOURCE)

    def note_of(self, key: str) -> str:
        """The citation of `key` in the file that set it: its own comment, or that of the
        nearest enclosing table in that file; never the comment of a value it replaced."""
        source = self.source_of(key)
        if source in SOURCE_NOTES:
            return SOURCE_NOTES[source]
        if source == DEFAULT_SOURCE or key.startswith("scenario."):
            return ""  # a default, or the scenario's name and title: nothing to cite
        notes = self.notes.get(source, {})
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            note = notes.get(".".join(parts[:n]))
            if note:
                return note
        return f"no note: an assumption of {Path(source).name}"

    def with_overrides(self, overrides: Iterable[str]) -> "LoadedScenario":
        """A new scenario with `key.path=value` overrides applied; this one is unchanged."""
        overrides = tuple(overrides)
        raw = copied(self.raw)
        sources = dict(self.sources)
        for item in overrides:
            apply_set(raw, sources, item)
        return self._with(raw, sources, overrides)

    def held_at_means(self) -> "LoadedScenario":
        """This scenario with every input marked `per = "replication"` at its mean, so that
        the spread across replications shows chance alone; each held value's source is
        `--hold-uncertain`."""
        raw = copied(self.raw)
        sources = dict(self.sources)
        inputs = raw.get(INPUTS_KEY)
        if isinstance(inputs, dict):
            # A named input is uncertain wherever it is referred to: held at its mean there.
            for name, value in inputs.items():
                inputs[name] = D.parse(value).mean
                _forget(sources, (INPUTS_KEY, name))
                sources[f"{INPUTS_KEY}.{name}"] = HOLD_SOURCE
        stack: list[tuple[Any, KeyPath]] = [(raw, ())]
        while stack:
            node, path = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for k, value in list(items):
                here = path + (k,)
                if isinstance(value, dict) and value.get("per") == "replication":
                    mean = D.parse(value).mean
                    node[k] = round(mean) if is_whole(_dotted(here)) else mean
                    _forget(sources, here)
                    sources[_dotted(here)] = HOLD_SOURCE
                elif isinstance(value, (dict, list)):
                    stack.append((value, here))
        return self._with(raw, sources, (HOLD_SOURCE,))

    def _with(self, raw: dict[str, Any], sources: dict[str, str],
              applied: tuple[str, ...]) -> "LoadedScenario":
        return LoadedScenario(
            scenario=validate(raw, sources, default_source=str(self.path)),
            path=self.path,
            files=self.files,
            raw=raw,
            sources=sources,
            notes=self.notes,
            overrides=self.overrides + applied,
            dropped=self.dropped,
        )


def load(path: str | Path, overrides: Iterable[str] = ()) -> LoadedScenario:
    """Read, merge, override and validate a scenario file."""
    path = Path(path)
    texts: list[str] = []
    dropped: list[str] = []
    raw, sources, files = _read_chain(path, (), texts=texts, dropped=dropped)
    notes = {str(file): comment_notes(text) for file, text in zip(files, texts)}
    if len(files) > 1:
        _own_identity(raw, sources, path)
    return LoadedScenario(
        scenario=validate(raw, sources, default_source=str(path)),
        path=path,
        files=tuple(files),
        raw=raw,
        sources=sources,
        notes=notes,
        dropped=tuple(dropped),
    ).with_overrides(overrides)


def _own_identity(raw: dict[str, Any], sources: dict[str, str], path: Path) -> None:
    """A file that extends another is its own scenario: its name is its own (or its file
    name's), and a title or question it does not give is not its parent's."""
    meta = raw.setdefault("scenario", {})
    here = str(path)
    if not isinstance(meta, dict):
        raise ScenarioError("must be a table ([scenario]), not a value", key="scenario",
                            source=sources.get("scenario", here))
    for key in IDENTITY_KEYS:
        if sources.get(key) == here:
            continue
        leaf = key.split(".")[1]
        sources.pop(key, None)
        meta.pop(leaf, None)
        if leaf == "name":
            meta["name"] = re.sub(r"[^a-z0-9_-]", "_", path.stem.lower()) or "scenario"
            sources[key] = here


def _split_comment(line: str) -> tuple[str, str]:
    """Code and comment of a TOML line; a '#' inside a string is not a comment."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i], line[i + 1 :].strip()
    return line, ""


def comment_notes(text: str) -> dict[str, str]:
    """The comments of a scenario file, by the dotted key they stand beside or above.

    A comment on a key's line belongs to that key; a key without one takes the comment
    block above it (which covers the lines below it up to a blank line); a comment above
    a table header belongs to the table.
    """
    notes: dict[str, str] = {}
    table: list[str] = []
    items: dict[str, int] = {}
    block: list[str] = []
    block_text = ""  # " ".join(block), joined once per block, not once per key
    after_code = False
    for line in text.splitlines():
        code, comment = _split_comment(line)
        code = code.strip()
        if not line.strip():
            block, block_text, after_code = [], "", False
            continue
        if not code:
            if after_code:
                block = []
            block.append(comment)
            block_text = ""
            after_code = False
            continue
        if block and not block_text:
            block_text = " ".join(block)
        after_code = True
        if code.startswith("[["):
            name = code.strip("[] ")
            items[name] = items.get(name, -1) + 1
            table = [*name.split("."), str(items[name])]
            key = ".".join(table)
        elif code.startswith("["):
            table = code.strip("[] ").split(".")
            key = ".".join(table)
        else:
            key = ".".join([*table, *(p.strip().strip("\"'") for p in code.split("=")[0].split("."))])
        note = comment or block_text
        if note:
            notes[key] = note
    return notes


def _read_text(path: Path, key: str, where: str) -> str:
    """A scenario file's text: a regular file, read once, in time linear in its size."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ScenarioError(f"cannot be read ({exc.strerror})", key=key, source=where) from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError("is not a regular file (a device, pipe or socket); give a "
                                "scenario file", key=key, source=str(path))
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"is {info.st_size / 2**20:,.0f} MiB; a scenario file may be "
                                f"at most {MAX_FILE_BYTES // 2**20} MiB", key=key, source=str(path))
        data = file.read(MAX_FILE_BYTES + 1)
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is not an error.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"is not UTF-8 text (byte {exc.start + 1} cannot be read)",
                            key=key, source=str(path)) from None


def read_toml(path: Path, *, key: str = "", via: str = "",
              texts: list[str] | None = None) -> dict[str, Any]:
    """A TOML file as a table; its text is appended to `texts` when given."""
    where = via or str(path)
    if not path.exists():
        if via:
            raise ScenarioError(f"the file it extends does not exist: {path}", key=key, source=via)
        raise ScenarioError("no such file", source=str(path))
    if path.is_dir():
        raise ScenarioError("is a folder, not a scenario file", key=key, source=str(path))
    text = _read_text(path, key if via else "", where)
    if texts is not None:
        texts.append(text)
    try:
        table = tomllib.loads(text)
    except RecursionError:
        raise ScenarioError(f"nests tables or lists too deeply (at most {MAX_DEPTH} levels)",
                            source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if m:
            message = message[: m.start()]
            raise ScenarioError(
                f"not valid TOML: {message}", key=f"line {m.group(1)}", source=str(path)
            ) from None
        raise ScenarioError(f"not valid TOML: {message}", source=str(path)) from None
    deep = _too_deep(table)
    if deep:
        raise ScenarioError(f"nests tables or lists too deeply (at most {MAX_DEPTH} levels)",
                            key=deep, source=str(path))
    return table


def _too_deep(table: dict[str, Any]) -> str:
    """The first key nested more than MAX_DEPTH levels down, or ''; without recursion."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(table, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return ".".join(path[:MAX_DEPTH]) + ".…"
        if isinstance(node, dict):
            stack.extend((v, path + (str(k),)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, path + (str(i),)) for i, v in enumerate(node))
    return ""


def _read_chain(
    path: Path, seen: tuple[Path, ...], via: str = "", *, texts: list[str],
    dropped: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, str], list[Path]]:
    table = read_toml(path, key="extends", via=via, texts=texts)
    here = str(path)
    parent = table.pop("extends", None)
    if parent is None:
        base: dict[str, Any] = {}
        sources: dict[str, str] = {}
        files: list[Path] = []
    else:
        if not isinstance(parent, str):
            raise ScenarioError("must be a file path in quotes", key="extends", source=here)
        target = (path.parent / parent).resolve()
        chain = seen + (path.resolve(),)
        if target in chain:
            loop = " -> ".join(p.name for p in chain + (target,))
            raise ScenarioError(f"extends itself in a cycle: {loop}", key="extends", source=here)
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError(f"the extends chain is longer than {MAX_EXTENDS} files",
                                key="extends", source=here)
        base, sources, files = _read_chain(path.parent / parent, chain, via=here, texts=texts,
                                           dropped=dropped)
        if dropped is not None:
            dropped += _dropped_items(base, table, path.name, files[0].name)
    _merge(base, table, sources, here, ())
    return base, sources, [path, *files]


def _item_text(item: Any) -> str:
    if isinstance(item, dict):
        if "name" in item:
            return repr(item["name"])
        shown = ", ".join(f"{k} = {v}" for k, v in list(item.items())[:3])
        return "{ " + shown + (", … }" if len(item) > 3 else " }")
    return repr(item)


def _dropped_items(base: dict[str, Any], table: dict[str, Any], file: str,
                   parent: str) -> list[str]:
    """A sentence for each top-level list of `table` that leaves out items of the list it
    inherits from `parent`."""
    said = []
    for key, value in table.items():
        inherited = base.get(key)
        if not (isinstance(value, list) and isinstance(inherited, list)):
            continue
        # A named item changed under its own name is kept, not dropped.
        names = {item.get("name") for item in value if isinstance(item, dict)} - {None}
        lost = [item for item in inherited if item not in value
                and not (isinstance(item, dict) and item.get("name") in names)]
        if lost:
            said.append(f"{file} replaces the {key} list of {parent}: it drops "
                        + "; ".join(_item_text(item) for item in lost)
                        + f". List them again in {file} to keep them")
    return said


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def _forget(sources: dict[str, str], path: KeyPath) -> None:
    prefix = _dotted(path)
    sources.pop(prefix, None)
    below = prefix + "."
    for key in [k for k in sources if k.startswith(below)]:
        del sources[key]


def _mark(sources: dict[str, str], value: Any, source: str, path: KeyPath) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _mark(sources, v, source, path + (k,))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            _mark(sources, v, source, path + (i,))
    else:
        sources[_dotted(path)] = source


def _merge(base: dict[str, Any], over: dict[str, Any], sources: dict[str, str], source: str,
           path: KeyPath) -> None:
    """Merge `over` into `base` in place: tables merge, lists and values replace."""
    for key, value in over.items():
        here = path + (key,)
        if isinstance(value, dict) and isinstance(base.get(key), dict) and not _is_dist(value):
            _merge(base[key], value, sources, source, here)
        else:
            if key in base:  # a new key has no sources to forget
                _forget(sources, here)
            base[key] = copied(value)
            _mark(sources, value, source, here)


def _is_dist(value: dict[str, Any]) -> bool:
    # A distribution table replaces a number or another distribution whole.
    return "dist" in value


def _parse_set_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_set(raw: dict[str, Any], sources: dict[str, str], item: str) -> None:
    """Apply one `key.path=value` override to `raw` in place."""
    key, text = split_assignment(item, source=SET_SOURCE, value_required=False)
    if "=" not in item:
        raise ScenarioError(f"expected key.path=value, got {item!r}", source=SET_SOURCE)
    if key == "extends" or key.startswith("extends."):
        raise ScenarioError("extends cannot be set from the command line", key=key, source=SET_SOURCE)
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in key.split(".")]
    if any(p == "" for p in parts):
        raise ScenarioError("empty part in the key path", key=key, source=SET_SOURCE)
    node: Any = raw
    for depth, part in enumerate(parts[:-1]):
        node = _step(node, part, parts[: depth + 1], key, create=True)
    last = parts[-1]
    value = _parse_set_value(text.strip())
    if isinstance(node, list):
        _step(node, last, parts, key, create=False)
        node[last] = value  # type: ignore[index]
    elif isinstance(node, dict):
        if isinstance(last, int):
            raise ScenarioError(f"{_dotted(tuple(parts[:-1]))} is a table, not a list",
                                key=key, source=SET_SOURCE)
        node[last] = value
    else:
        raise ScenarioError(f"{_dotted(tuple(parts[:-1]))} is a value, not a table",
                            key=key, source=SET_SOURCE)
    _forget(sources, tuple(parts))
    _mark(sources, value, SET_SOURCE, tuple(parts))


def _step(node: Any, part: str | int, so_far: list[str | int], key: str, *, create: bool) -> Any:
    where = _dotted(tuple(so_far[:-1])) or "the scenario"
    if isinstance(node, list):
        if not isinstance(part, int):
            raise ScenarioError(f"{where} is a list: address its items by index, e.g. {where}.0",
                                key=key, source=SET_SOURCE)
        if part >= len(node):
            have = (f"{len(node)} item{'s' if len(node) > 1 else ''} "
                    f"(index 0 to {len(node) - 1})" if node else "no items")
            raise ScenarioError(f"{where} has {have}", key=key, source=SET_SOURCE)
        return node[part]
    if isinstance(node, dict):
        if isinstance(part, int):
            raise ScenarioError(f"{where} is a table, not a list", key=key, source=SET_SOURCE)
        if part not in node and create:
            node[part] = {}
        return node.get(part)
    raise ScenarioError(f"{where} is a value, not a table", key=key, source=SET_SOURCE)


# -- validation ----------------------------------------------------------------------


def validate(raw: dict[str, Any], sources: dict[str, str], *, default_source: str) -> Scenario:
    """Validate a merged table; errors name the file that set the offending key."""
    try:
        scenario = scenario_of(raw)
        check_consistency(scenario)
        return scenario
    except ValidationError as exc:
        raise translate_error(exc, sources, default_source) from None
    except ScenarioError as exc:
        raise exc.located(source=_source_of(exc.key, sources, default_source)) from None


def _source_of(key: str, sources: dict[str, str], default: str) -> str:
    if key in sources:
        return sources[key]
    parts = key.split(".")
    for n in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in sources:
            return sources[prefix]
        under = [s for k, s in sources.items() if k.startswith(prefix + ".")]
        if under:
            # A key missing from a table: blame the last file that wrote to the table.
            return under[-1]
    return default


def translate_error(exc: ValidationError, sources: dict[str, str], default: str) -> ScenarioError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    kind = err["type"]
    given = err.get("input")
    reason = err["msg"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        reason = f"unknown key{D.did_you_mean(str(loc[-1]), allowed)}"
        if allowed:
            reason += "; allowed here: " + ", ".join(allowed)
    elif kind == "missing":
        reason = "is required but missing"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        reason = f"must be a table, not {type(given).__name__} {given!r}"
    elif kind == "list_type":
        reason = f"must be a list of tables ([[{loc[-1]}]]), not {type(given).__name__}"
    elif kind == "value_error":
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, D.ParamError):
            reason = cause.reason
            if cause.subkey:
                loc = loc + (cause.subkey,)
        else:
            reason = reason.removeprefix("Value error, ")
    elif kind == "string_pattern_mismatch" and loc[-1] == "name":
        reason = f"must use only a-z, 0-9, '_' and '-' (got {given!r})"
    else:
        reason = reason[:1].lower() + reason[1:] + f" (got {given!r})"
    key = _dotted(loc)
    return ScenarioError(reason, key=key, source=_source_of(key, sources, default))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found:
            return found
    return None


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if info is None:
            return []
        model = _model_of(info.annotation)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


