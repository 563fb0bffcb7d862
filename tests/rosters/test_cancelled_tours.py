"""Cancelled tours in the rosters: listed with their reason, in the fingerprint; an emptied site keeps its roster."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from openmosprom_cli.changes.tours import cancel_season_tour
from openmosprom_cli.rosters.export import export_rosters
from tests.rosters.test_rosters import raw_cell, roster_rows, table
from tests.rosters_fixtures import EVIL_NAME


@pytest.fixture(autouse=True)
def _before_the_tours(monkeypatch):
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2026-12-01")


def by_site(report):
    return {s.site_id: s for s in report.sites}


def test_a_cancelled_tour_is_listed_with_its_reason_and_its_visitors_and_standby_are_gone(allocated):
    first = by_site(export_rosters(allocated))
    cancel_season_tour(allocated, "estet-1215-1500", reason="ремонт цеха")   # 103 sat there; 501 and 102 waited
    report = by_site(export_rosters(allocated))
    wb = openpyxl.load_workbook(report["estet"].path)
    assert wb.sheetnames == ["14.12 11.00", "Резерв", "Отменённые экскурсии"]
    headers, rows = table(wb["Отменённые экскурсии"], first_header="ID экскурсии")
    assert headers == ["ID экскурсии", "Дата", "Время", "Причина"]
    assert [(r["ID экскурсии"], r["Дата"].date(), r["Время"], r["Причина"]) for r in rows] == [
        ("estet-1215-1500", dt.date(2026, 12, 15), dt.time(15, 0), "ремонт цеха")]
    assert table(wb["Резерв"])[1] == []
    assert report["estet"].status == "changed" and report["estet"].cancelled_tours == 1
    assert {k: v.status for k, v in report.items() if k != "estet"} == {k: "unchanged" for k in first if k != "estet"}
    recorded = json.loads(roster_rows(allocated)["estet"]["visitors"])
    assert {(v["id"], v["tour_id"]) for v in recorded} == {("101", "estet-1214-1100"), ("102", "estet-1214-1100")}


def test_the_cancelled_tours_are_part_of_the_fingerprint(allocated):
    """kond's tour had nobody on it: its cancellation changes nobody's seat, yet the factory must hear it."""
    export_rosters(allocated)
    cancel_season_tour(allocated, "kond-1219-1100", reason="нет электричества")
    kond = by_site(export_rosters(allocated))["kond"]
    assert kond.status == "changed" and kond.tours == 0
    assert openpyxl.load_workbook(kond.path).sheetnames == ["Резерв", "Отменённые экскурсии"]


def test_a_site_whose_tours_were_cancelled_before_any_export_gets_no_roster(allocated):
    cancel_season_tour(allocated, "kond-1219-1100", reason="нет электричества")
    assert "kond" not in by_site(export_rosters(allocated))
    assert not (allocated.path / "rosters" / "kond.xlsx").exists()


def test_an_exported_site_whose_only_tour_is_cancelled_keeps_its_roster(allocated):
    export_rosters(allocated)
    cancel_season_tour(allocated, "khr-1216-1000", reason="нет пропусков")
    khr = by_site(export_rosters(allocated))["khr"]
    assert (khr.tours, khr.visitors, khr.standby, khr.cancelled_tours, khr.status) == (0, 0, 0, 1, "changed")
    assert json.loads(roster_rows(allocated)["khr"]["visitors"]) == []


def test_a_cancellation_reason_stays_text(allocated):
    export_rosters(allocated)
    cancel_season_tour(allocated, "kond-1219-1100", reason=EVIL_NAME)
    path = by_site(export_rosters(allocated))["kond"].path
    cell = raw_cell(path, "Отменённые экскурсии", EVIL_NAME)
    assert cell.type in ("s", "inlineStr") and cell.quote_prefix and not cell.has_formula
