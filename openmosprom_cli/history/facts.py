"""What one season says about each of its registrants, and the digest that seals it.

Per VK ID, and nothing else about the person: they applied (registered), the
tours they were placed on, attended and missed, and the seats they gave up in
time. The definitions are those of :mod:`openmosprom_cli.attendance.status`:

- **placed**: the seats they hold at the season's end on tours that took place,
  plus the seats they gave up themselves; a seat lost because the tour was
  cancelled or cut is not theirs to count;
- **attended** and **missed**: their seats marked present, and marked absent
  (a no-show); cancelled people and cancelled tours are never no-shows;
- **cancelled in time**: seats they gave up before the tour began.

The digest is SHA-256 over a header line (the season's key, window, tours and
whether it had attendance) and one line per person,
``id,placed,attended,missed,cancelled_in_time``, in ID order: anyone can
recompute it from the stored rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openmosprom_cli.attendance.status import NO_SHOW, PRESENT, SeatAttendance, SeatState
from openmosprom_cli.changes.seats import CANCELLED
from openmosprom_cli.models import Tour
from openmosprom_cli.store.changes import ChangeRow
from openmosprom_cli.store.history import FactRow


@dataclass(frozen=True)
class SeasonIdentity:
    """Which season: one a month, so its window names it."""

    window_start: dt.date
    window_end: dt.date
    first_tour: dt.date | None
    last_tour: dt.date | None
    attendance: bool            # any attendance marks were imported there

    @property
    def key(self) -> str:
        return f"{self.window_start.isoformat()}/{self.window_end.isoformat()}"

    def header(self) -> str:
        return json.dumps({"season": self.key, "first_tour": _iso(self.first_tour), "last_tour": _iso(self.last_tour),
                           "attendance": self.attendance}, sort_keys=True, separators=(",", ":"))


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def season_facts(registrant_ids: Iterable[str], state: SeatState, seats: Sequence[SeatAttendance],
                 changes: Iterable[ChangeRow], tours: dict[str, Tour]) -> list[FactRow]:
    """One row per registrant, by ID: (id, placed, attended, missed, cancelled in time)."""
    placed: Counter[str] = Counter()
    attended: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    in_time: Counter[str] = Counter()
    for p in state.placements:
        if p.tour_id not in state.cancelled_tours:
            placed[p.registrant_id] += 1
    for row in seats:
        if row.status == PRESENT:
            attended[row.registrant_id] += 1
        elif row.status == NO_SHOW:
            missed[row.registrant_id] += 1
    for change in changes:
        if (change.kind != "unseat" or change.detail.get("cause") != CANCELLED or change.registrant_id is None
                or change.tour_id is None):
            continue
        placed[change.registrant_id] += 1
        tour = tours.get(change.tour_id)
        if tour is None or dt.datetime.fromisoformat(change.at) < tour.starts_at:
            in_time[change.registrant_id] += 1
    return [(rid, placed[rid], attended[rid], missed[rid], in_time[rid]) for rid in sorted(set(registrant_ids))]


def facts_digest(identity_header: str, facts: Iterable[FactRow]) -> str:
    """SHA-256 of the header line and one line per person, in the order given (by ID)."""
    digest = hashlib.sha256(identity_header.encode("utf-8") + b"\n")
    for rid, placed, attended, missed, in_time in facts:
        digest.update(f"{rid},{placed},{attended},{missed},{in_time}\n".encode())
    return digest.hexdigest()


def history_digest(season_digests: Iterable[tuple[str, str]]) -> str:
    """SHA-256 of every imported season's key and digest: a season removed by hand is noticed too."""
    text = "\n".join(f"{key} {digest}" for key, digest in sorted(season_digests))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
