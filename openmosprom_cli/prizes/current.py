"""The season's prizes as they stand: the current draw's awards, where each winner collects, and what was handed.

The one reader of the current draw for the rosters, the notifications,
``prizes export``, ``explain`` and ``prizes redraw``. Where a prize is
collected follows the seats as they stand now (:mod:`openmosprom_cli.allocation.current`):
a winner with a seat gets it on their earliest tour, from the factory or the
guide; a winner without one at the pick-up point, ``[prizes] pickup``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openmosprom_cli.allocation.current import CurrentAllocation
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.prizes.records import Award, PrizeItem
from openmosprom_cli.store.prizes import DrawRow, load_awards, load_current_draw, load_handouts


@dataclass(frozen=True)
class CurrentPrizes:
    draw: DrawRow
    items: tuple[PrizeItem, ...]                        # as the draw saw them, best first
    awards: tuple[Award, ...]                           # in the order of the ranking
    handed: dict[tuple[str, str], tuple[str, str]]      # (person, item) → (when, source)

    @property
    def item(self) -> dict[str, PrizeItem]:
        return {i.item_id: i for i in self.items}

    def by_person(self) -> dict[str, list[Award]]:
        found: dict[str, list[Award]] = {}
        for award in self.awards:
            found.setdefault(award.registrant_id, []).append(award)
        return found

    def names(self) -> dict[str, str]:
        """Winner → what they won, in Russian, best item first: «Термос; Сумка-шоппер»."""
        items = self.item
        return {rid: "; ".join(items[a.item_id].name for a in sorted(awards, key=lambda a: items[a.item_id].rank))
                for rid, awards in self.by_person().items()}

    def is_handed(self, award: Award) -> bool:
        return (award.registrant_id, award.item_id) in self.handed


def items_of_summary(summary: Mapping[str, Any]) -> tuple[PrizeItem, ...]:
    """The catalogue a draw saw, from its summary (small), without decoding its snapshot (large)."""
    return tuple(PrizeItem(str(i["item_id"]), int(i["rank"]), str(i["name"]), int(i["stock"]), i.get("top_n"),
                           i.get("min_score"), int(i.get("min_age", 0)))
                 for i in summary.get("items", ()))


def load_current_prizes(conn: sqlite3.Connection) -> CurrentPrizes | None:
    """None before the first draw."""
    draw = load_current_draw(conn)
    if draw is None:
        return None
    return CurrentPrizes(draw, items_of_summary(draw.summary), tuple(load_awards(conn, draw.draw_id)),
                         load_handouts(conn))


def prize_names(conn: sqlite3.Connection) -> dict[str, str] | None:
    """Winner → what they won, for the rosters and the notifications; None before the first draw."""
    prizes = load_current_prizes(conn)
    return None if prizes is None else prizes.names()


def earliest_tours(allocation: CurrentAllocation | None, tours: Mapping[str, Tour]) -> dict[str, Tour]:
    """Person → the earliest tour they hold now: where a winner with a seat collects their prize."""
    found: dict[str, Tour] = {}
    if allocation is None:
        return found
    for placement in allocation.placements:
        tour = tours.get(placement.tour_id)
        if tour is None:
            continue
        held = found.get(placement.registrant_id)
        if held is None or (tour.date, tour.start, tour.tour_id) < (held.date, held.start, held.tour_id):
            found[placement.registrant_id] = tour
    return found


@dataclass(frozen=True)
class Collection:
    """One award and where it is collected: on a tour (with its site), or at the pick-up point."""

    award: Award
    item: PrizeItem
    tour: Tour | None
    site: Site | None
    handed: tuple[str, str] | None      # (when, source), once handed over

    def where_ru(self, pickup: str) -> str:
        if self.tour is not None and self.site is not None:
            return f"на экскурсии: {self.site.name}, {self.tour.date:%d.%m.%Y} {self.tour.start:%H:%M}"
        return f"пункт выдачи: {pickup}" if pickup else "пункт выдачи"


def collections(prizes: CurrentPrizes, allocation: CurrentAllocation | None, tours: Iterable[Tour],
                sites: Mapping[str, Site]) -> list[Collection]:
    """Every award with where it is collected, best item first, then by the winners' ranks."""
    by_id = {t.tour_id: t for t in tours}
    first = earliest_tours(allocation, by_id)
    items = prizes.item
    found = []
    for award in prizes.awards:
        tour = first.get(award.registrant_id)
        found.append(Collection(award, items[award.item_id], tour, sites.get(tour.site_id) if tour else None,
                                prizes.handed.get((award.registrant_id, award.item_id))))
    return sorted(found, key=lambda c: (c.item.rank, c.award.rank))
