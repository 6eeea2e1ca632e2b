"""Text that a spreadsheet would run as a formula, written so that it shows as text.

Shared by every layer that writes table text: the sweep's point rows are written where
the points run, the other tables by `outputs`.
"""

from __future__ import annotations

import pandas as pd

# A text cell that a spreadsheet would run as a formula starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(value: object) -> bool:
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False  # a negative number written as text is a number, not a formula


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with every formula-like text cell prefixed by an apostrophe, which
    spreadsheets read as "this is text" (the OWASP advice for CSV injection)."""
    changed = {}
    for name in table.columns:
        column = table[name]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
            continue
        bad = [v for v in pd.unique(column) if _formula_like(v)]
        if bad:
            changed[name] = column.map(lambda v: "'" + v if _formula_like(v) else v)
    return table.assign(**changed) if changed else table
