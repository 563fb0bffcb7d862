"""The prize draw itself, pure: who gets which item, by the ranking and the catalogue's tiers.

The ranking is the activity points as imported (highest first), then the
registration time (earliest first), then the lottery drawn from the seed and
the person's ID, then the ID — the order of :mod:`openmosprom_cli.allocation.priority`,
so equal scores at a tier's boundary are decided by the published lottery,
never by file order. Ranks are counted among the contestants only, that is
after the exclusions.

Then a serial dictatorship, as for seats: in that order each person takes, up
to ``max_per_person`` distinct items, their best preferred item that is still
in stock and that they qualify for; when their preferences are gone (or they
have none), the best item of the catalogue they qualify for. An item's
qualification is the top N of the ranking, a score threshold, or both, and
optionally a minimum age on the day of the draw. Nobody with 0 points wins:
prizes reward activity.

Since ranks only grow and scores only fall along the order, an item that is
out of stock, past its top N or above the score now reached is gone for good;
the scan drops it once and the draw stays linear in people and items.

Kept awards (``held``: prizes already handed over, or a redraw's awards that
stand) count against ``max_per_person`` and against the stock, and
``forfeited`` people (a redraw's winners who never collected) take no turn.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from openmosprom_cli.allocation.inputs import Applicant, fingerprint_of
from openmosprom_cli.allocation.priority import priority_indices
from openmosprom_cli.prizes.records import BEST, HELD, PREFERRED, Award, Contestant, PrizeItem

# Why someone is not in a draw at all.
EXCLUDED, MERGED, CANCELLED = "excluded", "merged", "cancelled"


@dataclass(frozen=True)
class DrawInput:
    """Exactly what one draw sees; stored with it so that the audit can re-derive it."""

    items: tuple[PrizeItem, ...]                      # best first
    contestants: tuple[Contestant, ...]
    excluded: tuple[tuple[str, str], ...] = ()        # (ID, EXCLUDED | MERGED | CANCELLED), by ID
    max_per_person: int = 1
    on: dt.date | None = None                         # the day ages were counted on
    held: tuple[tuple[str, str], ...] = ()            # (ID, item ID) kept from before, sorted
    forfeited: tuple[str, ...] = ()                   # take no turn, sorted
    exclude_cancelled: bool = False

    def to_json(self) -> dict[str, Any]:
        """A canonical form, sorted, so that the same inputs always give the same fingerprint."""
        return {
            "items": [item_json(i) for i in sorted(self.items, key=lambda i: i.rank)],
            "contestants": [_contestant_json(c) for c in sorted(self.contestants, key=lambda c: c.id)],
            "excluded": [list(e) for e in sorted(self.excluded)],
            "max_per_person": self.max_per_person,
            "on": self.on.isoformat() if self.on else None,
            "held": [list(h) for h in sorted(self.held)],
            "forfeited": sorted(self.forfeited),
            "exclude_cancelled": self.exclude_cancelled,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DrawInput:
        items = tuple(PrizeItem(str(i["item_id"]), int(i["rank"]), str(i["name"]), int(i["stock"]),
                                None if i.get("top_n") is None else int(i["top_n"]),
                                None if i.get("min_score") is None else float(i["min_score"]),
                                int(i.get("min_age", 0)))
                      for i in data["items"])
        contestants = tuple(
            Contestant(str(c["id"]), float(c["score"]),
                       dt.datetime.fromisoformat(c["registered_at"]) if c.get("registered_at") else None,
                       int(c.get("age_class", 0)), tuple(c.get("preferences", ())))
            for c in data["contestants"])
        return cls(items, contestants, tuple((str(a), str(b)) for a, b in data.get("excluded", ())),
                   int(data["max_per_person"]), dt.date.fromisoformat(data["on"]) if data.get("on") else None,
                   tuple((str(a), str(b)) for a, b in data.get("held", ())), tuple(data.get("forfeited", ())),
                   bool(data.get("exclude_cancelled", False)))

    def fingerprint(self) -> str:
        return fingerprint_of(self.to_json())

    def canonical(self) -> tuple[str, str]:
        """(the canonical JSON text, its fingerprint): a draw stores the very text its fingerprint hashes."""
        text = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_json(i: PrizeItem) -> dict[str, Any]:
    return {"item_id": i.item_id, "rank": i.rank, "name": i.name, "stock": i.stock, "top_n": i.top_n,
            "min_score": i.min_score, "min_age": i.min_age}


def _contestant_json(c: Contestant) -> dict[str, Any]:
    data: dict[str, Any] = {"id": c.id, "score": c.score,
                            "registered_at": c.registered_at.isoformat() if c.registered_at else None}
    if c.age_class:
        data["age_class"] = c.age_class
    if c.preferences:
        data["preferences"] = list(c.preferences)
    return data


@dataclass(frozen=True)
class DrawResult:
    seed: str
    awards: tuple[Award, ...]          # in the order of the ranking; kept awards included, as HELD
    ranking: tuple[str, ...]           # contestants' IDs, first first: rank = position + 1

    def fingerprint(self) -> str:
        return result_fingerprint(self.awards)

    def ranks(self) -> dict[str, int]:
        return {rid: i for i, rid in enumerate(self.ranking, start=1)}


def result_fingerprint(awards: Sequence[Award]) -> str:
    return fingerprint_of(sorted([a.registrant_id, a.item_id, a.rank, a.how] for a in awards))


def age_class(birth_date: dt.date | None, on: dt.date, min_ages: Sequence[int]) -> int:
    """The highest of ``min_ages`` a person born on ``birth_date`` has reached on ``on``; 0 if none or unknown."""
    if birth_date is None:
        return 0
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return max((m for m in min_ages if 0 < m <= age), default=0)


def qualifies(item: PrizeItem, rank: int, contestant: Contestant) -> bool:
    """Whether the person at ``rank`` may have ``item``, whatever is left of it."""
    return (contestant.score > 0
            and (item.top_n is None or rank <= item.top_n)
            and (item.min_score is None or contestant.score >= item.min_score)
            and contestant.age_class >= item.min_age)


def ranking(contestants: Sequence[Contestant], seed: str) -> tuple[str, ...]:
    """IDs in the order of the ranking."""
    order = _order(contestants, seed)
    return tuple(contestants[i].id for i in order)


def _order(contestants: Sequence[Contestant], seed: str) -> list[int]:
    # The seats' priority sort reads only id, score and registered_at, which a Contestant has too.
    return priority_indices(cast(Sequence[Applicant], contestants), str(seed)).tolist()


def check_inputs(inputs: DrawInput) -> None:
    """Refuse inputs no draw can be made of: duplicate IDs or items, a limit below 1, kept awards of strangers."""
    ids = [c.id for c in inputs.contestants]
    if len(set(ids)) != len(ids):
        raise ValueError("contestant IDs must be unique")
    item_ids = [i.item_id for i in inputs.items]
    if len(set(item_ids)) != len(item_ids):
        raise ValueError("item IDs must be unique")
    if inputs.max_per_person < 1:
        raise ValueError("max_per_person must be at least 1")
    if any(i.stock < 0 for i in inputs.items):
        raise ValueError("stock cannot be negative")
    known = set(ids)
    if {rid for rid, _ in inputs.excluded} & known:
        raise ValueError("an excluded person is among the contestants")
    if any(rid not in known or item not in set(item_ids) for rid, item in inputs.held):
        raise ValueError("kept awards of unknown people or items")
    if len(set(inputs.held)) != len(inputs.held):
        raise ValueError("an award is kept twice")


def draw(inputs: DrawInput, seed: str) -> DrawResult:
    """The serial dictatorship over the catalogue: see the module's docstring."""
    check_inputs(inputs)
    seed = str(seed)
    contestants = inputs.contestants
    order = _order(contestants, seed)
    items = sorted(inputs.items, key=lambda i: i.rank)
    index = {item.item_id: n for n, item in enumerate(items)}
    stock = [item.stock for item in items]
    holding: dict[str, set[int]] = {}
    for rid, item_id in inputs.held:
        holding.setdefault(rid, set()).add(index[item_id])
        stock[index[item_id]] -= 1
    forfeited = set(inputs.forfeited)
    top = [item.top_n for item in items]
    threshold = [item.min_score for item in items]
    min_age = [item.min_age for item in items]
    limit = inputs.max_per_person
    active = [n for n in range(len(items)) if stock[n] > 0]
    awards: list[Award] = []

    for position, ci in enumerate(order):
        if not active:
            break
        person = contestants[ci]
        score = person.score
        if not score > 0:
            break             # everyone after has 0 points too
        rank = position + 1
        mine = holding.get(person.id, set())
        room = limit - len(mine)
        if room <= 0 or person.id in forfeited:
            continue
        taken: list[int] = []
        for item_id in person.preferences:
            n = index.get(item_id)
            if (n is None or stock[n] <= 0 or n in mine or n in taken
                    or not qualifies(items[n], rank, person)):
                continue
            stock[n] -= 1
            taken.append(n)
            awards.append(Award(person.id, items[n].item_id, rank, PREFERRED))
            if len(taken) == room:
                break
        j = 0
        while len(taken) < room and j < len(active):
            n = active[j]
            cap, floor = top[n], threshold[n]
            if stock[n] <= 0 or (cap is not None and rank > cap) or (floor is not None and score < floor):
                del active[j]     # gone for good: everyone after ranks lower and scores no more
                continue
            j += 1
            if min_age[n] > person.age_class or n in mine or n in taken:
                continue
            stock[n] -= 1
            taken.append(n)
            awards.append(Award(person.id, items[n].item_id, rank, BEST))

    if inputs.held:
        positions = {contestants[ci].id: p for p, ci in enumerate(order)}
        awards += [Award(rid, item_id, positions[rid] + 1, HELD) for rid, item_id in inputs.held]
        awards.sort(key=lambda a: (a.rank, a.how != HELD))
    return DrawResult(seed, tuple(awards), tuple(contestants[ci].id for ci in order))


def awarded_counts(awards: Sequence[Award]) -> Counter[str]:
    """Item ID → how many were given."""
    return Counter(a.item_id for a in awards)
