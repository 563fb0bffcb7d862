"""``publish``: the visitors' notifications and changes, numbered, and every seat kept from then on."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

from openmosprom_cli.publication.publish import publish
from openmosprom_cli.store.changes import load_commitments, load_publications
from tests.fork_fixtures import copy_to_fork_in, run_counting_forks
from tests.rosters_fixtures import EVIL_NAME, PLACEMENTS


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_notifications_tell_each_person_their_result_in_one_line(allocated):
    report = publish(allocated)
    assert report.notifications_path.name == "notifications-0001.csv"
    lines = read_csv(report.notifications_path)
    assert list(lines[0]) == ["ID VK", "ФИО", "Результат", "ID экскурсии", "Площадка", "Дата", "Время", "Адрес",
                              "Место в листе ожидания", "Примечание"]
    assert len(lines) == len({line["ID VK"] for line in lines}) == 9
    by_id = {line["ID VK"]: line for line in lines}
    assert by_id["101"] == {"ID VK": "101", "ФИО": "Смирнова Анна", "Результат": "место",
                            "ID экскурсии": "estet-1214-1100", "Площадка": "Эстет", "Дата": "14.12.2026",
                            "Время": "11:00", "Адрес": "Москва, ул. Рабочая, 1", "Место в листе ожидания": "",
                            "Примечание": "Сменная обувь"}
    assert by_id["103"]["Примечание"] == "Сменная обувь Вход со двора"
    # The waitlisted are told their best place; 102 holds a seat, so 501 is first in both lines.
    assert (by_id["501"]["Результат"], by_id["501"]["ID экскурсии"], by_id["501"]["Место в листе ожидания"]) == (
        "лист ожидания", "estet-1215-1500", "1")
    assert (by_id["601"]["Результат"], by_id["601"]["ID экскурсии"]) == ("нет", "")
    assert "возраст ниже допустимого" in by_id["601"]["Примечание"]
    assert by_id["701"]["Результат"] == "нет"
    assert [line["ID VK"] for line in lines][:2] == ["101", "201"]  # priority order


def test_notifications_prefix_values_a_spreadsheet_would_evaluate(allocated):
    names = {line["ID VK"]: line["ФИО"] for line in read_csv(publish(allocated).notifications_path)}
    assert names["103"] == "'" + EVIL_NAME
    assert names["601"] == "'-Минусов Никита"
    assert names["101"] == "Смирнова Анна"


def test_the_first_publication_announces_every_seat_and_keeps_it(allocated):
    report = publish(allocated)
    assert report.number == 1 and report.committed == len(PLACEMENTS)
    changes = read_csv(report.changes_path)
    assert sorted(c["ID VK"] for c in changes) == sorted(rid for rid, *_ in PLACEMENTS)
    assert {c["Что изменилось"] for c in changes} == {"место выделено"}
    with allocated.reader() as conn:
        kept = {(c.registrant_id, c.tour_id, c.holding.seats) for c in load_commitments(conn)}
    assert kept == {(rid, tour, seats) for rid, tour, _, seats in PLACEMENTS}


def test_publishing_again_with_nothing_changed_says_so_in_a_new_file(allocated, cli):
    first = publish(allocated)
    result = cli("publish", "-w", allocated.path)
    assert result.exit_code == 0, result.output
    assert "Publication 2" in result.output and "0 seats announced" in result.output
    assert "Nothing changed for anyone" in result.output
    second = allocated.path / "publications" / "changes-0002.csv"
    assert read_csv(second) == []
    assert first.changes_path.exists()      # never overwritten
    with allocated.reader() as conn:
        assert [p.publication_id for p in load_publications(conn)] == [1, 2]


def test_the_files_are_owner_only(allocated):
    report = publish(allocated)
    for path in (report.notifications_path, report.changes_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.changes_path.parent.stat().st_mode) == 0o700


def test_publishing_before_any_allocation_exits_66(season, cli):
    result = cli("publish", "-w", season.path)
    assert result.exit_code == 66
    assert "assign" in result.output


def test_a_large_publication_writes_the_notices_in_a_second_process_with_the_same_bytes(allocated, tmp_path):
    """From PEOPLE_WORTH_A_PROCESS people on, notifications.csv is written by a forked child (workers.py)."""
    copy = copy_to_fork_in(allocated.path, tmp_path)
    publish(allocated)    # the fixture's nine people: one process
    forks, _ = run_counting_forks("from openmosprom_cli.publication import publish\n"
                                  "workers.PEOPLE_WORTH_A_PROCESS = 1\n"
                                  "publish.publish(season)", copy)
    assert forks == 1
    one, two = allocated.path / "publications", copy / "publications"
    assert {p.name: p.read_bytes() for p in two.iterdir()} == {p.name: p.read_bytes() for p in one.iterdir()}
    assert stat.S_IMODE((two / "notifications-0001.csv").stat().st_mode) == 0o600
