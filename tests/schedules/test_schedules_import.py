"""Importing schedules into a season: all-or-nothing, the change report, listing, and the commands."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.models import Tour
from openmosprom_cli.schedules.importer import import_schedules, list_schedules
from openmosprom_cli.store.tours import replace_tours

SITE = {"Код": "estet", "Название": "Эстет", "Email для списков": "estet@example.org", "Минимальный возраст": 12}
HEADER = ("Дата", "Начало", "Размер группы", "Примечание")
ROWS = [("11.12.2026", "10:00", 20, ""), ("12.12.2026", "11:00", 25, ""), ("14.12.2026", "15:00", 20, "")]


def book(path: Path, site: dict = SITE, rows=ROWS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Площадка"
    for key, value in site.items():
        ws.append([key, value])
    schedule = wb.create_sheet("Расписание")
    schedule.append(list(HEADER))
    for row in rows:
        schedule.append(list(row))
    wb.save(path)
    return path


def db_dump(season) -> list[str]:
    conn = sqlite3.connect(season.db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_import_saves_sites_and_candidates(season, tmp_path):
    report = import_schedules(season, [book(tmp_path / "estet.xlsx")])
    assert report.files == ("estet.xlsx",)
    (site,) = report.sites
    assert (site.site_id, site.is_new, site.candidates, site.changed) == ("estet", True, 3, True)
    assert site.tours.added == ("estet-1211-1000", "estet-1212-1100", "estet-1214-1500")
    (listed,) = list_schedules(season)
    assert listed.site.min_age == 12 and listed.source_file == "estet.xlsx"
    assert [c.tour_id for c in listed.candidates] == list(site.tours.added)


def test_reimporting_identical_files_reports_no_change(season, tmp_path):
    path = book(tmp_path / "estet.xlsx")
    import_schedules(season, [path])
    report = import_schedules(season, [path])
    assert not report.has_changes
    (site,) = report.sites
    assert (site.is_new, site.tours.added, site.tours.removed, site.tours.changed, site.tours.unchanged) == (
        False, (), (), (), 3)


def test_reimport_reports_added_removed_and_changed_tours(season, tmp_path):
    import_schedules(season, [book(tmp_path / "estet.xlsx")])
    rows = [("11.12.2026", "10:00", 30, "с мастер-классом"), ("14.12.2026", "15:00", 20, ""),
            ("15.12.2026", "10:00", 20, "")]
    report = import_schedules(season, [book(tmp_path / "estet.xlsx", {**SITE, "Минимальный возраст": 14}, rows)])
    (site,) = report.sites
    assert site.tours.added == ("estet-1215-1000",)
    assert site.tours.removed == ("estet-1212-1100",)
    assert site.tours.changed == ("estet-1211-1000",)
    assert site.tours.details == ("estet-1211-1000: capacity 20 → 30, note — → с мастер-классом",)
    assert site.site_changes == ("min_age 12 → 14",)
    assert [c.tour_id for c in list_schedules(season)[0].candidates] == [
        "estet-1211-1000", "estet-1214-1500", "estet-1215-1000"]


def test_reimport_leaves_other_sites_alone(season, tmp_path):
    import_schedules(season, [book(tmp_path / "a.xlsx"), book(tmp_path / "b.xlsx", {**SITE, "Код": "il"})])
    import_schedules(season, [book(tmp_path / "a.xlsx", rows=ROWS[:1])])
    counts = {s.site.site_id: len(s.candidates) for s in list_schedules(season)}
    assert counts == {"estet": 1, "il": 3}


def test_a_failed_import_changes_nothing(season, tmp_path):
    import_schedules(season, [book(tmp_path / "estet.xlsx")])
    before = db_dump(season)
    good = book(tmp_path / "il.xlsx", {**SITE, "Код": "il"})
    changed = book(tmp_path / "estet.xlsx", {**SITE, "Минимальный возраст": 18},
                   rows=[("11.12.2026", "10:00", 40, ""), ("12.12.2026", "25:00", 20, "")])
    with pytest.raises(BadDataError) as info:
        import_schedules(season, [good, changed])
    assert [str(p) for p in info.value.problems] == [
        "estet.xlsx › Расписание › row 3 › Начало: '25:00' is not a time (write HH:MM)"]
    assert db_dump(season) == before


def test_report_warns_when_tours_were_generated_earlier(season, tmp_path):
    import_schedules(season, [book(tmp_path / "estet.xlsx")])
    with season.transaction() as conn:
        replace_tours(conn, [Tour("estet-1211-1000", "estet", dt.date(2026, 12, 11), dt.time(10), 90, 20)])
    assert not import_schedules(season, [tmp_path / "estet.xlsx"]).tours_already_generated
    report = import_schedules(season, [book(tmp_path / "estet.xlsx", rows=ROWS[:2])])
    assert report.tours_already_generated


# -- commands --------------------------------------------------------------------------

def test_cli_template_import_list(cli, season, tmp_path):
    out = tmp_path / "estet-template.xlsx"
    result = cli("schedules", "template", out, "--site-id", "estet", "-w", season.path)
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out)["Площадка"]["B3"].value == "estet"

    result = cli("schedules", "import", book(tmp_path / "estet.xlsx"), "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "estet" in result.output and "new" in result.output

    result = cli("schedules", "import", tmp_path / "estet.xlsx", "-w", season.path)
    assert result.exit_code == 0 and "Nothing changed" in result.output

    book(tmp_path / "estet.xlsx", rows=[("11.12.2026", "10:00", 30, ""), ("15.12.2026", "10:00", 20, "")])
    result = cli("schedules", "import", tmp_path / "estet.xlsx", "-w", season.path)
    assert result.exit_code == 0
    for line in ("+ estet-1215-1000", "- estet-1212-1100", "- estet-1214-1500", "~ estet-1211-1000: capacity 20 → 30"):
        assert line in result.output

    result = cli("schedules", "list", "--json", "-w", season.path)
    assert result.exit_code == 0
    (schedule,) = json.loads(result.output)
    assert schedule["site"]["site_id"] == "estet" and schedule["site"]["roster_emails"] == ["estet@example.org"]
    assert [(c["tour_id"], c["start"], c["capacity"]) for c in schedule["candidates"]] == [
        ("estet-1211-1000", "10:00", 30), ("estet-1215-1000", "10:00", 20)]

    result = cli("schedules", "list", "-w", season.path)
    assert result.exit_code == 0
    assert "estet-1215-1000" in result.output and "1 site, 2 candidate tours" in result.output


def test_cli_template_refuses_to_overwrite(cli, season, tmp_path):
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"precious")
    result = cli("schedules", "template", out, "-w", season.path)
    assert result.exit_code == 73 and "already exists" in result.output
    assert out.read_bytes() == b"precious"
    assert cli("schedules", "template", out, "--force", "-w", season.path).exit_code == 0
    assert openpyxl.load_workbook(out).sheetnames == ["Инструкция", "Площадка", "Расписание"]


def test_cli_template_rejects_a_bad_site_id(cli, season, tmp_path):
    result = cli("schedules", "template", tmp_path / "t.xlsx", "--site-id", "эстет", "-w", season.path)
    assert result.exit_code == 65 and "latin slug" in result.output
    assert not (tmp_path / "t.xlsx").exists()


def test_cli_import_bad_data_exits_65_listing_every_problem(cli, season, tmp_path):
    a = book(tmp_path / "a.xlsx", rows=[("11.12.2026", "25:00", 20, "")])
    b = book(tmp_path / "b.xlsx", {**SITE, "Email для списков": ""})
    before = db_dump(season)
    result = cli("schedules", "import", a, b, "-w", season.path)
    assert result.exit_code == 65
    assert "a.xlsx › Расписание › row 2 › Начало: '25:00' is not a time" in result.output
    assert "b.xlsx › Площадка › row 3 › Email для списков: is empty" in result.output
    assert "b.xlsx › Площадка › row 1 › Код: the site 'estet' is already defined in a.xlsx" in result.output
    assert "Traceback" not in result.output
    assert db_dump(season) == before


def test_cli_import_missing_file_exits_66(cli, season, tmp_path):
    result = cli("schedules", "import", tmp_path / "nope.xlsx", "-w", season.path)
    assert result.exit_code == 66 and "does not exist" in result.output


def test_cli_list_on_an_empty_season(cli, season):
    result = cli("schedules", "list", "-w", season.path)
    assert result.exit_code == 0 and "No schedules yet" in result.output
    assert json.loads(cli("schedules", "list", "--json", "-w", season.path).output) == []
