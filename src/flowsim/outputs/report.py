"""A one-page HTML report of one or more results folders.

The page is a single file: charts are inlined as PNG data, styles are inline, and it
loads nothing from anywhere, so it opens offline and can be sent round by e-mail.
Tables are real HTML tables, so they paste into a spreadsheet.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
import re
from typing import Any, Iterable, Sequence

from .. import __version__
from ..model.outcomes import LABELS, display_order
from . import charts
from ..experiments.compare import median_first_disclosure
from .glossary import GLOSSARY
from .record import cited_ids, read_record, record_rows
from .text import (FILING_BASIS, TRADEOFF_METRICS, difference_value_text, headline_of,
                   headline_text, metric_text, range_text, scenario_sentence, title_of,
                   verdict_of, verdict_words)
from .readers import Results, RunFolder
from ..experiments.run import FILING_METRICS, METRIC_LABELS, METRIC_UNITS
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
#summary { max-width: 1860px; margin: 0 auto; padding: 1rem 1.5rem; box-sizing: border-box;
           font-size: 15px; }
#summary .findings { font-size: 0.85rem; columns: 2; column-gap: 1.5rem; }
#summary .findings li { break-inside: avoid; }
#summary td:first-child { min-width: 9em; }
#summary h1 { margin: 0 0 0.2rem; font-size: 1.6rem; }
#summary .findings { padding-left: 1.1rem; margin: 0.3rem 0; }
#summary .findings li { margin-bottom: 0.3rem; }
#summary .question { font-size: 0.92rem; display: block; color: #333; }
#summary table { font-size: 0.85rem; margin: 0.4rem 0; }
#summary figure { margin: 0.4rem 0; }
#summary figure img { max-height: 400px; max-width: 100%; width: auto; }
@media (min-width: 1400px) {
  #summary { display: grid; grid-template-columns: 1.55fr 1fr; gap: 1.5rem; align-items: start; }
}
details summary { cursor: pointer; color: #0072B2; margin: 0.4rem 0; }
@media print { h2 { page-break-before: always; } #summary { page-break-after: always; }
               #summary figure img { max-height: 8cm; } }
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


def _drawn(of: Sequence[charts.Chart], stem: str) -> Any:
    """The chart named `stem` among `of`, drawn: the others are not drawn for nothing."""
    return next(chart for chart in of if chart.stem == stem).figure()


def _figure(fig, alt: str, caption: str, css: str = "") -> str:
    data = base64.b64encode(charts.png_bytes(fig)).decode("ascii")
    klass = f" class=\"{css}\"" if css else ""
    return (f"<figure{klass}><img src=\"data:image/png;base64,{data}\" alt=\"{_e(alt)}\">"
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _comparison_row(results: Results, run: RunFolder, metric: str):
    table = results.comparison
    if table is None or run is results.baseline:
        return None
    rows = table[(table["scenario"] == run.name) & (table["metric"] == metric)]
    return None if rows.empty else rows.iloc[0]


def _share_parts(stats) -> tuple[str, str]:
    """The share of histories with a disclosure and its interval, as the tables show
    them; dashes for a folder written before the share was kept."""
    if "any_transferred" not in stats.index:
        return "–", "–"
    s = stats.loc["any_transferred"]
    return f"{s['mean']:.0%}", f"{s['ci95_low']:.0%} to {s['ci95_high']:.0%}"


def _share_text(stats) -> str:
    share, interval = _share_parts(stats)
    return share if interval == "–" else f"{share} ({interval})"


def _glance(results: Results) -> str:
    """The at-a-glance table: one row per scenario, each figure with its interval."""
    base = results.baseline
    compared = results.comparison is not None and len(results.runs) > 1
    after = any(charts.has_after(r) for r in results.runs)
    # A column for what each question is about, where one is about more than records.
    own = any(headline_of(r) != "transferred" for r in results.runs)
    rows, attrs = [], []
    for run in results.runs:
        s = run.stats.set_index("metric")
        t = s.loc["transferred"]
        cells = [(title_of(run), ""),
                 (f"{_num(t['mean'])} ({interval_text(t['ci95_low'], t['ci95_high'])})", "num"),
                 (_share_text(s), "num")]
        if compared:
            r = _comparison_row(results, run, "transferred")
            cells.append(("—", "num") if r is None else (
                f"{_num(r['diff_mean'], True)} "
                f"({interval_text(r['diff_ci95_low'], r['diff_ci95_high'], signed=True)})", "num"))
        first = s.loc["first_transfer_days"]
        cells.append((median_first_disclosure(run.stats, run.scenario.scenario.start), "num"))
        if compared:
            r = _comparison_row(results, run, "first_transfer_days")
            shift = "—" if r is None or math.isnan(r["diff_mean"]) else (
                f"{r['diff_mean']:+.1f} days ({int(r['diff_replications'])} pairs)")
            cells.append((shift, "num"))
        cells.append((f"{int(first['replications'])} of {run.replications}", "num"))
        if after:
            u = s.loc["usable_at_horizon"] if "usable_at_horizon" in s.index else None
            d = s.loc["usable_record_days"] if "usable_record_days" in s.index else None
            cells.append(("–" if u is None else _num(u["mean"]), "num"))
            cells.append(("–" if d is None else _num(d["mean"]), "num"))
        if results.verdicts is not None:
            row = verdict_of(results.verdicts, run)
            cells += ([("—", "num"), ("—", "")] if row is None else
                      [(range_text(row), "num"), (verdict_words(row).split(":")[0] + (
                          "" if row["verdict"] == "settled" else f": {row['condition']}"), "")])
        if own:
            cells.append(("records disclosed" if headline_of(run) == "transferred" else
                          headline_text(run, results.comparison if compared else None, base), ""))
        rows.append(cells)
        attrs.append(f"data-scenario=\"{_e(run.name)}\"")
    headers = ["scenario", "records disclosed, mean (95% CI)", "histories with a disclosure"]
    if compared:
        headers.append(f"difference from {title_of(base)} (paired 95% CI)")
    headers.append("first disclosure, median")
    if compared:
        headers.append("date shift, mean")
    headers.append("histories the dates rest on")
    if after:
        headers += ["usable by ICE at the horizon (mean)", "record-days usable (mean)"]
    if results.verdicts is not None:
        headers += ["over what the record leaves open (5–95%)", "verdict"]
    if own:
        headers.append("its question's figure")
    return _table(headers, rows, row_attrs=attrs)


def _tradeoff(results: Results) -> str:
    """Both sides of the trade-off, one row per scenario: records disclosed and people
    reached beside returns not filed and revenue not paid (a what-if's difference from the
    baseline beside a comparison), with the sentence that says what returns and revenue
    rest on. Empty where no scenario counts people or filers."""
    # Each run's mean of each metric: NaN where the run cannot say (or its folder predates it).
    means = [r.stats.set_index("metric")["mean"].reindex(TRADEOFF_METRICS).astype(float)
             for r in results.runs]
    known = [m for m in TRADEOFF_METRICS if any(not math.isnan(mean[m]) for mean in means)]
    if known == ["transferred"]:
        return ""
    base = results.baseline
    compared = results.comparison is not None and len(results.runs) > 1
    rows, attrs = [], []
    for run, mean in zip(results.runs, means):
        cells = [(title_of(run), "")]
        for metric in known:
            r = _comparison_row(results, run, metric) if compared else None
            value = float(r["diff_mean"]) if r is not None else mean[metric]
            cells.append(("unknown" if math.isnan(value) else
                          difference_value_text(value, metric) if r is not None else
                          metric_text(run, metric), "num"))
        rows.append(cells)
        attrs.append(f"data-scenario=\"{_e(run.name)}\"")
    headers = ["scenario", *(METRIC_LABELS[m] for m in known)]
    caption = (f"{title_of(base)}: its own figures (means); every other scenario: its "
               "difference from them." if compared else "Means across the histories.")
    basis = (f"<p class=\"basis\">{_e(FILING_BASIS)}</p>"
             if any(m in FILING_METRICS for m in known) else "")
    return (f"<h2>Both sides of the trade-off</h2>{_table(headers, rows, caption, attrs)}"
            + basis)


def case_title(results: Results) -> str:
    """The report's heading: the IRS case's, or the baseline's title for another case."""
    base = results.baseline
    if charts.is_baseline(base):
        return "IRS–ICE address sharing, 2025: what happened and what if"
    return f"{title_of(base)}: what happened and what if"


def _same_titles(results: Results) -> str:
    """A warning where two scenarios shown share a title, which a reader could not tell apart."""
    names: dict[str, list[str]] = {}
    for run in results.runs:
        names.setdefault(title_of(run), []).append(run.name)
    shared = {title: n for title, n in names.items() if len(n) > 1}
    return "".join(f"<p class=\"warning\" role=\"alert\">Scenarios {_e(', '.join(n))} share "
                   f"the title “{_e(title)}”: below they are told apart by their names.</p>"
                   for title, n in shared.items())


def _summary(results: Results, made: dt.date) -> str:
    """The first page: what was asked, what was found, in words, a table and a chart."""
    base = results.baseline
    table = results.comparison
    items = []
    for run in results.runs:
        question = run.scenario.scenario.question
        sentence = scenario_sentence(run, table, base if len(results.runs) > 1 else None,
                                     brief=True)
        row = verdict_of(results.verdicts, run)
        if row is not None:
            sentence += f" Over what the record leaves open: {verdict_words(row)}."
        items.append(f"<li data-scenario=\"{_e(run.name)}\">"
                     + (f"<span class=\"question\">{_e(question)}</span> " if question else "")
                     + f"{_e(sentence)}</li>")
    if table is not None and len(results.runs) > 1:
        chart = _figure(_drawn(charts.comparison_charts(results.runs, table), "comparison"),
                        f"Bar chart: each what-if's difference from {title_of(base)} in records "
                        "disclosed, with paired 95% intervals",
                        "Difference in records disclosed, paired replication by replication "
                        "(the scenarios share their random numbers), with its 95% interval.",
                        css="summary-chart")
    else:
        chart = _figure(_drawn(charts.run_charts(base), "disclosures"),
                        f"Line chart: records disclosed over time in {title_of(base)}",
                        "Cumulative records disclosed: the median history, the mean and the "
                        "range of 90% of histories.", css="summary-chart")
    return "\n".join([
        "<section id=\"summary\"><div class=\"words\">",
        f"<h1>{_e(case_title(results))}</h1>",
        _same_titles(results),
        f"<p class=\"muted\">Made {made:%Y-%m-%d} with flowsim {__version__}: "
        f"{base.replications} replications (histories) per scenario, seed {base.seed}"
        + ("; every scenario shares its random numbers with the others." if len(results.runs) > 1
           else ".") + "</p>",
        _glance(results),
        _tradeoff(results),
        "<ul class=\"findings\">" + "".join(items) + "</ul>", "</div>",
        "<div class=\"picture\">", chart, "</div>",
        "</section>",
    ])


def _details(results: Results) -> str:
    """The charts of every scenario together, after the summary."""
    if len(results.runs) < 2:
        return ""
    figures = None if results.comparison is None else {
        c.stem: c.figure() for c in charts.comparison_charts(results.runs, results.comparison)
        if c.stem != "comparison"}  # the summary shows that one
    disclosures = (figures or {}).get("disclosures") or charts.disclosure_figure(
        [charts.panel_of(r) for r in results.runs])
    outcomes = (figures or {}).get("outcomes") or charts.outcomes_figure(
        [(title_of(r), charts.outcome_means(r.stats)) for r in results.runs])
    return "\n".join([
        "<section id=\"overview\"><h2>The scenarios side by side</h2>",
        _figure(disclosures, "Small multiples: cumulative records disclosed over time, one "
                "panel per scenario with its own court rules",
                "Each panel: the median history (line), the mean (dashed) and the range of 90% "
                "of histories (shaded), with the scenario's own rules; the dotted grey line is "
                f"the median of {title_of(results.baseline)}. Each panel has its own scale."),
        _figure(outcomes, "Stacked bars: where each scenario's records ended beyond review and "
                "matching", "Records rejected by review and not matched are given as numbers; "
                "the bars share out the rest."),
        _figure(figures["after_disclosure"], "Small multiples: what ICE may do with the records "
                "over time, per scenario", "After disclosure, by what ICE may do with the "
                "records (mean over histories), each scenario with its own orders.")
        if figures and "after_disclosure" in figures else "",
        "</section>",
    ])


def _record(run: RunFolder) -> str:
    rows = [[(r.figure, ""), (r.record, "num"), (r.model, "num"), (r.spread, "num"),
             (r.source, "")] for r in record_rows(run.metrics, run.scenario.scenario.start)]
    return "\n".join([
        "<section id=\"record\"><h2>Does the model reproduce the record?</h2>",
        f"<p>The figures reported in public beside those of “{_e(title_of(run))}”.</p>",
        _table(["figure", "record", f"model, mean of {run.replications} replications",
                "model, 5–95% of replications", "source"], rows),
        "</section>",
    ])


def _what_it_assumes(run: RunFolder, row: Any = None) -> str:
    """Beside a finding: the values its files mark ASSUMPTION and, after an exploration,
    what the answer was found to depend on (its verdict row)."""
    assumed = [p for p in run.parameters if "ASSUMPTION" in p.get("note", "")]
    depends = [k for k in (row["depends_on"].split(";") if row is not None and
                           isinstance(row["depends_on"], str) else []) if k]
    if not assumed and not depends:
        return ""
    items = [f"<li><code>{_e(p['key'])}</code> = {_e(p['value'])}: {_e(p['note'])}</li>"
             for p in assumed]
    if depends:
        items.append("<li>its answer depends most on " + ", ".join(
            f"<code>{_e(k)}</code>" for k in depends) + " (explored across its range)</li>")
    return ("<details class=\"assumes\"><summary>What this assumes</summary><ul>"
            + "".join(items) + "</ul></details>")


def _assumptions(run: RunFolder, base: RunFolder) -> str:
    shown = [p for p in run.parameters if not p["key"].startswith("scenario.")]
    if not shown:
        return ("<h3>Assumptions</h3><p class=\"muted\">This results folder records no "
                "parameter notes.</p>")
    every = _table(["parameter", "value", "set in", "citation or assumption"],
                   [[(p["key"], ""), (p["value"], ""), (p["source"], ""), _cited(p["note"])]
                    for p in shown])
    fold = (f"<details><summary>All {len(shown)} values, with the file each comes from and "
            f"its citation or assumption</summary>{every}</details>")
    if run is base:
        return "<h3>Assumptions</h3>" + fold
    mine = {p["key"]: p for p in run.parameters}
    theirs = {p["key"]: p for p in base.parameters}
    keys = [k for k in dict.fromkeys([*mine, *theirs])
            if not k.startswith("scenario.")
            and (mine.get(k, {}).get("value") != theirs.get(k, {}).get("value"))]
    heading = f"<h3>Assumptions: what differs from {_e(title_of(base))}</h3>"
    if not keys:
        return heading + "<p>No parameter differs.</p>" + fold
    rows = [[(k, ""), (mine.get(k, {}).get("value", "(not set)"), ""),
             (theirs.get(k, {}).get("value", "(not set)"), ""),
             _cited(mine.get(k, {}).get("note", ""))] for k in keys]
    return heading + _table(["parameter", "this scenario", title_of(base),
                             "citation or assumption"], rows) + fold


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
    share, interval = _share_parts(stats)
    rows.append([("histories with a disclosure", ""), (share, "num"), (interval, "num"),
                 ("", "num")])
    attrs.append("data-metric=\"any_transferred\"")
    return ("<h3>Headline numbers</h3>"
            + f"<p class=\"lead\">{_e(headline_text(run))}</p>"
            + _table(["", "mean", "95% CI of the mean", "5–95% of replications"], rows,
                     caption=f"{run.replications} replications, seed {run.seed}; a share's "
                     "interval is Wilson's", row_attrs=attrs))


def _scenario(run: RunFolder, base: RunFolder, verdicts: Any = None) -> str:
    meta = run.scenario.scenario
    figures = charts.run_figures(run)
    verdict = verdict_of(verdicts, run)
    return "\n".join([
        f"<section id=\"scenario-{_e(run.name)}\" data-scenario=\"{_e(run.name)}\">",
        f"<h2>{_e(title_of(run))} <code>{_e(run.name)}</code></h2>",
        f"<p class=\"question\">{_e(meta.question)}</p>" if meta.question else "",
        f"<p>{_e(scenario_sentence(run))}</p>",
        (f"<p class=\"verdict\">Over what the record leaves open: "
         f"{_e(verdict_words(verdict))}.</p>" if verdict is not None else ""),
        _what_it_assumes(run, verdict),
        f"<p class=\"muted\">From {meta.start:%Y-%m-%d} to {meta.end:%Y-%m-%d}.</p>",
        _headline(run),
        _figure(figures["disclosures"], f"Line chart: records disclosed over time in "
                f"{title_of(run)}", "Cumulative records disclosed: the median history, the "
                "mean (dashed) and the range of 90% of histories; dotted lines mark notice "
                "rules, the solid line the injunction."),
        _figure(figures["outcomes"], f"Stacked bar: where the records of {title_of(run)} ended",
                "Records rejected by review and not matched as numbers; the bar shares out "
                "the rest."),
        _figure(figures["after_disclosure"], f"Stacked areas: what ICE may do with the records "
                f"of {title_of(run)} over time", "After disclosure: the records ICE was sent "
                "or could view, by what it may do with them (mean over histories); dashed "
                "lines mark the court's orders.") if "after_disclosure" in figures else "",
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


def _head(title: str, style: str, *, main: bool = True) -> list[str]:
    return ["<!doctype html>",
            "<html lang=\"en\"><head><meta charset=\"utf-8\">",
            f"<meta name=\"generator\" content=\"flowsim {__version__}\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            f"<title>{_e(title)}</title>",
            f"<style>{style}</style></head><body>" + ("<main>" if main else "")]


def _glossary() -> str:
    """The words the report uses: the one glossary the page and the docs use too."""
    items = "".join(f"<dt id=\"g-{_e(t.anchor)}\">{_e(t.term)}</dt><dd>{_e(t.meaning)}</dd>"
                    for t in GLOSSARY)
    return f"<section id=\"glossary\"><h2>Words used</h2><dl>{items}</dl></section>"


def _made_with(run: RunFolder) -> str:
    """The appendix: the software and the machine the baseline's run was made with, from
    its manifest (a folder written before these were kept says so)."""
    doc = run.manifest
    packages = doc.get("packages") or {}
    machine = doc.get("hardware") or {}
    rows = [("flowsim", str(doc.get("flowsim", "not recorded")))]
    rows += [(name, str(version)) for name, version in packages.items()]
    rows += [(f"hardware: {key.replace('_', ' ')}", str(value))
             for key, value in machine.items()] or [("hardware", "not recorded")]
    return ("<section id=\"made-with\"><h2>How it was made</h2><p>The software and the "
            f"machine that ran {_e(title_of(run))}, from its manifest.json.</p>"
            + _table(["what", "version or value"], [[(a, ""), (b, "")] for a, b in rows])
            + "</section>")


def render(results: Results, *, made: dt.date | None = None) -> str:
    """The report as one self-contained HTML document: a one-page summary first."""
    made = made or dt.date.today()
    base = results.baseline
    names = [r.name for r in results.runs]
    nav = "".join(f"<li><a href=\"#scenario-{_e(r.name)}\">{_e(title_of(r))}</a></li>"
                  for r in results.runs)
    shows_record = charts.is_baseline(base)
    body = [
        *_head(f"flowsim report: {', '.join(names)}", STYLE, main=False),
        _summary(results, made),
        "<main>",
        "<nav><h2>Contents</h2><ul><li><a href=\"#summary\">Summary</a></li>"
        + ("<li><a href=\"#overview\">The scenarios side by side</a></li>"
           if len(names) > 1 else "")
        + ("<li><a href=\"#record\">The record</a></li>" if shows_record else "")
        + f"{nav}<li><a href=\"#facts\">The record cited</a></li>"
        "<li><a href=\"#reading\">How to read this report</a></li>"
        "<li><a href=\"#glossary\">Words used</a></li>"
        "<li><a href=\"#made-with\">How it was made</a></li></ul></nav>",
        _details(results),
        _record(base) if shows_record else "",
        *(_scenario(run, base, results.verdicts) for run in results.runs),
        _facts(results),
        READING,
        _glossary(),
        _made_with(base),
        "</main></body></html>",
    ]
    return "\n".join(part for part in body if part) + "\n"


HANDOUT_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1a1a1a; background: #fff; }
section.sheet { width: 277mm; min-height: 190mm; margin: 0 auto; padding: 10mm;
                box-sizing: border-box; page-break-after: always; break-after: page; }
h1 { font-size: 30pt; margin: 0 0 4pt; }
.question { font-size: 16pt; font-style: italic; margin: 0 0 6pt; }
.sentence { font-size: 18pt; margin: 0 0 8pt; }
img { width: 100%; aspect-ratio: 16 / 9; height: auto; }
.muted { color: #555; font-size: 11pt; }
@page { size: A4 landscape; margin: 8mm; }
"""


def render_handout(results: Results, *, made: dt.date | None = None) -> str:
    """One printable sheet per scenario: its question, the finding in words and a 16:9
    chart of its disclosures in large type."""
    made = made or dt.date.today()
    base = results.baseline
    sheets = []
    for run in results.runs:
        other = base if run is not base else None
        panel = charts.panel_of(run, reference=other,
                                record=run is base and charts.is_baseline(run))
        data = base64.b64encode(charts.png_bytes(charts.disclosure_figure([panel], large=True),
                                                 dpi=120)).decode("ascii")
        question = run.scenario.scenario.question
        sheets.append("\n".join([
            f"<section class=\"sheet\" data-scenario=\"{_e(run.name)}\">",
            f"<h1>{_e(title_of(run))}</h1>",
            f"<p class=\"question\">{_e(question)}</p>" if question else "",
            f"<p class=\"sentence\">{_e(scenario_sentence(run, results.comparison, other))}</p>",
            f"<img src=\"data:image/png;base64,{data}\" alt=\"Line chart: records disclosed "
            f"over time in {_e(title_of(run))}\">",
            f"<p class=\"muted\">flowsim {__version__}, made {made:%Y-%m-%d}: "
            f"{run.replications} replications, seed {run.seed}. Line: the median history; "
            "dashed: the mean; shaded: 90% of histories.</p>",
            "</section>"]))
    return "\n".join([*_head(f"flowsim handout: {', '.join(r.name for r in results.runs)}",
                              HANDOUT_STYLE), *sheets, "</main></body></html>"]) + "\n"


SWEEP_COLUMNS = ("mean", "ci95_low", "ci95_high", "p05", "p95", "replications")


def render_sweep(swept, *, made: dt.date | None = None) -> str:
    """A sweep's report: each main metric against the varied keys, as a chart and a
    table."""
    made = made or dt.date.today()
    meta = swept.scenario
    title = meta.get("title") or swept.name
    stats = swept.stats
    parts = [*_head(f"flowsim sweep report: {swept.name}", STYLE),
             "<section id=\"summary\">",
             f"<h1>{_e(title)}: a sweep over {_e(', '.join(swept.keys))}</h1>",
             f"<p class=\"question\">{_e(meta.get('question', ''))}</p>" if meta.get("question") else "",
             f"<p class=\"muted\">Made {made:%Y-%m-%d} with flowsim {__version__} from "
             f"{_e(str(swept.folder))}: {stats['point'].nunique()} points, "
             f"{int(swept.manifest.get('replications', 0))} replications each, seed "
             f"{_e(swept.manifest.get('seed', ''))}, common random numbers across points.</p>",
             _figure(charts.sweep_figure(stats, swept.keys), "Line charts: each metric against "
                     f"{swept.keys[0]}", "Mean over the replications at each point, with its "
                     "95% interval shaded.", css="summary-chart"),
             "</section>"]
    for metric in charts.SWEEP_METRICS:
        rows = stats[stats["metric"] == metric]
        if rows.empty:
            continue
        unit = METRIC_UNITS[metric]
        share, days = unit == "share", unit == "days"

        def cell(v: float) -> str:
            if isinstance(v, float) and math.isnan(v):
                return "–"
            return f"{v:.1%}" if share else f"{v:.2f}" if days else _num(v)

        body = [[*((str(r[k]), "") for k in swept.keys),
                 *((cell(float(r[c])) if c != "replications" else str(int(r[c])), "num")
                   for c in SWEEP_COLUMNS)] for _, r in rows.iterrows()]
        label = LABELS.get(metric, "share of histories with a disclosure" if share else metric)
        parts.append(f"<section><h2>{_e(label)}</h2>"
                     + _table([*swept.keys, "mean", "95% CI, low", "95% CI, high", "5% of runs",
                               "95% of runs", "replications"], body) + "</section>")
    parts += [READING, "</main></body></html>"]
    return "\n".join(p for p in parts if p) + "\n"
