import datetime as dt
import os
import sqlite3
import stat
import threading

import pytest

from openmosprom_cli.errors import (
    CannotCreateError,
    SeasonBusyError,
    SeasonNotFoundError,
)
from openmosprom_cli.season.folder import find_season, init_season, open_season
from openmosprom_cli.season.schema import SCHEMA_VERSION
from openmosprom_cli.settings import default_year, load_settings


def test_init_writes_commented_defaults(tmp_path):
    season = init_season(tmp_path / "s", year=2026)
    text = season.settings_path.read_text(encoding="utf-8")
    assert "#" in text
    s = load_settings(season.settings_path)
    assert (s.window_start, s.window_end) == (dt.date(2026, 12, 11), dt.date(2026, 12, 22))
    assert s.tours == 36 and s.min_per_site == 2 and s.max_tours_per_day is None and s.blackout_dates == ()
    conn = sqlite3.connect(season.db_path)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_init_refuses_existing_season_without_force(tmp_path):
    init_season(tmp_path / "s", year=2026)
    with pytest.raises(CannotCreateError):
        init_season(tmp_path / "s", year=2027)
    assert load_settings(tmp_path / "s" / "season.toml").year == 2026
    assert init_season(tmp_path / "s", year=2027, force=True).settings.year == 2027


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_a_season_db_that_is_a_dangling_link_is_refused_and_force_never_writes_where_it_points(tmp_path):
    """A link named season.db, pointing at nothing: init takes it for a season and refuses; --force puts a real
    database in its place, owner-only, and writes nothing where the link pointed (no path leaves the folder)."""
    folder, target = tmp_path / "s", tmp_path / "elsewhere" / "season.db"
    folder.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (folder / "season.db").symlink_to(target)
    with pytest.raises(CannotCreateError, match="already holds a season"):
        init_season(folder, year=2026)
    assert (folder / "season.db").is_symlink() and not target.exists()
    season = init_season(folder, year=2026, force=True)
    assert not season.db_path.is_symlink() and not target.exists()
    assert stat.S_IMODE(os.stat(season.db_path).st_mode) == 0o600
    assert open_season(folder).settings.year == 2026


def test_default_year_is_the_coming_december():
    assert default_year(dt.date(2026, 11, 27)) == 2026
    assert default_year(dt.date(2026, 12, 23)) == 2027


def test_workspace_lookup_order(tmp_path, monkeypatch):
    a = init_season(tmp_path / "a", year=2026)
    b = init_season(tmp_path / "b", year=2027)
    monkeypatch.chdir(tmp_path / "a")
    assert find_season().settings.year == 2026
    monkeypatch.setenv("OPENMOSPROM_WORKSPACE", str(b.path))
    assert find_season().settings.year == 2027
    assert find_season(a.path).settings.year == 2026
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENMOSPROM_WORKSPACE")
    with pytest.raises(SeasonNotFoundError) as info:
        find_season()
    assert "openmosprom init" in info.value.hint


def test_failed_transaction_changes_nothing(season):
    with pytest.raises(RuntimeError), season.transaction() as conn:
        conn.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")
        raise RuntimeError("boom")
    with season.reader() as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE key='x'").fetchone()[0] == 0


def test_second_writer_gets_busy_error_naming_pid(tmp_path):
    season = init_season(tmp_path / "s", year=2026)
    text = season.settings_path.read_text().replace("lock_timeout_s = 10", "lock_timeout_s = 0.2")
    season.settings_path.write_text(text)
    season = open_season(season.path)
    with season.transaction():
        errors = []

        def second():
            try:
                with season.transaction():
                    pass
            except SeasonBusyError as exc:
                errors.append(exc)

        t = threading.Thread(target=second)
        t.start()
        t.join()
        # readers are never blocked by the writer
        with season.reader() as conn:
            conn.execute("SELECT count(*) FROM sites").fetchone()
    assert errors and "in use by another run (pid" in errors[0].message
    assert errors[0].exit_code == 75


def test_cli_init_and_refusal(cli, tmp_path):
    result = cli("init", tmp_path / "s", "--year", "2026")
    assert result.exit_code == 0, result.output
    result = cli("init", tmp_path / "s")
    assert result.exit_code == 73
    assert "already holds a season" in result.output


def test_season_db_is_readable_by_owner_only(season):
    import os
    import stat

    with season.transaction() as conn:
        conn.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')")
    for name in ("season.db", "season.db-wal"):
        path = season.path / name
        if path.exists():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name


def test_a_second_process_exits_75_naming_the_holder_and_readers_do_not_wait(tmp_path):
    import subprocess
    import sys
    import time

    season = init_season(tmp_path / "s", year=2026)
    text = season.settings_path.read_text().replace("lock_timeout_s = 10", "lock_timeout_s = 0.5")
    season.settings_path.write_text(text)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\n"
         "from openmosprom_cli.season.folder import open_season\n"
         "with open_season(sys.argv[1]).transaction():\n"
         "    print('locked', flush=True)\n"
         "    sys.stdin.readline()\n", str(season.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        writer = subprocess.run([sys.executable, "-m", "openmosprom_cli", "slots", "generate", "-w", str(season.path)],
                                capture_output=True, text=True)
        assert writer.returncode == 75, writer.stderr
        assert f"in use by another run (pid {holder.pid})" in writer.stderr
        assert time.monotonic() - started >= 0.5
        reader = subprocess.run([sys.executable, "-m", "openmosprom_cli", "slots", "list", "-w", str(season.path)],
                                capture_output=True, text=True, timeout=300)
        assert reader.returncode == 0, reader.stderr
    finally:
        holder.kill()
        holder.wait()


def test_debug_shows_the_traceback_and_keeps_the_exit_status(cli, tmp_path):
    missing = tmp_path / "nowhere"
    plain = cli("slots", "list", "-w", missing)
    assert plain.exit_code == 66 and "Traceback" not in plain.output
    debug = cli("--debug", "slots", "list", "-w", missing)
    assert debug.exit_code == 66 and "Traceback" in debug.output and "no season in" in debug.output


def test_commands_find_the_season_from_a_subfolder_as_git_does(cli, tmp_path, monkeypatch):
    here = init_season(tmp_path / "season-2026", year=2026)
    other = init_season(tmp_path / "season-2027", year=2027)
    inside = here.path / "rosters" / "old"
    inside.mkdir(parents=True)
    monkeypatch.chdir(inside)
    assert find_season().path.resolve() == here.path.resolve()
    result = cli("schedules", "list")
    assert result.exit_code == 0 and "No schedules yet" in result.output
    # -w and $OPENMOSPROM_WORKSPACE still win over the folders above
    assert find_season(other.path).settings.year == 2027
    monkeypatch.setenv("OPENMOSPROM_WORKSPACE", str(other.path))
    assert find_season().settings.year == 2027
    assert cli("init", "--help").exit_code == 0


def test_a_folder_with_no_season_above_it_says_so(cli, tmp_path, monkeypatch):
    lost = tmp_path / "nowhere" / "deeper"
    lost.mkdir(parents=True)
    monkeypatch.chdir(lost)
    result = cli("schedules", "list")
    assert result.exit_code == 66
    assert "no season in" in result.output and "openmosprom init" in result.output
