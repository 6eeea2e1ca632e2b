"""The documentation's reference pages, written from the declarations themselves: every
scenario key (`scenario/parameters.py`), every command and option (the command line's
parser), every word of the glossary. `scripts/update_docs.py` writes them into `docs/`,
and a test checks that the pages hold what these functions give."""

from __future__ import annotations

import argparse
from ..scenario import distributions as D
from ..scenario.parameters import DISTRIBUTION_KINDS, REQUIRED, TABLES, Param, TableSpec
from .glossary import GLOSSARY
from .markdown import cell

# What a value of each kind is written as, in words.
KIND_TEXT = {
    **{kind: "a number or a distribution" for kind in DISTRIBUTION_KINDS},
    "date": "a date (2025-08-07) or a date and time",
    "whole": "a whole number",
    "flag": "true or false",
    "text": "text",
    "name": "a name, unique in its list",
    "slug": "a-z, 0-9, _ and -",
    "choice": "one of the words listed",
}


def _default_text(param: Param) -> str:
    if param.default is REQUIRED:
        return "required"
    if param.default is None:
        return "none (optional)"
    value = param.default
    if isinstance(value, D.Fixed):
        value = value.as_toml()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if value else '"" (none)'
    return f"{value:g}" if isinstance(value, float) else str(value)


def _allowed_text(param: Param) -> str:
    if param.choices:
        return ", ".join(f"`{c}`" for c in param.choices)
    if param.kind == "whole":
        return f"{int(param.low):,} to {int(param.high):,}"
    if param.kind == "rate":
        return "0 to 1"
    if param.kind in ("positive",):
        return "above 0"
    if param.kind in ("duration", "amount", "count", "money"):
        return "0 or more"
    return ""


def table_heading(table: TableSpec) -> str:
    return f"[[{table.key}]]" if table.many else f"[{table.key}]"


def scenario_keys_markdown() -> str:
    """One section per scenario table, one row per key: kind, unit, default, allowed values
    and meaning, in the order of a resolved scenario."""
    parts = []
    for table in TABLES:
        lines = [f"### `{table_heading(table)}`: {table.label}", ""]
        if table.many:
            lines += [f"A list: each `[[{table.key}]]` is one item; `*` below stands for its "
                      f"index from 0 (`--set {table.key}.0.{table.params[-1].key}=...`).", ""]
        elif table.absent is not REQUIRED:
            lines += ["May be left out.", ""]
        lines += ["| key | value | unit | default | allowed | meaning |",
                  "|---|---|---|---|---|---|"]
        for p in table.params:
            lines.append(f"| `{dotted(table, p)}` | {KIND_TEXT[p.kind]} | {cell(p.unit)} | "
                         f"{cell(_default_text(p))} | {_allowed_text(p)} | {cell(p.label)} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def dotted(table: TableSpec, param: Param) -> str:
    """A key as the reference names it: `notice.*.hours` for an item of a list."""
    return f"{table.key}.*.{param.key}" if table.many else f"{table.key}.{param.key}"


def declared_keys() -> list[str]:
    """Every declared key, as the reference names it."""
    return [dotted(t, p) for t in TABLES for p in t.params]


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _option_row(action: argparse.Action) -> str:
    names = ", ".join(f"`{o}`" for o in action.option_strings) or f"`{action.metavar or action.dest}`"
    if action.metavar and action.option_strings:
        names += f" {action.metavar}"
    choices = ", ".join(f"`{c}`" for c in action.choices) if action.choices else ""
    default = ("" if action.default in (None, False, [], argparse.SUPPRESS) or
               isinstance(action, argparse._HelpAction) else f"`{action.default}`")
    return f"| {cell(names)} | {choices} | {default} | {cell(action.help or '')} |"


def commands_markdown(parser: argparse.ArgumentParser) -> str:
    """One section per command: what it does, its usage line and every argument."""
    parts = []
    for name, sub in _subcommands(parser).items():
        usage = " ".join(sub.format_usage().split())
        usage = usage.removeprefix("usage: ")
        lines = [f"### `flowsim {name}`", "", cell(sub.description or ""), "",
                 "```", usage, "```", "",
                 "| argument | choices | default | meaning |", "|---|---|---|---|"]
        lines += [_option_row(a) for a in sub._actions
                  if not isinstance(a, argparse._HelpAction)]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def command_options(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Each command's argument names (the option strings, or a positional's name)."""
    return {name: [o for a in sub._actions if not isinstance(a, argparse._HelpAction)
                   for o in (a.option_strings or [a.metavar or a.dest])]
            for name, sub in _subcommands(parser).items()}


def glossary_markdown() -> str:
    return "\n\n".join(f"### {t.term} {{ #g-{t.anchor} }}\n\n{t.meaning}" for t in GLOSSARY)
