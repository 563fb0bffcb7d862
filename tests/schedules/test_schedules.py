"""Reading factories' schedule workbooks: every parsing rule and every validation problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from openmosprom_cli.errors import BadDataError, MissingInputError
from openmosprom_cli.i18n import set_language
from openmosprom_cli.schedules.parse import parse_schedule_files
from openmosprom_cli.settings import Settings

SETTINGS = Settings.defaults(2026)
SITE = {"Код": "estet", "Название": "Эстет", "Email для списков": "estet@example.org"}
HEADER = ("Дата", "Начало", "Размер группы")


def factory_book(path: Path, site: dict | None = None, rows=(("11.12.2026", "10:00", 20),), header=HEADER, *,
                 title_rows=(), site_sheet="Площадка", schedule_sheet="Расписание") -> Path:
    """A per-factory workbook as a person might type it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = site_sheet
    for key, value in (SITE if site is None else site).items():
        ws.append([key, value])
    schedule = wb.create_sheet(schedule_sheet)
    for row in title_rows:
        schedule.append(list(row))
    schedule.append(list(header))
    for row in rows:
        schedule.append(list(row))
    wb.save(path)
    return path


def parse(*paths: Path):
    return parse_schedule_files(list(paths), SETTINGS)


def problems(*paths: Path) -> list[str]:
    with pytest.raises(BadDataError) as info:
        parse(*paths)
    return [str(p) for p in info.value.problems]


def only_site(parsed):
    assert len(parsed.sites) == 1
    return parsed.sites[0]


# -- the per-factory layout -------------------------------------------------------

def test_reads_every_site_field_by_its_russian_name(tmp_path):
    site = {
        "Код": "estet", "Название": "Ювелирный завод «Эстет»", "Отрасль": "Ювелирное производство",
        "Адрес": "Москва, ул. Годовикова, 9", "Контактное лицо": "Анна",
        "Email для списков": "a@example.org; b@example.ru",
        "Телефон": "+7 495 000-00-01", "Минимальный возраст": "14+", "Паспорт обязателен": "да",
        "Только граждане РФ": "нет", "Максимум экскурсий в день": 2, "Длительность, мин": 120,
        "Срок подачи списков, дней": 5, "Примечание для участников": "закрытая обувь, без фото", "Вес": "1,5",
    }
    schedule = only_site(parse(factory_book(tmp_path / "estet.xlsx", site)))
    s = schedule.site
    assert (s.site_id, s.name, s.industry, s.address, s.contact) == (
        "estet", "Ювелирный завод «Эстет»", "Ювелирное производство", "Москва, ул. Годовикова, 9", "Анна")
    assert s.roster_emails == ("a@example.org", "b@example.ru")
    assert (s.phone, s.min_age, s.passport_required, s.citizens_only) == ("+7 495 000-00-01", 14, True, False)
    assert (s.max_tours_per_day, s.duration_min, s.roster_lead_days, s.weight) == (2, 120, 5, 1.5)
    assert s.notes == "закрытая обувь, без фото"
    assert schedule.source_file == "estet.xlsx"
    (c,) = schedule.candidates
    assert (c.date, c.start, c.duration_min, c.capacity, c.tour_id) == (
        dt.date(2026, 12, 11), dt.time(10, 0), 120, 20, "estet-1211-1000")


def test_site_defaults_apply_to_blank_fields(tmp_path):
    s = only_site(parse(factory_book(tmp_path / "a.xlsx"))).site
    assert (s.min_age, s.passport_required, s.citizens_only, s.max_tours_per_day, s.duration_min,
            s.roster_lead_days, s.weight) == (0, False, False, 1, 90, 3, None)


def test_english_aliases(tmp_path):
    site = {"site_id": "estet", "name": "Estet", "roster_email": "x@example.org", "min_age": 7,
            "passport_required": "yes", "citizens_only": "no", "max_tours_per_day": 2, "duration_min": 60,
            "roster_lead_days": 2, "notes": "no photos", "weight": 3}
    header = ("date", "start", "duration_min", "capacity", "note", "pin", "exclude")
    rows = [("2026-12-14", "11:00", 45, 25, "with a workshop", "yes", "no")]
    schedule = only_site(parse(factory_book(tmp_path / "a.xlsx", site, rows, header)))
    assert (schedule.site.min_age, schedule.site.passport_required, schedule.site.weight) == (7, True, 3.0)
    (c,) = schedule.candidates
    assert (c.duration_min, c.capacity, c.note, c.pin, c.exclude) == (45, 25, "with a workshop", True, False)


def test_names_ignore_case_surrounding_spaces_and_yo(tmp_path):
    site = {"  КОД ": "estet", "название": "Эстет", "EMAIL  ДЛЯ   СПИСКОВ": "x@example.org",
            "Срок подачи списков, днёй": 4}
    header = (" ДАТА", "начало  ", "Размер  Группы")
    schedule = only_site(parse(factory_book(tmp_path / "a.xlsx", site, header=header)))
    assert schedule.site.roster_lead_days == 4
    assert len(schedule.candidates) == 1


def test_dates_excel_text_day_first_and_iso(tmp_path):
    rows = [(dt.datetime(2026, 12, 11), "10:00", 20), ("12.12.2026", "10:00", 20), ("2026-12-14", "10:00", 20),
            (dt.date(2026, 12, 15), "10:00", 20), ("16.12.2026", "10:00", 20)]
    dates = [c.date for c in only_site(parse(factory_book(tmp_path / "a.xlsx", rows=rows))).candidates]
    assert dates == [dt.date(2026, 12, d) for d in (11, 12, 14, 15, 16)]


def test_text_date_is_day_first_never_month_first(tmp_path):
    # 11.12 is 11 December; read month-first it would be 12 November, outside the window.
    (c,) = only_site(parse(factory_book(tmp_path / "a.xlsx", rows=[("11.12.2026", "10:00", 20)]))).candidates
    assert c.date == dt.date(2026, 12, 11)


def test_times_excel_and_text(tmp_path):
    rows = [("11.12.2026", dt.time(10, 0), 20), ("12.12.2026", "10.00", 20), ("14.12.2026", "9:30", 20),
            ("15.12.2026", 0.5, 20), ("16.12.2026", "14:15", 20)]
    starts = [c.start for c in only_site(parse(factory_book(tmp_path / "a.xlsx", rows=rows))).candidates]
    assert starts == [dt.time(10), dt.time(10), dt.time(9, 30), dt.time(12), dt.time(14, 15)]


@pytest.mark.parametrize("yes, no", [("да", "нет"), ("Yes", "No"), ("TRUE", "false"), (1, 0), ("+", "-"),
                                     (True, False), ("Да ", " НЕТ")])
def test_yes_no_variants(tmp_path, yes, no):
    site = {**SITE, "Паспорт обязателен": yes, "Только граждане РФ": no}
    header = (*HEADER, "Закрепить", "Исключить")
    rows = [("11.12.2026", "10:00", 20, yes, no), ("12.12.2026", "10:00", 20, no, yes)]
    schedule = only_site(parse(factory_book(tmp_path / "a.xlsx", site, rows, header)))
    assert (schedule.site.passport_required, schedule.site.citizens_only) == (True, False)
    assert [(c.pin, c.exclude) for c in schedule.candidates] == [(True, False), (False, True)]


def test_title_rows_merged_titles_and_blank_rows_are_skipped(tmp_path):
    path = factory_book(tmp_path / "a.xlsx", rows=[("11.12.2026", "10:00", 20), (None, None, None),
                                                  ("14.12.2026", "10:00", 25)],
                        title_rows=[("Расписание экскурсий завода «Эстет»",), (), ("Декабрь 2026",)])
    wb = openpyxl.load_workbook(path)
    wb["Расписание"].merge_cells("A1:C1")
    site = wb["Площадка"]
    site.insert_rows(1, 2)
    site["A1"] = "Сведения о площадке"
    site.merge_cells("A1:B1")
    wb.save(path)
    schedule = only_site(parse(path))
    assert [c.capacity for c in schedule.candidates] == [20, 25]


def test_hidden_columns_are_skipped(tmp_path):
    header = ("Дата", "Размер группы", "Начало", "Размер группы")
    rows = [("11.12.2026", "старое значение", "10:00", 20)]
    path = factory_book(tmp_path / "a.xlsx", rows=rows, header=header)
    wb = openpyxl.load_workbook(path)
    wb["Расписание"].column_dimensions["B"].hidden = True
    wb.save(path)
    (c,) = only_site(parse(path)).candidates
    assert c.capacity == 20


def test_prefilled_date_without_start_is_skipped_silently(tmp_path):
    header = ("Дата", "День недели", "Начало", "Размер группы")
    rows = [("11.12.2026", "пт", None, None), ("12.12.2026", "сб", "10:00", 20), ("14.12.2026", "пн", None, None)]
    schedule = only_site(parse(factory_book(tmp_path / "a.xlsx", rows=rows, header=header)))
    assert [c.date.day for c in schedule.candidates] == [12]


def test_a_row_with_a_group_size_but_no_start_is_a_problem(tmp_path):
    rows = [("11.12.2026", None, 20)]
    assert problems(factory_book(tmp_path / "a.xlsx", rows=rows)) == [
        "a.xlsx › Расписание › row 2 › Начало: is empty; write the start time or clear the row"]


def test_site_id_is_lower_cased(tmp_path):
    assert only_site(parse(factory_book(tmp_path / "a.xlsx", {**SITE, "Код": " Estet "}))).site.site_id == "estet"


def test_folders_expand_to_their_workbooks_skipping_lock_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    factory_book(folder / "b.xlsx", {**SITE, "Код": "bbb"})
    factory_book(folder / "a.xlsx", {**SITE, "Код": "aaa"})
    (folder / "~$a.xlsx").write_bytes(b"an Excel lock file, not a workbook")
    (folder / "notes.txt").write_text("not a workbook")
    parsed = parse(folder)
    assert parsed.files == ("a.xlsx", "b.xlsx")
    assert [s.site.site_id for s in parsed.sites] == ["aaa", "bbb"]


def test_missing_path_and_empty_folder_are_missing_input(tmp_path):
    with pytest.raises(MissingInputError):
        parse(tmp_path / "nope.xlsx")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingInputError):
        parse(tmp_path / "empty")


def test_result_does_not_depend_on_file_order(tmp_path):
    a = factory_book(tmp_path / "a.xlsx", {**SITE, "Код": "zeta"})
    b = factory_book(tmp_path / "b.xlsx", {**SITE, "Код": "alpha"})
    assert parse(a, b).sites == parse(b, a).sites


# -- the combined layout ----------------------------------------------------------------

def combined_book(path: Path, sites, schedule,
                  site_header=("Код", "Название", "Email для списков", "Минимальный возраст"),
                  schedule_header=("Код площадки", "Дата", "Начало", "Размер группы")) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Площадки"
    ws.append(["Все площадки сезона"])
    ws.append(list(site_header))
    for row in sites:
        ws.append(list(row))
    sc = wb.create_sheet("Расписание")
    sc.append(list(schedule_header))
    for row in schedule:
        sc.append(list(row))
    wb.save(path)
    return path


def test_combined_workbook(tmp_path):
    path = combined_book(tmp_path / "all.xlsx",
                         [("estet", "Эстет", "e@example.org", 12), ("il", "ПАО «Ил»", "il@example.ru", "14+")],
                         [("il", "11.12.2026", "10:00", 15), ("estet", "11.12.2026", "10:00", 20),
                          ("ESTET", "12.12.2026", "11:00", 20), (None, "14.12.2026", None, None)])
    parsed = parse(path)
    assert [(s.site.site_id, s.site.min_age, len(s.candidates)) for s in parsed.sites] == [
        ("estet", 12, 2), ("il", 14, 1)]
    assert all(s.source_file == "all.xlsx" for s in parsed.sites)


def test_combined_workbook_unknown_site(tmp_path):
    path = combined_book(tmp_path / "all.xlsx", [("estet", "Эстет", "e@example.org", 0)],
                         [("estet", "11.12.2026", "10:00", 20), ("molniya", "11.12.2026", "10:00", 20)])
    assert problems(path) == ["all.xlsx › Расписание › row 3 › Код площадки: 'molniya' is not a site of the "
                              "'Площадки' sheet"]


def test_combined_workbook_problems_name_the_row_and_column(tmp_path):
    path = combined_book(tmp_path / "all.xlsx", [("estet", "Эстет", "", "много")],
                         [("estet", "11.12.2026", "25:00", 20)])
    assert problems(path) == [
        "all.xlsx › Площадки › row 3 › Минимальный возраст: 'много' is not a whole number",
        "all.xlsx › Площадки › row 3 › Email для списков: is empty; the factory's visitor lists are sent there",
        "all.xlsx › Расписание › row 2 › Начало: '25:00' is not a time (write HH:MM)",
    ]


def test_a_workbook_of_neither_layout_names_its_sheets(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Лист1"
    wb.create_sheet("Данные")
    wb.save(tmp_path / "other.xlsx")
    (message,) = problems(tmp_path / "other.xlsx")
    assert message.startswith("other.xlsx: is not a schedule workbook")
    assert "'Лист1', 'Данные'" in message and "'Площадка'" in message and "'Площадки'" in message


def test_a_file_that_is_not_a_workbook(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip file")
    factory_book(tmp_path / "fine.xlsx")
    (message,) = problems(tmp_path)
    assert message.startswith("broken.xlsx: is a text/CSV file, not an .xlsx workbook")


# -- validation -----------------------------------------------------------------------------

def test_a_russian_interface_reports_the_problems_of_a_workbook_in_russian(tmp_path):
    site = {"Код": "estet", "Название": "Эстет", "Email для списков": "not-an-address", "Минимальный возраст": "14+",
            "Только граждане РФ": "?"}
    set_language("ru")
    found = problems(factory_book(tmp_path / "estet.xlsx", site, rows=(("11.12.2026", "25:00", 20),)))
    assert found == [
        "estet.xlsx › Площадка › строка 3 › Email для списков: 'not-an-address' — не адрес электронной почты: "
        "в адресе должен быть знак @",
        "estet.xlsx › Площадка › строка 5 › Только граждане РФ: '?' — ни «да», ни «нет» (пишите да или нет)",
        "estet.xlsx › Расписание › строка 2 › Начало: '25:00' — не время (пишите ЧЧ:ММ)",
    ]


def test_every_bad_site_value_is_reported_with_its_row(tmp_path):
    site = {"Код": "Эстет завод", "Название": "Эстет", "Email для списков": "not-an-address",
            "Минимальный возраст": "взрослые", "Паспорт обязателен": "может быть", "Только граждане РФ": "?",
            "Максимум экскурсий в день": 0, "Длительность, мин": "полтора часа", "Срок подачи списков, дней": -1,
            "Вес": 0, "Телефон": "+7 495\u202e000"}
    found = problems(factory_book(tmp_path / "estet.xlsx", site))
    prefix = "estet.xlsx › Площадка › row"
    assert found == [
        f"{prefix} 1 › Код: 'Эстет завод' is not a latin slug: use lowercase latin letters, digits and hyphens, "
        "e.g. estet or rot-front",
        f"{prefix} 3 › Email для списков: 'not-an-address' is not an email address: "
        "an email address must have an @-sign",
        f"{prefix} 11 › Телефон: contains the forbidden character U+202E (RIGHT-TO-LEFT OVERRIDE)",
        f"{prefix} 4 › Минимальный возраст: 'взрослые' is not a whole number",
        f"{prefix} 5 › Паспорт обязателен: 'может быть' is not yes or no (write да or нет)",
        f"{prefix} 6 › Только граждане РФ: '?' is not yes or no (write да or нет)",
        f"{prefix} 7 › Максимум экскурсий в день: 0 is not a positive whole number",
        f"{prefix} 8 › Длительность, мин: 'полтора часа' is not a whole number",
        f"{prefix} 9 › Срок подачи списков, дней: -1 is less than 0",
        f"{prefix} 10 › Вес: 0 is not a positive number",
    ]


def test_every_bad_schedule_value_is_reported_with_its_row_and_column(tmp_path):
    header = ("Дата", "Начало", "Длительность, мин", "Размер группы", "Примечание", "Закрепить", "Исключить")
    rows = [
        ("32.12.2026", "10:00", None, 20, None, None, None),
        ("12.12.26", "10:00", None, 20, None, None, None),
        ("14.12.2026", "25:00", None, 20, None, None, None),
        ("15.12.2026", "10:00", "долго", 20, None, None, None),
        ("16.12.2026", "10:00", None, 0, None, None, None),
        ("17.12.2026", "10:00", None, 12.5, None, None, None),
        ("18.12.2026", "10:00", None, "двадцать", None, None, None),
        ("19.12.2026", "10:00", None, 20, None, "возможно", None),
        ("21.12.2026", "10:00", None, 20, None, "да", "да"),
        ("22.12.2026", "10:00", None, None, None, None, None),
        ("11.12.2026", "23:00", None, 20, None, None, None),
    ]
    found = problems(factory_book(tmp_path / "estet.xlsx", rows=rows, header=header))
    p = "estet.xlsx › Расписание › row"
    assert found == [
        f"{p} 2 › Дата: '32.12.2026' is not a real date",
        f"{p} 3 › Дата: '12.12.26' has a two-digit year; write it as DD.MM.YYYY",
        f"{p} 4 › Начало: '25:00' is not a time (write HH:MM)",
        f"{p} 5 › Длительность, мин: 'долго' is not a whole number",
        f"{p} 6 › Размер группы: 0 is not a positive whole number of visitors",
        f"{p} 7 › Размер группы: 12.5 is not a positive whole number of visitors",
        f"{p} 8 › Размер группы: 'двадцать' is not a positive whole number of visitors",
        f"{p} 9 › Закрепить: 'возможно' is not yes or no (write да or нет)",
        f"{p} 10 › Исключить: a tour cannot be both pinned and excluded",
        f"{p} 11 › Размер группы: is empty",
        f"{p} 12 › Начало: the tour starting at 23:00 would end after midnight",
    ]


def test_missing_required_site_fields(tmp_path):
    found = problems(factory_book(tmp_path / "a.xlsx", {"Отрасль": "Кондитерская"}))
    assert found == ["a.xlsx › Площадка › Код: is missing",
                     "a.xlsx › Площадка › Название: is missing",
                     "a.xlsx › Площадка › Email для списков: is missing; the factory's visitor lists are sent there"]


def test_missing_roster_email(tmp_path):
    site = {"Код": "estet", "Название": "Эстет", "Email для списков": "  "}
    assert problems(factory_book(tmp_path / "a.xlsx", site)) == [
        "a.xlsx › Площадка › row 3 › Email для списков: is empty; the factory's visitor lists are sent there"]


def test_unknown_field_with_a_value_is_reported(tmp_path):
    site = {**SITE, "Мин. возраст": 12}
    assert problems(factory_book(tmp_path / "a.xlsx", site)) == [
        "a.xlsx › Площадка › row 4 › Мин. возраст: is not a known field"]


def test_duplicate_site_across_files(tmp_path):
    a = factory_book(tmp_path / "a.xlsx")
    b = factory_book(tmp_path / "b.xlsx", {**SITE, "Код": "ESTET"})
    assert problems(a, b) == ["b.xlsx › Площадка › row 1 › Код: the site 'estet' is already defined in a.xlsx"]


def test_tour_outside_the_season_window(tmp_path):
    rows = [("10.12.2026", "10:00", 20), ("11.12.2026", "10:00", 20), ("12.11.2026", "10:00", 20)]
    assert problems(factory_book(tmp_path / "a.xlsx", rows=rows)) == [
        "a.xlsx › Расписание › row 2 › Дата: 10.12.2026 is outside the season window 11.12.2026–22.12.2026",
        "a.xlsx › Расписание › row 4 › Дата: 12.11.2026 is outside the season window 11.12.2026–22.12.2026",
    ]


def test_overlapping_and_repeated_tours_at_one_site(tmp_path):
    header = ("Дата", "Начало", "Длительность, мин", "Размер группы")
    rows = [("11.12.2026", "10:00", 90, 20), ("11.12.2026", "11:00", 60, 20), ("11.12.2026", "14:00", None, 20),
            ("11.12.2026", "14:00", None, 25), ("12.12.2026", "10:00", 90, 20), ("12.12.2026", "11:30", 90, 20)]
    assert problems(factory_book(tmp_path / "a.xlsx", rows=rows, header=header)) == [
        "a.xlsx › Расписание › row 3 › Начало: 11:00–12:00 on 11.12.2026 overlaps the tour 10:00–11:30 (row 2)",
        "a.xlsx › Расписание › row 5 › Начало: the tour estet-1211-1400 appears twice (also row 4)",
    ]


def test_problems_of_every_file_are_reported_together(tmp_path):
    a = factory_book(tmp_path / "a.xlsx", {**SITE, "Код": "aaa"}, rows=[("11.12.2026", "25:00", 20)])
    b = factory_book(tmp_path / "b.xlsx", {**SITE, "Код": "bbb"}, rows=[("11.12.2026", "10:00", -3)])
    assert problems(a, b) == [
        "a.xlsx › Расписание › row 2 › Начало: '25:00' is not a time (write HH:MM)",
        "b.xlsx › Расписание › row 2 › Размер группы: -3 is not a positive whole number of visitors"]


def test_missing_schedule_header_is_reported(tmp_path):
    found = problems(factory_book(tmp_path / "a.xlsx", header=("Дата", "Группа")))
    # «Дата» and «Группа» (an alias of the group size) make it the header: what is missing there is named once.
    assert found == ["a.xlsx › Расписание › row 1: the required column 'Начало' is missing"]


@hypothesis_settings(max_examples=20)
@given(st.lists(st.tuples(st.integers(11, 13), st.integers(8 * 4, 18 * 4), st.integers(1, 12)), min_size=1,
                max_size=6))
def test_a_schedule_is_accepted_exactly_when_no_two_tours_overlap(tmp_path_factory, tours):
    """Property: the import's overlap rule is the models' overlap rule, whatever the row order."""
    from openmosprom_cli.models import Candidate

    candidates = [Candidate("estet", dt.date(2026, 12, day), dt.time(quarter // 4, quarter % 4 * 15), length * 15, 20)
                  for day, quarter, length in tours]
    clash = any(a.overlaps(b) for i, a in enumerate(candidates) for b in candidates[i + 1:])
    rows = [(f"{c.date:%d.%m.%Y}", f"{c.start:%H:%M}", c.duration_min, 20) for c in candidates]
    path = factory_book(tmp_path_factory.mktemp("p") / "a.xlsx", rows=rows,
                        header=("Дата", "Начало", "Длительность, мин", "Размер группы"))
    if clash:
        assert all("overlaps" in p or "appears twice" in p for p in problems(path))
    else:
        assert sorted(only_site(parse(path)).candidates, key=lambda c: c.starts_at) == sorted(
            candidates, key=lambda c: c.starts_at)
