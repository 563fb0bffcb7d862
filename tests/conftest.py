from __future__ import annotations

import os
from pathlib import Path

# The tests read the English interface, whatever the machine's locale; set before the package is imported,
# since the command modules make their help in the language chosen at import (see openmosprom_cli/i18n.py).
os.environ["OPENMOSPROM_LANG"] = "en"

import pytest
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from openmosprom_cli.cli.main import app
from openmosprom_cli.i18n import set_language
from openmosprom_cli.season.folder import init_season
from tests.rosters_fixtures import allocate_by_hand
from tests.tours_fixtures import stock_season

# Bounded by default; OPENMOSPROM_FUZZ_EXAMPLES=5000 for a deeper run. Under CI the examples are
# derandomized, so a landing never hangs on a new random draw; local runs keep exploring.
hypothesis_settings.register_profile("ci", max_examples=int(os.environ.get("OPENMOSPROM_FUZZ_EXAMPLES", "60")),
                                     deadline=None, derandomize=bool(os.environ.get("CI")),
                                     print_blob=True)
hypothesis_settings.load_profile("ci")


TESTS_TODAY = "2026-11-30"


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch):
    monkeypatch.delenv("OPENMOSPROM_WORKSPACE", raising=False)
    monkeypatch.delenv("OPENMOSPROM_DEBUG", raising=False)
    monkeypatch.setenv("OPENMOSPROM_LANG", "en")
    set_language("en")
    monkeypatch.delenv("OPENMOSPROM_SMTP_PASSWORD", raising=False)
    # The fixtures' seasons run in December 2026; a fixed "today" keeps every test true on any later day.
    monkeypatch.setenv("OPENMOSPROM_TODAY", TESTS_TODAY)
    monkeypatch.delenv("OPENMOSPROM_TEST_PAUSE_AT", raising=False)


@pytest.fixture
def season(tmp_path: Path):
    """A fresh 2026 season in a temporary folder."""
    return init_season(tmp_path / "season", year=2026)


@pytest.fixture
def stocked(season):
    """The 2026 season with three sites offering 10:00 and 14:00 on every day of the window."""
    return stock_season(season)


@pytest.fixture
def allocated(season):
    """A season with six sites, tours, nine people and an allocation run written by hand."""
    return allocate_by_hand(season)


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input, env=env, catch_exceptions=False)

    return invoke
