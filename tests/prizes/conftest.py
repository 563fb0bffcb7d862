"""Fixtures of the prize tests."""

from __future__ import annotations

import pytest

from tests.prizes.fixtures import drawable


@pytest.fixture
def prize_season(season, tmp_path):
    """Allocated (not published), with the catalogue of tests/prizes/fixtures.py imported."""
    return drawable(season, tmp_path)
