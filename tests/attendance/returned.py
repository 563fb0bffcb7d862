"""Rosters as factories send them back: marks filled in, rows shuffled, sheets reordered, columns added."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

import openpyxl

from openmosprom_cli.rosters.workbooks import CHECK_IN_HEADER, CODE_HEADER, GUESTS_CAME_HEADER

PRIZE_HEADER = "Приз выдан"


def return_roster(roster: Path, dest: Path, marks: Mapping[str, object], *, guests: Mapping[str, int] = {},
                  prizes: Mapping[str, object] | None = None, seed: int = 1, reverse_sheets: bool = True) -> Path:
    """``roster`` with the check-in marks of the people named (by «ФИО») filled in, its rows shuffled in each
    sheet and its sheets in reverse order; with a «Приз выдан» column when ``prizes`` is given."""
    rng = random.Random(seed)
    book = openpyxl.load_workbook(roster)
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        header = next((i for i, r in enumerate(rows) if CODE_HEADER in r), None)
        if header is None:
            continue
        names = list(rows[header])
        if prizes is not None and PRIZE_HEADER not in names:     # a roster of a season with prizes has it
            names.append(PRIZE_HEADER)
            sheet.cell(header + 1, len(names), PRIZE_HEADER)
        data = [r + [None] * (len(names) - len(r)) for r in rows[header + 1:] if any(v is not None for v in r)]
        rng.shuffle(data)
        for row in data:
            person = row[names.index("ФИО")]
            row[names.index(CHECK_IN_HEADER)] = marks.get(person)
            row[names.index(GUESTS_CAME_HEADER)] = guests.get(person)
            if prizes is not None:
                row[names.index(PRIZE_HEADER)] = prizes.get(person)
        for i, row in enumerate(data):
            for j, value in enumerate(row):
                sheet.cell(header + 2 + i, j + 1, value)
    if reverse_sheets:
        book._sheets.reverse()
    dest.parent.mkdir(parents=True, exist_ok=True)
    book.save(dest)
    return dest


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
