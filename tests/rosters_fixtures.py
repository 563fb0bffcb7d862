"""A season with an allocation run written by hand: six sites, seven tours, nine people with every kind of result."""

from __future__ import annotations

import datetime as dt

from openmosprom_cli.allocation.result_columns import ResultColumns
from openmosprom_cli.models import Registrant, Site, Tour
from openmosprom_cli.store.registrants import upsert_registrants
from openmosprom_cli.store.runs import insert_result
from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours

EVIL_NAME = '=HYPERLINK("http://evil","x")'


def tour(tour_id: str, site_id: str, day: int, hour: int, minute: int = 0, capacity: int = 10, note: str = "") -> Tour:
    return Tour(tour_id, site_id, dt.date(2026, 12, day), dt.time(hour, minute), 90, capacity, note)


def person(rid: str, name: str, **kw) -> Registrant:
    kw.setdefault("phone", f"+7916{int(rid):07d}" if rid.isdigit() else "+79160000000")
    kw.setdefault("email", f"p{rid}@example.ru")
    return Registrant(rid, name, **kw)


def seed(season, *, sites, tours, people, placements=(), waitlists=None, outcomes=None,
         created_at="2026-12-01T10:00:00"):
    """Store sites, tours, people and a current allocation run the way the allocation stage does."""
    waitlists = waitlists or {}
    outcomes = outcomes or {}
    with season.transaction() as conn:
        for site in sites:
            save_site(conn, site)
        replace_tours(conn, tours)
        upsert_registrants(conn, people, now="2026-11-30T00:00:00")
        run_id = write_run(conn, placements, waitlists, outcomes, created_at)
    return run_id


def write_run(conn, placements, waitlists, outcomes, created_at="2026-12-01T10:00:00"):
    conn.execute("UPDATE allocation_runs SET is_current = 0")
    run_id = conn.execute(
        "INSERT INTO allocation_runs (created_at, seed, inputs_fingerprint, result_fingerprint, is_current) "
        "VALUES (?, '2026', 'in', 'out', 1)", (created_at,)).lastrowid
    insert_result(conn, run_id, placements, ResultColumns.from_rows(outcomes, waitlists).stored())
    return run_id


def outcome(rank, choice, tour_id, code):
    return {"rank": rank, "choice": choice, "tour_id": tour_id, "code": code}


SITES = [
    Site("estet", "Эстет", address="Москва, ул. Рабочая, 1", notes="Сменная обувь"),
    Site("khr", "ГКНПЦ им. М.В. Хруничева", address="Новозаводская, 18", passport_required=True, min_age=14),
    Site("il", "ПАО «Ил»", min_age=12),
    Site("mol", "НПО «Молния»", citizens_only=True),
    Site("kond", "Объединённые кондитеры"),
    Site("idle", "Без экскурсий"),
]
TOURS = [
    tour("estet-1214-1100", "estet", 14, 11),
    tour("estet-1215-1500", "estet", 15, 15, capacity=2, note="Вход со двора"),
    tour("khr-1216-1000", "khr", 16, 10),
    tour("il-1217-1200", "il", 17, 12),
    tour("mol-1218-1300", "mol", 18, 13),
    tour("kond-1219-1100", "kond", 19, 11),
]
PEOPLE = [
    person("101", "Смирнова Анна", birth_date=dt.date(1990, 5, 1), score=50, companions=1, passport="4510 111111",
           citizenship="RU"),
    person("102", "Борисов Борис", birth_date=dt.date(1991, 6, 2), score=40),
    person("103", EVIL_NAME, phone="+79160000103", email="@SUM(1)", score=30),
    person("201", "Кузнецов Пётр", birth_date=dt.date(1985, 3, 3), passport="4511 222222", citizenship="RU",
           score=45),
    person("301", "Орлова Ольга", birth_date=dt.date(2001, 1, 1), passport="4513 444444", score=20),
    person("401", "Волков Виктор", birth_date=dt.date(1970, 7, 7), passport="4512 333333", citizenship="Россия",
           score=15),
    person("501", "Лебедева Лена", birth_date=dt.date(1999, 9, 9), score=10),
    person("601", "-Минусов Никита", birth_date=dt.date(2015, 1, 1), score=5),
    person("701", "Поздняя Полина", score=1),
]
PLACEMENTS = [
    ("101", "estet-1214-1100", 1, 2),
    ("102", "estet-1214-1100", 1, 1),
    ("103", "estet-1215-1500", 1, 1),
    ("201", "khr-1216-1000", 1, 1),
    ("301", "il-1217-1200", 2, 1),
    ("401", "mol-1218-1300", 1, 1),
]
WAITLISTS = {"estet-1215-1500": ["501", "102"], "khr-1216-1000": ["501"]}
OUTCOMES = {
    "101": (1, [outcome(1, "estet", "estet-1214-1100", "placed")]),
    "201": (2, [outcome(1, "khr-1216-1000", "khr-1216-1000", "placed")]),
    "102": (3, [outcome(1, "estet-1214-1100", "estet-1214-1100", "placed")]),
    "103": (4, [outcome(1, "estet-1215-1500", "estet-1215-1500", "placed")]),
    "301": (5, [outcome(1, "khr-1216-1000", "khr-1216-1000", "no_passport"),
                outcome(2, "il-1217-1200", "il-1217-1200", "placed")]),
    "401": (6, [outcome(1, "mol-1218-1300", "mol-1218-1300", "placed")]),
    "501": (7, [outcome(1, "estet-1215-1500", "estet-1215-1500", "full"),
                outcome(2, "khr-1216-1000", "khr-1216-1000", "full")]),
    "601": (8, [outcome(1, "il-1217-1200", "il-1217-1200", "below_min_age"),
                outcome(2, "nowhere", None, "unknown_choice")]),
}




def allocate_by_hand(season):
    seed(season, sites=SITES, tours=TOURS, people=PEOPLE, placements=PLACEMENTS, waitlists=WAITLISTS,
         outcomes=OUTCOMES)
    return season
