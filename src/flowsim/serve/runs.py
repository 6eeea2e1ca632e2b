"""What the page asks for, computed where the command line computes it.

Each function here takes only plain values (file paths, `--set` texts, numbers), so it
runs in a worker process; its answer is plain JSON. The numbers come from the same
functions that write stats.csv and comparison.csv, so the page and `flowsim run` agree.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import shlex
import time
import unicodedata
from pathlib import Path
from typing import Any, Sequence

from ..experiments.compare import comparison_table
from ..experiments.run import METRIC_LABELS, run_many
from ..outputs import charts
from ..outputs.charts.vega import DISCLOSURES_STATES, disclosures_spec
from ..outputs.tables import comparison_file, stats_file
from ..outputs.explain import assumption_rows
from ..outputs.text import (FILING_BASIS, disclosure_share_text, headline_of, headline_text,
                            metric_text, scenario_sentence, title_of)
from ..errors import InputError
from ..library import CALIBRATION_FILES
from ..model.outcomes import display_order
from ..scenario import load, param_of
from ..scenario.parameters import CONTROL_TABLES, spec_of
from ..scenario.provenance import flatten, parameter_rows
from .budget import TIMEOUT_SECONDS, check_answer_work

# The page's table: every count as the files order them, then the first disclosure.
PAGE_METRICS = (*display_order(), "first_transfer_days")
PAGE_LABELS = {**METRIC_LABELS, "first_transfer_days": "first disclosure, days from the start"}
# A room's answers stay quick: the page runs at most five years of a scenario (the
# command line, ten).
PAGE_MAX_HORIZON_DAYS = 1827


class Stopped(Exception):
    """An answer stopped before it finished: its client left, or it ran out of time."""


def breaks_a_line(ch: str) -> bool:
    """A control character or a line or paragraph separator: what would end a line of a
    written file, or hide in a value that should be one line."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def one_line(text: str) -> str:
    """`text` with every character that breaks a line made a space, for a comment."""
    return "".join(" " if breaks_a_line(ch) else ch for ch in text)


def toml_literal(value: Any) -> str:
    """A value as TOML writes it inline: what `--set KEY=...` reads back."""
    import tomli_w

    if value is None:  # TOML has no null: an unset optional value is left out
        return ""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_literal(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    return tomli_w.dumps({"x": value}).split("=", 1)[1].strip()


def _plain(value: Any) -> Any:
    """JSON for a table cell: NaN is null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def _records(table) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]


# How a control is shown, by the kind of its value: never as TOML text.
WIDGETS = {"flag": "switch", "choice": "choice", "date": "date", "rate": "slider"}
# The parts of a distribution, in the room's words.
DISTRIBUTION_PARTS = {"low": "low", "mode": "likely", "high": "high", "mean": "mean",
                      "sd": "spread (standard deviation)", "mu": "log of the median (mu)",
                      "sigma": "spread (sigma)", "alpha": "alpha", "beta": "beta"}
# A page offers at most this many plain levers before the fold.
PLAIN_LEVERS = 8


def _bounds(param: Any) -> dict[str, Any]:
    """The numbers a control may take, from its declaration."""
    if param.kind == "rate":
        return {"min": 0, "max": 1, "step": 0.01}
    if param.kind == "whole":
        return {"min": param.low, "max": param.high, "step": 1}
    if param.kind == "count":
        return {"min": 0, "step": 1}
    if param.kind in ("duration", "amount", "money", "positive"):
        return {"min": 0, "step": "any"}
    return {}


def _widget(param: Any, value: Any) -> str:
    if isinstance(value, dict):
        return "distribution"
    if param.choices:
        return "choice"
    return WIDGETS.get(param.kind, "stepper" if param.numeric else "text")


def _group_words(key: str, doc: dict[str, Any]) -> str:
    """A control's group in words: the table's label, and a list item's name or number."""
    parts = key.split(".")
    spec = spec_of(parts[0])
    label = spec.label.removeprefix("a ").removeprefix("an ")
    if not spec.many:
        return label
    item = doc.get(parts[0], [])[int(parts[1])]
    name = item.get("name") if isinstance(item, dict) else None
    return f"{label}: {name}" if name else f"{label} {int(parts[1]) + 1}"


def plain_keys(loaded: Any) -> list[str]:
    """The handful of levers a scenario's question is about: what its own file changes
    from the file it extends, and the assumptions it rests on (its own, and for a scenario
    that extends none, those of the case's calibration/assumptions.toml that apply)."""
    from ..experiments.explore import keys_of

    own = str(loaded.path)
    keys: list[str] = []
    if len(loaded.files) > 1:
        keys += [k for k, source in loaded.sources.items() if source == own]
    rests_on = list(loaded.scenario.assumptions)
    if len(loaded.files) == 1:
        rests_on += _calibration(Path(loaded.path))[0]
    for a in rests_on:
        keys += keys_of(loaded, a)
    return keys


def controls(path: Path) -> list[dict[str, Any]]:
    """Every value of the scenario's rules, requests and stages, as a control: its key,
    value (as TOML), kind, widget, bounds, unit, label, group in words and citation, from
    the parameter declarations; the handful its question is about marked `plain`."""
    loaded = load(path)
    rows = {r.key: r for r in parameter_rows(loaded)}
    doc = loaded.scenario.to_toml_dict()
    wanted = plain_keys(loaded)
    out = []
    leaves = flatten(doc)
    order = {spec.key: i for i, spec in enumerate(CONTROL_TABLES)}
    for key, value in sorted(leaves, key=lambda kv: order.get(kv[0].split(".")[0], 99)):
        if key.split(".")[0] not in order:
            continue
        param = param_of(key)
        # Names identify requests and their random streams: not a lever.
        if param is None or not param.lever:
            continue
        row = rows.get(key)
        item = {"key": key, "table": key.split(".")[0], "value": toml_literal(value),
                "kind": param.kind, "unit": param.unit, "label": param.label,
                "numeric": param.numeric, "widget": _widget(param, value),
                "distribution": isinstance(value, dict),
                "choices": [toml_literal(c) for c in param.choices],
                "section": spec_of(key.split(".")[0]).group, "group": _group_words(key, doc),
                "note": row.note if row else "", "source": row.source if row else "",
                **_bounds(param)}
        if isinstance(value, dict):
            item["parts"] = [{"name": k, "label": DISTRIBUTION_PARTS.get(k, k), "value": v}
                             for k, v in value.items() if k not in ("dist", "per", "input")]
            item["dist"] = value.get("dist", "")
            item["per"] = value.get("per", "")
            item["input"] = value.get("input", "")
        out.append(item)
    # The plain levers in the order the question gives them, at most PLAIN_LEVERS.
    offered = [c["key"] for c in out]
    # A wanted key may be a table (all its values), a value, or a part of a distribution.
    plain = [k for k in dict.fromkeys(
        k for w in wanted for k in offered
        if k == w or k.startswith(w + ".") or w.startswith(k + "."))][:PLAIN_LEVERS]
    for c in out:
        c["plain"] = c["key"] in plain
    return out


def _signature(path: Path) -> tuple[int, int]:
    """A file as it is now (its modification time and size): what keys what is kept."""
    info = path.stat()
    return info.st_mtime_ns, info.st_size


# The baseline, read and run once for every answer beside it: kept by the file's
# modification time and size, so an edited baseline is read and run again.
@functools.lru_cache(maxsize=4)
def _baseline(path: Path, signature: tuple[int, int]) -> Any:
    return load(path)


@functools.lru_cache(maxsize=4)
def _baseline_run(path: Path, signature: tuple[int, int], replications: int, seed: int) -> Any:
    return run_many([_baseline(path, signature)], replications=replications, seed=seed)[0]


def changed_title(title: str, overrides: Sequence[str]) -> str:
    """A changed scenario's title says its changes in words: "72-hour notice, notice window
    48 hours" (a scenario's own title or name set on the page stands as given)."""
    said = []
    for text in overrides:
        key, _, value = (part.strip() for part in text.partition("="))
        if key == "scenario.title":
            return value.strip('"')
        param = param_of(key)
        if param is None or key.startswith("scenario."):
            continue
        words = param.label.split(" (")[0]
        # A share or a chance reads as itself; a count or a time with its unit.
        unit = (f" {param.unit}" if param.unit and param.kind != "rate"
                and not value.startswith("{") else "")
        said.append(f"{words} {value.strip(chr(34))}{unit}")
    return ", ".join([title, *said]) if said else title


def _page_view(result: Any, overrides: Sequence[str]) -> charts.RunView:
    """The run as the page shows it: the daily rows its chart draws, under a title that
    says what was changed."""
    scenario = result.scenario
    if overrides:
        meta = scenario.scenario.model_copy(
            update={"title": changed_title(title_of(result), overrides)})
        scenario = scenario.model_copy(update={"scenario": meta})
    return charts.RunView(result.name, scenario, int(result.replications), result.stats,
                          result.daily_stats_of(DISCLOSURES_STATES))


def _watch(cancel: str | None, timeout_seconds: float):
    """A progress callback that stops the run when `cancel` exists (its client left) or
    `timeout_seconds` have passed: checked after each chunk of replications."""
    deadline = time.monotonic() + timeout_seconds

    def check(_done: int, _total: int) -> None:
        if cancel is not None and os.path.exists(cancel):
            raise Stopped("its page was closed")
        if time.monotonic() > deadline:
            raise Stopped(f"it ran longer than the {timeout_seconds:g} s a page answer may")

    return check


def page_run(path: Path, overrides: Sequence[str], replications: int, seed: int | None,
             baseline: Path, *, cancel: str | None = None,
             timeout_seconds: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """The page's answer: stats as in stats.csv, the paired difference from the baseline
    as in comparison.csv, the share with a disclosure, the sentence and the charts (SVG).

    Its work is estimated before it starts and refused over the page's budget; it stops
    (`Stopped`) when the file `cancel` appears or after `timeout_seconds`."""
    loaded = load(path, overrides)
    meta = loaded.scenario.scenario
    if (meta.end - meta.start).days > PAGE_MAX_HORIZON_DAYS:
        raise InputError(f"the page runs horizons of at most {PAGE_MAX_HORIZON_DAYS:,} days "
                         f"(five years) after scenario.start ({meta.start:%Y-%m-%d}); run "
                         "longer ones with flowsim run", key="scenario.end",
                         source=Path(path).name)
    signature = _signature(Path(baseline))
    check_answer_work([loaded.scenario, _baseline(Path(baseline), signature).scenario],
                      replications)
    seed = seed if seed is not None else meta.seed
    watch = _watch(cancel, timeout_seconds)
    # The baseline unchanged against the page's scenario, on common random numbers: each
    # replication depends only on (seed, replication, what is drawn), so the baseline's
    # run is the same whether it runs beside this one or was kept from before.
    base_run = _baseline_run(Path(baseline), signature, replications, seed)
    mine = run_many([loaded], replications=replications, seed=seed, progress=watch)[0]
    # This run's rows of comparison.csv alone, whatever the two are named (a changed
    # baseline keeps the baseline's name).
    mine_rows = comparison_table([mine], base=base_run)
    mine = _page_view(mine, overrides)
    start = mine.scenario.scenario.start
    rows = comparison_file(mine_rows, {mine.name: start})
    stats = stats_file(mine.stats, start)
    share = stats.set_index("metric").loc["any_transferred"]
    same = Path(loaded.path).resolve() == Path(baseline).resolve() and not overrides
    return {
        "scenario": mine.name, "title": title_of(mine),
        "question": mine.scenario.scenario.question,
        "replications": mine.replications, "seed": seed, "overrides": list(overrides),
        "stats": _records(stats),
        "share_with_disclosure": {"share": _plain(share["mean"]),
                                  "ci95_low": _plain(share["ci95_low"]),
                                  "ci95_high": _plain(share["ci95_high"]),
                                  "text": disclosure_share_text(mine)},
        "baseline": {"name": base_run.name, "title": title_of(base_run)},
        "difference": _records(rows[["metric", "diff_mean", "diff_ci95_low", "diff_ci95_high",
                                     "diff_replications"]]),
        "sentence": scenario_sentence(mine, mine_rows, None if same else base_run),
        # What the returns and revenue figures rest on, where the scenario has them.
        "basis": FILING_BASIS if mine.scenario.filing is not None else "",
        # What the answer rests on that the record does not give, from the declarations.
        "assumes": [{"key": key, "value": value, "why": why}
                    for key, value, why in assumption_rows(loaded)],
        # What the question is about, first: its metric, in words, beside the baseline.
        "headline": {"metric": headline_of(mine),
                     "value": f"{METRIC_LABELS[headline_of(mine)]}: "
                              f"{metric_text(mine, headline_of(mine))}",
                     "text": headline_text(mine, mine_rows, None if same else base_run)},
        "labels": PAGE_LABELS,
        # The rows of the page's table, in the order the files show them.
        "metrics": list(PAGE_METRICS),
        # The chart's one definition (Vega-Lite, with its data): the browser draws it.
        "chart": disclosures_spec(mine, None if same else base_run),
    }


def scenario_file(path: Path, overrides: Sequence[str], *, name: str | None = None,
                  title: str | None = None, extends: str | None = None,
                  made: dt.date | None = None) -> str:
    """A scenario file that extends `path` with the page's changes, each with a comment
    that says it was set on the page. Lists replace whole when a file extends another,
    so a changed list is written whole, its changed values marked."""
    loaded = load(path, overrides)
    changed = {o.split("=", 1)[0].strip() for o in overrides}

    def touched(key: str) -> bool:  # the key, or a part of it, was changed
        return any(c == key or c.startswith(key + ".") for c in changed)

    doc = loaded.raw  # as the files and the changes give it: no defaults filled in
    made = made or dt.date.today()
    # The file names no folder of this computer: it extends its scenario by file name,
    # beside which it is to be saved (the gallery passes the path from its own folder).
    parent = Path(path).name
    command = shlex.join(["flowsim", "run", parent,
                          *(part for o in overrides for part in ("--set", o))])
    beside = "" if extends else f"; save it beside {parent}"
    lines = [one_line(f"# Made on the flowsim page on {made:%Y-%m-%d} from {parent}{beside}."),
             one_line(f"# The same as: {command}"), "",
             f"extends = {toml_literal(extends or parent)}", ""]
    # The scenario's own values changed on the page (its end, its seed) are written
    # beside the name and title the file is given.
    meta = {k.split(".", 1)[1]: doc["scenario"][k.split(".", 1)[1]] for k in sorted(changed)
            if k.startswith("scenario.") and k.count(".") == 1}
    meta.update({k: v for k, v in (("name", name), ("title", title)) if v})
    if meta:
        lines.append("[scenario]")
        lines += [f"{key} = {toml_literal(value)}  # set on the page"
                  for key, value in meta.items()]
        lines.append("")
    tables = dict.fromkeys(k.split(".")[0] for k in changed if not k.startswith("scenario."))
    for table in tables:
        value = doc.get(table)
        if isinstance(value, list):
            if not value:
                lines += [f"{table} = []  # set on the page", ""]
            for i, item in enumerate(value):
                lines.append(f"[[{table}]]")
                for key, v in item.items():
                    if v is None:
                        continue
                    mark = "  # set on the page" if touched(f"{table}.{i}.{key}") else ""
                    lines.append(f"{key} = {toml_literal(v)}{mark}")
                lines.append("")
        elif isinstance(value, dict):
            lines.append(f"[{table}]")
            for key, v in value.items():
                if touched(f"{table}.{key}") and v is not None:
                    lines.append(f"{key} = {toml_literal(v)}  # set on the page")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def warm() -> bool:
    """Import what a run needs, so the room's first answer is as fast as the rest."""
    from ..experiments import stats

    stats.t_quantile(0.975, 10)
    return True


# The page's verdict: a small exploration, its size stated beside it.
VERDICT_SAMPLES = 8
VERDICT_ENSEMBLE_SETS = 4
VERDICT_REPLICATIONS = 5
VERDICT_HEADLINE_REPLICATIONS = 40


def _calibration(scenario: Path) -> tuple[list[Any], Any, list[Any]]:
    """The case's assumptions, record-consistent sets and targets, from the calibration
    folder beside the folder of its scenarios (empty where a file is not there); read once
    for the files as they are."""
    folder = Path(scenario).resolve().parent.parent / "calibration"
    paths = tuple(folder / name for name in CALIBRATION_FILES)
    return _read_calibration(paths, tuple(_signature(p) if p.exists() else None
                                          for p in paths))


@functools.lru_cache(maxsize=4)
def _read_calibration(paths: tuple[Path, ...], signatures: tuple) -> tuple[list, Any, list]:
    from ..experiments.ensemble import read_members
    from ..experiments.explore import load_assumptions
    from ..experiments.targets import load_targets

    assumptions, members, targets = paths
    return (load_assumptions(assumptions) if signatures[0] else [],
            read_members(members) if signatures[1] else None,
            load_targets(targets) if signatures[2] else [])


def page_verdict(path: Path, overrides: Sequence[str], baseline: Path, *,
                 cancel: str | None = None) -> dict[str, Any]:
    """The answer across what the record leaves open, for the page: the verdict of a
    small exploration of the scenario as changed (`flowsim explore` runs the full one)."""
    from ..experiments.explore import explore
    from ..outputs.text import verdict_words

    if Path(path).resolve() == Path(baseline).resolve() and not overrides:
        return {"verdict": None, "text": "The baseline: the other answers are set against it."}
    loaded = load(path, overrides)
    base = _baseline(Path(baseline), _signature(Path(baseline)))
    check_answer_work([loaded.scenario, base.scenario],
                      (VERDICT_SAMPLES + VERDICT_ENSEMBLE_SETS) * VERDICT_REPLICATIONS
                      + VERDICT_HEADLINE_REPLICATIONS)
    assumptions, members, targets = _calibration(Path(baseline))
    watch = _watch(cancel, TIMEOUT_SECONDS)
    exploration = explore(base, [loaded], assumptions, members, targets,
                          samples=VERDICT_SAMPLES, replications=VERDICT_REPLICATIONS,
                          headline_replications=VERDICT_HEADLINE_REPLICATIONS,
                          ensemble_sets=VERDICT_ENSEMBLE_SETS, progress=watch)
    v = exploration.verdicts
    rows = v[(v["scenario"] == loaded.scenario.name)
             & (v["metric"] == loaded.scenario.scenario.headline)]
    size = (f"a small exploration: {len(exploration.sets)} sets of what the record leaves "
            f"open, {exploration.replications} histories each; flowsim explore runs the "
            "full one")
    if rows.empty:
        return {"verdict": None, "text": f"No verdict: no pair of histories has the figure "
                                         f"({size})."}
    row = rows.iloc[0]
    return {"verdict": row["verdict"], "text": verdict_words(row), "size": size,
            "depends_on": [k for k in str(row["depends_on"]).split(";") if k],
            "sets": len(exploration.sets), "replications": exploration.replications}


# What a what-if's own file says, beside its scenario's name and title: its differences.
OWN_META = ("extends", "scenario")


def _differences(raw: dict[str, Any]) -> dict[str, Any]:
    """A what-if file's differences from the file it extends, as dotted keys: a table's
    values key by key (they merge), a list or a single value whole (it replaces)."""
    found: dict[str, Any] = {}
    for key, value in raw.items():
        if key in OWN_META:
            continue
        if isinstance(value, dict) and "dist" not in value and "input" not in value:
            found.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            found[key] = value
    return found


def combined_sets(first: Path, second: Path) -> list[str]:
    """The changes that make `first` into `first` and `second` combined: `second`'s
    differences from the file both extend, as `--set` texts. Two what-ifs that set one
    value differently conflict, in one line naming the key."""
    from ..scenario import read_toml

    a, b = read_toml(Path(first)), read_toml(Path(second))
    if a.get("extends") != b.get("extends") or not b.get("extends"):
        raise InputError("combines only two what-ifs that extend the same file",
                         source=Path(second).name)
    mine, theirs = _differences(a), _differences(b)
    sets = []
    for key, value in theirs.items():
        if key == "assumptions":
            value = [*mine.get("assumptions", []), *value]
        elif key in mine and mine[key] == value:
            continue  # both set it alike
        elif any(k == key or k.startswith(key + ".") or key.startswith(k + ".") for k in mine):
            raise InputError(f"{Path(first).stem} and {Path(second).stem} both set it "
                             "differently: combine what-ifs that change different things",
                             key=key, source=Path(second).name)
        sets.append(f"{key}={toml_literal(value)}")
    return sets
