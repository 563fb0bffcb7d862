"""The chain of runs after publication: each run kept exactly the seats the changes before it had committed.

Commitments are never stored only as a set: every one begins with a logged
change (``commit`` when announced, ``seat`` when an organizer placed someone)
and ends with one (``unseat``, with its cause). Replaying the log up to a run's
``last_change`` gives the seats that run had to keep; the run's stored inputs
must hold exactly those. The log also says which kept seats broke a rule on
purpose (an organizer's ``--override``), and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from openmosprom_cli.allocation.current import COMMIT, SEAT, UNSEAT
from openmosprom_cli.allocation.deadlines import is_frozen
from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.models import Holding
from openmosprom_cli.store.changes import ChangeRow


@dataclass(frozen=True)
class DocumentedException:
    """A seat an organizer gave against a rule, with the rule and the reason: not a violation."""

    registrant_id: str
    tour_id: str
    why: str


def replay(changes: Iterable[ChangeRow], upto: int) -> dict[tuple[str, str], Holding]:
    """The commitments as they stood once every change up to ``upto`` was made."""
    held: dict[tuple[str, str], Holding] = {}
    for change in changes:
        if change.change_id > upto:
            break
        if change.registrant_id is None or change.tour_id is None:
            continue
        key = (change.registrant_id, change.tour_id)
        if change.kind in (COMMIT, SEAT):
            held[key] = Holding(change.registrant_id, change.tour_id, change.seats or 1, change.choice_rank or 0)
        elif change.kind == UNSEAT:
            held.pop(key, None)
    return held


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
    problems = []
    for key in sorted(expected.keys() - actual.keys()):
        problems.append(f"{key[0]}'s seat on {key[1]} was committed but the run did not keep it")
    for key in sorted(actual.keys() - expected.keys()):
        problems.append(f"{key[0]}'s seat on {key[1]} was kept, but no change had committed it")
    for key in sorted(actual.keys() & expected.keys()):
        if actual[key].seats != expected[key].seats:
            problems.append(f"{key[0]}'s seat on {key[1]} was kept for {actual[key].seats}, "
                            f"committed for {expected[key].seats}")
    return problems


def closed_mismatch(inputs: AllocationInput) -> list[str]:
    """The tours a run closed must be exactly those frozen on the date it stored."""
    if inputs.today is None:
        return []
    sites = {s.site_id: s for s in inputs.sites}
    due = {t.tour_id for t in inputs.tours if is_frozen(t, sites[t.site_id], inputs.today)}
    problems = []
    for tour_id in sorted(due - set(inputs.closed)):
        problems.append(f"{tour_id} was frozen on {inputs.today:%d.%m.%Y} but the run gave its seats")
    for tour_id in sorted(set(inputs.closed) - due):
        problems.append(f"{tour_id} was closed, though not frozen on {inputs.today:%d.%m.%Y}")
    return problems

