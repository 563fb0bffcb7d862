"""A small season, allocated and published, to change afterwards: who sits where is worked out in the docstring."""

from __future__ import annotations

import datetime as dt

from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.models import Registrant, Site, Tour
from openmosprom_cli.publication.publish import publish
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.registrants import upsert_registrants
from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours

SITES = (
    Site("estet", "Фабрика «Эстет»", roster_emails=("estet@factory.example",), address="ул. Рабочая, 1"),
    Site("kristall", "Завод «Кристалл»", roster_emails=("kristall@factory.example",), passport_required=True),
    Site("zil", "Технопарк «ЗИЛ»", roster_emails=("zil@factory.example",)),
)
E1 = Tour("estet-1214-1000", "estet", dt.date(2026, 12, 14), dt.time(10, 0), 90, 3)
E2 = Tour("estet-1215-1000", "estet", dt.date(2026, 12, 15), dt.time(10, 0), 90, 2)
K1 = Tour("kristall-1216-1100", "kristall", dt.date(2026, 12, 16), dt.time(11, 0), 90, 2)
Z1 = Tour("zil-1217-1200", "zil", dt.date(2026, 12, 17), dt.time(12, 0), 90, 4)
TOURS = (E1, E2, K1, Z1)


def person(rid: str, score: float, *choices: str, companions: int = 0, passport: str = "") -> Registrant:
    return Registrant(rid, f"Участник {rid}", phone=f"+7916000{int(rid) % 10000:04d}", email=f"{rid}@mail.test",
                      birth_date=dt.date(1990, 1, 1), score=score, choices=choices, companions=companions,
                      passport=passport, citizenship="RU")


# In priority order (score), with what the first allocation gives them:
PEOPLE = (
    person("9001", 100, E1.tour_id),                              # E1
    person("9002", 90, E1.tour_id),                               # E1
    person("9003", 80, E1.tour_id, E2.tour_id, companions=1),     # E1 has 1 seat left for a party of 2: E2
    person("9004", 70, E1.tour_id),                               # E1, its last seat
    person("9005", 60, E1.tour_id, Z1.tour_id),                   # waits for E1; Z1
    person("9006", 50, E1.tour_id, Z1.tour_id, companions=2),     # waits for E1; Z1 (3 of its 4 seats)
    person("9007", 40, E1.tour_id, E2.tour_id, companions=1),     # waits for E1 and E2
    person("9008", 30, K1.tour_id, passport="4510 123456"),       # K1
    person("9009", 20, K1.tour_id),                               # no passport: nothing
    person("9010", 10, E1.tour_id),                              # waits for E1
)
FIRST_SEATS = {("9001", E1.tour_id), ("9002", E1.tour_id), ("9003", E2.tour_id), ("9004", E1.tour_id),
               ("9005", Z1.tour_id), ("9006", Z1.tour_id), ("9008", K1.tour_id)}


def stock(season: Season) -> Season:
    with season.transaction() as conn:
        for site in SITES:
            save_site(conn, site)
        replace_tours(conn, TOURS)
        upsert_registrants(conn, PEOPLE, now="2026-11-30T10:00:00")
    return season


def allocate_and_publish(season: Season) -> Season:
    stock(season)
    run_assignment(season)
    publish(season)
    return season


def seats(season) -> set[tuple[str, str]]:
    """Who holds which tour in the current allocation, as (person, tour) pairs."""
    with season.reader() as conn:
        return {(p.registrant_id, p.tour_id) for p in current_allocation(conn).placements}
