"""A draw killed with SIGKILL mid-command leaves the season before or after it, never a mix."""

from __future__ import annotations

import sys

import pytest

from tests.prizes.fixtures import write_catalogue
from tests.test_crash import (  # noqa: F401  (planned_season is a fixture)
    TRANSACTION_POINTS,
    _snapshot_and_reset,
    _working_copy,
    crash_and_check,
    omp,
    planned_season,
)

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL"), pytest.mark.slow]


def test_kill_during_a_prize_draw(planned_season, tmp_path):  # noqa: F811
    season_dir = _working_copy(planned_season, tmp_path)
    omp("registrants", "import", planned_season / "small.csv", "-w", season_dir)
    omp("prizes", "import", write_catalogue(tmp_path / "catalogue.xlsx"), "-w", season_dir)
    reset = _snapshot_and_reset(tmp_path, season_dir, "prizes")
    crash_and_check(season_dir, ["prizes", "draw", "-w", season_dir], TRANSACTION_POINTS, reset, tmp_path)
