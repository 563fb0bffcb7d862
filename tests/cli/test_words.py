"""One word, one meaning (issue 15, point 3): "People" counts people and "Seats" counts seats, guests included,
in every table of the command line; in Russian «Посетителей» and «Мест». "Visitors" names no count."""

from __future__ import annotations

import json


def _table_rows(output: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if line.startswith("│")]


def _header(output: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in line.split("┃")[1:-1]]


def test_rosters_export_counts_people_and_seats_and_email_counts_the_same_seats(cli, demo_season):
    where = demo_season.path
    exported = json.loads(cli("rosters", "export", "--json", "-w", where).output)
    seats = {site["site_id"]: site["seats_taken"] for site in exported["sites"]}
    people = {site["site_id"]: site["visitors"] for site in exported["sites"]}
    assert any(seats[s] > people[s] for s in seats)          # guests make the two differ: one word each

    table = cli("rosters", "export", "-w", where).output
    assert {"People", "Seats"} <= set(_header(table))
    emailed = cli("rosters", "email", "-w", where).output
    header = _header(emailed)
    assert "Seats" in header and "People" not in header
    column = header.index("Seats")
    shown = {row[0]: row[column] for row in _table_rows(emailed) if row[0] in seats}
    assert shown == {site: str(n) for site, n in seats.items()}
    for output in (table, emailed):
        assert "Visitors" not in output


def test_in_russian_people_are_posetiteley_and_seats_mest(cli, demo_season):
    where = demo_season.path
    table = cli("--lang", "ru", "rosters", "export", "-w", where).output
    assert {"Посетителей", "Мест"} <= set(_header(table))
    emailed = cli("--lang", "ru", "rosters", "email", "-w", where).output
    assert "Мест" in _header(emailed) and "Посетителей" not in _header(emailed)
