"""When a tour's list is frozen, and when it has begun.

A factory needs its list ``roster_lead_days`` before the tour. From that
deadline the tour's roster is frozen: an allocation no longer promotes anyone
onto it by itself (an organizer still may, with ``move --after-deadline``).
Once the tour has started, nothing changes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from openmosprom_cli.models import Site, Tour


def roster_deadline(tour: Tour, site: Site) -> dt.date:
    return tour.date - dt.timedelta(days=site.roster_lead_days)


def is_frozen(tour: Tour, site: Site, today: dt.date) -> bool:
    return roster_deadline(tour, site) <= today


def has_started(tour: Tour, now: dt.datetime) -> bool:
    return tour.starts_at <= now


def frozen_tours(tours: Iterable[Tour], sites: Mapping[str, Site], today: dt.date) -> tuple[str, ...]:
    """The tours no allocation may fill by itself on ``today``, by ID."""
    return tuple(sorted(t.tour_id for t in tours if is_frozen(t, sites[t.site_id], today)))
