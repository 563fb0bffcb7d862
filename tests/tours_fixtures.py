"""A season stocked with candidate tours, for the tours tests and the table-reading tests that export them."""

from __future__ import annotations

import datetime as dt

from openmosprom_cli.models import Candidate, Site
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.sites import replace_candidates, save_site

DAYS = [dt.date(2026, 12, 11) + dt.timedelta(days=i) for i in range(12)]
SITES = [
    Site("estet", "Эстет", address="ул. Летниковская, 10", min_age=12, notes="=HYPERLINK(\"http://x\")"),
    Site("il", "ПАО «Ил»", address="Ленинградский пр., 45", min_age=18, passport_required=True),
    Site("molniya", "НПО «Молния»", address="ул. Новосходненская, 6"),
]


def stock_season(season: Season) -> Season:
    """Three sites offering 10:00 and 14:00 on every day of the window."""
    with season.transaction() as conn:
        for site in SITES:
            save_site(conn, site)
            note = "Сбор у проходной" if site.site_id == "molniya" else ""
            replace_candidates(conn, site.site_id, [
                Candidate(site.site_id, day, dt.time(hour, 0), 90, 20 + 5 * i, note=note)
                for day in DAYS for i, hour in enumerate((10, 14))])
    return season
