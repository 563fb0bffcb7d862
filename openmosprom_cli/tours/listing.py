"""The season's tours as the organizer reviews them: per site and per day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from openmosprom_cli.models import Site, Tour
from openmosprom_cli.season.folder import Season
from openmosprom_cli.settings import Settings
from openmosprom_cli.store.meta import get_meta
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours


@dataclass(frozen=True)
class TourListing:
    tours: tuple[Tour, ...]  # ordered by date, start, site
    sites: Mapping[str, Site]
    per_site: Mapping[str, int]  # every site, including those without tours
    per_day: Mapping[dt.date, int]  # every open day of the window, and any other day that has tours
    generated_at: str | None


def list_tours(season: Season) -> TourListing:
    with season.reader() as conn:
        tours = tuple(load_tours(conn))
        sites = load_sites(conn)
        generated_at = get_meta(conn, "tours_generated_at")
    return TourListing(tours, sites, *_counts(tours, sites, season.settings), generated_at)


def _counts(tours, sites, settings: Settings) -> tuple[dict[str, int], dict[dt.date, int]]:
    per_site = dict.fromkeys(sorted(sites), 0)
    days = {settings.window_start + dt.timedelta(days=i)
            for i in range((settings.window_end - settings.window_start).days + 1)}
    days -= set(settings.blackout_dates)
    days |= {t.date for t in tours}
    per_day = dict.fromkeys(sorted(days), 0)
    for t in tours:
        per_site[t.site_id] += 1
        per_day[t.date] += 1
    return per_site, per_day
