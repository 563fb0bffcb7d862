"""Importing the VK mini-app's registrant export: formats, columns, every validation, re-import."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.errors import BadDataError, MissingInputError
from openmosprom_cli.io.csv_text import UnknownEncodingError, detect_separator
from openmosprom_cli.models import Registrant, Site, Tour, make_tour_id
from openmosprom_cli.registrants.cells import task_done
from openmosprom_cli.registrants.importer import import_registrants
from openmosprom_cli.registrants.listing import list_registrants, show_registrant
from openmosprom_cli.registrants.parse import read_registrant_file
from openmosprom_cli.season.folder import open_season
from openmosprom_cli.store.registrants import json_string_list
from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours

HEADER = "ID VK;ФИО;Телефон;Email;Дата рождения;Баллы;Дата регистрации;Выбор 1;Выбор 2;Гостей;Паспорт;Гражданство"
GOOD_ROWS = [
    ("101;Иванова Анна Сергеевна;+7 916 123-45-67;anna@mail.ru;05.03.1990;120;20.11.2026 10:15:30;estet;"
     "ilyushin-1214-1100;1;;РФ"),
    "102;Петров Олег;89161234568;;14.07.2010;40;21.11.2026 09:00:00;ESTET-1211-1000;;0;4510 123456;Россия",
    "103;Сидоров Пётр;8 (495) 123-45-67;;;0;21.11.2026 09:00:01;molniya;;;;",
]


def tour(site_id: str, day: int, hour: int, capacity: int = 20) -> Tour:
    date, start = dt.date(2026, 12, day), dt.time(hour, 0)
    return Tour(make_tour_id(site_id, date, start), site_id, date, start, 90, capacity)


TOURS = [tour("estet", 11, 10), tour("estet", 12, 14), tour("ilyushin", 14, 11), tour("molniya", 15, 10)]
SITES = [Site("estet", "Эстет"), Site("ilyushin", "Ил", min_age=14, passport_required=True),
         Site("molniya", "НПО «Молния»", min_age=16), Site("empty", "Без экскурсий")]


def write_csv(path, lines, *, encoding="utf-8", bom=False):
    data = "\r\n".join(lines) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode(encoding))
    return path


def read(path, season, **kwargs):
    return read_registrant_file(path, settings=season.settings, tours=TOURS, sites=SITES, **kwargs)


def problems_of(error: BadDataError) -> list[str]:
    return [str(p) for p in error.problems]


def registrants_in(season) -> dict[str, Registrant]:
    return {r.id: r for r in list_registrants(season)}


# -- formats -------------------------------------------------------------------------------

@pytest.mark.parametrize("separator", [";", ","])
@pytest.mark.parametrize("bom", [False, True])
def test_csv_with_either_separator_and_optional_bom(tmp_path, published, separator, bom):
    lines = [line.replace(";", separator) for line in [HEADER, *GOOD_ROWS]]
    if separator == ",":
        lines[1] = lines[1].replace("Иванова Анна Сергеевна", '"Иванова, Анна Сергеевна"')
    parsed = read(write_csv(tmp_path / "export.csv", lines, bom=bom), published)
    assert parsed.rejected == ()
    anna = parsed.registrants[0]
    assert anna.id == "101"
    assert anna.full_name == ("Иванова Анна Сергеевна" if separator == ";" else "Иванова, Анна Сергеевна")
    assert anna.phone == "+79161234567"
    assert anna.birth_date == dt.date(1990, 3, 5)
    assert anna.registered_at == dt.datetime(2026, 11, 20, 10, 15, 30)
    assert anna.score == 120
    assert anna.choices == ("estet", "ilyushin-1214-1100")
    assert anna.companions == 1
    oleg = parsed.registrants[1]
    assert oleg.choices == ("estet-1211-1000",), "choices match case-insensitively and are stored canonically"
    assert oleg.passport == "4510 123456" and oleg.citizenship == "Россия"
    assert parsed.registrants[2].phone == "+74951234567" and parsed.registrants[2].birth_date is None


def test_separator_is_read_from_the_header_line_outside_quotes():
    assert detect_separator('ID VK;"ФИО, полностью";Баллы\n1,2,3,4,5') == ";"
    assert detect_separator('\n\nID VK,"a;b;c",Баллы') == ","
    assert detect_separator("Выгрузка участников\nID VK;ФИО, полностью;Баллы") == ";", "title lines are passed over"


def test_cp1251_needs_the_flag_and_then_reads(tmp_path, published):
    path = write_csv(tmp_path / "excel.csv", [HEADER, *GOOD_ROWS], encoding="cp1251")
    with pytest.raises(BadDataError) as info:
        read(path, published)
    assert "excel.csv › row 1" in str(info.value) and "not UTF-8" in str(info.value)
    assert "--encoding cp1251" in info.value.hint
    parsed = read(path, published, encoding="cp1251")
    assert [r.full_name for r in parsed.registrants][:2] == ["Иванова Анна Сергеевна", "Петров Олег"]


def test_an_unknown_encoding_is_a_usage_error_and_non_tabular_files_are_data_errors(tmp_path, published):
    path = write_csv(tmp_path / "a.csv", [HEADER, *GOOD_ROWS])
    with pytest.raises(UnknownEncodingError, match="not a known encoding") as refused:
        read(path, published, encoding="klingon")
    assert refused.value.exit_code == 2
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(BadDataError, match="is empty"):
        read(tmp_path / "empty.csv", published)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 not really")
    with pytest.raises(BadDataError, match="Excel 97"):
        read(tmp_path / "old.xls", published)
    (tmp_path / "zip.csv").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(BadDataError, match="is an .xlsx workbook"):
        read(tmp_path / "zip.csv", published)
    with pytest.raises(MissingInputError):
        read(tmp_path / "missing.csv", published)


def test_xlsx_with_numbers_and_dates_as_excel_stores_them(tmp_path, published):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Участники"
    ws.append(["Выгрузка мини-приложения «Открытая промышленность»"])
    ws.append([])
    ws.append(["ID VK", "Фамилия", "Имя", "Телефон", "Дата рождения", "Баллы", "Дата регистрации", "Выбор 1",
               "Паспорт"])
    ws.append([101, "Иванова", "Анна", 79161234567, dt.datetime(1990, 3, 5), 120.0,
               dt.datetime(2026, 11, 20, 10, 15, 30), "estet", "4510 123456"])
    ws.append([102, "Петров", "Олег", "+7 916 000-00-01", dt.datetime(2001, 1, 2), 5, "21.11.2026 09:00",
               "molniya", 4510123457])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    parsed = read(path, published)
    anna = parsed.registrants[0]
    assert (anna.id, anna.full_name, anna.phone) == ("101", "Иванова Анна", "+79161234567")
    assert anna.birth_date == dt.date(1990, 3, 5) and anna.registered_at == dt.datetime(2026, 11, 20, 10, 15, 30)
    assert anna.passport == "4510 123456"
    [rejected] = parsed.rejected
    assert rejected.row == 5
    assert "Паспорт: 4510123457 was stored as a number, so leading zeros may be lost" in rejected.reasons[0]


def test_hidden_sheet_is_never_read(tmp_path, published):
    wb = openpyxl.Workbook()
    wb.active.title = "Инструкция"
    wb.active.append(["Заполните лист с участниками"])
    hidden = wb.create_sheet("Участники")
    hidden.append(["ID VK", "ФИО", "Выбор 1"])
    hidden.append([101, "Иванова Анна", "estet"])
    hidden.sheet_state = "hidden"
    path = tmp_path / "hidden.xlsx"
    wb.save(path)
    with pytest.raises(BadDataError) as info:
        read(path, published)
    assert "no visible sheet" in info.value.message and "Участники" in info.value.hint


# -- columns ---------------------------------------------------------------------------------

def test_split_names_and_english_headers(tmp_path, published):
    path = write_csv(tmp_path / "e.csv", [
        "id,last_name,first_name,middle_name,phone,score,choice_1,companions",
        "7,Иванова,Анна,Сергеевна,+79161234567,3.5,estet,2",
        "8,Петров,Олег,,,0,molniya,",
    ])
    parsed = read(path, published)
    assert [r.full_name for r in parsed.registrants] == ["Иванова Анна Сергеевна", "Петров Олег"]
    assert parsed.registrants[0].score == 3.5 and parsed.registrants[0].companions == 2


def test_headers_match_loosely(tmp_path, published):
    path = write_csv(tmp_path / "e.csv", ["  id vk ;фио;ВЫБОР  1;  ГОСТЕЙ ", "7;Анна;estet;1"])
    parsed = read(path, published)
    assert parsed.registrants[0].companions == 1, "case and spaces are ignored"


def test_single_choice_column_separated_by_semicolons(tmp_path, published):
    path = write_csv(tmp_path / "c.csv", [
        "ID VK,ФИО,Выбор",
        '7,Анна,"estet; ilyushin-1214-1100 ;molniya;estet"',
        "8,Олег,molniya",
        '9,Пётр,"estet;nowhere;ilyushin;also-nowhere"',
    ])
    parsed = read(path, published)
    assert [r.choices for r in parsed.registrants] == [("estet", "ilyushin-1214-1100", "molniya"), ("molniya",)]
    [rejected] = parsed.rejected
    assert "'nowhere' is not a tour or site" in rejected.reasons[0]
    assert "'also-nowhere' is not a tour or site" in rejected.reasons[0]


def test_map_renames_other_headers(tmp_path, published):
    path = write_csv(tmp_path / "m.csv", ["VK,Человек,Очки,Куда", "7,Анна,12,estet"])
    with pytest.raises(BadDataError, match="no header row"):
        read(path, published)
    parsed = read(path, published, mapping={"VK": "id", "Человек": "ФИО", "Очки": "score", "Куда": "choice_1"})
    assert parsed.registrants[0] == Registrant(id="7", full_name="Анна", score=12.0, choices=("estet",))
    with pytest.raises(BadDataError, match="'points and stars' is not a registrant field"):
        read(path, published, mapping={"Очки": "points and stars"})


def test_missing_name_column_and_both_choice_forms_are_header_errors(tmp_path, published):
    with pytest.raises(BadDataError, match="no name column"):
        read(write_csv(tmp_path / "a.csv", ["ID VK;Баллы", "1;2"]), published)
    with pytest.raises(BadDataError, match="keep one form"):
        read(write_csv(tmp_path / "b.csv", ["ID VK;ФИО;Выбор;Выбор 1", "1;А;estet;estet"]), published)


def test_score_from_task_columns_of_season_toml(tmp_path, published):
    text = published.settings_path.read_text(encoding="utf-8")
    text = text.replace('# "Квиз «Космос»" = 10', '"Квиз «Космос»" = 10\n"Фото с завода" = 2.5\n"Опрос" = 1')
    published.settings_path.write_text(text, encoding="utf-8")
    season = open_season(published.path)
    path = write_csv(tmp_path / "t.csv", [
        "ID VK;ФИО;Выбор 1;Квиз «Космос»;Фото с завода;Опрос",
        "1;Анна;estet;да;+;0",
        "2;Олег;estet;нет;;1",
        "3;Пётр;estet;выполнено;2026-11-20;-",
    ])
    parsed = read_registrant_file(path, settings=season.settings, tours=TOURS, sites=SITES)
    assert [r.score for r in parsed.registrants] == [12.5, 1.0, 12.5]
    missing = write_csv(tmp_path / "u.csv", ["ID VK;ФИО;Выбор 1;Квиз «Космос»", "1;Анна;estet;да"])
    with pytest.raises(BadDataError, match="'Фото с завода', 'Опрос' of season.toml are missing"):
        read_registrant_file(missing, settings=season.settings, tours=TOURS, sites=SITES)
    with_score = write_csv(tmp_path / "s.csv", ["ID VK;ФИО;Баллы", "1;Анна;7"])
    assert read_registrant_file(with_score, settings=season.settings, tours=TOURS,
                                sites=SITES).registrants[0].score == 7, "a score column wins over [scoring]"


def test_task_done_rule():
    assert [task_done(v) for v in ("да", "1", 1, 2.0, "x", True, "2026-11-20")] == [True] * 7
    assert [task_done(v) for v in ("нет", "0", 0, 0.0, "", "  ", None, False, "-", "False", "0,0")] == [False] * 11


# -- validation ------------------------------------------------------------------------------

BAD_CASES = [
    ("{id}", "", "row 3 › ID VK: the ID is missing"),
    ("{score}", "много", "row 3 › Баллы: 'много' is not a number"),
    ("{score}", "-5", "row 3 › Баллы: '-5' is less than 0"),
    ("{choice}", "nowhere", "row 3 › Выбор 1: 'nowhere' is not a tour or site of this season"),
    ("{choice}", "empty", "row 3 › Выбор 1: 'empty' is a site with no tours this season"),
    ("{choice}", "estet-1211-1100", "row 3 › Выбор 1: 'estet-1211-1100' is not a tour or site"),
    ("{birth}", "31.02.2001", "row 3 › Дата рождения: '31.02.2001' is not a real date"),
    ("{birth}", "02/31/2001", "row 3 › Дата рождения: '02/31/2001' is not a real date"),
    ("{birth}", "05.03.90", "row 3 › Дата рождения: '05.03.90' has a two-digit year"),
    ("{birth}", "01.01.2099", "row 3 › Дата рождения: '01.01.2099' is in the future"),
    ("{registered}", "32.11.2026 10:00:00", "row 3 › Дата регистрации: '32.11.2026 10:00:00' is not a real date"),
    ("{phone}", "12-34-56", "row 3 › Телефон: '12-34-56' is not a Russian phone number"),
    ("{phone}", "+1 212 555 0100", "row 3 › Телефон: '+1 212 555 0100' is not a Russian phone number"),
    ("{phone}", "+7 123 456-78-90", "row 3 › Телефон: '+7 123 456-78-90' is not a Russian mobile or landline"),
    ("{companions}", "3", "row 3 › Гостей: 3 guests is more than the 2 allowed"),
    ("{companions}", "1.5", "row 3 › Гостей: '1.5' is not a whole number"),
    ("{email}", "anna@", "row 3 › Email: 'anna@' is not an email address"),
    ("{name}", "", "row 3 › ФИО: the name is empty"),
    ("{name}", "Анна\u202eанвИ", "row 3 › ФИО: contains the forbidden character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("{name}", "Анна\x00", "row 3 › ФИО: contains the forbidden character U+0000"),
    ("{name}", "Анна\x0bИванова", "row 3 › ФИО: contains the forbidden character U+000B"),
    ("{id}", "10\u200b1", "row 3 › ID VK: contains the forbidden character U+200B (ZERO WIDTH SPACE)"),
]
TEMPLATE_HEADER = "ID VK;ФИО;Телефон;Email;Дата рождения;Баллы;Дата регистрации;Выбор 1;Гостей"
TEMPLATE_ROW = "{id};{name};{phone};{email};{birth};{score};{registered};{choice};{companions}"
DEFAULTS = {"id": "201", "name": "Анна", "phone": "+79161234567", "email": "a@b.ru", "birth": "01.01.2000",
            "score": "5", "registered": "20.11.2026 10:00:00", "choice": "estet", "companions": "0"}


@pytest.mark.parametrize("slot,value,expected", BAD_CASES, ids=[c[2].split("› ", 1)[1][:40] for c in BAD_CASES])
def test_every_invalid_value_is_reported_with_file_row_and_column(tmp_path, published, slot, value, expected):
    good = TEMPLATE_ROW.format(**DEFAULTS)
    bad = TEMPLATE_ROW.format(**{**DEFAULTS, slot.strip("{}"): value})
    path = write_csv(tmp_path / "bad.csv", [TEMPLATE_HEADER, good.replace("201", "200", 1), bad])
    parsed = read(path, published)
    assert [r.id for r in parsed.registrants] == ["200"]
    [rejected] = parsed.rejected
    assert any(str(p).startswith(f"bad.csv › {expected}") for p in rejected.problems), problems_of(
        BadDataError("", rejected.problems))


def test_all_problems_of_a_row_are_reported_together(tmp_path, published):
    row = TEMPLATE_ROW.format(**{**DEFAULTS, "score": "x", "phone": "1", "choice": "nowhere"})
    parsed = read(write_csv(tmp_path / "bad.csv", [TEMPLATE_HEADER, row]), published)
    assert [p.location.column for p in parsed.rejected[0].problems] == ["Телефон", "Баллы", "Выбор 1"]


def test_duplicate_ids_identical_are_merged_different_are_both_reported(tmp_path, published):
    same = TEMPLATE_ROW.format(**DEFAULTS)
    other = TEMPLATE_ROW.format(**{**DEFAULTS, "id": "300"})
    changed = TEMPLATE_ROW.format(**{**DEFAULTS, "id": "300", "score": "6"})
    path = write_csv(tmp_path / "dup.csv", [TEMPLATE_HEADER, same, other, same.replace("Анна", " Анна "), changed])
    parsed = read(path, published)
    assert [r.id for r in parsed.registrants] == ["201"]
    assert [(r.row, r.reasons) for r in parsed.rejected] == [
        (3, ("ID VK: ID '300' also appears on row 5 with different data: Баллы",)),
        (5, ("ID VK: ID '300' also appears on row 3 with different data: Баллы",)),
    ]
    assert parsed.warnings == ("dup.csv: rows repeating an ID with the same data were merged into one: "
                               "ID '201' (rows 2, 4)",)


def test_a_repeated_id_whose_row_has_an_unreadable_cell_names_that_column(tmp_path, published):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([*TEMPLATE_HEADER.split(";"), "Прочее"])
    for _ in range(2):
        sheet.append(TEMPLATE_ROW.format(**DEFAULTS).split(";"))
    sheet["J3"] = "=1/0"  # no saved result: the row cannot be read whole
    workbook.save(tmp_path / "dup.xlsx")
    parsed = read(tmp_path / "dup.xlsx", published)
    assert parsed.registrants == ()
    assert [(r.row, r.reasons[-1]) for r in parsed.rejected] == [
        (2, "ID VK: ID '201' also appears on row 3 with different data: Прочее"),
        (3, "ID VK: ID '201' also appears on row 2 with different data: Прочее")]


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(tmp_path, published):
    path = write_csv(tmp_path / "b.csv", [TEMPLATE_HEADER, ";;;;;;;;", "", TEMPLATE_ROW.format(**DEFAULTS),
                                          "  ;;;;;;;;  "])
    parsed = read(path, published)
    assert [r.id for r in parsed.registrants] == ["201"] and parsed.rejected == ()
    assert parsed.rows_read == 1


def test_registration_time_keeps_seconds_and_converts_offsets_to_moscow(tmp_path, published):
    rows = [TEMPLATE_ROW.format(**{**DEFAULTS, "id": str(i), "registered": value})
            for i, value in enumerate(["20.11.2026 10:00:07", "2026-11-20T07:00:08Z", "2026-11-20 10:00:09+03:00",
                                       "20.11.2026", "20.11.2026 9:05"], start=1)]
    parsed = read(write_csv(tmp_path / "r.csv", [TEMPLATE_HEADER, *rows]), published)
    assert [r.registered_at for r in parsed.registrants] == [
        dt.datetime(2026, 11, 20, 10, 0, 7), dt.datetime(2026, 11, 20, 10, 0, 8), dt.datetime(2026, 11, 20, 10, 0, 9),
        dt.datetime(2026, 11, 20), dt.datetime(2026, 11, 20, 9, 5)]


def test_phone_stored_as_a_number_is_repaired_only_when_unambiguous(tmp_path, published):
    wb = openpyxl.Workbook()
    wb.active.append(["ID VK", "ФИО", "Телефон"])
    wb.active.append([1, "Анна", 89161234567])
    wb.active.append([2, "Олег", 9161234567])
    wb.active.append([3, "Пётр", 1234567])
    wb.save(tmp_path / "p.xlsx")
    parsed = read(tmp_path / "p.xlsx", published)
    assert [r.phone for r in parsed.registrants] == ["+79161234567", "+79161234567"]
    assert parsed.rejected[0].reasons == ("Телефон: '1234567' is not a Russian phone number: "
                                          "expected 10 digits after +7",)


# -- importing into the season -------------------------------------------------------------------

def test_invalid_rows_stop_the_whole_import(tmp_path, published):
    rows = [HEADER, *GOOD_ROWS, GOOD_ROWS[0].replace("101", "104").replace(";120;", ";много;")]
    with pytest.raises(BadDataError) as info:
        import_registrants(published, write_csv(tmp_path / "export.csv", rows))
    assert info.value.exit_code == 65
    assert info.value.message == "export.csv › row 5 › Баллы: 'много' is not a number; nothing was imported"
    assert problems_of(info.value) == ["export.csv › row 5 › Баллы: 'много' is not a number"]
    assert list_registrants(published) == []
    assert not (published.path / "rejected-export.xlsx").exists()


def test_skip_invalid_imports_the_rest_and_writes_a_private_rejected_workbook(tmp_path, published):
    rows = [HEADER, *GOOD_ROWS,
            GOOD_ROWS[0].replace("101", "104").replace(";120;", ";много;"),
            GOOD_ROWS[0].replace("101", "105").replace("Иванова Анна Сергеевна", "=HYPERLINK(\"http://x\")")
            .replace("estet;", "nowhere;")]
    report = import_registrants(published, write_csv(tmp_path / "export.csv", rows), skip_invalid=True)
    assert (report.added, report.updated, report.unchanged, len(report.rejected)) == (3, 0, 0, 2)
    assert set(registrants_in(published)) == {"101", "102", "103"}
    path = report.rejected_path
    assert path == published.path / "rejected-export.xlsx"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    ws = openpyxl.load_workbook(path).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:4] == ["Строка", "Причины", "ID VK", "ФИО"]
    # The reasons are in Russian, as the file's headers are, whatever the interface's language.
    assert rows[1][:3] == [5, "Баллы: 'много' — не число", "104"]
    assert rows[2][0] == 6 and rows[2][3] == '=HYPERLINK("http://x")'
    assert "Выбор 1: 'nowhere' — не экскурсия и не площадка этого сезона" in rows[2][1]
    assert report.rejected[0].reasons == ("Баллы: 'много' is not a number",), "said in English on the screen"
    formula_cell = ws.cell(row=3, column=4)
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix
    # A clean re-import leaves no stale list of rejected rows behind.
    clean = import_registrants(published, write_csv(tmp_path / "export.csv", [HEADER, *GOOD_ROWS]), skip_invalid=True)
    assert clean.rejected_path is None and not path.exists()


def test_rejected_file_name_is_made_safe(tmp_path, published):
    odd = tmp_path / "..CON:[x].csv"
    write_csv(odd, [HEADER, GOOD_ROWS[0], "1;;;;;;;;;;;"])
    report = import_registrants(published, odd, skip_invalid=True)
    assert report.rejected_path.parent == published.path.resolve()
    assert report.rejected_path.name.startswith("rejected-") and ":" not in report.rejected_path.name


def test_reimport_updates_adds_and_never_deletes(tmp_path, published):
    first = import_registrants(published, write_csv(tmp_path / "e1.csv", [HEADER, *GOOD_ROWS[:2]]))
    assert (first.added, first.updated, first.unchanged, first.not_in_file) == (2, 0, 0, 0)
    with published.reader() as conn:
        first_seen = conn.execute("SELECT first_seen FROM registrants WHERE id = '101'").fetchone()[0]
    later = [HEADER, GOOD_ROWS[0].replace(";120;", ";150;"), GOOD_ROWS[2]]
    second = import_registrants(published, write_csv(tmp_path / "e2.csv", later))
    assert (second.added, second.updated, second.unchanged, second.not_in_file) == (1, 1, 0, 1)
    people = registrants_in(published)
    assert set(people) == {"101", "102", "103"}, "102 is not in the later file but is kept"
    assert people["101"].score == 150
    with published.reader() as conn:
        assert conn.execute("SELECT first_seen FROM registrants WHERE id = '101'").fetchone()[0] == first_seen
    third = import_registrants(published, write_csv(tmp_path / "e2.csv", later))
    assert (third.added, third.updated, third.unchanged) == (0, 0, 2)


def test_list_and_show(tmp_path, published):
    import_registrants(published, write_csv(tmp_path / "e.csv", [HEADER, *GOOD_ROWS]))
    assert [r.id for r in list_registrants(published)] == ["101", "102", "103"]
    assert show_registrant(published, " 102 ").registrant.passport == "4510 123456"
    with pytest.raises(MissingInputError) as info:
        show_registrant(published, "999")
    assert info.value.exit_code == 66 and "999" in info.value.message


def test_a_failed_import_changes_nothing_already_there(tmp_path, published):
    import_registrants(published, write_csv(tmp_path / "e.csv", [HEADER, *GOOD_ROWS]))
    before = sqlite3.connect(published.db_path).execute("SELECT * FROM registrants ORDER BY id").fetchall()
    broken = [HEADER, GOOD_ROWS[0].replace(";120;", ";999;"), GOOD_ROWS[1].replace("89161234568", "1")]
    with pytest.raises(BadDataError):
        import_registrants(published, write_csv(tmp_path / "e.csv", broken))
    assert sqlite3.connect(published.db_path).execute("SELECT * FROM registrants ORDER BY id").fetchall() == before


# -- never anything but a clear data error ----------------------------------------------------------

CELL = st.one_of(
    st.sampled_from(["", "101", "estet", "ilyushin-1214-1100", "31.02.2001", "05.03.1990", "+79161234567", "да",
                     "-1", "1e308", "NaN", "=1+1", '"', ";", ",", "\n", "\x00", "\u202e", "ё"]),
    st.text(max_size=12),
)
HEADERS = st.sampled_from(["ID VK", "ФИО", "Фамилия", "Имя", "Телефон", "Email", "Дата рождения", "Баллы",
                           "Дата регистрации", "Выбор", "Выбор 1", "Выбор 2", "Гостей", "Паспорт", "Гражданство",
                           "id", "Прочее", ""])


@given(
    headers=st.lists(HEADERS, min_size=1, max_size=8),
    rows=st.lists(st.lists(CELL, max_size=9), max_size=6),
    separator=st.sampled_from([";", ","]),
    raw_tail=st.binary(max_size=8),
)
def test_any_csv_imports_or_fails_with_a_data_error(tmp_path_factory, headers, rows, separator, raw_tail):
    from openmosprom_cli.season.folder import init_season

    folder = tmp_path_factory.mktemp("fuzz")
    season = init_season(folder / "season", year=2026)
    with season.transaction() as conn:
        for site in SITES:
            save_site(conn, site)
        replace_tours(conn, TOURS)
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    writer.writerow(headers)
    writer.writerows(rows)
    path = folder / "fuzz.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8") + raw_tail)
    for skip in (False, True):
        try:
            report = import_registrants(season, path, skip_invalid=skip)
        except BadDataError as error:
            assert error.exit_code == 65 and error.message
        else:
            assert report.imported == len(list_registrants(season))


@given(st.lists(st.text(), max_size=6))
def test_choices_json_matches_json_dumps(items):
    assert json_string_list(items) == json.dumps(items, ensure_ascii=False)


@given(st.lists(st.lists(st.text(alphabet="ab ;,\x0b\x00\u2028ё", max_size=4), max_size=4), max_size=5),
       st.sampled_from([";", ","]), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_fast_csv_split_equals_the_csv_module(rows, separator, newline, final_newline):
    import csv
    import io

    from openmosprom_cli.io.csv_text import split_csv

    text = newline.join(separator.join(cells) for cells in rows) + (newline if final_newline and rows else "")
    expected = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    assert split_csv(text, separator, "x.csv") == expected


def test_importing_before_tours_are_published_says_so(tmp_path, season):
    with pytest.raises(BadDataError) as info:
        import_registrants(season, write_csv(tmp_path / "e.csv", [HEADER, *GOOD_ROWS]))
    assert "no published tours" in info.value.hint


def _export_with_formula(path):
    """openpyxl saves a formula without its result, as a file never opened in Excel would be."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Участники"
    ws.append(["ID VK", "ФИО", "Баллы", "Выбор 1"])
    ws.append([101, "Иванова Анна", 10, "estet"])
    ws.append([102, "Петров Пётр", "=SUM(1,2)", "estet"])
    ws.append([103, "Сидорова Ольга", 5, "estet"])
    wb.save(path)
    return path


def test_a_formula_without_a_saved_result_is_reported_not_read_as_empty(tmp_path, published):
    path = _export_with_formula(tmp_path / "export.xlsx")
    with pytest.raises(BadDataError) as info:
        import_registrants(published, path)
    assert "export.xlsx › Участники › row 3 › Баллы" in info.value.message
    assert "formula" in info.value.message
    assert registrants_in(published) == {}

    report = import_registrants(published, path, skip_invalid=True)
    assert (report.added, [r.row for r in report.rejected]) == (2, [3])
    assert set(registrants_in(published)) == {"101", "103"}


def test_merged_cells_reaching_into_the_data_are_reported(tmp_path, published):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Список участников"])
    ws.append(["ID VK", "ФИО", "Выбор 1"])
    ws.append([101, "Иванова Анна", "estet"])
    ws.append([102, "Петров Пётр", "estet"])
    ws.merge_cells("C1:C3")  # starts in the title, reaches the first data row
    wb.save(tmp_path / "merged.xlsx")
    with pytest.raises(BadDataError) as info:
        import_registrants(published, tmp_path / "merged.xlsx")
    assert "merged.xlsx" in info.value.message and "C1:C3" in info.value.message


def test_header_problems_name_the_file(tmp_path, published):
    write_csv(tmp_path / "export.csv", ["ID VK;Выбор 1", "101;estet"])
    with pytest.raises(BadDataError) as info:
        import_registrants(published, tmp_path / "export.csv")
    assert info.value.message.startswith("export.csv") and "no name column" in info.value.message
