"""The fourteen sample factory workbooks: they import cleanly, look real, and are reproducible."""

from __future__ import annotations

from pathlib import Path

import pytest

from openmosprom_cli.demo.sample_schedules import write_sample_schedules
from openmosprom_cli.schedules.importer import import_schedules, list_schedules
from openmosprom_cli.schedules.parse import parse_schedule_files
from openmosprom_cli.season.folder import init_season
from openmosprom_cli.settings import Settings
from tests.paths import REPO

NAMED_SITES = ("Эстет", "Научные Развлечения", "ГКНПЦ им. М.В. Хруничева", "ПАО «Ил»", "НПО «Молния»",
               "Объединённые кондитеры")
AEROSPACE = {"khrunichev", "il", "npo-molniya"}
SATURDAY, SUNDAY = 5, 6


@pytest.fixture(scope="module")
def samples_2026(tmp_path_factory) -> list[Path]:
    return write_sample_schedules(tmp_path_factory.mktemp("samples"), 2026)


@pytest.fixture(scope="module")
def imported(samples_2026, tmp_path_factory):
    season = init_season(tmp_path_factory.mktemp("season") / "s", year=2026)
    report = import_schedules(season, samples_2026)
    return report, list_schedules(season)


def test_fourteen_workbooks_import_cleanly(samples_2026, imported):
    report, schedules = imported
    assert len(samples_2026) == 14 and all(p.suffix == ".xlsx" for p in samples_2026)
    assert len(report.sites) == 14 and all(s.is_new for s in report.sites)
    assert len(schedules) == 14


def test_the_announcements_sites_and_eight_clearly_named_examples(imported):
    _, schedules = imported
    names = [s.site.name for s in schedules]
    for named in NAMED_SITES:
        assert sum(named in name for name in names) == 1, named
    examples = [name for name in names if name.endswith("(пример)")]
    assert len(examples) == 8
    industries = " ".join(s.site.industry.lower() for s in schedules)
    for industry in ("напит", "кондитер", "игруш", "обув", "ювелир"):
        assert industry in industries


def test_samples_are_realistic(imported):
    _, schedules = imported
    candidates = [c for s in schedules for c in s.candidates]
    assert len(candidates) > 2 * 36
    weekdays = {c.date.weekday() for c in candidates}
    assert SATURDAY in weekdays and SUNDAY not in weekdays and len(weekdays - {SATURDAY}) == 5
    for schedule in schedules:
        site = schedule.site
        assert 5 <= len(schedule.candidates) <= 10, site.site_id
        assert all(15 <= c.capacity <= 40 for c in schedule.candidates), site.site_id
        assert site.address.startswith("Москва, ")
        assert site.roster_emails and all(e.rsplit("@", 1)[1] in ("example.org", "example.ru")
                                          for e in site.roster_emails)
        assert site.notes
        if site.site_id in AEROSPACE:
            assert site.min_age in (14, 18) and site.passport_required, site.site_id
        else:
            assert site.min_age in (0, 7, 12) and not site.passport_required, site.site_id
    assert any(s.site.citizens_only for s in schedules)
    assert {s.site.min_age for s in schedules} >= {0, 7, 12, 14, 18}


def test_samples_are_reproducible(samples_2026, tmp_path):
    again = write_sample_schedules(tmp_path, 2026)
    assert [p.name for p in again] == [p.name for p in samples_2026]
    for first, second in zip(samples_2026, again):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_committed_samples_are_what_the_generator_writes_byte_for_byte(samples_2026):
    """``schedules/*.xlsx`` are what ``scripts/make_sample_schedules.py`` makes today, to the byte."""
    committed = sorted((REPO / "schedules").glob("*.xlsx"))
    assert [p.name for p in committed] == [p.name for p in samples_2026]
    for ours, generated in zip(committed, samples_2026):
        assert ours.read_bytes() == generated.read_bytes(), f"{ours}: rerun scripts/make_sample_schedules.py"


def test_samples_for_another_year_fit_its_window(tmp_path):
    paths = write_sample_schedules(tmp_path, 2029)
    parsed = parse_schedule_files(paths, Settings.defaults(2029))
    dates = {c.date for s in parsed.sites for c in s.candidates}
    assert min(dates).year == 2029 and all(11 <= d.day <= 22 and d.month == 12 for d in dates)
    assert SATURDAY in {d.weekday() for d in dates}
