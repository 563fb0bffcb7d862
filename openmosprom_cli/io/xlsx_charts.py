"""Native Excel charts of a sheet's table (``Sheet.charts``), drawn by Excel from the written cells.

A chart also carries a copy of what it shows (its cache); in constant-memory
mode the written cells cannot be read back, so the charted columns' values are
kept as the rows stream past (:func:`keep_charted`).
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Iterable, Iterator, Sequence

from xlsxwriter.utility import xl_cell_to_rowcol

from openmosprom_cli.io.writer import Cell, Chart, Sheet, visible_text


def keep_charted(rows: Iterable[Sequence[object]], charted: dict[int, list[object]]) -> Iterator[Sequence[object]]:
    """The rows as they are, with the values of the columns in ``charted`` appended to its lists."""
    for values in rows:
        for col, kept in charted.items():
            value = values[col] if col < len(values) else None
            kept.append(_chart_value(value.value if isinstance(value, Cell) else value))
        yield values


def add_chart(workbook, ws, sheet: Sheet, count: int, spec: Chart, number: int, *, header_row: int,
              first_data_row: int, last_row: int, wrote_rows: bool, charted: dict[int, list[object]]) -> None:
    """A native chart over the table's cells: xlsxwriter writes the ranges, Excel draws from them."""
    last = last_row - spec.skip_last
    if workbook is None or not wrote_rows or last < first_data_row:
        return      # no rows, no chart: an empty chart says nothing
    for col in (spec.categories, *spec.values):
        if not 0 <= col < count:
            raise ValueError(f"chart {spec.title!r}: no column {col} in sheet {sheet.name!r}")
    name = sheet.name
    options: dict[str, object] = {"type": spec.kind}
    if spec.stacked and spec.kind in ("column", "bar"):
        options["subtype"] = "stacked"
    chart = workbook.add_chart(options)
    charted_rows = last - first_data_row + 1
    for col in spec.values:
        series: dict[str, object] = {
            "categories": [name, first_data_row, spec.categories, last, spec.categories],
            "values": [name, first_data_row, col, last, col],
            # xlsxwriter's own (undocumented) way to give the cache when it cannot read the cells back.
            "categories_data": charted[spec.categories][:charted_rows],
            "values_data": charted[col][:charted_rows],
        }
        if sheet.header:
            series["name"] = [name, header_row, col]
        if spec.kind == "pie":
            series["data_labels"] = {"percentage": True}
        chart.add_series(series)
    chart.set_title({"name": spec.title, "name_font": {"size": 12}})
    if spec.kind != "pie":
        value_axis: dict[str, object] = {"name": spec.y_title} if spec.y_title else {}
        if spec.percent:
            value_axis.update(num_format="0%", max=1, min=0)
        category_axis: dict[str, object] = {"name": spec.x_title} if spec.x_title else {}
        x_axis, y_axis = category_axis, value_axis
        if spec.kind == "bar":   # horizontal: the values run along x, the categories down y, the first on top
            x_axis, y_axis = value_axis, {**category_axis, "reverse": True}
        chart.set_x_axis(x_axis)
        chart.set_y_axis(y_axis)
    chart.set_legend({"position": "bottom"} if len(spec.values) > 1 or spec.kind == "pie" else {"none": True})
    chart.set_size({"width": 640, "height": 320})
    if spec.anchor is not None:
        row, col = xl_cell_to_rowcol(spec.anchor)
    else:
        row, col = header_row + 17 * number, count + 1
    ws.insert_chart(row, col, chart)


def _chart_value(value: object) -> object:
    """A value as a chart's cache holds it: numbers as they are, anything else as the text the cell shows."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return "" if value is None else visible_text(str(value))


