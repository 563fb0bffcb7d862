import datetime as dt
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from openmosprom_cli.models import Registrant, Site, Tour
from openmosprom_cli.privacy import purge_personal_data
from openmosprom_cli.store.registrants import (
    load_registrant,
    load_registrants,
    upsert_registrants,
)
from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours


@pytest.fixture(autouse=True)
def _after_the_season(monkeypatch):
    """Purges happen after tours: "today" is after every date these tests purge before."""
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2027-01-31")


def _setup(season):
    early = Tour("early-1211-1000", "early", dt.date(2026, 12, 11), dt.time(10), 90, 20)
    late = Tour("late-1222-1000", "late", dt.date(2026, 12, 22), dt.time(10), 90, 20)
    people = [
        Registrant("1", "Иванов Иван", birth_date=dt.date(1990, 1, 1), passport="4510 123456", citizenship="РФ"),
        Registrant("2", "Петрова Анна", birth_date=dt.date(2001, 5, 5), passport="4511 654321", citizenship="РФ"),
        Registrant("3", "Сидоров Олег", birth_date=dt.date(1985, 3, 3)),
    ]
    with season.transaction() as conn:
        for site_id in ("early", "late"):
            save_site(conn, Site(site_id, site_id))
        replace_tours(conn, [early, late])
        upsert_registrants(conn, people, now="2026-12-01T00:00:00")
        # Not an allocation inputs snapshot (see test_audit_after_purge.py for those): a snapshot of
        # unknown shape still loses every sensitive field of the people whose tours are over.
        snapshot = {"registrants": [{"id": p.id, "birth_date": p.birth_date.isoformat(), "passport": p.passport,
                                     "citizenship": p.citizenship, "full_name": p.full_name} for p in people]}
        conn.execute("INSERT INTO allocation_runs (run_id, created_at, seed, inputs_fingerprint, result_fingerprint, "
                     "is_current, inputs) VALUES (1, '2026-12-01', '1', 'a', 'b', 1, ?)", (json.dumps(snapshot),))
        conn.execute("INSERT INTO placements VALUES (1, '1', 'early-1211-1000', 1, 1)")
        conn.execute("INSERT INTO placements VALUES (1, '2', 'late-1222-1000', 1, 1)")
        # person 3 is unplaced
        roster = season.path / "rosters" / "early.xlsx"
        roster.parent.mkdir()
        roster.write_bytes(b"roster")
        os.chmod(roster, 0o600)
        conn.execute("INSERT INTO roster_exports VALUES ('early', 'f', '[]', 'rosters/early.xlsx', '2026-12-01', '')")
    return roster


def test_purge_erases_only_people_whose_tours_are_over(season):
    roster = _setup(season)
    report = purge_personal_data(season, dt.date(2026, 12, 15))
    assert (report.people, report.passports, report.birth_dates, report.waiting) == (1, 1, 1, 2)
    with season.reader() as conn:
        people = {r.id: r for r in load_registrants(conn)}
        snapshot = json.loads(conn.execute("SELECT inputs FROM allocation_runs").fetchone()[0])
    assert people["1"].passport == "" and people["1"].birth_date is None and people["1"].citizenship == ""
    assert people["1"].full_name == "Иванов Иван"  # names stay
    assert people["2"].passport == "4511 654321"  # tour still ahead
    assert people["3"].birth_date == dt.date(1985, 3, 3)  # unplaced: season not over yet
    by_id = {p["id"]: p for p in snapshot["registrants"]}
    assert by_id["1"]["passport"] == "" and by_id["1"]["birth_date"] is None
    assert by_id["2"]["passport"] == "4511 654321"
    assert not roster.exists() and report.files_removed == (roster,)


def test_purge_after_the_season_erases_everyone(season):
    _setup(season)
    report = purge_personal_data(season, dt.date(2027, 1, 1))
    assert report.people == 3 and report.waiting == 0
    with season.reader() as conn:
        assert all(not r.passport and r.birth_date is None for r in load_registrants(conn))
    assert purge_personal_data(season, dt.date(2027, 1, 1)).people == 0


def test_purge_command_asks_first(season, cli):
    _setup(season)
    result = cli("privacy", "purge", "--before", "15.12.2026", "-w", season.path, input="n\n")
    assert result.exit_code == 1
    with season.reader() as conn:
        assert load_registrant(conn, "1").passport == "4510 123456"
    result = cli("privacy", "purge", "--before", "15.12.2026", "--yes", "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "1 passports" in result.output or "1 passport" in result.output
    with season.reader() as conn:
        assert load_registrant(conn, "1").passport == ""


def test_rejected_import_rows_are_removed_once_the_season_is_over(season):
    _setup(season)
    rejected = season.path / "rejected-export.xlsx"
    rejected.write_bytes(b"passports of rejected rows")
    assert rejected not in purge_personal_data(season, dt.date(2026, 12, 15)).files_removed
    assert rejected.exists()
    assert rejected in purge_personal_data(season, dt.date(2027, 1, 1)).files_removed
    assert not rejected.exists()


def test_a_purge_into_the_future_is_refused_and_changes_nothing(season, cli, monkeypatch):
    _setup(season)
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2026-12-01")
    result = cli("privacy", "purge", "--before", "23.12.2026", "--yes", "-w", season.path)
    assert result.exit_code == 65 and "after today" in result.output
    with season.reader() as conn:
        assert load_registrant(conn, "1").passport == "4510 123456"


def test_a_purge_that_cannot_remove_its_files_erases_nothing(season, cli, monkeypatch):
    roster = _setup(season)
    eml = season.path / "outbox" / "early-new.eml"
    eml.parent.mkdir()
    eml.write_bytes(b"a roster attached")
    with season.transaction() as conn:
        conn.execute("INSERT INTO outbox (message_id, site_id, state, fingerprint, recipients, subject, eml_path, "
                     "created_at, updated_at, sent_at) VALUES ('<m1>', 'early', 'sent', 'f', '[]', 'S', "
                     "'outbox/early-new.eml', '2026-12-01', '2026-12-01', '2026-12-01')")
    # A folder the purge may not write in (root may write anywhere, so it is told so too).
    real_access = os.access
    monkeypatch.setattr("openmosprom_cli.privacy.os.access",
                        lambda path, mode: False if Path(path) == roster.parent else real_access(path, mode))
    os.chmod(roster.parent, 0o500)
    try:
        result = cli("privacy", "purge", "--before", "15.12.2026", "--yes", "-w", season.path)
    finally:
        os.chmod(roster.parent, 0o700)
    assert result.exit_code == 73 and "nothing was erased" in result.output
    assert roster.exists() and eml.exists()
    with season.reader() as conn:
        assert load_registrant(conn, "1").passport == "4510 123456"


def test_files_are_chosen_by_what_they_hold_and_the_outbox_keeps_its_record(season):
    roster = _setup(season)
    os.chmod(roster, 0o640)                     # someone loosened it: it still holds passports
    eml = season.path / "outbox" / "early-new.eml"
    eml.parent.mkdir()
    eml.write_bytes(b"a roster attached")
    with season.transaction() as conn:
        conn.execute("INSERT INTO outbox (message_id, site_id, state, fingerprint, recipients, subject, eml_path, "
                     "created_at, updated_at, sent_at) VALUES ('<m1>', 'early', 'sent', 'f', ?, 'S', "
                     "'outbox/early-new.eml', '2026-12-01', '2026-12-01', '2026-12-01')", ('["a@b.ru"]',))
    export = season.path / "registrants-export.csv"
    export.write_text("ID VK;ФИО;Паспорт\n1;Иванов Иван;4510 123456\n", encoding="utf-8")
    report = purge_personal_data(season, dt.date(2026, 12, 15))
    assert not roster.exists() and not eml.exists()
    assert set(report.files_removed) == {roster, eml}
    with season.reader() as conn:
        sent = conn.execute("SELECT state, recipients, sent_at, eml_path FROM outbox").fetchone()
    assert tuple(sent) == ("sent", '["a@b.ru"]', "2026-12-01", "")
    held = {h.path: h.holds for h in report.still_holding}
    assert held[export] == "passports, birth dates or citizenship"


def test_no_erased_value_survives_in_the_database_file(season):
    _setup(season)
    with season.transaction() as conn:
        conn.execute("UPDATE registrants SET passport = '4510 987654', birth_date = '1977-07-17' WHERE id = '1'")
        # A snapshot large enough to need overflow pages, which a rewrite frees with the old values in them.
        snapshot = {"registrants": [{"id": "1", "birth_date": "1977-07-17", "passport": "4510 987654",
                                     "note": "x" * 20000}]}
        conn.execute("UPDATE allocation_runs SET inputs = ?", (json.dumps(snapshot),))
    with sqlite3.connect(season.db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")      # the values are in season.db itself now
    assert b"4510 987654" in (season.path / "season.db").read_bytes()
    purge_personal_data(season, dt.date(2026, 12, 15))
    for suffix in ("", "-wal"):
        path = season.path / f"season.db{suffix}"
        if path.exists():
            data = path.read_bytes()
            assert b"4510 987654" not in data and b"1977-07-17" not in data, path.name
    assert stat.S_IMODE(os.stat(season.path / "season.db").st_mode) == 0o600
