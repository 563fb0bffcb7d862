"""Regenerate the importer-specific broken inputs in this folder (``sched-*``, ``reg-*``, ``slots-*``), byte for byte.

Run: python tests/data/bad/make_bad_inputs.py

``make_bad_files.py`` makes the container-level tricks (not a workbook, zip
bombs, DTDs) that every importer meets the same way; this script makes files
shaped like each importer's real input, broken in exactly one way, so that the
error can name the sheet, row and column. Workbooks are hand-written XML
assembled with ``make_bad_files``' helpers (fixed zip timestamps), so the
output is reproducible.

The slots files edit one tour of the sample season (the 14 sample schedules of
2026, imported, then ``slots generate`` with the default settings); that tour
is found by building that season in a temporary folder.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_bad_files", HERE / "make_bad_files.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

YEAR = 2026
FORMATTING_ROWS = 20_000
HUGE_CELL = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


class Formula:
    """A formula cell; ``value`` None means Excel never calculated it (no saved result)."""

    def __init__(self, formula: str, value: object = None):
        self.formula, self.value = formula, value


class Error:
    """A cell holding an Excel error such as ``#DIV/0!``."""

    def __init__(self, code: str):
        self.code = code


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        saved = "" if value.value is None else f"<v>{value.value}</v>"
        return f'<c r="{ref}"><f>{escape(value.formula)}</f>{saved}</c>'
    if isinstance(value, Error):
        return f'<c r="{ref}" t="e"><v>{escape(value.code)}</v></c>'
    if isinstance(value, (int, float)):
        return base.number(ref, repr(value))
    return base.inline(ref, escape(str(value)))


def rows_xml(rows: list[list[object]], first_row: int = 1) -> str:
    out = []
    for n, values in enumerate(rows, start=first_row):
        cells = "".join(_cell(f"{_letters(i)}{n}", v) for i, v in enumerate(values))
        out.append(f'<row r="{n}">{cells}</row>')
    return "".join(out)


def formatting_rows(first_row: int, count: int = FORMATTING_ROWS) -> str:
    """Rows that carry a style and nothing else, as a sheet formatted far below its data has."""
    return "".join(f'<row r="{n}" s="1" customFormat="1"><c r="A{n}" s="1"/><c r="B{n}" s="1"/></row>'
                   for n in range(first_row, first_row + count))


def merged(*refs: str) -> str:
    return f'<mergeCells count="{len(refs)}">' + "".join(f'<mergeCell ref="{r}"/>' for r in refs) + "</mergeCells>"


def sheet(rows: list[list[object]], *, tail: str = "", before: str = "", after: str = "") -> str:
    return base.sheet_xml(rows_xml(rows) + tail, before=before, after=after)


def workbook(path: Path, sheets: list[tuple[str, str, str]]) -> None:
    """``sheets``: (name, state, sheet XML), state ``visible``, ``hidden`` or ``veryHidden``."""
    base.write_zip(path, base.workbook_parts([(escape(name), state, xml) for name, state, xml in sheets]))


# -- schedules ----------------------------------------------------------------------

SITE_ROWS = [["Поле", "Значение"], ["Код", "bad-site"], ["Название", "Завод «Проба»"],
             ["Email для списков", "proba@example.org"], ["Минимальный возраст", 12]]
SCHEDULE_HEADER = ["Дата", "Начало", "Длительность, мин", "Размер группы", "Примечание"]
SCHEDULE_ROWS = [SCHEDULE_HEADER, ["11.12.2026", "10:00", 90, 15, ""], ["12.12.2026", "10:00", 90, 15, ""],
                 ["14.12.2026", "15:00", 90, 20, ""]]
SITES_ROWS = [["Код", "Название", "Email для списков", "Минимальный возраст"],
              ["bad-a", "Завод А", "a@example.org", 12], ["bad-b", "Завод Б", "b@example.org", 14]]
COMBINED_ROWS = [["Код площадки", "Дата", "Начало", "Размер группы"], ["bad-a", "11.12.2026", "10:00", 15],
                 ["bad-b", "12.12.2026", "11:00", 20]]


def _replace(rows: list[list[object]], row: int, column: int, value: object) -> list[list[object]]:
    """A copy of ``rows`` with the cell at 1-based ``row`` and 0-based ``column`` set to ``value``."""
    copy = [list(r) for r in rows]
    copy[row - 1][column] = value
    return copy


def schedule_book(path: Path, *, site_rows=SITE_ROWS, schedule_rows=SCHEDULE_ROWS, schedule_tail: str = "",
                  site_after: str = "", schedule_after: str = "", schedule_state: str = "visible",
                  extra: tuple[tuple[str, str, str], ...] = ()) -> None:
    workbook(path, [("Площадка", "visible", sheet(site_rows, after=site_after)),
                    ("Расписание", schedule_state, sheet(schedule_rows, tail=schedule_tail, after=schedule_after)),
                    *extra])


def combined_book(path: Path, *, sites_rows=SITES_ROWS, sites_state: str = "visible", sites_after: str = "") -> None:
    workbook(path, [("Площадки", sites_state, sheet(sites_rows, after=sites_after)),
                    ("Расписание", "visible", sheet(COMBINED_ROWS))])


def make_schedules(folder: Path) -> None:
    schedule_book(folder / "sched-valid.xlsx")
    combined_book(folder / "sched-combined-valid.xlsx")
    schedule_book(folder / "sched-hidden-schedule.xlsx", schedule_state="hidden")
    schedule_book(folder / "sched-hidden-extra.xlsx",
                  extra=(("Черновик", "hidden", sheet([SCHEDULE_HEADER, ["13.12.2026", "25:00", 90, 15]])),))
    combined_book(folder / "sched-combined-hidden-sites.xlsx", sites_state="veryHidden")
    schedule_book(folder / "sched-formula-no-value.xlsx",
                  schedule_rows=_replace(SCHEDULE_ROWS, 3, 2, Formula("60+30")))
    schedule_book(folder / "sched-error-cell.xlsx", schedule_rows=_replace(SCHEDULE_ROWS, 4, 4, Error("#DIV/0!")))
    combined_book(folder / "sched-combined-formula-no-value.xlsx",
                  sites_rows=_replace(SITES_ROWS, 3, 3, Formula("C2+2")))
    schedule_book(folder / "sched-merged-in-data.xlsx", schedule_after=merged("B3:B4"))
    schedule_book(folder / "sched-site-merged.xlsx", site_after=merged("B3:B4"))
    combined_book(folder / "sched-combined-merged.xlsx", sites_after=merged("D2:D3"))
    schedule_book(folder / "sched-huge-dimension.xlsx", schedule_tail=HUGE_CELL)
    laughs = base.sheet_xml(rows_xml(SCHEDULE_ROWS), prolog=base.DECL + base.LAUGHS)
    workbook(folder / "sched-billion-laughs.xlsx", [("Площадка", "visible", sheet(SITE_ROWS)),
                                                   ("Расписание", "visible", laughs)])
    xxe = ('<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
           f'<sst xmlns="{base.MAIN_NS}" count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>')
    site_rows = sheet(SITE_ROWS[:-1]).replace(base.inline("B3", "Завод «Проба»"), '<c r="B3" t="s"><v>0</v></c>')
    base.write_zip(folder / "sched-xxe.xlsx", base.workbook_parts(
        [("Площадка", "visible", site_rows), ("Расписание", "visible", sheet(SCHEDULE_ROWS))],
        shared_strings=base.DECL + xxe))
    schedule_book(folder / "sched-formatting-rows.xlsx", schedule_tail=formatting_rows(len(SCHEDULE_ROWS) + 1))
    for name, text in (("impossible", "31.02.2026"), ("month-first", "12/13/2026"), ("two-digit-year", "13.12.26")):
        schedule_book(folder / f"sched-date-{name}.xlsx", schedule_rows=_replace(SCHEDULE_ROWS, 3, 0, text))
    for name, site_id in (("traversal", "../../x"), ("con", "CON"), ("long", "a" * 41), ("brackets", "[]:*?/\\")):
        schedule_book(folder / f"sched-id-{name}.xlsx", site_rows=_replace(SITE_ROWS, 2, 1, site_id))
    # Excel writes characters XML cannot hold as _xHHHH_ escapes.
    for name, site_name in (("rlo", "Завод\u202eабв"), ("vtab", "Завод_x000B_Проба"), ("nul", "Завод_x0000_")):
        schedule_book(folder / f"sched-name-{name}.xlsx", site_rows=_replace(SITE_ROWS, 3, 1, site_name))


# -- registrants ----------------------------------------------------------------------

REGISTRANT_HEADER = ["ID VK", "ФИО", "Телефон", "Дата рождения", "Дата регистрации", "Выбор 1", "Паспорт"]
REGISTRANT_ROWS = [["101", "Иванов Иван Иванович", "+79161234567", "05.03.1990", "01.11.2025 10:00:00", "estet", ""],
                   ["102", "Петрова Анна Сергеевна", "+79161234568", "17.08.2001", "01.11.2025 10:05:00", "estet", ""],
                   ["103", "Сидоров Пётр", "+74951234567", "29.02.2004", "01.11.2025 10:07:30", "estet", ""]]


def registrant_csv(rows: list[list[str]], *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "\r\n".join(";".join(r) for r in [REGISTRANT_HEADER, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def registrant_sheet_rows(rows: list[list[object]]) -> list[list[object]]:
    """As a spreadsheet export has them: the ID a number, the rest text."""
    return [REGISTRANT_HEADER] + [[int(r[0]) if str(r[0]).isdigit() else r[0], *r[1:]] for r in rows]


def registrant_book(path: Path, rows: list[list[object]] = REGISTRANT_ROWS, *, tail: str = "", after: str = "",
                    state: str = "visible") -> None:
    sheets = [("Участники", state, sheet(registrant_sheet_rows(rows), tail=tail, after=after))]
    if state != "visible":
        sheets.insert(0, ("Инструкция", "visible", sheet([["Выгрузка участников"]])))
    workbook(path, sheets)


def make_registrants(folder: Path) -> None:
    (folder / "reg-valid.csv").write_bytes(registrant_csv(REGISTRANT_ROWS))
    (folder / "reg-bom.csv").write_bytes(registrant_csv(REGISTRANT_ROWS, bom=True))
    (folder / "reg-cp1251.csv").write_bytes(registrant_csv(REGISTRANT_ROWS, encoding="cp1251"))
    (folder / "reg-empty.csv").write_bytes(b"")
    for name, full_name in (("rlo", "Иванов\u202eнавИ"), ("nul", "Иванов\x00Иван"), ("vtab", "Иванов\x0bИван")):
        (folder / f"reg-name-{name}.csv").write_bytes(registrant_csv(_replace(REGISTRANT_ROWS, 2, 1, full_name)))
    for name, text in (("impossible", "31.02.2001"), ("month-first", "12/13/2001"), ("two-digit-year", "13.12.01")):
        (folder / f"reg-date-{name}.csv").write_bytes(registrant_csv(_replace(REGISTRANT_ROWS, 2, 3, text)))
    registrant_book(folder / "reg-valid.xlsx")
    # Excel turned the typed phones into numbers: "+7 916 …" lost its "+", "8 916 …" became 89161234568.
    phones = _replace(_replace(REGISTRANT_ROWS, 1, 2, 79161234567), 2, 2, 89161234568)
    registrant_book(folder / "reg-phone-as-number.xlsx", _replace(phones, 3, 2, 4951234567))
    registrant_book(folder / "reg-phone-as-number-ambiguous.xlsx", _replace(REGISTRANT_ROWS, 2, 2, 1234567))
    registrant_book(folder / "reg-passport-as-number.xlsx", _replace(REGISTRANT_ROWS, 2, 6, 4510123456))
    registrant_book(folder / "reg-name-vtab.xlsx", _replace(REGISTRANT_ROWS, 3, 1, "Сидоров_x000B_Пётр"))
    registrant_book(folder / "reg-formula-no-value.xlsx",
                    _replace(REGISTRANT_ROWS, 2, 6, Formula('CONCATENATE("45 10", " ", "123456")')))
    registrant_book(folder / "reg-error-cell.xlsx", _replace(REGISTRANT_ROWS, 1, 3, Error("#VALUE!")))
    registrant_book(folder / "reg-merged-in-data.xlsx", after=merged("F2:F4"))
    registrant_book(folder / "reg-hidden-sheet.xlsx", state="hidden")
    registrant_book(folder / "reg-huge-dimension.xlsx", tail=HUGE_CELL)
    registrant_book(folder / "reg-formatting-rows.xlsx", tail=formatting_rows(len(REGISTRANT_ROWS) + 2))


# -- slots (an edited tour export, and --weights) ------------------------------------------

def sample_season_tour():
    """The first tour of the sample season, and the sample sites' IDs."""
    from openmosprom_cli.demo.sample_schedules import (
        SAMPLE_SITES,
        write_sample_schedules,
    )
    from openmosprom_cli.schedules.importer import import_schedules
    from openmosprom_cli.season.folder import init_season
    from openmosprom_cli.tours.generate import generate_season_tours

    with tempfile.TemporaryDirectory() as tmp:
        season = init_season(Path(tmp) / "season", year=YEAR)
        import_schedules(season, write_sample_schedules(Path(tmp) / "schedules", YEAR))
        tour = generate_season_tours(season).result.tours[0]
    return tour, [s.site_id for s in SAMPLE_SITES]


SLOTS_HEADER = ["ID экскурсии", "Площадка", "Дата", "Начало", "Длительность, мин", "Размер группы"]


def slots_rows(tour) -> list[list[object]]:
    return [SLOTS_HEADER, [tour.tour_id, tour.site_id, f"{tour.date:%d.%m.%Y}", f"{tour.start:%H:%M}",
                           tour.duration_min, tour.capacity]]


def slots_book(path: Path, rows: list[list[object]], *, tail: str = "", after: str = "", state: str = "visible",
               name: str = "Экскурсии") -> None:
    sheets = [(name, state, sheet(rows, tail=tail, after=after))]
    if state != "visible":
        sheets.append(("Лист1", "visible", sheet([["заметки"]])))
    workbook(path, sheets)


def slots_csv(rows: list[list[object]]) -> bytes:
    return ("\r\n".join(";".join(str(v) for v in r) for r in rows) + "\r\n").encode("utf-8-sig")


def make_slots(folder: Path) -> None:
    tour, site_ids = sample_season_tour()
    rows = slots_rows(tour)
    slots_book(folder / "slots-valid.xlsx", rows)
    (folder / "slots-valid.csv").write_bytes(slots_csv(rows))
    (folder / "slots-empty.csv").write_bytes(b"")
    slots_book(folder / "slots-hidden-sheet.xlsx", rows, state="hidden")
    slots_book(folder / "slots-formula-no-value.xlsx", _replace(rows, 2, 4, Formula("60*2")))
    slots_book(folder / "slots-error-cell.xlsx", _replace(rows, 2, 5, Error("#REF!")))
    slots_book(folder / "slots-merged-in-data.xlsx", [*rows, [None, None, None, "12:00"]], after=merged("A2:A3"))
    slots_book(folder / "slots-huge-dimension.xlsx", rows, tail=HUGE_CELL)
    slots_book(folder / "slots-formatting-rows.xlsx", rows, tail=formatting_rows(len(rows) + 1))
    for name, text in (("impossible", "31.02.2026"), ("month-first", "12/13/2026"), ("two-digit-year", "13.12.26")):
        (folder / f"slots-date-{name}.csv").write_bytes(slots_csv(_replace(rows, 2, 2, text)))

    weights = [["Код площадки", "Вес", "Расчёт"]] + [[site_id, 1, None] for site_id in site_ids]
    slots_book(folder / "slots-weights-valid.xlsx", weights, name="Веса")
    workbook(folder / "slots-weights-hidden.xlsx", [("Веса", "hidden", sheet(weights))])
    slots_book(folder / "slots-weights-formula-no-value.xlsx", _replace(weights, 3, 2, Formula("B2*3")), name="Веса")
    slots_book(folder / "slots-weights-merged.xlsx", weights, after=merged("B2:B3"), name="Веса")


def main(folder: Path = HERE) -> None:
    make_schedules(folder)
    make_registrants(folder)
    make_slots(folder)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
