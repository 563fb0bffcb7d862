"""The changes package's tests share the published scenario season."""

from __future__ import annotations

import pytest

from tests.changes.scenario import allocate_and_publish


@pytest.fixture
def published(season):
    """The scenario's season, allocated and published."""
    return allocate_and_publish(season)
