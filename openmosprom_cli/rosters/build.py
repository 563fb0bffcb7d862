"""The allocation as the rosters see it, and each site's roster built from it.

A site's roster holds only that site's visitors and waitlist, and only the
visitor fields the site needs (:attr:`SiteRoster.fields`). Its fingerprint
tells whether the factory must be sent an updated list.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from openmosprom_cli.allocation.current import CurrentAllocation
from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.errors import BadDataError
from openmosprom_cli.models import Registrant, Site, Tour

# -- one site's roster -------------------------------------------------------------

@dataclass(frozen=True)
class RosterEntry:
    """One visitor on a tour's list, or one person on its waitlist."""

    person: Registrant
    companions: int
    position: int  # 1-based: row on the tour's list, or place in its waitlist


@dataclass(frozen=True)
class TourRoster:
    tour: Tour
    visitors: tuple[RosterEntry, ...]  # alphabetical, for checking people in at the gate
    waitlist: tuple[RosterEntry, ...]  # in priority order

    @property
    def seats_taken(self) -> int:
        return sum(1 + v.companions for v in self.visitors)


@dataclass(frozen=True)
class SiteRoster:
    site: Site
    tours: tuple[TourRoster, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """The visitor fields this site needs, and no others."""
        fields = ["name", "phone", "companions"]
        if self.site.age_limited or self.site.passport_required:
            fields.append("birth_date")
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
        """sha256 of what the factory acts on: the site, its tours and their visitors.

        The waitlist is left out on purpose: a change there (say, a waitlisted
        person's phone) does not change who comes, and must not send the
        factory an «Обновлённый список».
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
                    "visitors": [{"id": v.person.id, **self.visitor_row(v)} for v in t.visitors],
                }
                for t in self.tours
            ],
        }
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def visitors_summary(self) -> list[dict[str, object]]:
        """Who is on this site's lists, for telling the factory who was added or removed since last time."""
        rows = [{"id": v.person.id, "name": v.person.full_name, "tour_id": t.tour.tour_id,
                 "companions": v.companions, "when": t.tour.starts_at.strftime("%Y-%m-%dT%H:%M")}
                for t in self.tours for v in t.visitors]
        return sorted(rows, key=lambda r: (r["tour_id"], r["name"], r["id"]))


def build_site_rosters(sites: dict[str, Site], tours: Iterable[Tour], people: dict[str, Registrant],
                       allocation: CurrentAllocation) -> list[SiteRoster]:
    """Every site that has tours, each tour with its visitors and waitlist; raises if the allocation is stale."""
    tours_by_id = {t.tour_id: t for t in tours}
    unknown_tours = sorted({p.tour_id for p in allocation.placements if p.tour_id not in tours_by_id}
                           | {t for t in allocation.waitlists if t not in tours_by_id})
    unknown_people = sorted({p.registrant_id for p in allocation.placements if p.registrant_id not in people}
                            | {r for ids in allocation.waitlists.values() for r in ids if r not in people})
    if unknown_tours or unknown_people:
        parts = []
        if unknown_tours:
            parts.append(f"tours no longer in the season ({_few(unknown_tours)})")
        if unknown_people:
            parts.append(f"unknown registrants ({_few(unknown_people)})")
        raise BadDataError(
            f"the current allocation (run {allocation.run_id}) refers to {' and '.join(parts)}",
            hint="The tours or registrants changed after the allocation; run `openmosprom assign` again.",
        )

    placed: dict[str, list[Placement]] = defaultdict(list)
    sites_held: dict[str, set[str]] = defaultdict(set)
    for p in allocation.placements:
        placed[p.tour_id].append(p)
        sites_held[p.registrant_id].add(tours_by_id[p.tour_id].site_id)
    tours_by_site: dict[str, list[Tour]] = defaultdict(list)
    for tour in sorted(tours_by_id.values(), key=lambda t: (t.date, t.start, t.tour_id)):
        tours_by_site[tour.site_id].append(tour)

    rosters = []
    for site_id in sorted(tours_by_site):
        tour_rosters = []
        for tour in tours_by_site[site_id]:
            ordered = sorted(placed[tour.tour_id],
                             key=lambda p: (people[p.registrant_id].full_name.casefold(), p.registrant_id))
            visitors = tuple(RosterEntry(people[p.registrant_id], p.companions, i)
                             for i, p in enumerate(ordered, start=1))
            # Someone who visits another factory is that factory's visitor: this one never sees them.
            # Positions as the visitors are told them; but someone who visits another factory is that
            # factory's visitor, and this one never sees them.
            waitlist = tuple(RosterEntry(people[r], people[r].companions, position)
                             for position, r in enumerate(allocation.waitlists.get(tour.tour_id, ()), start=1)
                             if not sites_held[r] - {site_id})
            tour_rosters.append(TourRoster(tour, visitors, waitlist))
        rosters.append(SiteRoster(sites[site_id], tuple(tour_rosters)))
    return rosters


def _few(items: list[str], shown: int = 5) -> str:
    more = f", … {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
