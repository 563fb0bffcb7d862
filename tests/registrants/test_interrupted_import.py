"""Ctrl-C (SIGINT) sent to a real command at named points: what it says is true, and the files agree.

The command pauses at a checkpoint; the test sends SIGINT, then lets it go on
by removing the pause file. No timing is involved.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openmosprom_cli.checkpoints import PAUSE_AT_ENV, PAUSE_FILE_ENV
from openmosprom_cli.errors import EX_INTERRUPTED
from openmosprom_cli.io.files import TEMP_SUFFIX
from openmosprom_cli.registrants.listing import list_registrants
from tests.registrants.test_registrants import GOOD_ROWS, HEADER, write_csv
from tests.season_digest import season_digest

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]


def interrupted_at(point: str, args: list, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run the command to ``point``, press Ctrl-C there, let it go on, and return how it ended."""
    marker = tmp_path / "paused"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "openmosprom_cli", *map(str, args)],
                            env={**os.environ, PAUSE_AT_ENV: point, PAUSE_FILE_ENV: str(marker)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600      # only keeps a broken test from hanging CI
    while not marker.exists():
        assert proc.poll() is None, f"the command ended without reaching {point}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"the command never reached {point}"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGINT)
    marker.unlink()
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def half_bad_export(tmp_path):
    """Three good rows and one the import rejects, so --skip-invalid writes rejected-export.xlsx."""
    return write_csv(tmp_path / "export.csv", [HEADER, *GOOD_ROWS,
                                              GOOD_ROWS[0].replace("101", "104").replace(";120;", ";много;")])


def _import(season, path) -> list:
    return ["registrants", "import", path, "--skip-invalid", "-w", season.path]


def test_ctrl_c_before_the_commit_changes_nothing_and_leaves_no_rejected_file(published, half_bad_export, tmp_path):
    before = season_digest(published.path)
    result = interrupted_at("transaction.committing", _import(published, half_bad_export), tmp_path)
    assert result.returncode == EX_INTERRUPTED, result.stderr
    assert "before saving anything" in result.stderr and "unchanged" in result.stderr
    assert season_digest(published.path) == before
    assert not (published.path / "rejected-export.xlsx").exists()
    assert not list(published.path.rglob(f"*{TEMP_SUFFIX}"))


def test_ctrl_c_right_after_the_commit_still_puts_the_rejected_file_in_place(published, half_bad_export, tmp_path):
    result = interrupted_at("transaction.finishing", _import(published, half_bad_export), tmp_path)
    assert result.returncode == EX_INTERRUPTED, result.stderr
    assert "after saving" in result.stderr and "unchanged" not in result.stderr
    assert {r.id for r in list_registrants(published)} == {"101", "102", "103"}
    assert (published.path / "rejected-export.xlsx").exists()
    assert not list(published.path.rglob(f"*{TEMP_SUFFIX}"))


def test_ctrl_c_after_the_commit_says_the_change_was_saved(published, half_bad_export, tmp_path):
    result = interrupted_at("transaction.committed", _import(published, half_bad_export), tmp_path)
    assert result.returncode == EX_INTERRUPTED, result.stderr
    assert "after saving" in result.stderr and "1 step)" in result.stderr
    assert {r.id for r in list_registrants(published)} == {"101", "102", "103"}
    assert (published.path / "rejected-export.xlsx").exists()


def test_a_clean_import_interrupted_before_its_commit_keeps_the_earlier_rejected_file(published, half_bad_export,
                                                                                       tmp_path, cli):
    """The earlier file still tells the truth about the season as it stays: the earlier import."""
    assert cli(*_import(published, half_bad_export)).exit_code == 0
    clean = write_csv(tmp_path / "export.csv", [HEADER, *GOOD_ROWS])
    result = interrupted_at("transaction.committing", _import(published, clean), tmp_path)
    assert result.returncode == EX_INTERRUPTED
    assert (published.path / "rejected-export.xlsx").exists()
    assert cli(*_import(published, clean)).exit_code == 0
    assert not (published.path / "rejected-export.xlsx").exists()
