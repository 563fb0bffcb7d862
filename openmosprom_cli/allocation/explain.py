"""``openmosprom explain``: one person's story.

Their place in the priority order and what each of their choices gave them in
the current run; the seats they hold now and why each is kept (announced, sent
to the factory, or placed by an organizer, with the reason and any rule broken
on purpose); their places on waitlists, counted as the visitors are told them;
and every change that concerned them since, with its reason. Once prizes are
drawn, their prize story too (:mod:`openmosprom_cli.prizes.story`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openmosprom_cli.allocation.current import SEAT, CurrentAllocation, current_allocation
from openmosprom_cli.allocation.inputs import Applicant
from openmosprom_cli.allocation.policy import Adjustment, person_adjustments, policy_record
from openmosprom_cli.allocation.priority import lottery_number
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.i18n import _, ngettext
from openmosprom_cli.models import ChoiceOutcome
from openmosprom_cli.prizes.story import PrizeStory, prize_story
from openmosprom_cli.registrants.cells import canonical_id
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.changes import (
    COMMITTED_BY_PUBLICATION,
    COMMITTED_BY_ROSTER,
    ChangeRow,
    load_person_changes,
)
from openmosprom_cli.store.registrants import count_registrants, load_registrant


@dataclass(frozen=True)
class HeldSeat:
    """A seat the person holds now, and why it is kept."""

    tour_id: str
    seats: int
    kept: str = ""           # why it is kept (KEPT_*); "" when it is not a commitment yet (the run gave it)
    kept_on: str = ""        # when it became a commitment (ISO), where the changes log says
    kept_detail: str = ""    # the organizer's reason (KEPT_PLACED), the site sent its roster (KEPT_ROSTER_SENT),
                             # or, for a commitment made otherwise (KEPT_OTHERWISE), what the log says made it
    exception: str = ""      # a rule an organizer broke on purpose, and why


# Why a seat is kept: its holder was told of it at a publication, or the factory was sent its roster, or an
# organizer placed them by hand; or something else made it a commitment, or the changes log has no entry.
KEPT_PUBLISHED, KEPT_ROSTER_SENT, KEPT_PLACED, KEPT_OTHERWISE = "published", "roster sent", "placed", "otherwise"


@dataclass(frozen=True)
class PersonChange:
    at: str
    kind: str
    tour_id: str | None
    reason: str
    cause: str = ""


@dataclass(frozen=True)
class Explanation:
    registrant_id: str
    full_name: str
    run_id: int
    seed: str
    priority: int | None         # 1 = chose first; None: registered after the run
    people: int
    score: float
    registered_at: dt.datetime | None
    lottery: int
    choices: tuple[ChoiceOutcome, ...]
    tours: tuple[str, ...]                       # tours the run granted
    waitlists: tuple[tuple[str, int], ...]       # (tour, position as the visitors are told it), now
    # After a purge erased the birth date: (tour, met the minimum age) for each age-limited tour listed.
    age_verdicts: tuple[tuple[str, bool], ...] | None = None
    seats: tuple[HeldSeat, ...] = ()             # held now, after every change since the run
    cancelled: str = ""                          # why, if they cancelled (or were cancelled)
    changes: tuple[PersonChange, ...] = ()       # every change that concerned them, oldest first
    # The priority policy from history, when the run used one: the score before it, and each adjustment.
    base_score: float | None = None
    adjustments: tuple[Adjustment, ...] = ()
    prize: PrizeStory | None = None              # their part in the current prize draw, once there is one

    @property
    def birth_date_erased(self) -> bool:
        return self.age_verdicts is not None


def explain(season: Season, registrant_id: str) -> Explanation:
    """One person's place in the priority order, each choice's outcome, and what they hold now and why."""
    registrant_id = canonical_id(registrant_id)
    with season.reader() as conn:
        registrant = load_registrant(conn, registrant_id)
        if registrant is None:
            registered = count_registrants(conn)
            raise MissingInputError(ngettext("{id} is not a registrant of this season ({count} registered)",
                                             "{id} is not a registrant of this season ({count} registered)",
                                             registered).format(id=repr(registrant_id), count=registered),
                                    hint=_("Check the ID with `openmosprom registrants list`."))
        allocation = current_allocation(conn)
        if allocation is None:
            raise MissingInputError(_("there is no allocation yet"),
                                    hint=_("Give out the seats with `openmosprom assign`."))
        run = allocation.stored.run
        history = load_person_changes(conn, registrant_id)
        prize = prize_story(conn, registrant_id, allocation, season.settings.prizes.pickup)
    mine = allocation.stored.result.person(registrant_id)
    cancelled = allocation.cancelled.get(registrant_id)
    held = tuple(_held_seat(allocation, registrant_id, history, p.tour_id, p.seats)
                 for p in sorted(allocation.placements, key=lambda p: p.tour_id) if p.registrant_id == registrant_id)
    waiting = tuple(sorted(allocation.positions_of(registrant_id).items()))
    applicant = run.applicant(registrant_id) if mine is not None else None
    return Explanation(
        registrant_id=registrant_id, full_name=registrant.full_name, run_id=run.run_id, seed=run.seed,
        priority=mine.priority if mine else None, people=mine.people if mine else 0,
        score=float(applicant.score) if applicant else float(registrant.score),
        registered_at=applicant.registered_at if applicant else registrant.registered_at,
        lottery=lottery_number(run.seed, registrant_id), choices=mine.choices if mine else (),
        tours=mine.tours if mine else (), waitlists=waiting,
        age_verdicts=applicant.age_ok if applicant and applicant.birth_date_erased else None,
        seats=held, cancelled=cancelled[0] if cancelled else "",
        changes=tuple(PersonChange(c.at, c.kind, c.tour_id, c.reason, str(c.detail.get("cause", "")))
                      for c in history),
        **_policy(run.inputs, registrant_id, applicant),
        prize=prize,
    )


def _policy(inputs: Mapping[str, Any], registrant_id: str, applicant: Applicant | None) -> dict:
    """The base score and the adjustments of the priority policy, if the run used one and included the person."""
    record = policy_record(inputs)
    if record is None or applicant is None:
        return {}
    return {"base_score": float(record.get("base", {}).get(registrant_id, applicant.score)),
            "adjustments": person_adjustments(record, registrant_id)}


def _held_seat(allocation: CurrentAllocation, registrant_id: str, history: list[ChangeRow], tour_id: str,
               seats: int) -> HeldSeat:
    commitment = allocation.commitments.get((registrant_id, tour_id))
    if commitment is None:
        return HeldSeat(tour_id, seats)
    made = next((c for c in history if c.change_id == commitment.change_id), None)
    if made is None:
        return HeldSeat(tour_id, seats, KEPT_OTHERWISE, exception=commitment.override)
    by = str(made.detail.get("by", ""))
    if made.kind == SEAT:
        kept, detail = KEPT_PLACED, made.reason
    elif by == COMMITTED_BY_PUBLICATION:
        kept, detail = KEPT_PUBLISHED, ""
    elif by.startswith(COMMITTED_BY_ROSTER):
        kept, detail = KEPT_ROSTER_SENT, by.removeprefix(COMMITTED_BY_ROSTER)
    else:
        kept, detail = KEPT_OTHERWISE, by
    return HeldSeat(tour_id, seats, kept, made.at, detail, commitment.override)

