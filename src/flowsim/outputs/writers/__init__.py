"""Writing a run's results: CSV tables and a manifest, whole or not at all.

Every writer takes its folder as a path or as an `OutputFolder` already claimed by the
command line; either way the folder is checked and replaced whole (see `folders`).

One module a family: `files` (whole folders, tables, charts), `run`, `compare`,
`pages` (a report, a scenario file), `fits` (calibrate, sensitivity)."""

from __future__ import annotations

from .compare import (  # noqa: F401
    compare_headline,
    daily_disclosures,
    write_comparison,
)
from .files import (  # noqa: F401
    Out,
    draw_charts,
    fill_folder,
    redraw_figures,
    save_files,
    write_csv,
    write_figures,
)
from .fits import (  # noqa: F401
    write_calibration,
    write_ensemble,
    write_sensitivity,
)
from .pages import (  # noqa: F401
    REPORT_MARK,
    check_report_file,
    check_scenario_file,
    write_report_file,
    write_scenario_file,
)
from .run import (  # noqa: F401
    TABLES,
    assumptions_table,
    by_date,
    daily_wide,
    file_tables,
    run_headline,
    run_manifest,
    run_sheets,
    write_results,
    write_run_files,
)
