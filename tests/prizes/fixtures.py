"""Catalogues written the way organizers write them, and a small allocated season to draw prizes in."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.prizes.catalogue import import_catalogue
from tests.changes.scenario import stock

HEADER = ("Приз", "Код", "Количество", "Первые N мест", "Баллов не меньше", "Минимальный возраст")
# Best first. In the scenario's people (9001 … 9010, 100 … 10 points, one registration time each) the draw gives:
# speakers to 9001 and 9002; thermoses to 9003, 9004 and 9005; books to everyone else.
ROWS = (
    ("Умная колонка с голосовым помощником", "speaker", 2, 3, None, None),
    ("Термос", "termos", 3, None, 50, None),
    ("Книга о промышленности Москвы", "book", 10, None, 1, 14),
)
EXPECTED = {"9001": "speaker", "9002": "speaker", "9003": "termos", "9004": "termos", "9005": "termos",
            "9006": "book", "9007": "book", "9008": "book", "9009": "book", "9010": "book"}


def write_catalogue(path: Path, rows=ROWS, header=HEADER, sheet: str = "Призы", title: str | None = None) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if title:
        ws.append((title,))
    ws.append(header)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def write_registrants_csv(path: Path, rows, header=("ID VK", "ФИО", "Призы")) -> Path:
    # Quoted as Excel quotes them: a cell holding the separator («Фен; Термос») stays one cell.
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=";", lineterminator="\n").writerows([header, *rows])
    return path


def drawable(season, tmp_path: Path, rows=ROWS):
    """The scenario's season, allocated, with the catalogue imported."""
    stock(season)
    run_assignment(season)
    import_catalogue(season, write_catalogue(tmp_path / "catalogue.xlsx", rows))
    return season
