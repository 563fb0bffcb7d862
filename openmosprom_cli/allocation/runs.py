"""Running an allocation: allocate the season's seats, store the run as the current result, and report on it.

What a run stores, and how it is read back, is described in
:mod:`~openmosprom_cli.allocation.stored`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.allocation.chain import taken_off
from openmosprom_cli.allocation.deadlines import frozen_tours
from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.policy import PolicySummary
from openmosprom_cli.allocation.result import AllocationResult, Placement
from openmosprom_cli.allocation.result_columns import ResultColumns
from openmosprom_cli.allocation.rules import PLACED
from openmosprom_cli.allocation.snapshot_columns import SnapshotColumns
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.errors import Declined, MissingInputError
from openmosprom_cli.history.priority import policy_for_run
from openmosprom_cli.i18n import _, ngettext
from openmosprom_cli.models import Site
from openmosprom_cli.progress import stage
from openmosprom_cli.season import clock
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.changes import (
    add_change,
    end_commitment,
    is_published,
    last_change_id,
    load_cancellations,
    load_commitments,
    load_seat_changes,
)
from openmosprom_cli.store.registrants import load_registrants
from openmosprom_cli.store.runs import insert_current_run, insert_result, save_run_summary
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

if TYPE_CHECKING:
    import numpy as np

# -- what a run reports -----------------------------------------------------------

@dataclass(frozen=True)
class SeatCount:
    """Seats offered and filled, for one site or one day."""

    key: str          # site ID, or ISO date
    label: str        # site name, or the date
    tours: int
    offered: int
    filled: int

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "tours": self.tours, "offered": self.offered,
                "filled": self.filled}


@dataclass(frozen=True)
class AssignmentReport:
    run_id: int
    created_at: str
    seed: str
    inputs_fingerprint: str
    result_fingerprint: str
    registrants: int
    placed: int                              # people with at least one tour
    seats_offered: int
    seats_filled: int
    by_site: tuple[SeatCount, ...]
    by_day: tuple[SeatCount, ...]
    by_choice: tuple[tuple[int, int], ...]   # (rank of the choice granted first, people)
    unplaced_by_reason: tuple[tuple[str, int], ...]
    waitlisted: int                          # people on at least one waitlist
    kind: str = "fresh"                      # fresh | incremental | from_scratch
    kept: int = 0                            # seats kept because they were announced (commitments)
    policy: PolicySummary | None = None      # the priority policy from history, when [priority] is on

    @property
    def unplaced(self) -> int:
        return self.registrants - self.placed

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "created_at": self.created_at, "seed": self.seed,
            "inputs_fingerprint": self.inputs_fingerprint, "result_fingerprint": self.result_fingerprint,
            "registrants": self.registrants, "placed": self.placed, "unplaced": self.unplaced,
            "seats_offered": self.seats_offered, "seats_filled": self.seats_filled,
            "by_site": [s.to_json() for s in self.by_site], "by_day": [d.to_json() for d in self.by_day],
            "by_choice": [{"rank": rank, "people": people,
                           "share": round(people / self.registrants, 4) if self.registrants else 0.0}
                          for rank, people in self.by_choice],
            "unplaced_by_reason": [{"reason": code, "people": people} for code, people in self.unplaced_by_reason],
            "waitlisted": self.waitlisted, "kind": self.kind, "kept": self.kept,
            **({"policy": dataclasses.asdict(self.policy)} if self.policy is not None else {}),
        }


def unplaced_reasons(code: np.ndarray, names: Sequence[str]) -> Counter[str]:
    """People left without a tour by their one reason: "full" if any choice was, else their first choice's reason.

    ``code`` holds their per-choice outcomes (indices into ``names``, -1 past a list: "no_choices").
    """
    import numpy as np

    full = list(names).index("full") if "full" in names else -2
    first = code[:, 0] if code.shape[1] else np.full(len(code), -1, dtype=np.int8)
    reason = np.where((code == full).any(axis=1), full, first).astype(np.int64)
    counted = np.bincount(reason + 1, minlength=len(names) + 1).tolist()
    return Counter({name: n for name, n in zip(("no_choices", *names), counted, strict=True) if n})


# -- running one ------------------------------------------------------------------------

@dataclass(frozen=True)
class SeatLoss:
    """A commitment a fresh allocation (``--from-scratch``) would end: the person was told, and loses that seat."""

    registrant_id: str
    tour_id: str
    new_tours: tuple[str, ...]      # what the fresh allocation gives them instead, if anything


ConfirmLosses = Callable[[Sequence[SeatLoss]], bool]


def run_assignment(season: Season, seed: str | int | None = None, *, from_scratch: bool = False,
                   confirm: ConfirmLosses = lambda losses: False) -> AssignmentReport:
    """Allocate the seats by priority and store the run as the season's current result, in one transaction.

    Every commitment is kept and only what is left is given (see
    :mod:`~openmosprom_cli.allocation.market`). ``from_scratch`` allocates as
    if nobody had been told; when that would take or change a seat someone was
    told of, ``confirm`` is asked with the list, and nothing changes unless it
    says yes.
    """
    seed = str(seed if seed is not None else season.settings.allocation_seed)
    # Everyone's record is made here at once: see allocation/bulk.py.
    with collector_paused(), season.transaction() as conn:
        with stage(_("Reading the season")):
            tours = load_tours(conn)
            if not tours:
                raise MissingInputError(_("the season has no tours yet"),
                                        hint=_("Generate them with `openmosprom slots generate` first."))
            cancelled = load_cancellations(conn)
            registrants = [r for r in load_registrants(conn) if r.id not in cancelled]
            if not registrants:
                raise MissingInputError(
                    _("the season has no registrants yet"),
                    hint=_("Import the mini-app's export with `openmosprom registrants import FILE`."))
            sites = load_sites(conn)
            commitments = load_commitments(conn)
            today = clock.today()
            held = () if from_scratch else tuple(c.holding for c in commitments)
            policy = policy_for_run(conn, season.settings.priority, registrants)   # None unless [priority] is on
            last_change = last_change_id(conn)
            kept_off = taken_off(load_seat_changes(conn), last_change, {r.id for r in registrants},
                                 {t.tour_id for t in tours})
            inputs = AllocationInput.build(tours, sites.values(), policy.applicants if policy else registrants,
                                           season.settings.max_tours_per_person, held=held,
                                           closed=frozen_tours(tours, sites, today), today=today,
                                           policy=policy.record if policy else None, taken_off=kept_off)
        with stage(_("Giving out the seats")):
            result = allocate(inputs, seed=seed)
        kind = "from_scratch" if from_scratch else ("incremental" if is_published(conn) or held else "fresh")
        losses = _losses(commitments, result) if from_scratch else ()
        if losses and not confirm(losses):
            raise Declined(ngettext("nothing changed: a fresh allocation would take or change the seat of {count} "
                                    "person who was told",
                                    "nothing changed: a fresh allocation would take or change the seats of {count} "
                                    "people who were told", len(losses)).format(count=len(losses)),
                           hint=_("Pass --yes to go ahead."))
        with stage(_("Storing the run")):
            report = _store_run(conn, inputs, result, sites, kind=kind, last_change=last_change)
        if policy is not None:
            report = dataclasses.replace(report, policy=policy.summary)
        for loss in losses:
            end_commitment(conn, loss.registrant_id, loss.tour_id)
            add_change(conn, at=now_iso(), kind="unseat", registrant_id=loss.registrant_id, tour_id=loss.tour_id,
                       reason="fresh allocation (--from-scratch)", detail={"cause": "reallocated"},
                       run_id=report.run_id)
        # Seats a fresh allocation gives again stay commitments, answering the choice it gave them for.
        return report


def _losses(commitments, result: AllocationResult) -> tuple[SeatLoss, ...]:
    given: dict[str, list[str]] = {}
    for p in result.placements():
        given.setdefault(p.registrant_id, []).append(p.tour_id)
    return tuple(SeatLoss(c.registrant_id, c.tour_id, tuple(given.get(c.registrant_id, ())))
                 for c in commitments if c.tour_id not in given.get(c.registrant_id, ()))


def _store_run(conn: sqlite3.Connection, inputs: AllocationInput, result: AllocationResult,
               sites: Mapping[str, Site], *, kind: str, last_change: int) -> AssignmentReport:
    placements = result.placements()
    columns = result.columns()
    snapshot = SnapshotColumns.of(inputs)
    inputs_fingerprint = snapshot.fingerprint()
    fingerprint = columns.fingerprint(placements)
    created_at = now_iso()

    run_id = insert_current_run(conn, created_at=created_at, seed=result.seed,
                                inputs_fingerprint=inputs_fingerprint, result_fingerprint=fingerprint,
                                inputs=snapshot.stored(), last_change=last_change, kind=kind)
    insert_result(conn, run_id, [(p.registrant_id, p.tour_id, p.choice_rank, p.seats) for p in placements],
                  columns.stored())

    # Who holds a seat, by place in the priority order, as result.placements() gives them: a choice placed, or a
    # seat kept. (Looking the placements' IDs up took a dictionary of everyone.)
    seated = (result.choice_code == PLACED).any(axis=1)
    seated[list(result.market.held_at)] = True
    report = dataclasses.replace(
        _summarise(run_id, created_at, result.seed, inputs_fingerprint, fingerprint, inputs, placements, columns,
                   seated, sites), kind=kind, kept=len(inputs.held))
    save_run_summary(conn, run_id, report.to_json())
    return report


def _summarise(run_id: int, created_at: str, seed: str, inputs_fingerprint: str, fingerprint: str,
               inputs: AllocationInput, placements: list[Placement], columns: ResultColumns, seated: np.ndarray,
               sites: Mapping[str, Site]) -> AssignmentReport:
    import numpy as np

    filled: Counter[str] = Counter()
    for p in placements:
        filled[p.tour_id] += p.seats
    site_rows: dict[str, list[int]] = {}
    day_rows: dict[dt.date, list[int]] = {}
    for tour in inputs.tours:
        for row in (site_rows.setdefault(tour.site_id, [0, 0, 0]), day_rows.setdefault(tour.date, [0, 0, 0])):
            row[0] += 1
            row[1] += tour.capacity
            row[2] += filled[tour.tour_id]
    by_site = tuple(SeatCount(s, sites[s].name if s in sites else s, *row) for s, row in sorted(site_rows.items()))
    by_day = tuple(SeatCount(d.isoformat(), f"{d:%d.%m.%Y}", *row) for d, row in sorted(day_rows.items()))
    first_granted: dict[str, int] = {}
    for p in placements:
        first_granted[p.registrant_id] = min(p.choice_rank, first_granted.get(p.registrant_id, p.choice_rank))
    by_choice = tuple(sorted(Counter(first_granted.values()).items()))
    reasons = unplaced_reasons(columns.code[~seated], columns.codes)
    return AssignmentReport(
        run_id=run_id, created_at=created_at, seed=seed, inputs_fingerprint=inputs_fingerprint,
        result_fingerprint=fingerprint, registrants=len(columns.people), placed=len(first_granted),
        seats_offered=sum(t.capacity for t in inputs.tours), seats_filled=sum(filled.values()),
        by_site=by_site, by_day=by_day, by_choice=by_choice,
        unplaced_by_reason=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        # Counting the entries of each place: 0.3 ms at 50,000 people, where np.unique sorted them in 9.
        waitlisted=int(np.count_nonzero(np.bincount(columns.waitlist_person))),
    )
