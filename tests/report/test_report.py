"""``openmosprom report``: report.xlsx's numbers against the season's data, and every chart over the right cells.

The season is the history tests' December (tests/history/seasons.py): four
tours, ten people, 9004 cancelled and 9010 promoted into the freed seat, and
the rosters of E1, E2 and Z1 returned.
"""

from __future__ import annotations

import openpyxl
import pytest

from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.attendance.importer import list_attendance
from openmosprom_cli.report.build import write_season_report
from openmosprom_cli.report.sheets import ATTENDANCE_MISSING, PRIZES_MISSING
from openmosprom_cli.store.registrants import load_registrants
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours
from tests.changes.scenario import allocate_and_publish
from tests.history.seasons import december
from tests.report.charts import charts_of


@pytest.fixture
def after_the_tours(tmp_path, monkeypatch):
    season = december(tmp_path / "december")
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2026-12-23")
    return season


def table(ws, first_header: str) -> tuple[int, list[str], list[dict]]:
    """(header row, headers, records) of the sheet's table."""
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == first_header)
    headers = [h for h in rows[start] if h is not None]
    records = [dict(zip(headers, r, strict=False)) for r in rows[start + 1:] if any(v is not None for v in r)]
    return start + 1, headers, records


def by_label(records: list[dict], key: str) -> dict[str, dict]:
    return {r[key]: r for r in records}


def test_the_numbers_are_the_seasons(after_the_tours):
    season = after_the_tours
    written = write_season_report(season)
    book = openpyxl.load_workbook(written.path)
    assert book.sheetnames == ["Сводка", "Места по площадкам", "Места по дням", "Спрос", "Выбор", "Баллы", "Группы",
                               "Посещаемость", "Изменения", "Призы"]

    # Seats, recomputed from the season by the full loader the rosters use.
    with season.reader() as conn:
        allocation = current_allocation(conn)
        tours = {t.tour_id: t for t in load_tours(conn)}
        sites = load_sites(conn)
        people = load_registrants(conn)
    filled: dict[str, int] = {}
    for p in allocation.placements:
        site = tours[p.tour_id].site_id
        filled[site] = filled.get(site, 0) + p.seats
    _, headers, records = table(book["Места по площадкам"], "Площадка")
    assert headers == ["Площадка", "Экскурсий", "Мест", "Занято", "Заполнено"]
    site_rows = by_label(records, "Площадка")
    for site_id, site in sites.items():
        offered = sum(t.capacity for t in tours.values() if t.site_id == site_id)
        row = site_rows[site.name]
        assert (row["Мест"], row["Занято"]) == (offered, filled.get(site_id, 0))
        assert row["Заполнено"] == pytest.approx(filled.get(site_id, 0) / offered)
    assert (site_rows["Итого"]["Экскурсий"], site_rows["Итого"]["Мест"], site_rows["Итого"]["Занято"]) == (4, 11, 10)

    _, _, days = table(book["Места по дням"], "Дата")
    assert [(d["Дата"], d["Мест"], d["Занято"]) for d in days] == [
        ("14.12.2026", 3, 3), ("15.12.2026", 2, 2), ("16.12.2026", 2, 1), ("17.12.2026", 4, 4), ("Итого", 11, 10)]

    _, _, demand = table(book["Спрос"], "Площадка")
    first = {}
    for person in people:
        site = tours[person.choices[0]].site_id
        first[sites[site].name] = first.get(sites[site].name, 0) + 1
    assert {d["Площадка"]: d["Выбрали первой"] for d in demand if d["Площадка"] != "Итого"} == \
        {"Фабрика «Эстет»": first["Фабрика «Эстет»"], "Завод «Кристалл»": first["Завод «Кристалл»"],
         "Технопарк «ЗИЛ»": 0}
    assert first == {"Фабрика «Эстет»": 8, "Завод «Кристалл»": 2}

    _, _, choices = table(book["Выбор"], "Результат")
    assert {c["Результат"]: c["Человек"] for c in choices} == {
        "1-й выбор": 4, "2-й выбор": 3, "3-й выбор": 0, "4-й выбор": 0, "5-й выбор": 0, "без места": 2,
        "отказались": 1}
    assert sum(c["Доля"] for c in choices) == pytest.approx(1.0)

    _, _, deciles = table(book["Баллы"], "Группа по баллам")
    placed = {p.registrant_id for p in allocation.placements}
    ranked = sorted(people, key=lambda p: (-p.score, p.id))
    assert [(d["Наибольший балл"], d["Получили место"]) for d in deciles] == \
        [(p.score, int(p.id in placed)) for p in ranked]

    _, _, parties = table(book["Группы"], "Заявки")
    assert [(p["Заявки"], p["Человек"], p["Получили место"], p["Мест занято"]) for p in parties] == [
        ("без гостей", 7, 5, 5), ("с гостями", 3, 2, 5)]

    _, _, attendance = table(book["Посещаемость"], "Площадка")
    rows = by_label(attendance, "Площадка")
    listed = list_attendance(season)
    for site_id, site in sites.items():
        seats = [s for s in listed.seats if tours.get(s.tour_id) and tours[s.tour_id].site_id == site_id]
        row = rows[site.name]
        assert (row["Мест занято (чел.)"], row["Пришли"], row["Не пришли"], row["Неизвестно"]) == (
            sum(s.listed for s in seats), sum(s.status == "present" for s in seats),
            sum(s.status == "absent" for s in seats), sum(s.status == "unknown" for s in seats))
    assert (rows["Фабрика «Эстет»"]["Пришли"], rows["Фабрика «Эстет»"]["Не пришли"]) == (3, 1)
    assert (rows["Завод «Кристалл»"]["Списков вернули"], rows["Завод «Кристалл»"]["Неизвестно"]) == (0, 1)
    assert (rows["Технопарк «ЗИЛ»"]["Гостей ожидалось"], rows["Итого"]["Не пришли"]) == (2, 2)
    assert rows["Итого"]["Доля неявок"] == pytest.approx(2 / 6)

    _, _, changes = table(book["Изменения"], "Что произошло")
    counts = {c["Что произошло"]: c["Событий"] for c in changes}
    assert counts["получили место из листа ожидания"] == 1      # 9010, into 9004's seat
    assert counts["отказались (человек)"] == 1 and counts["мест освободили отказы"] == 1

    summary = {r[0]: r[1] for r in book["Сводка"].iter_rows(values_only=True) if r[0]}
    assert (summary["Зарегистрировались"], summary["Получили место"], summary["Мест занято"]) == (10, 7, 10)
    assert summary["Не пришли (неявки)"] == 2

    assert PRIZES_MISSING in [r[1] for r in book["Призы"].iter_rows(values_only=True)]


FIRST_HEADERS = {"Места по площадкам": "Площадка", "Места по дням": "Дата", "Спрос": "Площадка", "Выбор": "Результат",
                 "Баллы": "Группа по баллам", "Группы": "Заявки", "Посещаемость": "Площадка",
                 "Изменения": "Что произошло"}


def test_every_chart_draws_its_own_sheets_table(after_the_tours):
    path = write_season_report(after_the_tours).path
    book = openpyxl.load_workbook(path)
    charts = charts_of(path)
    assert {c.sheet for c in charts} == {"Места по площадкам", "Места по дням", "Спрос", "Выбор", "Баллы", "Группы",
                                        "Посещаемость", "Изменения"}
    assert len(charts) == 9
    for chart in charts:
        ws = book[chart.sheet]
        header_row, headers, records = table(ws, FIRST_HEADERS[chart.sheet])
        data_rows = [r for r in records if r[headers[0]] != "Итого"]
        expected_rows = (header_row + 1, header_row + len(data_rows))
        for series in chart.series:
            for ref in (series.categories, series.values, series.name):
                assert ref.sheet == chart.sheet, (chart.title, ref)
            assert series.categories.column == "A" and series.categories.rows == expected_rows, chart.title
            assert series.values.rows == expected_rows, chart.title
            # The series is named by its column's header, and its values are that column's, totals left out.
            header = ws[series.name.first].value
            assert series.name.first == f"{series.values.column}{header_row}" and header in headers
            assert list(series.value_cache) == pytest.approx([float(r[header]) for r in data_rows]), chart.title
            assert list(series.category_cache) == [str(r[headers[0]]) for r in data_rows]
    attendance = [c for c in charts if c.sheet == "Посещаемость"]
    assert [[book["Посещаемость"][s.name.first].value for s in c.series] for c in attendance] == [
        ["Пришли", "Не пришли", "Неизвестно"], ["Доля неявок"]]


def test_a_season_without_attendance_says_so(season, cli):
    allocate_and_publish(season)
    result = cli("report", "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "Attendance: not imported yet" in result.output and "Prizes: not drawn yet." in result.output
    assert "People: 10 registered, 7 hold a seat (70.0%), 0 cancelled." in result.output
    # In Russian, as Russian writes numbers: a decimal comma, a space before the per cent sign.
    russian = cli("--lang", "ru", "report", "--out", season.path / "ru.xlsx", "-w", season.path)
    assert russian.exit_code == 0 and "(70,0\u00a0%)" in russian.output and "70.0" not in russian.output
    path = season.path / "report.xlsx"
    book = openpyxl.load_workbook(path)
    texts = [v for r in book["Посещаемость"].iter_rows(values_only=True) for v in r if v]
    assert ATTENDANCE_MISSING in texts
    assert table(book["Посещаемость"], "Площадка")[2] == []
    assert "Посещаемость" not in {c.sheet for c in charts_of(path)}


def test_a_season_before_any_allocation_gets_a_report_too(stocked, tmp_path, cli):
    result = cli("report", "--out", tmp_path / "r.xlsx", "-w", stocked.path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.xlsx").exists() and "0 of 0 seats filled" in result.output


def test_the_prizes_sheet_counts_the_current_draw(after_the_tours, tmp_path, cli):
    from openmosprom_cli.prizes.catalogue import import_catalogue
    from openmosprom_cli.prizes.current import load_current_prizes
    from openmosprom_cli.prizes.runs import run_draw
    from tests.prizes.fixtures import write_catalogue

    season = after_the_tours
    import_catalogue(season, write_catalogue(tmp_path / "catalogue.xlsx"))
    run_draw(season)
    with season.reader() as conn:
        prizes = load_current_prizes(conn)
    assert prizes is not None and prizes.awards
    first = prizes.awards[0]
    handed_out = cli("prizes", "handed", first.registrant_id, "--item", first.item_id, "-w", season.path)
    assert handed_out.exit_code == 0, handed_out.output

    book = openpyxl.load_workbook(write_season_report(season).path)
    _, _, records = table(book["Призы"], "Приз")
    rows = by_label(records, "Приз")
    for item in prizes.items:
        won = sum(1 for a in prizes.awards if a.item_id == item.item_id)
        handed = 1 if item.item_id == first.item_id else 0
        assert (rows[item.name]["Разыграно"], rows[item.name]["Выдано"], rows[item.name]["Осталось"]) == \
            (won, handed, item.stock - won)
    assert PRIZES_MISSING not in str([c.value for row in book["Призы"].iter_rows() for c in row])
    # The one-screen summary says the same.
    won = len(prizes.awards)
    left = sum(item.stock for item in prizes.items) - won
    summary = cli("report", "--out", tmp_path / "r.xlsx", "-w", season.path)
    assert summary.exit_code == 0, summary.output
    assert f"Prizes: {won} won, 1 handed out, {left} left in stock." in summary.output
