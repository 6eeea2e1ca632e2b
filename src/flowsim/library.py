"""Where the files flowsim ships are: its scenario library, the public record its
citations name, and the calibration files. They are package data (`shipped/`, links to
the checkout's own folders), so an installed flowsim finds them from any folder."""

from __future__ import annotations

from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "shipped"
SCENARIOS = (SHIPPED / "scenarios").resolve()
RECORD_FILE = (SHIPPED / "record" / "record.md").resolve()
CALIBRATION = (SHIPPED / "calibration").resolve()
# A case's calibration files, in the folder beside its scenarios' folder: what the record
# cannot test, the record-consistent sets, and the record's figures.
CALIBRATION_FILES = ("assumptions.toml", "ensemble.csv", "targets.toml")
