"""The allocation as the rosters see it, and each site's roster built from it.

A site's roster holds only that site's visitors, each tour's standby (the top
of its waitlist) and its cancelled tours, and only the visitor fields the site
needs (:attr:`SiteRoster.fields`). Its fingerprint tells whether the factory
must be sent an updated list.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import _
from openmosprom_cli.models import Registrant, Site, Tour
from openmosprom_cli.rosters.codes import visitor_code

if TYPE_CHECKING:   # at run time the allocation comes built: `rosters email` reads the roles without loading numpy
    from openmosprom_cli.allocation.current import CurrentAllocation
    from openmosprom_cli.allocation.result import Placement

VISITOR, STANDBY = "visitor", "standby"

# -- one site's roster -------------------------------------------------------------

@dataclass(frozen=True)
class RosterEntry:
    """One visitor on a tour's list, or one person on its standby."""

    person: Registrant
    companions: int
    position: int  # 1-based: row on the tour's list, or place on its waitlist as the visitors are told it
    code: str = ""  # a visitor's row code (rosters/codes.py), for matching the returned roster; "" on standby
    prize: str = ""  # what the factory or the guide hands this visitor on this tour (their earliest), if they won


@dataclass(frozen=True)
class TourRoster:
    tour: Tour
    visitors: tuple[RosterEntry, ...]  # alphabetical, for checking people in at the gate
    standby: tuple[RosterEntry, ...]   # the top of its waitlist, first in line first
    waiting: int = 0                   # everyone on its waitlist, the standby included

    @property
    def seats_taken(self) -> int:
        return sum(1 + v.companions for v in self.visitors)


@dataclass(frozen=True)
class CancelledTour:
    tour: Tour
    reason: str


@dataclass(frozen=True)
class SiteRoster:
    site: Site
    tours: tuple[TourRoster, ...]
    cancelled: tuple[CancelledTour, ...] = ()

    @property
    def has_prizes(self) -> bool:
        """Whether a visitor collects a prize here: the tours' sheets then have a «Приз» column."""
        return any(v.prize for t in self.tours for v in t.visitors)

    @property
    def fields(self) -> tuple[str, ...]:
        """The visitor fields this site needs, and no others."""
        fields = ["name", "phone", "companions"]
        if self.site.age_limited or self.site.passport_required:
            fields.append("birth_date")  # not a message
        if self.site.passport_required or self.site.citizens_only:
            fields += ["passport", "citizenship"]
        return tuple(fields)

    def visitor_row(self, entry: RosterEntry) -> dict[str, object]:
        person = entry.person
        values: dict[str, object] = {
            "name": person.full_name,
            "phone": person.phone,
            "companions": entry.companions,
            "birth_date": f"{person.birth_date:%d.%m.%Y}" if person.birth_date else "",
            "passport": person.passport,
            "citizenship": person.citizenship,
        }
        return {field: values[field] for field in self.fields}

    def fingerprint(self) -> str:
        """sha256 of what the factory acts on: the site, its tours, their visitors and standby, the cancelled tours.

        The standby is in: its security office admits only people it was told
        of, so someone joining or leaving it must reach the factory. Their
        waitlist positions are left out (their order stays in): a position
        moves when someone ahead who visits another factory cancels, and that
        is no news to this one.
        """
        site = self.site
        content = {
            "site": {"site_id": site.site_id, "name": site.name, "address": site.address, "notes": site.notes,
                     "min_age": site.min_age, "passport_required": site.passport_required,
                     "citizens_only": site.citizens_only},
            "tours": [
                {
                    "tour_id": t.tour.tour_id, "date": t.tour.date.isoformat(),
                    "start": t.tour.start.strftime("%H:%M"), "duration_min": t.tour.duration_min,
                    "capacity": t.tour.capacity, "note": t.tour.note,
                    # A prize is in only where there is one, so a season without prizes keeps its fingerprints.
                    "visitors": [{"id": v.person.id, **self.visitor_row(v), **({"prize": v.prize} if v.prize else {})}
                                 for v in t.visitors],
                    "standby": [{"id": s.person.id, **self.visitor_row(s)} for s in t.standby],
                }
                for t in self.tours
            ],
            "cancelled": [{"tour_id": c.tour.tour_id, "date": c.tour.date.isoformat(),
                           "start": c.tour.start.strftime("%H:%M"), "reason": c.reason} for c in self.cancelled],
        }
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def visitors_summary(self) -> list[dict[str, object]]:
        """Who is on this site's lists, visitors and standby, for telling the factory what changed since last time."""
        rows = [{"id": entry.person.id, "name": entry.person.full_name, "tour_id": t.tour.tour_id,
                 "companions": entry.companions, "when": t.tour.starts_at.strftime("%Y-%m-%dT%H:%M"), "role": role}
                for t in self.tours for role, entries in ((VISITOR, t.visitors), (STANDBY, t.standby))
                for entry in entries]
        return sorted(rows, key=lambda r: (r["role"] != VISITOR, r["tour_id"], r["name"], r["id"]))


def standby_size(capacity: int, share: float) -> int:
    """``ceil(share × capacity)``, counted in decimals: 0.2 of 15 seats is 3, never 4."""
    return max(0, math.ceil(Decimal(str(share)) * capacity))


def build_site_rosters(sites: Mapping[str, Site], tours: Iterable[Tour], people: Mapping[str, Registrant],
                       allocation: CurrentAllocation, *, cancelled: Mapping[str, tuple[Tour, str]] | None = None,
                       exported_before: Collection[str] = (), standby_share: float = 0.0,
                       code_key: str = "", prizes: Mapping[str, str] | None = None) -> list[SiteRoster]:
    """A roster for every site with tours, and for every site that had one before (so it learns what changed).

    ``tours`` are the season's active tours; ``cancelled`` the cancelled ones
    with their reason; ``code_key`` the season's key of the visitors' row codes.
    ``prizes`` (person → what they won) go on each winner's earliest tour.
    Raises if the allocation is stale.
    """
    cancelled = cancelled or {}
    tours_by_id = {t.tour_id: t for t in tours}
    # A cancelled tour keeps its waitlist in the run, but nobody waits for it any more.
    unknown_tours = sorted({p.tour_id for p in allocation.placements if p.tour_id not in tours_by_id}
                           | {t for t in allocation.waiting_tours() if t not in tours_by_id and t not in cancelled})
    unknown_people = sorted({p.registrant_id for p in allocation.placements if p.registrant_id not in people}
                            | {r for r in allocation.people_waiting(excluding=cancelled) if r not in people})
    if unknown_tours or unknown_people:
        parts = []
        if unknown_tours:
            parts.append(_("tours no longer in the season ({tours})").format(tours=_few(unknown_tours)))
        if unknown_people:
            parts.append(_("unknown registrants ({ids})").format(ids=_few(unknown_people)))
        raise BadDataError(
            _("the current allocation (run {run}) refers to {what}").format(
                run=allocation.run_id, what=_(" and ").join(parts)),
            hint=_("The tours or registrants changed after the allocation; run `openmosprom assign` again."),
        )

    placed: dict[str, list[Placement]] = defaultdict(list)
    sites_held: dict[str, set[str]] = defaultdict(set)
    for p in allocation.placements:
        placed[p.tour_id].append(p)
        sites_held[p.registrant_id].add(tours_by_id[p.tour_id].site_id)
    first_tour = {rid: min(held, key=lambda t: (tours_by_id[t].date, tours_by_id[t].start, t))
                  for rid, held in _tours_held(allocation.placements).items()} if prizes else {}
    tours_by_site: dict[str, list[Tour]] = defaultdict(list)
    for tour in sorted(tours_by_id.values(), key=lambda t: (t.date, t.start, t.tour_id)):
        tours_by_site[tour.site_id].append(tour)
    cancelled_by_site: dict[str, list[CancelledTour]] = defaultdict(list)
    for tour, reason in sorted(cancelled.values(), key=lambda c: (c[0].date, c[0].start, c[0].tour_id)):
        cancelled_by_site[tour.site_id].append(CancelledTour(tour, reason))

    rosters = []
    for site_id in sorted(set(tours_by_site) | {s for s in exported_before if s in sites}):
        site = sites[site_id]
        tour_rosters = []
        for tour in tours_by_site[site_id]:
            ordered = sorted(placed[tour.tour_id],
                             key=lambda p: (people[p.registrant_id].full_name.casefold(), p.registrant_id))
            visitors = tuple(RosterEntry(people[p.registrant_id], p.companions, i,
                                         visitor_code(code_key, p.registrant_id, tour.tour_id) if code_key else "",
                                         (prizes or {}).get(p.registrant_id, "")
                                         if first_tour.get(p.registrant_id) == tour.tour_id else "")
                             for i, p in enumerate(ordered, start=1))
            standby = _standby(site, allocation.iter_line(tour.tour_id), people, sites_held,
                               standby_size(tour.capacity, standby_share))
            tour_rosters.append(TourRoster(tour, visitors, standby, allocation.waiting_count(tour.tour_id)))
        rosters.append(SiteRoster(site, tuple(tour_rosters), tuple(cancelled_by_site[site_id])))
    return rosters


def _standby(site: Site, waiting: Iterable[str], people: Mapping[str, Registrant],
             sites_held: Mapping[str, set[str]], size: int) -> tuple[RosterEntry, ...]:
    """The first ``size`` people of the tour's waitlist that this factory may be told of, with their positions."""
    chosen: list[RosterEntry] = []
    for position, rid in enumerate(waiting, start=1):
        if len(chosen) >= size:
            break
        person = people[rid]
        # Someone who visits another factory is that factory's visitor: this one never sees them.
        if sites_held.get(rid, set()) - {site.site_id}:
            continue
        # A security office that checks passports cannot admit someone without one.
        if site.passport_required and not person.passport.strip():
            continue
        chosen.append(RosterEntry(person, person.companions, position))
    return tuple(chosen)


def _tours_held(placements: Iterable[Placement]) -> dict[str, list[str]]:
    held: dict[str, list[str]] = defaultdict(list)
    for p in placements:
        held[p.registrant_id].append(p.tour_id)
    return held


def _few(items: list[str], shown: int = 5) -> str:
    more = _(", … {count} more").format(count=len(items) - shown) if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
