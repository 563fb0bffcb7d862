"""What is left to give once the held seats are kept: the residual market both solvers share.

After publication a seat that was announced (a commitment) is kept whatever
happens in a later allocation, and its holder does not take part in the
market again, so nobody is moved up to an earlier choice behind the back of a
factory that was told. Where ``max_tours_per_person`` is over 1, a holder
with fewer held seats than the limit goes on choosing with the choices the
held seats do not answer, and the held seats count toward the limit and
against overlaps. A closed tour (its list is frozen) is given to nobody.
Everyone else chooses as in every run, in the same priority order, so a fresh
allocation is the case with nothing held, and holding what a run gave and
running again gives the same seats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.rules import HELD, HOLDS_SEAT, tours_by_site
from openmosprom_cli.models import Tour


@dataclass(frozen=True)
class Market:
    """The market of one allocation, tours indexed as the solver orders them, people by priority position."""

    seats: tuple[int, ...]                        # tour → seats left to give: capacity less held seats, 0 if closed
    held_at: dict[int, tuple[int, ...]]           # position → tours they hold, earliest first
    answered: dict[int, dict[int, int]]           # position → {choice slot (0-based): the held tour answering it}
    done: frozenset[int]                          # positions whose held seats reach the limit: they choose no more

    def holds(self, position: int) -> tuple[int, ...]:
        return self.held_at.get(position, ())

    def answers(self, position: int) -> dict[int, int]:
        return self.answered.get(position, {})


def market_of(inputs: AllocationInput, tours: Sequence[Tour], order: Sequence[int]) -> Market:
    index_of = {t.tour_id: i for i, t in enumerate(tours)}
    site_tours = tours_by_site(tours)
    seats = [t.capacity for t in tours]
    position_of = {inputs.ids[i]: p for p, i in enumerate(order)} if inputs.held else {}
    held_at: dict[int, list[int]] = {}
    answered: dict[int, dict[int, int]] = {}
    for holding in inputs.held:
        t = index_of[holding.tour_id]
        p = position_of[holding.registrant_id]
        seats[t] -= holding.seats
        held_at.setdefault(p, []).append(t)
        # The choice it was given for, if the person still lists it so (a re-import may have changed the list).
        choices = inputs.applicants[order[p]].choices
        slot = holding.choice_rank - 1
        if 0 <= slot < len(choices) and t in options_of(choices[slot], index_of, site_tours):
            answered.setdefault(p, {})[slot] = t
    for tour_id in inputs.closed:
        seats[index_of[tour_id]] = 0
    limit = inputs.max_tours_per_person
    held = {p: tuple(sorted(ts)) for p, ts in held_at.items()}
    # An organizer's override may have put more people on a tour than it holds: nothing is left there.
    return Market(tuple(max(s, 0) for s in seats), held, answered,
                  frozenset(p for p, ts in held.items() if len(ts) >= limit))


def options_of(choice: str, index_of: dict[str, int], site_tours: dict[str, list[int]]) -> list[int]:
    """The tours a choice means: the tour it names, or its site's tours, earliest first."""
    named = index_of.get(choice, -1)
    return [named] if named >= 0 else site_tours.get(choice, [])


def mark_held(inputs: AllocationInput, tours: Sequence[Tour], order: Sequence[int], market: Market,
              code, chosen) -> None:
    """Set the outcome of each choice a held seat answers (``held``) and, for holders who choose no more, of
    every other choice (``holds_seat``). ``code`` and ``chosen`` are the (position, choice) arrays."""
    if not market.held_at:
        return
    index_of = {t.tour_id: i for i, t in enumerate(tours)}
    for position in market.held_at:
        answers = market.answers(position)
        for slot, held in answers.items():
            code[position, slot] = HELD
            chosen[position, slot] = held
        if position in market.done:
            for slot, choice in enumerate(inputs.applicants[order[position]].choices):
                if slot not in answers:
                    code[position, slot] = HOLDS_SEAT
                    chosen[position, slot] = index_of.get(choice, -1)
