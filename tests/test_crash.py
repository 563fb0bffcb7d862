"""Real processes killed with SIGKILL mid-command leave the season before or after, never a mix."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from functools import partial
from pathlib import Path

import pytest

from openmosprom_cli.checkpoints import PAUSE_AT_ENV, PAUSE_FILE_ENV
from openmosprom_cli.io.files import TEMP_SUFFIX
from tests.season_digest import season_digest

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL"), pytest.mark.slow]

# Wall-clock stamps differ between two runs of the same command; "summary" repeats the run's stamp.
VOLATILE_COLUMNS = {"created_at", "updated_at", "imported_at", "exported_at", "first_seen", "summary"}


def omp(*args, cwd=None, check=True):
    result = subprocess.run([sys.executable, "-m", "openmosprom_cli", *map(str, args)], capture_output=True,
                            text=True, cwd=cwd)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def state_digest(season_dir: Path) -> str:
    return season_digest(season_dir, ignore_columns=VOLATILE_COLUMNS)


def integrity_ok(season_dir: Path) -> bool:
    conn = sqlite3.connect(season_dir / "season.db")
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def run_to(args, point: str, marker: Path) -> subprocess.Popen | None:
    """Start the command paused at ``point``; returns it waiting there, or None if it finished without reaching it."""
    env = {**os.environ, PAUSE_AT_ENV: point, PAUSE_FILE_ENV: str(marker)}
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "openmosprom_cli", *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # No timing: the command says when it is there. The bound only keeps a broken test from hanging CI.
    deadline = time.monotonic() + 600
    while not marker.exists():
        if proc.poll() is not None:
            return None
        assert time.monotonic() < deadline, f"the command never reached {point}"
        time.sleep(0.02)
    assert int(marker.read_text()) == proc.pid
    return proc


def assert_no_half_written_xlsx(folder: Path) -> None:
    for path in folder.rglob("*.xlsx"):
        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None, path


# Where a kill leaves the season: before the command, or after it.
TRANSACTION_POINTS = {"transaction.begun": "before", "transaction.committing": "before",
                      "transaction.committed": "after"}


def crash_and_check(season_dir: Path, args: list, points: dict[str, str], reset, tmp_path: Path,
                    after_kill=None) -> None:
    """Kill the command with SIGKILL at each named point; the season must be exactly as expected there.

    ``after_kill(season_dir, point)``, if given, checks more of what the kill left, before the rerun.
    """
    reset()
    before = state_digest(season_dir)
    omp(*args)
    after = state_digest(season_dir)
    assert before != after, "the command under test changed nothing"
    states = {"before": before, "after": after}
    for point, expected in points.items():
        reset()
        assert state_digest(season_dir) == before
        proc = run_to(args, point, tmp_path / "paused")
        assert proc is not None, f"the command finished without passing {point}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert integrity_ok(season_dir)
        assert state_digest(season_dir) == states[expected], f"not {expected} after a kill at {point}"
        assert_no_half_written_xlsx(season_dir)
        if after_kill is not None:
            after_kill(season_dir, point)
        # the next run cleans up the killed run's temporary files; from "before" it reaches exactly "after"
        omp(*args)
        if expected == "before":
            assert state_digest(season_dir) == after
        assert not list(season_dir.rglob(f"*{TEMP_SUFFIX}"))


@pytest.fixture(scope="module")
def planned_season(tmp_path_factory):
    """A season with the sample schedules imported and tours generated, plus registrant exports."""
    from openmosprom_cli.demo.sample_registrants import (
        generate_registrant_rows,
        write_registrant_export,
    )
    from openmosprom_cli.demo.sample_schedules import write_sample_schedules
    from openmosprom_cli.store.sites import load_sites
    from openmosprom_cli.store.tours import load_tours

    root = tmp_path_factory.mktemp("crash")
    season_dir = root / "season"
    omp("init", season_dir, "--year", "2026")
    write_sample_schedules(root / "schedules", 2026)
    omp("schedules", "import", root / "schedules", "-w", season_dir)
    omp("slots", "generate", "-w", season_dir)
    from openmosprom_cli.season.folder import open_season

    season = open_season(season_dir)
    with season.reader() as conn:
        tours, sites = load_tours(conn), load_sites(conn)
    write_registrant_export(root / "medium.csv", generate_registrant_rows(tours, sites, count=20_000, seed=9,
                                                                           invalid_rows=0))
    write_registrant_export(root / "small.csv", generate_registrant_rows(tours, sites, count=3_000, seed=8,
                                                                          invalid_rows=0))
    return root


def _snapshot_and_reset(root: Path, season_dir: Path, name: str):
    backup = root / f"backup-{name}"
    shutil.rmtree(backup, ignore_errors=True)
    shutil.copytree(season_dir, backup)

    def reset():
        shutil.rmtree(season_dir)
        shutil.copytree(backup, season_dir)

    return reset


def _working_copy(planned_season: Path, tmp_path: Path) -> Path:
    season_dir = tmp_path / "season"
    shutil.copytree(planned_season / "season", season_dir)
    return season_dir


def test_kill_during_schedule_import(planned_season, tmp_path):
    season_dir = _working_copy(planned_season, tmp_path)
    changed = tmp_path / "changed"
    shutil.copytree(planned_season / "schedules", changed)
    # a second, different version of one site's schedule so the import changes something
    import openpyxl

    source = sorted((planned_season / "schedules").glob("*.xlsx"))[0]
    wb = openpyxl.load_workbook(source)
    for row in wb["Площадка"].iter_rows():
        if row[0].value == "Код":
            row[1].value = f"{row[1].value}-copy"
    wb.save(changed / f"{source.stem}-copy.xlsx")
    reset = _snapshot_and_reset(tmp_path, season_dir, "schedules")
    crash_and_check(season_dir, ["schedules", "import", changed, "-w", season_dir], TRANSACTION_POINTS, reset,
                    tmp_path)


def test_kill_during_registrant_import(planned_season, tmp_path):
    season_dir = _working_copy(planned_season, tmp_path)
    reset = _snapshot_and_reset(tmp_path, season_dir, "registrants")
    crash_and_check(season_dir, ["registrants", "import", planned_season / "medium.csv", "-w", season_dir],
                    TRANSACTION_POINTS, reset, tmp_path)


def test_kill_during_allocation(planned_season, tmp_path):
    season_dir = _working_copy(planned_season, tmp_path)
    omp("registrants", "import", planned_season / "medium.csv", "-w", season_dir)
    reset = _snapshot_and_reset(tmp_path, season_dir, "assign")
    crash_and_check(season_dir, ["assign", "-w", season_dir], TRANSACTION_POINTS, reset, tmp_path)


def test_kill_during_roster_export(planned_season, tmp_path):
    season_dir = _working_copy(planned_season, tmp_path)
    omp("registrants", "import", planned_season / "small.csv", "-w", season_dir)
    omp("assign", "-w", season_dir)
    reset = _snapshot_and_reset(tmp_path, season_dir, "rosters")
    # The files of an export are written inside its transaction, before its COMMIT.
    points = {**TRANSACTION_POINTS, "file.written:1": "before", "file.replaced:3": "before"}
    crash_and_check(season_dir, ["rosters", "export", "-w", season_dir], points, reset, tmp_path,
                    after_kill=partial(email_sends_only_recorded_files, tmp_path))


def test_kill_during_an_incremental_allocation_after_publication(planned_season, tmp_path):
    season_dir = _working_copy(planned_season, tmp_path)
    omp("registrants", "import", planned_season / "medium.csv", "-w", season_dir)
    omp("assign", "-w", season_dir)
    omp("publish", "-w", season_dir)
    conn = sqlite3.connect(season_dir / "season.db")
    try:
        seated = [r[0] for r in conn.execute("SELECT registrant_id FROM commitments ORDER BY registrant_id LIMIT 40")]
    finally:
        conn.close()
    omp("registrants", "cancel", *seated, "--reason", "declined", "-w", season_dir)
    reset = _snapshot_and_reset(tmp_path, season_dir, "incremental")
    crash_and_check(season_dir, ["assign", "-w", season_dir], TRANSACTION_POINTS, reset, tmp_path)


def test_kill_during_a_repeat_roster_export_never_lets_email_send_an_unrecorded_file(planned_season, tmp_path):
    """Killed while staging, while moving the new files into place, or after its COMMIT."""
    season_dir = _working_copy(planned_season, tmp_path)
    omp("registrants", "import", planned_season / "small.csv", "-w", season_dir)
    omp("assign", "-w", season_dir)
    omp("rosters", "export", "-w", season_dir)
    files = len(list((season_dir / "rosters").glob("*.xlsx")))
    conn = sqlite3.connect(season_dir / "season.db")
    try:
        (seated,) = conn.execute("SELECT registrant_id FROM placements ORDER BY registrant_id LIMIT 1").fetchone()
    finally:
        conn.close()
    omp("registrants", "cancel", seated, "--reason", "не придёт", "-w", season_dir)   # changes one site's roster
    reset = _snapshot_and_reset(tmp_path, season_dir, "rosters-again")
    # Each file passes file.replaced twice: renamed into the staging folder, then moved into place.
    points = {"file.replaced:3": "before", f"file.replaced:{files + 1}": "before",
              f"file.replaced:{2 * files}": "before", "transaction.committed": "after"}
    refused: list[str] = []
    crash_and_check(season_dir, ["rosters", "export", "-w", season_dir], points, reset, tmp_path,
                    after_kill=partial(email_sends_only_recorded_files, tmp_path, refused=refused))
    # Every new file in place, the old records: the changed site's file is refused.
    assert refused == [f"file.replaced:{2 * files}"]


def email_sends_only_recorded_files(tmp_path: Path, season_dir: Path, point: str, refused: list | None = None) -> None:
    """`rosters email` (dry run, on a copy) refuses with 65, or every roster it would attach is the one recorded."""
    probe = tmp_path / "probe"
    shutil.rmtree(probe, ignore_errors=True)
    shutil.copytree(season_dir, probe)
    result = omp("rosters", "email", "-w", probe, check=False)
    if result.returncode == 65:
        assert "openmosprom rosters export" in result.stdout + result.stderr
        if refused is not None:
            refused.append(point)
        return
    assert result.returncode == 0, result.stdout + result.stderr
    conn = sqlite3.connect(probe / "season.db")
    try:
        recorded = conn.execute("SELECT path, sha256 FROM roster_exports").fetchall()
    finally:
        conn.close()
    for path, sha256 in recorded:
        assert hashlib.sha256((probe / path).read_bytes()).hexdigest() == sha256, (point, path)


def test_a_roster_retired_by_an_export_killed_after_its_commit_is_gone_with_its_record(planned_season, tmp_path):
    """A site no longer in the season loses its roster file and its record together: an export killed just after
    its COMMIT leaves no file that no record names (such a file would stay, read as current, until removed by hand)."""
    season_dir = _working_copy(planned_season, tmp_path)
    omp("registrants", "import", planned_season / "small.csv", "-w", season_dir)
    omp("assign", "-w", season_dir)
    omp("rosters", "export", "-w", season_dir)
    conn = sqlite3.connect(season_dir / "season.db")
    try:
        (site_id, path) = conn.execute("SELECT site_id, path FROM roster_exports ORDER BY site_id LIMIT 1").fetchone()
        with conn:
            conn.execute("DELETE FROM tours WHERE site_id = ?", (site_id,))
            conn.execute("DELETE FROM sites WHERE site_id = ?", (site_id,))
    finally:
        conn.close()
    retired = season_dir / path
    assert retired.is_file()
    omp("assign", "-w", season_dir)
    proc = run_to(["rosters", "export", "-w", season_dir], "transaction.committed", tmp_path / "paused")
    assert proc is not None, "the export finished without passing transaction.committed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(season_dir / "season.db")
    try:
        recorded = {row[0] for row in conn.execute("SELECT site_id FROM roster_exports")}
    finally:
        conn.close()
    assert site_id not in recorded and recorded, "the export's records are committed"
    assert not retired.exists()
