"""The prize stage's records: catalogue items, the people in a draw, and what a draw gave."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openmosprom_cli.i18n import Msg

# How a winner came by an item: their own preference, the best item they qualified for, or kept from before
# (handed over already, or a redraw's unchanged award).
PREFERRED, BEST, HELD = "preferred", "best", "held"


@dataclass(frozen=True)
class PrizeItem:
    """One row of the catalogue. ``rank`` 1 is the best item; who qualifies is the top N, a threshold, or both."""

    item_id: str
    rank: int
    name: str
    stock: int
    top_n: int | None = None          # only the first N of the ranking
    min_score: float | None = None    # only people with at least this many points
    min_age: int = 0                  # on the day of the draw
    note: str = ""

    @property
    def who(self) -> Msg:
        """Who qualifies, in words, for the organizer's terminal (the export writes its own Russian words)."""
        parts = []
        if self.top_n is not None:
            parts.append(Msg("the top {count}", count=self.top_n))
        if self.min_score is not None:
            parts.append(Msg("{points} points or more", points=f"{self.min_score:g}"))
        if self.min_age:
            parts.append(Msg("aged {age}+", age=self.min_age))
        if not parts:
            return Msg("anyone")
        who = parts[0]
        for part in parts[1:]:
            who = Msg("{first} and {then}", first=who, then=part)
        return who


@dataclass(frozen=True, slots=True)
class Contestant:
    """What a draw needs of one registrant: their points as imported, the tie-breaks, age and preferences.

    ``age_class`` is the highest minimum age of the catalogue the person met
    on the day of the draw (0 for none, or no birth date): the draw stores it
    instead of the birth date, which a privacy purge may erase later.
    ``preferences`` are item IDs, best first, as resolved from the «Призы» column.
    """

    id: str
    score: float
    registered_at: dt.datetime | None = None
    age_class: int = 0
    preferences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Award:
    """One item given to one person by a draw."""

    registrant_id: str
    item_id: str
    rank: int          # the winner's place in the ranking, 1 = first
    how: str           # PREFERRED | BEST | HELD
