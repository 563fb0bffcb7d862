"""The blank factory workbook: what it contains, and that a filled-in copy imports as typed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
import pytest

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.schedules.importer import import_schedules, list_schedules
from openmosprom_cli.schedules.parse import parse_schedule_files
from openmosprom_cli.schedules.template import write_template
from openmosprom_cli.settings import Settings

SETTINGS = Settings.defaults(2026)


def site_rows(ws) -> dict[str, int]:
    return {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value}


def excel_day(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def validations(ws) -> list[tuple[str, str | None, str]]:
    return [(dv.type, dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation]


def test_template_sheets_fields_and_prefilled_dates(tmp_path):
    settings = dataclasses.replace(SETTINGS, blackout_dates=(dt.date(2026, 12, 13), dt.date(2026, 12, 20)))
    path = write_template(tmp_path / "t.xlsx", settings, "estet")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Инструкция", "Площадка", "Расписание"]
    assert wb.active.title == "Инструкция"
    instructions = " ".join(str(c.value) for c in wb["Инструкция"]["A"] if c.value)
    assert "11.12.2026" in instructions and "13.12.2026" in instructions and "без времени начала" in instructions

    site = wb["Площадка"]
    rows = site_rows(site)
    assert site.cell(row=rows["Код"], column=2).value == "estet"
    for label in ("Название", "Email для списков", "Минимальный возраст", "Паспорт обязателен",
                  "Только граждане РФ", "Максимум экскурсий в день", "Длительность, мин",
                  "Срок подачи списков, дней", "Примечание для участников"):
        assert label in rows
    assert site.cell(row=rows["Паспорт обязателен"], column=2).value == "нет"

    schedule = wb["Расписание"]
    assert [c.value for c in schedule[1]] == ["Дата", "День недели", "Начало", "Длительность, мин",
                                              "Размер группы", "Примечание", "Закрепить", "Исключить"]
    assert all(c.font.bold for c in schedule[1])
    assert schedule.freeze_panes == "A2"
    dates = [schedule.cell(row=r, column=1).value for r in range(2, schedule.max_row + 1)]
    dates = [d.date() for d in dates if d is not None]
    expected = [dt.date(2026, 12, d) for d in range(11, 23) if d not in (13, 20)]
    assert dates == expected
    assert schedule.cell(row=2, column=2).value == "пт"  # 11 December 2026 is a Friday


def test_template_validates_what_the_factory_types(tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", SETTINGS))
    schedule = validations(wb["Расписание"])
    kinds = {kind for kind, _, _ in schedule}
    assert {"date", "time", "whole", "list"} <= kinds
    # One rule per column, its bounds as Excel itself stores them: serial day numbers and fractions of a day.
    assert ("list", '"да,нет"', "G2:G73") in schedule and ("list", '"да,нет"', "H2:H73") in schedule
    assert ("date", str(excel_day(dt.date(2026, 12, 11))), "A2:A73") in schedule
    assert ("time", "0", "C2:C73") in schedule
    assert ("whole", "1", "E2:E73") in schedule
    site = validations(wb["Площадка"])
    assert any(kind == "list" and formula == '"да,нет"' for kind, formula, _ in site)
    assert wb["Площадка"].cell(row=3, column=2).value is None  # no site code given


def test_untouched_template_asks_only_for_the_required_site_fields(tmp_path):
    path = write_template(tmp_path / "estet.xlsx", SETTINGS, "estet")
    with pytest.raises(BadDataError) as info:
        parse_schedule_files([path], SETTINGS)
    assert [str(p) for p in info.value.problems] == [
        "estet.xlsx › Площадка › row 4 › Название: is empty",
        "estet.xlsx › Площадка › row 8 › Email для списков: is empty; the factory's visitor lists are sent there",
    ]


def test_a_template_filled_in_by_hand_imports(season, tmp_path):
    path = write_template(tmp_path / "estet.xlsx", season.settings, "estet")
    wb = openpyxl.load_workbook(path)
    site = wb["Площадка"]
    rows = site_rows(site)
    site.cell(row=rows["Название"], column=2).value = "Ювелирный завод «Эстет»"
    site.cell(row=rows["Email для списков"], column=2).value = "estet@example.org, office@example.ru"
    site.cell(row=rows["Минимальный возраст"], column=2).value = 12
    site.cell(row=rows["Паспорт обязателен"], column=2).value = "да"
    site.cell(row=rows["Максимум экскурсий в день"], column=2).value = 2
    schedule = wb["Расписание"]
    schedule["C2"] = dt.time(11, 0)     # 11.12, a real Excel time
    schedule["E2"] = 20
    schedule["C4"] = "14.30"            # 13.12, typed as text
    schedule["E4"] = "25"
    schedule["D4"] = 60
    schedule["F4"] = "с мастер-классом"
    # A second tour on 11.12, on a row added below the pre-filled dates.
    schedule["A14"] = dt.datetime(2026, 12, 11)
    schedule["C14"] = dt.time(15, 0)
    schedule["E14"] = 15
    schedule["G14"] = "да"
    wb.save(path)

    report = import_schedules(season, [path])
    assert report.sites[0].is_new
    assert report.warnings == (), "every column the template writes is one the import knows"
    (listed,) = list_schedules(season)
    s = listed.site
    assert (s.name, s.roster_emails, s.min_age, s.passport_required, s.citizens_only) == (
        "Ювелирный завод «Эстет»", ("estet@example.org", "office@example.ru"), 12, True, False)
    assert (s.max_tours_per_day, s.duration_min, s.roster_lead_days) == (2, 90, 3)
    assert [(c.tour_id, c.duration_min, c.capacity, c.note, c.pin) for c in listed.candidates] == [
        ("estet-1211-1100", 90, 20, "", False),
        ("estet-1211-1500", 90, 15, "", True),
        ("estet-1213-1430", 60, 25, "с мастер-классом", False),
    ]


def test_template_refuses_a_site_code_that_is_not_a_slug(tmp_path):
    with pytest.raises(BadDataError):
        write_template(tmp_path / "t.xlsx", SETTINGS, "Эстет")
    assert not (tmp_path / "t.xlsx").exists()


def test_template_validation_refuses_bad_values_with_a_message(tmp_path):
    """A rule without showErrorMessage lets Excel accept anything; each must stop the value and say why."""
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", SETTINGS))
    rules = [rule for sheet in ("Площадка", "Расписание") for rule in wb[sheet].data_validations.dataValidation]
    assert rules
    for rule in rules:
        # "stop" is the file format's default, which a writer may leave out.
        assert rule.showErrorMessage and rule.errorStyle in (None, "stop") and rule.error, rule.sqref
