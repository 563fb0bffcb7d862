"""Running a step in a fresh interpreter that counts its forks: the test runner may have threads of its own,
and with another thread running workers.py never forks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_COUNTING_FORKS = """
import os, sys, pathlib
from openmosprom_cli import workers
from openmosprom_cli.season.folder import open_season
forks = []
real_fork = os.fork
def fork():
    pid = real_fork()
    if pid:
        forks.append(pid)
    return pid
os.fork = fork
season = open_season(pathlib.Path(sys.argv[1]))
"""


def run_counting_forks(code: str, season_path: Path) -> tuple[int, str]:
    """Run ``code`` (which sees ``season``, opened from ``season_path``) and return how many times it forked,
    with what it printed."""
    result = subprocess.run([sys.executable, "-c", _COUNTING_FORKS + code + "\nprint(len(forks))\n",
                             str(season_path)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OPENMOSPROM_TODAY": os.environ.get("OPENMOSPROM_TODAY", "2026-11-30")})
    assert result.returncode == 0, result.stderr
    *printed, forks = result.stdout.splitlines()
    return int(forks), "\n".join(printed)


def copy_to_fork_in(season_path: Path, tmp_path: Path) -> Path:
    """A copy of the season, for the step to run again in a process that may fork (skipped where none can)."""
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    copy = tmp_path / "copy"
    shutil.copytree(season_path, copy)
    return copy
