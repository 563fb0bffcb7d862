"""The chain of runs after publication: each run kept exactly the seats the changes before it had committed.

Commitments are never stored only as a set: every one begins with a logged
change (``commit`` when announced, ``seat`` when an organizer placed someone)
and ends with one (``unseat``, with its cause). Replaying the log up to a run's
``last_change`` gives the seats that run had to keep; the run's stored inputs
must hold exactly those. The log also says which kept seats broke a rule on
purpose (an organizer's ``--override``), and why.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from openmosprom_cli.allocation.current import COMMIT, SEAT, UNSEAT
from openmosprom_cli.allocation.deadlines import is_frozen
from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.changes.seats import MOVED, UNASSIGNED
from openmosprom_cli.i18n import Msg
from openmosprom_cli.models import Holding
from openmosprom_cli.store.changes import ChangeRow


@dataclass(frozen=True)
class DocumentedException:
    """A seat an organizer gave against a rule, with the rule and the reason: not a violation."""

    registrant_id: str
    tour_id: str
    why: str


def _seat_changes(changes: Iterable[ChangeRow], upto: int) -> Iterator[tuple[ChangeRow, tuple[str, str]]]:
    """The changes up to ``upto`` that name a person and a tour, each with that (person, tour) pair."""
    for change in changes:
        if change.change_id > upto:
            break
        if change.registrant_id is not None and change.tour_id is not None:
            yield change, (change.registrant_id, change.tour_id)


def replay(changes: Iterable[ChangeRow], upto: int) -> dict[tuple[str, str], Holding]:
    """The commitments as they stood once every change up to ``upto`` was made."""
    held: dict[tuple[str, str], Holding] = {}
    for change, key in _seat_changes(changes, upto):
        if change.kind in (COMMIT, SEAT):
            held[key] = Holding(*key, change.seats or 1, change.choice_rank or 0)
        elif change.kind == UNSEAT:
            held.pop(key, None)
    return held


def taken_off(changes: Iterable[ChangeRow], upto: int, people: Collection[str], tours: Collection[str]
              ) -> set[tuple[str, str]]:
    """(person, tour) pairs an organizer took away (``unassign``, or ``move`` elsewhere) up to change ``upto``:
    no run gives them back. An organizer seating the person there again later lifts it. Only ``people`` and
    ``tours`` a run sees count: a tour cancelled since, or a person cancelled, needs nobody kept off."""
    found: set[tuple[str, str]] = set()
    for change, key in _seat_changes(changes, upto):
        if change.kind == UNSEAT and change.detail.get("cause") in (UNASSIGNED, MOVED):
            found.add(key)
        elif change.kind == SEAT:
            found.discard(key)
    return {(rid, tour_id) for rid, tour_id in found if rid in people and tour_id in tours}


def taken_off_mismatch(inputs: AllocationInput, changes: Iterable[ChangeRow], upto: int) -> list[str]:
    """How the pairs a run kept people off differ from those the changes before it took away."""
    expected = taken_off(changes, upto, set(inputs.ids), {t.tour_id for t in inputs.tours})
    actual = set(inputs.taken_off)
    return [*(Msg("{id} was taken off {tour}, but the run did not keep them off it", id=rid, tour=tour_id)
              for rid, tour_id in sorted(expected - actual)),
            *(Msg("the run kept {id} off {tour}, but no change had taken them off it", id=rid, tour=tour_id)
              for rid, tour_id in sorted(actual - expected))]


def overrides(changes: Iterable[ChangeRow]) -> dict[tuple[str, str], str]:
    """(person, tour) → the rule an organizer broke to seat them there, and why."""
    found: dict[tuple[str, str], str] = {}
    for change in changes:
        if change.kind == SEAT and change.detail.get("override") and change.registrant_id and change.tour_id:
            found[(change.registrant_id, change.tour_id)] = str(change.detail["override"])
    return found


def held_mismatch(inputs: AllocationInput, expected: Mapping[tuple[str, str], Holding]) -> list[str]:
    """How the seats a run kept differ from those it had to keep; [] when they are the same."""
    actual = {(h.registrant_id, h.tour_id): h for h in inputs.held}
    problems: list[str] = []
    for key in sorted(expected.keys() - actual.keys()):
        problems.append(Msg("{id}'s seat on {tour} was committed but the run did not keep it", id=key[0],
                            tour=key[1]))
    for key in sorted(actual.keys() - expected.keys()):
        problems.append(Msg("{id}'s seat on {tour} was kept, but no change had committed it", id=key[0],
                            tour=key[1]))
    for key in sorted(actual.keys() & expected.keys()):
        if actual[key].seats != expected[key].seats:
            problems.append(Msg("{id}'s seat on {tour} was kept for {kept}, committed for {committed}",
                                id=key[0], tour=key[1], kept=actual[key].seats, committed=expected[key].seats))
    return problems


def closed_mismatch(inputs: AllocationInput) -> list[str]:
    """The tours a run closed must be exactly those frozen on the date it stored."""
    if inputs.today is None:
        return []
    sites = {s.site_id: s for s in inputs.sites}
    due = {t.tour_id for t in inputs.tours if is_frozen(t, sites[t.site_id], inputs.today)}
    problems: list[str] = []
    for tour_id in sorted(due - set(inputs.closed)):
        problems.append(Msg("{tour} was frozen on {date} but the run gave its seats", tour=tour_id,
                            date=f"{inputs.today:%d.%m.%Y}"))
    for tour_id in sorted(set(inputs.closed) - due):
        problems.append(Msg("{tour} was closed, though not frozen on {date}", tour=tour_id,
                            date=f"{inputs.today:%d.%m.%Y}"))
    return problems

