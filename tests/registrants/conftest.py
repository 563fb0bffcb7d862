"""Fixtures shared by the registrant tests."""

from __future__ import annotations

import pytest

from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours
from tests.registrants.test_registrants import SITES, TOURS


@pytest.fixture
def published(season):
    """A season whose tours are published: the list registrants choose from."""
    with season.transaction() as conn:
        for site in SITES:
            save_site(conn, site)
        replace_tours(conn, TOURS)
    return season
