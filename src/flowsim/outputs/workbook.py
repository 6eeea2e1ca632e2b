"""results.xlsx: the run's tables as a workbook that a spreadsheet user can trust.

Written with XlsxWriter (write-only, fast, no spreadsheet program needed). The sheets
hold the same rounded numbers as the CSV files, with real dates, number formats by
unit, frozen header rows and the data dictionary; the first sheet says in words what
the run found.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from .tables import DECIMALS, dictionary_table

NUMBER_FORMATS = {places: "#,##0" if places == 0 else "0." + "0" * places
                  for places in set(DECIMALS.values())}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH = 60
FIXED_CREATED = dt.datetime(1980, 1, 1)


@dataclass(frozen=True)
class Sheet:
    """A table to write as one sheet. `units` names a column whose value (records,
    days, share, ...) sets each row's number format; `dates` and `datetimes` are ISO
    text columns written as real dates."""

    name: str
    table: pd.DataFrame
    units: str | None = None
    unit: str | None = None          # one unit for every number of the sheet
    dates: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()
    widths: dict[str, int] = field(default_factory=dict)


def _places(unit: str | None) -> int:
    return DECIMALS.get(unit or "records", 0)


@functools.lru_cache(maxsize=4096)
def _parse(text: object, fmt: str) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return dt.datetime.strptime(text[:19], fmt)


def write_workbook(path: Path, headline: Sequence[Sequence[str]], sheets: Sequence[Sheet]) -> None:
    """A workbook of a headline sheet (lines of text cells, the first a title) and one
    sheet per table, then the data dictionary."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True, "constant_memory": True,
                                           "default_date_format": DATE_FORMAT})
    # A fixed creation time: the same run gives the same bytes (as SOURCE_DATE_EPOCH
    # builds do); when the results were made is the files' own time.
    book.set_properties({"created": FIXED_CREATED})
    try:
        bold = book.add_format({"bold": True})
        title = book.add_format({"bold": True, "font_size": 14})
        header = book.add_format({"bold": True, "bg_color": "#EEF3F8", "bottom": 1,
                                  "text_wrap": True, "valign": "top"})
        numbers = {p: book.add_format({"num_format": f}) for p, f in NUMBER_FORMATS.items()}
        date = book.add_format({"num_format": DATE_FORMAT})
        datetime = book.add_format({"num_format": DATETIME_FORMAT})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})

        first = book.add_worksheet("headline")
        first.set_column(0, 0, 44)
        first.set_column(1, 6, 22)
        for r, line in enumerate(headline):
            for c, cell in enumerate(line):
                if isinstance(cell, (int, float)) and not isinstance(cell, bool):
                    if not math.isnan(cell):
                        first.write_number(r, c, cell, numbers[0])
                else:
                    first.write_string(r, c, str(cell), title if r == 0 else
                                       bold if c == 0 and len(line) > 1 else None)

        for sheet in [*sheets, Sheet("dictionary", dictionary_table(),
                                     widths={"table": 26, "column": 30, "unit": 16,
                                             "meaning": 90})]:
            ws = book.add_worksheet(sheet.name)
            table = sheet.table
            columns = list(table.columns)
            for c, name in enumerate(columns):
                ws.write_string(0, c, name, header)
                width = sheet.widths.get(name, min(MAX_WIDTH, max(10, len(name) + 2)))
                ws.set_column(c, c, width, wrap if width >= 40 else None)
            ws.freeze_panes(1, 0)
            if len(table):
                ws.autofilter(0, 0, len(table), len(columns) - 1)
            row_places = ([_places(u) for u in table[sheet.units]] if sheet.units
                          else [_places(sheet.unit)] * len(table))
            kinds = [("date" if name in sheet.dates else "datetime" if name in sheet.datetimes
                      else "whole" if pd.api.types.is_integer_dtype(table[name].dtype)
                      else "number" if pd.api.types.is_numeric_dtype(table[name].dtype)
                      else "text") for name in columns]
            # Row by row, as constant_memory mode needs: each row goes to disk when done.
            for r, (values, places) in enumerate(zip(table.itertuples(index=False, name=None),
                                                    row_places), start=1):
                for c, (kind, value) in enumerate(zip(kinds, values)):
                    if kind == "text":
                        if isinstance(value, str) and value:
                            ws.write_string(r, c, value)
                    elif kind == "date" or kind == "datetime":
                        moment = _parse(value, "%Y-%m-%d" if kind == "date" else
                                        "%Y-%m-%dT%H:%M:%S")
                        if moment is not None:
                            ws.write_datetime(r, c, moment, date if kind == "date" else datetime)
                    elif value is not None and value == value:  # NaN stays an empty cell
                        ws.write_number(r, c, value, None if kind == "whole" else numbers[places])
    finally:
        book.close()
