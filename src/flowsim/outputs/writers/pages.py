"""Single files a user names: an HTML report, and a scenario file calibrate writes; each
replaced only if flowsim wrote it."""

from __future__ import annotations

from pathlib import Path

from ..folders import check_file, starts_with, write_file

REPORT_MARK = '<meta name="generator" content="flowsim'


def check_report_file(path: Path, *, force: bool = False) -> Path:
    """Refuse, before any work, a report path that write_report_file would refuse."""
    return check_file(path, ours=starts_with(REPORT_MARK), force=force, option="--output")


def write_report_file(path: Path, page: str, *, force: bool = False) -> Path:
    """The report's HTML, whole; an existing file only if it is a flowsim report."""
    return write_file(path, page, ours=starts_with(REPORT_MARK), force=force, option="--output")


def check_scenario_file(path: Path, *, force: bool = False) -> Path:
    """Refuse, before any work, a path that write_scenario_file would refuse."""
    from ..scenario_files import SCENARIO_MARK

    return check_file(path, ours=starts_with(SCENARIO_MARK), force=force,
                      option="--write-scenario")


def write_scenario_file(path: Path, text: str, *, force: bool = False) -> Path:
    """A calibrated scenario file, whole; an existing file only if calibrate wrote it."""
    from ..scenario_files import SCENARIO_MARK

    return write_file(path, text, ours=starts_with(SCENARIO_MARK), force=force,
                      option="--write-scenario")
