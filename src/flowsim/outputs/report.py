"""A one-page HTML report of one or more results folders.

The page is a single file: charts are inlined as PNG data, styles are inline, and it
loads nothing from anywhere, so it opens offline and can be sent round by e-mail.
Tables are real HTML tables, so they paste into a spreadsheet.
"""

from __future__ import annotations

import base64
import html
import math
import re
from typing import Iterable, Sequence

from .. import __version__
from ..model.outcomes import LABELS, display_order
from . import charts
from ..experiments.compare import median_first_disclosure
from .record import cited_ids, read_record, record_rows
from .text import robust_words
from .readers import Results, RunFolder
from ..experiments.stats import interval_text, number_text

HEADLINE_METRICS = tuple((name, LABELS[name]) for name in display_order())

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1a1a1a; background: #fff; line-height: 1.45; font-size: 17px; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
h1 { font-size: 1.9rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.45rem; border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem;
     margin-top: 2.5rem; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
.question { font-size: 1.15rem; font-style: italic; }
.muted { color: #555; font-size: 0.92rem; }
nav ul { padding-left: 1.2rem; columns: 2; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.92rem; width: 100%; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #eef3f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9rem; color: #444; }
code { font-size: 0.9em; }
@media print { h2 { page-break-before: always; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(x: float, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return number_text(x, signed=signed)


HTML = "html"  # the css class of a cell whose text is HTML already made safe


def _cited(note: str) -> tuple[str, str]:
    """A note as a cell, each record row it cites a link to that row below."""
    text = _e(note or "no note: treat as an assumption")
    for row in dict.fromkeys(cited_ids(note or "")):
        text = re.sub(rf"(?<![\w-]){re.escape(row)}(?![\w-])",
                      f"<a href=\"#fact-{_e(row)}\">{_e(row)}</a>", text, count=1)
    return text, HTML


def _facts(results: Results) -> str:
    """The rows of the record that the scenarios cite, with their sources."""
    notes = [p.get("note", "") for run in results.runs for p in run.parameters]
    ids = list(dict.fromkeys(i for note in notes for i in cited_ids(note)))
    if not ids:
        return ""
    try:
        record = read_record()
    except OSError:
        return ("<section id=\"facts\"><h2>The record cited</h2><p class=\"muted\">"
                "record/record.md, which holds the cited rows, is not beside this flowsim."
                "</p></section>")
    rows = []
    for i in ids:
        row = record.get(i)
        if row is None:
            continue
        links = " ; ".join(f"<a href=\"{_e(u)}\">{_e(u)}</a>" if u.startswith("http") else _e(u)
                           for u in (part.strip() for part in row.sources.split(" ; ")))
        rows.append(f"<tr id=\"fact-{_e(i)}\"><td><code>{_e(i)}</code></td><td>{_e(row.date)}</td>"
                    f"<td>{_e(row.what)}</td><td>{_e(row.figure)}</td><td>{_e(row.solid)}</td>"
                    f"<td>{links}</td></tr>")
    return ("<section id=\"facts\"><h2>The record cited</h2><p>Each row of the public record "
            "that a citation above names, from <code>record/record.md</code>.</p><table><thead>"
            "<tr><th scope=\"col\">id</th><th scope=\"col\">date</th><th scope=\"col\">what"
            "</th><th scope=\"col\">figure</th><th scope=\"col\">how solid</th>"
            "<th scope=\"col\">sources</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></section>")


def _table(headers: Sequence[str], rows: Iterable[Sequence[tuple[str, str]]],
           caption: str = "", row_attrs: Sequence[str] | None = None) -> str:
    """`rows` holds (text, css class) cells; text is escaped here."""
    out = ["<table>"]
    if caption:
        out.append(f"<caption class=\"muted\">{_e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th scope=\"col\">{_e(h)}</th>" for h in headers)
               + "</tr></thead><tbody>")
    for i, row in enumerate(rows):
        attrs = f" {row_attrs[i]}" if row_attrs else ""
        cells = "".join(f"<td>{text}</td>" if cls == HTML else
                        f"<td class=\"{cls}\">{_e(text)}</td>" if cls else f"<td>{_e(text)}</td>"
                        for text, cls in row)
        out.append(f"<tr{attrs}>{cells}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _figure(fig, alt: str, caption: str) -> str:
    data = base64.b64encode(charts.png_bytes(fig)).decode("ascii")
    return (f"<figure><img src=\"data:image/png;base64,{data}\" alt=\"{_e(alt)}\">"
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _overview(results: Results) -> str:
    base = results.baseline
    table = results.comparison
    rows, attrs = [], []
    for run in results.runs:
        s = run.stats.set_index("metric").loc["transferred"]
        cells = [(run.name, ""), (run.scenario.scenario.question, ""),
                 (_num(s["mean"]), "num"), (interval_text(s["ci95_low"], s["ci95_high"]), "num")]
        if table is not None:
            row = table[(table["scenario"] == run.name) & (table["metric"] == "transferred")]
            if run is base or row.empty:
                cells += [("—", "num"), ("—", "num")]
            else:
                r = row.iloc[0]
                cells += [(_num(r["diff_mean"], True), "num"),
                          (interval_text(r["diff_ci95_low"], r["diff_ci95_high"], signed=True), "num")]
        cells.append((median_first_disclosure(run.stats, run.scenario.scenario.start), "num"))
        if results.robustness is not None:
            robust = results.robustness
            match = robust[(robust["scenario"] == run.name) & (robust["metric"] == "transferred")]
            cells.append(("—" if match.empty else robust_words(match.iloc[0]), ""))
        rows.append(cells)
        attrs.append(f"data-scenario=\"{_e(run.name)}\"")
    headers = ["scenario", "question", "records disclosed (mean)", "95% CI"]
    if table is not None:
        headers += [f"difference from {base.name}", "paired 95% CI"]
    headers.append("first disclosure (median)")
    if results.robustness is not None:
        headers.append("across the record-consistent parameter sets")
    parts = ["<section id=\"overview\"><h2>The scenarios at a glance</h2>",
             _table(headers, rows, row_attrs=attrs)]
    if table is not None and len(results.runs) > 1:
        parts.append(_figure(charts.comparison_figure(table),
                             f"Bar chart: each what-if's difference from {base.name} in records "
                             "disclosed, with paired 95% intervals",
                             f"Difference from {base.name} in records disclosed, per replication "
                             "pair (the scenarios share their random numbers), with its 95% "
                             "interval."))
    if len(results.runs) > 1:
        markers = charts.rule_markers(base.scenario)
        parts.append(_figure(
            charts.disclosure_figure([(r.name, r.daily) for r in results.runs], markers,
                                     f"Records disclosed to ICE over time (court rules of "
                                     f"{base.name})"),
            "Line chart: cumulative records disclosed over time for each scenario",
            "Median of the replications (line) and the range of 90% of them (shaded)."))
        parts.append(_figure(
            charts.outcomes_figure([(r.name, charts.outcome_means(r.stats))
                                    for r in results.runs]),
            "Stacked bars: where each scenario's requested records ended",
            "Share of the requested records in each end state, mean over replications."))
    parts.append("</section>")
    return "\n".join(parts)


def _record(run: RunFolder) -> str:
    rows = [[(r.figure, ""), (r.record, "num"), (r.model, "num"), (r.spread, "num"),
             (r.source, "")] for r in record_rows(run.metrics, run.scenario.scenario.start)]
    return "\n".join([
        f"<section id=\"record\"><h2>Does {_e(run.name)} reproduce the record?</h2>",
        "<p>The figures reported in public (see the project's FACTS.md) beside the model's.</p>",
        _table(["figure", "record", f"model, mean of {run.replications} replications",
                "model, 5–95% of replications", "source"], rows),
        "</section>",
    ])


def _assumptions(run: RunFolder, base: RunFolder) -> str:
    mine = {p["key"]: p for p in run.parameters}
    if run is base:
        shown = [p for p in run.parameters if not p["key"].startswith("scenario.")]
        heading = "Assumptions and sources of every value"
        headers = ["parameter", "value", "set in", "citation or assumption"]
        rows = [[(p["key"], ""), (p["value"], ""), (p["source"], ""), _cited(p["note"])]
                for p in shown]
    else:
        theirs = {p["key"]: p for p in base.parameters}
        keys = [k for k in dict.fromkeys([*mine, *theirs])
                if not k.startswith("scenario.")
                and (mine.get(k, {}).get("value") != theirs.get(k, {}).get("value"))]
        heading = f"Assumptions: what differs from {base.name}"
        headers = ["parameter", "this scenario", base.name, "citation or assumption"]
        rows = [[(k, ""), (mine.get(k, {}).get("value", "(not set)"), ""),
                 (theirs.get(k, {}).get("value", "(not set)"), ""),
                 _cited(mine.get(k, {}).get("note", ""))]
                for k in keys]
        if not rows:
            return f"<h3>{_e(heading)}</h3><p>No parameter differs.</p>"
    if not rows:
        return (f"<h3>{_e(heading)}</h3><p class=\"muted\">This results folder records no "
                "parameter notes.</p>")
    return f"<h3>{_e(heading)}</h3>" + _table(headers, rows)


def _headline(run: RunFolder) -> str:
    stats = run.stats.set_index("metric")
    rows, attrs = [], []
    for metric, label in HEADLINE_METRICS:
        if metric not in stats.index or stats.loc[metric, "replications"] == 0:
            continue
        s = stats.loc[metric]
        rows.append([(label, ""), (_num(s["mean"]), "num"),
                     (interval_text(s["ci95_low"], s["ci95_high"]), "num"),
                     (interval_text(s["p05"], s["p95"]), "num")])
        attrs.append(f"data-metric=\"{metric}\"")
    return ("<h3>Headline numbers</h3>"
            + _table(["", "mean", "95% CI of the mean", "5–95% of replications"], rows,
                     caption=f"{run.replications} replications, seed {run.seed}",
                     row_attrs=attrs))


def _scenario(run: RunFolder, base: RunFolder) -> str:
    meta = run.scenario.scenario
    title = meta.title or run.name
    figures = charts.run_figures(run.name, run.scenario, run.daily, run.stats)
    return "\n".join([
        f"<section id=\"scenario-{_e(run.name)}\" data-scenario=\"{_e(run.name)}\">",
        f"<h2>{_e(title)} <code>{_e(run.name)}</code></h2>",
        f"<p class=\"question\">{_e(meta.question)}</p>" if meta.question else "",
        f"<p class=\"muted\">From {meta.start:%Y-%m-%d} to {meta.end:%Y-%m-%d}.</p>",
        _headline(run),
        _figure(figures["disclosures"], f"Line chart: records disclosed over time in {run.name}",
                "Cumulative records disclosed: median of the replications and the range of "
                "90% of them; dotted lines mark notice rules, the solid line the injunction."),
        _figure(figures["outcomes"], f"Stacked bar: where the records of {run.name} ended",
                "Share of the requested records in each end state."),
        _assumptions(run, base),
        "</section>",
    ])


READING = """
<section id="reading"><h2>How to read this report</h2>
<ul>
<li><strong>95% CI of the mean</strong>: how precisely the replications pin down the
average. It narrows as replications are added.</li>
<li><strong>5–95% of replications</strong>: how much a single run of history could
differ, given the chance in the model (review and sign-off times, who matches, whether
the court grants relief) and the inputs we do not know, drawn once per replication
(marked <code>per = "replication"</code> in the scenario files).</li>
<li><strong>Paired 95% CI</strong> of a difference: every scenario is run with the same
random numbers, replication by replication, so the difference shows the effect of the
change alone; this interval is much narrower than comparing two separate means.</li>
<li>Every value that is not in the public record is an assumption, labelled as such in
the scenario files and in the tables above.</li>
</ul></section>
"""


def render(results: Results) -> str:
    """The report as one self-contained HTML document."""
    base = results.baseline
    names = [r.name for r in results.runs]
    nav = "".join(f"<li><a href=\"#scenario-{_e(n)}\">{_e(n)}</a></li>" for n in names)
    body = [
        "<!doctype html>",
        "<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<meta name=\"generator\" content=\"flowsim {__version__}\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>flowsim report: {_e(', '.join(names))}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        "<header><h1>IRS–ICE address sharing, 2025: what happened and what if</h1>",
        f"<p class=\"muted\">A flowsim {__version__} report of {len(names)} scenario"
        f"{'s' if len(names) != 1 else ''}; baseline <code>{_e(base.name)}</code>, "
        f"{base.replications} replications, seed {base.seed}.</p></header>",
        f"<nav><h2>Contents</h2><ul><li><a href=\"#overview\">The scenarios at a glance</a>"
        f"</li><li><a href=\"#record\">The record</a></li>{nav}"
        "<li><a href=\"#facts\">The record cited</a></li>"
        "<li><a href=\"#reading\">How to read this report</a></li></ul></nav>",
        _overview(results),
        _record(base),
        *(_scenario(run, base) for run in results.runs),
        _facts(results),
        READING,
        "</main></body></html>",
    ]
    return "\n".join(part for part in body if part) + "\n"

