"""Temporary files of a run in flight are never removed by another run; those of runs that died are."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from openmosprom_cli.io.files import TEMP_SUFFIX, atomic_path
from openmosprom_cli.season.folder import open_season

# A second process holds the season's lock (optionally) and has a temporary file in flight, then waits.
HOLDER = textwrap.dedent("""
    import sys, contextlib
    from pathlib import Path
    from openmosprom_cli.io.files import atomic_path
    from openmosprom_cli.season.folder import open_season

    season = open_season(Path(sys.argv[1]))
    hold_lock = sys.argv[2] == "lock"
    with (season.lock() if hold_lock else contextlib.nullcontext()):
        with atomic_path(season.path / "rosters" / "site.xlsx", private=True) as tmp:
            tmp.write_bytes(b"half written")
            print(tmp, flush=True)
            sys.stdin.readline()          # until the test says so
            if sys.argv[3] == "die":
                import os
                os._exit(9)               # as if killed: the temporary file stays behind
""")


def start_holder(season_dir: Path, *, lock: bool, then: str = "finish") -> tuple[subprocess.Popen, Path]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(season_dir), "lock" if lock else "no", then],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    assert line, "the holder did not start"
    return process, Path(line)


def finish(process: subprocess.Popen) -> None:
    process.stdin.write("go\n")
    process.stdin.flush()
    process.wait(60)


def test_a_read_only_command_leaves_another_runs_file_in_flight(season, cli):
    holder, in_flight = start_holder(season.path, lock=True)
    try:
        assert in_flight.name.endswith(TEMP_SUFFIX)
        result = cli("slots", "list", "-w", season.path)
        assert result.exit_code == 0, result.output
        assert in_flight.exists(), "a read-only command removed another run's file in flight"
        assert stat.S_IMODE(in_flight.stat().st_mode) == 0o600
    finally:
        finish(holder)
    final = season.path / "rosters" / "site.xlsx"
    assert final.read_bytes() == b"half written"
    assert stat.S_IMODE(final.stat().st_mode) == 0o600


def test_a_writer_leaves_the_file_of_a_live_writer_that_holds_no_lock(season):
    holder, in_flight = start_holder(season.path, lock=False)
    try:
        with open_season(season.path).transaction():
            pass
        assert in_flight.exists()
    finally:
        finish(holder)


def test_the_file_of_a_run_that_died_is_removed_by_the_next_run_that_takes_the_lock(season, cli):
    holder, left_behind = start_holder(season.path, lock=True, then="die")
    finish(holder)
    assert holder.returncode == 9
    assert left_behind.exists()
    assert cli("slots", "list", "-w", season.path).exit_code == 0
    assert left_behind.exists(), "only a run holding the lock cleans up"
    with open_season(season.path).transaction():
        pass
    assert not left_behind.exists()


def test_a_private_output_recreated_by_its_writer_is_still_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "roster.xlsx"
        with atomic_path(target, private=True) as tmp:
            tmp.unlink()                   # something removed it mid-write…
            tmp.write_bytes(b"passports")  # …and the writer made it again, with the umask's mode
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_season_folders_are_owner_only_whatever_the_umask(tmp_path, cli):
    old = os.umask(0)
    try:
        result = cli("init", tmp_path / "season", "--year", "2026")
        assert result.exit_code == 0, result.output
        with atomic_path(tmp_path / "season" / "rosters" / "x.xlsx", private=True) as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "season").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "season" / "rosters").stat().st_mode) == 0o700
