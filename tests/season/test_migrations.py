"""A season made by an earlier release opens, is upgraded in place after a backup, and keeps working."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from openmosprom_cli.season import schema
from openmosprom_cli.season.folder import BACKUP_FOLDER, open_season
from tests.paths import TESTS
from tests.season_digest import season_digest

RELEASES = TESTS / "data" / "seasons"


def copy_of(release: str, tmp_path: Path) -> Path:
    target = tmp_path / release
    shutil.copytree(RELEASES / release, target)
    return target


def stored_version(folder: Path) -> int:
    with sqlite3.connect(folder / "season.db") as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])


def test_a_season_made_by_release_0_1_0_opens_and_is_upgraded(tmp_path, cli):
    folder = copy_of("release-0.1.0", tmp_path)
    assert stored_version(folder) == 1
    season = open_season(folder)
    assert stored_version(folder) == schema.SCHEMA_VERSION
    if schema.SCHEMA_VERSION > 1:
        assert season.upgrade is not None and season.upgrade.from_version == 1
        assert season.upgrade.backup.exists()
    # It keeps working: its people, its tours, and its allocation still audit clean.
    listed = cli("registrants", "list", "--json", "-w", folder)
    assert listed.exit_code == 0, listed.output
    assert '"id"' in listed.output
    assert cli("slots", "list", "-w", folder).exit_code == 0
    audited = cli("audit", "-w", folder)
    assert audited.exit_code == 0, audited.output


def test_a_published_season_of_release_0_2_0_is_upgraded_and_its_runs_still_audit(tmp_path, cli):
    """Release 0.2.0 stored each run's result as JSON rows; step 5 moves them into columns. Every run it
    made (fresh, then incremental after a seat was taken away) and its prize draw still check out, and
    the seats read back are the ones it gave."""
    folder = copy_of("release-0.2.0-aa862d9", tmp_path)
    assert stored_version(folder) == 4
    with sqlite3.connect(folder / "season.db") as conn:
        before = sorted(conn.execute("SELECT registrant_id, tour_id, seats FROM placements "
                                     "WHERE run_id = (SELECT run_id FROM allocation_runs WHERE is_current = 1)"))
    season = open_season(folder)
    assert season.upgrade is not None and season.upgrade.from_version == 4
    assert stored_version(folder) == schema.SCHEMA_VERSION
    with sqlite3.connect(folder / "season.db") as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        after = sorted(conn.execute("SELECT registrant_id, tour_id, seats FROM placements "
                                    "WHERE run_id = (SELECT run_id FROM allocation_runs WHERE is_current = 1)"))
    assert "outcomes" not in tables and "run_columns" in tables
    assert before and after == before
    audited = cli("audit", "--all", "-w", folder)
    assert audited.exit_code == 0, audited.output
    assert "prize result fingerprint" in audited.output
    explained = cli("explain", "1000738", "-w", folder)
    assert explained.exit_code == 0, explained.output
    assert "unassigned" in explained.output
    assert cli("publish", "-w", folder).exit_code == 0


def _with_extra_step(monkeypatch, apply) -> None:
    step = schema.Migration(schema.SCHEMA_VERSION + 1, "a step for the test", apply)
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, step))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", step.version)


def test_an_upgrade_backs_up_the_database_first_and_applies_the_missing_steps(tmp_path, monkeypatch):
    folder = copy_of("release-0.1.0", tmp_path)
    before = season_digest(folder)
    _with_extra_step(monkeypatch, lambda conn: conn.execute("CREATE TABLE added_by_test (x INTEGER)"))

    season = open_season(folder)

    assert season.upgrade is not None
    assert season.upgrade.to_version == schema.SCHEMA_VERSION
    assert "a step for the test" in season.upgrade.steps
    backup = season.upgrade.backup
    assert backup.parent == folder / BACKUP_FOLDER
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    # The backup is the database exactly as it was.
    shutil.copy(backup, tmp_path / "restored.db")
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(backup, restored / "season.db")
    assert season_digest(restored) == before
    assert stored_version(folder) == schema.SCHEMA_VERSION
    with sqlite3.connect(folder / "season.db") as conn:
        conn.execute("SELECT x FROM added_by_test")
    # Opening it again changes nothing more.
    assert open_season(folder).upgrade is None


def test_a_failing_step_leaves_the_season_as_it_was(tmp_path, monkeypatch):
    folder = copy_of("release-0.1.0", tmp_path)
    before = season_digest(folder)

    def half_done(conn):
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise sqlite3.OperationalError("the step fails midway")

    _with_extra_step(monkeypatch, half_done)
    with pytest.raises(sqlite3.OperationalError):
        open_season(folder)
    assert season_digest(folder) == before


def test_a_season_of_a_newer_release_is_refused_with_the_reason(tmp_path, cli):
    folder = copy_of("release-0.1.0", tmp_path)
    with sqlite3.connect(folder / "season.db") as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    result = cli("slots", "list", "-w", folder)
    assert result.exit_code == 65
    assert "newer openmosprom" in result.output and "999" in result.output


@pytest.mark.parametrize("content", [b"not a database at all, just text\n" * 100,
                                     b"SQLite format 3\x00" + b"\x42" * 4000])
def test_a_damaged_database_is_bad_data_and_its_content_is_never_quoted(tmp_path, cli, content):
    folder = copy_of("release-0.1.0", tmp_path)
    (folder / "season.db").write_bytes(content)
    result = cli("slots", "list", "-w", folder)
    assert result.exit_code == 65, result.output
    assert "damaged" in result.output
    assert "just text" not in result.output and "BBBB" not in result.output


def test_a_database_of_another_program_is_not_taken_for_a_season(tmp_path, cli):
    folder = copy_of("release-0.1.0", tmp_path)
    (folder / "season.db").unlink()
    with sqlite3.connect(folder / "season.db") as conn:
        conn.execute("CREATE TABLE people (name TEXT, birth TEXT)")
        conn.execute("INSERT INTO people VALUES ('Иванов Иван', '2001-02-03')")
    result = cli("slots", "list", "-w", folder)
    assert result.exit_code == 65
    assert "not a season database" in result.output
    assert "Иванов" not in result.output and "2001" not in result.output
