"""A small demo season, made once for the command-line tests that only read it or export from it."""

from __future__ import annotations

import pytest

from openmosprom_cli.demo.run import run_demo


@pytest.fixture(scope="module")
def demo_season(tmp_path_factory):
    """The demo's whole pipeline, 200 registrants, in the 2026 season as the tests' clock sees it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENMOSPROM_TODAY", "2026-11-30")
        patch.setenv("OPENMOSPROM_LANG", "en")
        return run_demo(tmp_path_factory.mktemp("demo") / "season", people=200, year=2026)
