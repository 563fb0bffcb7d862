"""Native Excel charts from the one table writer: over the written cells, with their caches, and only where there
is something to draw."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest

from openmosprom_cli.io.writer import Chart, Sheet, write_table, write_workbook
from tests.report.charts import charts_of


def test_a_chart_draws_the_tables_rows_named_by_the_headers(tmp_path):
    rows = [("Эстет", 10, 7), ("Ил", 8, 8), (dt.date(2026, 12, 14), 5, 1), ("Итого", 23, 16)]
    sheet = Sheet("Места «по» площадкам", ["Площадка", "Мест", "Занято"], rows, title="Заголовок",
                  block=[("Примечание", "текст"), ("Ещё", 1)],
                  charts=[Chart("Места", [1, 2], skip_last=1), Chart("Занято", [2], kind="pie")])
    path = write_workbook(tmp_path / "c.xlsx", [sheet], private=False)
    first, second = charts_of(path)
    # Title (row 1), two block lines, a blank row, the header on row 5, the data on rows 6–9.
    assert first.sheet == "Места «по» площадкам" and first.kind == "barChart" and first.title == "Места"
    assert [(s.name.first, s.categories.first, s.categories.last, s.values.first, s.values.last)
            for s in first.series] == [("B5", "A6", "A8", "B6", "B8"), ("C5", "A6", "A8", "C6", "C8")]
    assert first.series[0].category_cache == ("Эстет", "Ил", "14.12.2026")
    assert first.series[1].value_cache == (7.0, 8.0, 1.0)
    assert second.kind == "pieChart" and second.series[0].values.last == "C9", "no skip_last: the totals row too"


def test_a_table_without_rows_gets_no_chart(tmp_path):
    path = write_workbook(tmp_path / "e.xlsx", [Sheet("Пусто", ["a", "b"], [], charts=[Chart("x", [1])])],
                          private=False)
    assert charts_of(path) == []
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if "chart" in n]


def test_a_chart_of_columns_the_table_lacks_is_a_mistake(tmp_path):
    with pytest.raises(ValueError, match="no column 5"):
        write_workbook(tmp_path / "x.xlsx", [Sheet("Л", ["a", "b"], [("x", 1)], charts=[Chart("x", [5])])],
                       private=False)
    with pytest.raises(ValueError, match="a 'pie' chart of 2 series"):
        Chart("x", [1, 2], kind="pie")


def test_charts_leave_the_bytes_reproducible_and_csv_without_them(tmp_path):
    sheet = lambda: Sheet("Л", ["a", "b"], [("x", 1), ("y", 2)], charts=[Chart("x", [1], kind="line")])  # noqa: E731
    one = write_workbook(tmp_path / "1.xlsx", [sheet()], private=False).read_bytes()
    assert write_workbook(tmp_path / "2.xlsx", [sheet()], private=False).read_bytes() == one
    csv = write_table(tmp_path / "t.csv", sheet(), private=False).read_text(encoding="utf-8-sig")
    assert csv.splitlines() == ["a;b", "x;1", "y;2"]
