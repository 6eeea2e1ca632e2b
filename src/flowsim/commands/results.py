"""report and charts: read results folders back and draw them."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from . import Command
from .options import EXIT_OK


def report_command(args: argparse.Namespace) -> int:
    from ..outputs.readers import is_sweep, read_results, read_sweep
    from ..outputs.report import render, render_handout, render_sweep
    from ..outputs.writers import check_report_file, write_report_file

    output = args.output or Path("handout.html" if args.handout else "report.html")
    check_report_file(output, force=args.force)  # before any results are read
    if any(is_sweep(f) for f in args.folders):
        if len(args.folders) > 1 or args.handout:
            raise InputError("a sweep's report is of that sweep alone; give its folder on its "
                             "own, without --handout", source=str(args.folders[0]))
        page = render_sweep(read_sweep(args.folders[0]))
    else:
        results = read_results(args.folders)
        page = render_handout(results) if args.handout else render(results)
    write_report_file(output, page, force=args.force)
    print(f"wrote {output} ({len(page) / 1e6:.1f} MB)")
    return EXIT_OK


def charts_command(args: argparse.Namespace) -> int:
    from ..outputs.charts import Chart, comparison_charts, run_charts, sweep_figure
    from ..outputs.readers import is_sweep, read_results, read_sweep
    from ..outputs.writers import redraw_figures

    for folder in args.folders:
        if is_sweep(folder):
            swept = read_sweep(folder)
            written = redraw_figures([Chart("sweep", sweep_figure, (swept.stats, swept.keys))],
                                     folder)
        elif (folder / "comparison.csv").exists():
            results = read_results([folder])
            written = redraw_figures(comparison_charts(results.runs, results.comparison),
                                     folder)
        else:
            written = redraw_figures(run_charts(read_results([folder]).baseline), folder)
        print(f"{folder}: " + ", ".join(written))
    return EXIT_OK


def _report_arguments(r: argparse.ArgumentParser) -> None:
    r.add_argument("folders", nargs="+", metavar="RESULTS_DIR", type=Path)
    r.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="the HTML file to write (default report.html, or handout.html with "
                   "--handout); an existing file is replaced only if it is a flowsim report")
    r.add_argument("--handout", action="store_true",
                   help="instead, one printable landscape sheet per scenario: its question, "
                   "its finding in words and a 16:9 chart in large type")
    r.add_argument("--force", action="store_true",
                   help="replace --output even if flowsim did not write it")


def _charts_arguments(g: argparse.ArgumentParser) -> None:
    g.add_argument("folders", nargs="+", metavar="RESULTS_DIR", type=Path)


REPORT = Command(
    "report", "one self-contained HTML page of results folders",
    "Write one HTML file (charts inlined, nothing loaded from the network) of the results "
    "folders of `run`, `compare` or `sweep`: a one-page summary first (each scenario's "
    "question and finding in words, the table at a glance, the comparison chart), then each "
    "scenario's headline numbers, charts and assumptions, and the record beside the "
    "baseline. A scenario named baseline, or else the first, is the baseline.",
    report_command, _report_arguments)

CHARTS = Command(
    "charts", "draw (again) the charts of results folders",
    "Draw the PNG and SVG charts of results folders from their CSV files: for a run, "
    "disclosures and outcomes; for a compare, those of all its scenarios and the "
    "comparison; for a sweep, each metric against the varied key.",
    charts_command, _charts_arguments)
