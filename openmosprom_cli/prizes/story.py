"""One person's prize story, for ``explain``: their rank and tier in the current draw, what they won and where
they collect it, and what of each item they qualified for (or preferred) was taken before their turn."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass

from openmosprom_cli.allocation.current import CurrentAllocation
from openmosprom_cli.i18n import Msg
from openmosprom_cli.prizes.current import collections, load_current_prizes
from openmosprom_cli.prizes.draw import CANCELLED, EXCLUDED, MERGED, DrawInput, qualifies, ranking
from openmosprom_cli.prizes.records import HELD
from openmosprom_cli.store.prizes import load_preferences
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours


@dataclass(frozen=True)
class ItemAtTurn:
    """An item the person qualified for or preferred, as it stood when their turn came."""

    item_id: str
    name: str
    stock: int
    taken_before: int          # by everyone ranked above them, and kept awards
    qualified: bool
    preferred: int | None      # its place in their «Призы», 1 = first

    @property
    def left(self) -> int:
        return max(self.stock - self.taken_before, 0)


@dataclass(frozen=True)
class WonPrize:
    item_id: str
    name: str
    how: str                   # preferred | best | held
    where: str                 # in Russian, as the winner is told
    handed: str                # when it was handed over; "" if not yet


@dataclass(frozen=True)
class PrizeStory:
    draw_id: int
    seed: str
    kind: str                              # draw | redraw
    left_out: str                          # why the person was not in the draw (a Msg); "" when they were
    rank: int | None
    contestants: int
    score: float
    tier: str                              # the best item they qualified for, "" for none
    won: tuple[WonPrize, ...]
    items: tuple[ItemAtTurn, ...]          # what they qualified for or preferred, best first
    preferences: tuple[str, ...]           # their «Призы», as written
    forfeited: bool = False                # a redraw took their unclaimed prize


def _left_out(why: str | None) -> Msg:
    """Why someone was not in the draw, from the reason its inputs stored."""
    if why == EXCLUDED:
        return Msg("listed in prizes-excluded.csv")
    if why == MERGED:
        return Msg("merged away as a duplicate account")
    if why == CANCELLED:
        return Msg("cancelled, and [prizes] exclude_cancelled is on")
    return Msg("registered after the draw")


def prize_story(conn: sqlite3.Connection, registrant_id: str, allocation: CurrentAllocation | None,
                pickup: str) -> PrizeStory | None:
    """None before the first draw."""
    prizes = load_current_prizes(conn)
    if prizes is None:
        return None
    row = prizes.draw
    inputs = DrawInput.from_json(row.snapshot)
    preferences = load_preferences(conn).get(registrant_id, ())
    people = {c.id: c for c in inputs.contestants}
    person = people.get(registrant_id)
    where = {(c.award.registrant_id, c.award.item_id): c
             for c in collections(prizes, allocation, load_tours(conn), load_sites(conn))
             if c.award.registrant_id == registrant_id}
    won = tuple(WonPrize(c.award.item_id, c.item.name, c.award.how, c.where_ru(pickup), c.handed[0] if c.handed else "")
                for c in where.values())
    if person is None:
        why = dict(inputs.excluded).get(registrant_id)
        return PrizeStory(row.draw_id, row.seed, row.kind, _left_out(why),
                          None, len(inputs.contestants), 0.0, "", won, (), preferences)
    order = ranking(inputs.contestants, row.seed)
    rank = order.index(registrant_id) + 1
    before = Counter(a.item_id for a in prizes.awards if a.how == HELD or a.rank < rank)
    items = sorted(inputs.items, key=lambda i: i.rank)
    listed = {item_id: n for n, item_id in enumerate(person.preferences, start=1)}
    at_turn = tuple(ItemAtTurn(i.item_id, i.name, i.stock, before[i.item_id], qualifies(i, rank, person),
                               listed.get(i.item_id))
                    for i in items if qualifies(i, rank, person) or i.item_id in listed)
    tier = next((i.name for i in items if qualifies(i, rank, person)), "")
    return PrizeStory(row.draw_id, row.seed, row.kind, "", rank, len(inputs.contestants), person.score, tier, won,
                      at_turn, preferences, registrant_id in set(inputs.forfeited))

