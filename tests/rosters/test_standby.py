"""The «Резерв» sheet: the top of each tour's waitlist, with the visitors' fields, in the roster's fingerprint."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.models import Site
from openmosprom_cli.rosters.build import standby_size
from openmosprom_cli.rosters.export import export_rosters
from openmosprom_cli.season.folder import Season, open_season
from openmosprom_cli.settings import load_settings
from tests.rosters.test_rosters import all_text, table
from tests.rosters_fixtures import person, seed, tour, write_run

WAITING = ["1", "2", "3", "4", "5", "6"]


def with_standby_share(season: Season, share: object) -> Season:
    text = season.settings_path.read_text(encoding="utf-8")
    text, found = re.subn(r"^standby_share = .*$", f"standby_share = {share}", text, flags=re.M)
    assert found == 1
    season.settings_path.write_text(text, encoding="utf-8")
    return open_season(season.path)


def waiting_season(season: Season, *, passport_required: bool = False) -> Season:
    """One tour of 10 seats, full with "v", and six people waiting for it, 1 first; "x" holds a seat elsewhere."""
    people = [person("100", "Посетитель Вадим", passport="4500 000100")]
    people += [person(rid, f"Ждущий {rid}", passport=f"4500 00000{rid}" if rid != "3" else "",
                      birth_date=dt.date(1990, 1, int(rid)), citizenship="RU") for rid in WAITING]
    seed(season, sites=[Site("plant", "Завод", passport_required=passport_required), Site("other", "Другой")],
         tours=[tour("plant-1", "plant", 14, 11, capacity=10), tour("other-1", "other", 15, 11)], people=people,
         placements=[("100", "plant-1", 1, 10), ("2", "other-1", 1, 1)], waitlists={"plant-1": WAITING})
    return season


def standby(season: Season) -> list[dict]:
    return table(openpyxl.load_workbook(season.path / "rosters" / "plant.xlsx")["Резерв"])[1]


@pytest.mark.parametrize("capacity, share, size", [
    (10, 0.2, 2), (12, 0.2, 3), (15, 0.2, 3), (1, 0.2, 1), (0, 0.2, 0), (7, 1.0, 7), (30, 0.1, 3), (10, 0.0, 0)])
def test_the_standby_is_the_share_of_the_capacity_rounded_up(capacity, share, size):
    assert standby_size(capacity, share) == size


def test_the_standby_is_the_top_of_the_waitlist_skipping_another_factorys_visitors(season):
    """2 holds a seat at another site: skipped, but still counted in the places the others are told."""
    waiting_season(season)
    export_rosters(season)
    assert [(r["№"], r["ФИО"]) for r in standby(season)] == [(1, "Ждущий 1"), (3, "Ждущий 3")]


def test_standby_positions_are_the_ones_the_visitors_are_told(season):
    waiting_season(season)
    with season.transaction() as conn:   # 1 cancels: everyone after moves up a place
        conn.execute("INSERT INTO cancellations VALUES ('1', 'не придёт', 'организатор', 0)")
    export_rosters(season)
    assert [(r["№"], r["ФИО"]) for r in standby(season)] == [(2, "Ждущий 3"), (3, "Ждущий 4")]


def test_at_a_passport_site_only_people_with_a_passport_are_on_standby_with_the_visitors_fields(season):
    waiting_season(season, passport_required=True)
    export_rosters(season)
    headers, rows = table(openpyxl.load_workbook(season.path / "rosters" / "plant.xlsx")["Резерв"])
    assert headers == ["№", "Экскурсия", "ФИО", "Телефон", "Гостей", "Дата рождения", "Паспорт", "Гражданство"]
    assert rows == [
        {"№": 1, "Экскурсия": "14.12 11.00", "ФИО": "Ждущий 1", "Телефон": "+79160000001", "Гостей": 0,
         "Дата рождения": "01.01.1990", "Паспорт": "4500 000001", "Гражданство": "RU"},
        {"№": 4, "Экскурсия": "14.12 11.00", "ФИО": "Ждущий 4", "Телефон": "+79160000004", "Гостей": 0,
         "Дата рождения": "04.01.1990", "Паспорт": "4500 000004", "Гражданство": "RU"},
    ]


def test_the_standby_is_minimised_like_the_visitors(season):
    waiting_season(season)
    export_rosters(season)
    text = all_text(season.path / "rosters" / "plant.xlsx")
    headers, _ = table(openpyxl.load_workbook(season.path / "rosters" / "plant.xlsx")["Резерв"])
    assert headers == ["№", "Экскурсия", "ФИО", "Телефон", "Гостей"]
    assert "4500 000001" not in text and "01.01.1990" not in text and "p1@example.ru" not in text
    assert "Ждущий 5" not in text     # beyond the standby: the factory never hears of them


def test_the_share_is_configurable(season):
    waiting_season(season)
    export_rosters(with_standby_share(season, 0.5))
    assert [r["ФИО"] for r in standby(season)] == ["Ждущий 1", "Ждущий 3", "Ждущий 4", "Ждущий 5", "Ждущий 6"]
    export_rosters(with_standby_share(season, 0))
    assert standby(season) == []


@pytest.mark.parametrize("value", ["1.5", "-0.1", '"20%"', "nan"])
def test_a_share_outside_0_to_1_is_refused(season, value):
    path = season.settings_path
    path.write_text(re.sub(r"^standby_share = .*$", f"standby_share = {value}", path.read_text(encoding="utf-8"),
                           flags=re.M), encoding="utf-8")
    with pytest.raises(BadDataError, match=r"\[rosters\] standby_share"):
        load_settings(path)


def test_a_new_season_says_what_the_share_is(season):
    text = season.settings_path.read_text(encoding="utf-8")
    assert "[rosters]" in text and "standby_share = 0.2" in text and "Резерв" in text
    assert load_settings(season.settings_path).standby_share == 0.2


def test_the_standby_is_part_of_the_fingerprint_and_the_rest_of_the_waitlist_is_not(season):
    waiting_season(season)
    first = export_rosters(season).sites[-1]
    assert first.site_id == "plant" and first.standby == 2 and first.waitlisted == 6
    with season.transaction() as conn:   # 5 waits beyond the standby
        conn.execute("UPDATE registrants SET phone = '+79990000005' WHERE id = '5'")
    assert export_rosters(season).sites[-1].status == "unchanged"
    with season.transaction() as conn:   # 3 is on it
        conn.execute("UPDATE registrants SET phone = '+79990000003' WHERE id = '3'")
    assert export_rosters(season).sites[-1].status == "changed"
    with season.transaction() as conn:   # a new run puts 4 ahead of 3
        write_run(conn, [("100", "plant-1", 1, 10), ("2", "other-1", 1, 1)], {"plant-1": ["1", "2", "4", "3"]}, {})
    again = export_rosters(season).sites[-1]
    assert again.status == "changed"
    assert [(r["№"], r["ФИО"]) for r in standby(season)] == [(1, "Ждущий 1"), (3, "Ждущий 4")]
