"""Allocation runs of a season: run one, store it, read the current one, explain one person's result.

A run stores what it saw (the inputs snapshot), the seed, both fingerprints
and the result in ``placements``, ``waitlist`` and ``outcomes``. The newest
run is the current one (``is_current = 1``); earlier runs stay as history.

A privacy purge later replaces birth dates in the snapshot by the age
verdicts the rule needs (:meth:`AllocationInput.with_birth_dates_erased`).
The run keeps the fingerprint of what it allocated, and the stored snapshot
document gains a ``purges`` list beside the inputs: when, whose tours ended
before which date, how many birth dates, and the snapshot's fingerprint after
the purge. The fingerprint covers the inputs only, never that list.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.priority import lottery_number
from openmosprom_cli.allocation.result import AllocationResult, Placement, result_fingerprint
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.models import ChoiceOutcome
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.store.registrants import load_registrant, load_registrants
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

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
            "waitlisted": self.waitlisted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AssignmentReport:
        def seats(rows: list[dict[str, Any]]) -> tuple[SeatCount, ...]:
            return tuple(SeatCount(r["key"], r["label"], r["tours"], r["offered"], r["filled"]) for r in rows)

        return cls(
            run_id=data["run_id"], created_at=data["created_at"], seed=data["seed"],
            inputs_fingerprint=data["inputs_fingerprint"], result_fingerprint=data["result_fingerprint"],
            registrants=data["registrants"], placed=data["placed"], seats_offered=data["seats_offered"],
            seats_filled=data["seats_filled"], by_site=seats(data["by_site"]), by_day=seats(data["by_day"]),
            by_choice=tuple((r["rank"], r["people"]) for r in data["by_choice"]),
            unplaced_by_reason=tuple((r["reason"], r["people"]) for r in data["unplaced_by_reason"]),
            waitlisted=data["waitlisted"],
        )


def unplaced_reason(outcomes: list[dict[str, Any]]) -> str:
    """One reason per person left without a tour: "full" if any choice was, else their first choice's reason."""
    codes = [o["code"] for o in outcomes]
    if not codes:
        return "no_choices"
    return "full" if "full" in codes else codes[0]


# -- stored runs ------------------------------------------------------------------------

@dataclass(frozen=True)
class PurgeRecord:
    """One privacy purge of a run's inputs snapshot."""

    purged_at: str              # ISO time of the purge
    before: str                 # ISO date: it erased data of people whose tours ended before it
    people: int                 # birth dates it erased from this snapshot
    inputs_fingerprint: str     # of the snapshot after it

    def to_json(self) -> dict[str, Any]:
        return {"purged_at": self.purged_at, "before": self.before, "people": self.people,
                "inputs_fingerprint": self.inputs_fingerprint}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PurgeRecord:
        return cls(data["purged_at"], data["before"], data["people"], data["inputs_fingerprint"])


@dataclass(frozen=True)
class StoredRun:
    run_id: int
    created_at: str
    seed: str
    inputs_fingerprint: str          # of the inputs as allocated
    result_fingerprint: str
    inputs: dict[str, Any]           # the snapshot, as it is now
    summary: dict[str, Any]
    purges: tuple[PurgeRecord, ...] = ()

    @property
    def snapshot_fingerprint(self) -> str:
        """What the stored snapshot must hash to: the allocated inputs', or the last purge's."""
        return self.purges[-1].inputs_fingerprint if self.purges else self.inputs_fingerprint


@dataclass(frozen=True)
class StoredResult:
    """A run's result as the tables hold it."""

    placements: tuple[Placement, ...]
    waitlists: dict[str, list[str]]                                  # tour → IDs by position
    waitlist_positions: dict[str, list[int]]                         # tour → stored positions, in that order
    outcomes: dict[str, tuple[int, list[dict[str, Any]]]]            # ID → (priority, per-choice outcomes)

    def fingerprint(self) -> str:
        return result_fingerprint(self.placements, self.waitlists, self.outcomes)


def current_run(conn: sqlite3.Connection) -> StoredRun | None:
    row = conn.execute("SELECT * FROM allocation_runs WHERE is_current = 1 ORDER BY run_id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    document = json.loads(row["inputs"]) if row["inputs"] else {}
    purges = tuple(PurgeRecord.from_json(p) for p in document.pop(PURGES_KEY, []))
    return StoredRun(row["run_id"], row["created_at"], row["seed"], row["inputs_fingerprint"],
                     row["result_fingerprint"], document, json.loads(row["summary"] or "{}"), purges)


PURGES_KEY = "purges"


@dataclass(frozen=True)
class SnapshotPurge:
    run_id: int
    record: PurgeRecord


@dataclass(frozen=True)
class SnapshotsPurged:
    purged: tuple[SnapshotPurge, ...]
    unreadable: tuple[int, ...]      # runs whose snapshot is not an inputs snapshot; left to the caller


def erase_birth_dates(conn: sqlite3.Connection, ids: Collection[str], before: dt.date) -> SnapshotsPurged:
    """In every run's snapshot, replace the birth dates of ``ids`` by their age verdicts, and record the purge."""
    purged, unreadable = [], []
    purged_at = now_iso()
    for row in conn.execute("SELECT run_id, inputs FROM allocation_runs WHERE inputs != '' ORDER BY run_id").fetchall():
        document = json.loads(row["inputs"])
        history = document.pop(PURGES_KEY, [])
        try:
            inputs = AllocationInput.from_json(document)
        except (KeyError, TypeError, ValueError, AttributeError):
            unreadable.append(row["run_id"])
            continue
        erased, people = inputs.with_birth_dates_erased(ids)
        if not people:
            continue
        record = PurgeRecord(purged_at, before.isoformat(), people, erased.fingerprint())
        document = {**erased.to_json(), PURGES_KEY: [*history, record.to_json()]}
        conn.execute("UPDATE allocation_runs SET inputs = ? WHERE run_id = ?",
                     (json.dumps(document, ensure_ascii=False, sort_keys=True), row["run_id"]))
        purged.append(SnapshotPurge(row["run_id"], record))
    return SnapshotsPurged(tuple(purged), tuple(unreadable))


def load_result(conn: sqlite3.Connection, run_id: int) -> StoredResult:
    placements = tuple(
        Placement(r["registrant_id"], r["tour_id"], r["choice_rank"], r["seats"])
        for r in conn.execute("SELECT * FROM placements WHERE run_id = ? ORDER BY registrant_id, choice_rank",
                              (run_id,)))
    waitlists: dict[str, list[str]] = {}
    positions: dict[str, list[int]] = {}
    for r in conn.execute("SELECT * FROM waitlist WHERE run_id = ? ORDER BY tour_id, position", (run_id,)):
        waitlists.setdefault(r["tour_id"], []).append(r["registrant_id"])
        positions.setdefault(r["tour_id"], []).append(r["position"])
    outcomes = {r["registrant_id"]: (r["priority"], json.loads(r["outcomes"]))
                for r in conn.execute("SELECT * FROM outcomes WHERE run_id = ?", (run_id,))}
    return StoredResult(placements, waitlists, positions, outcomes)


def _require_current(conn: sqlite3.Connection) -> StoredRun:
    run = current_run(conn)
    if run is None:
        raise MissingInputError("there is no allocation yet", hint="Give out the seats with `openmosprom assign`.")
    return run


# -- running one ------------------------------------------------------------------------

def run_assignment(season: Season, seed: str | int | None = None) -> AssignmentReport:
    """Allocate the seats by priority and store the run as the season's current result, in one transaction."""
    seed = str(seed if seed is not None else season.settings.allocation_seed)
    with season.transaction() as conn:
        tours = load_tours(conn)
        if not tours:
            raise MissingInputError("the season has no tours yet",
                                    hint="Generate them with `openmosprom slots generate` first.")
        registrants = load_registrants(conn)
        if not registrants:
            raise MissingInputError("the season has no registrants yet",
                                    hint="Import the mini-app's export with `openmosprom registrants import FILE`.")
        sites = load_sites(conn)
        inputs = AllocationInput.build(tours, sites.values(), registrants, season.settings.max_tours_per_person)
        result = allocate(inputs, seed=seed)
        return _store_run(conn, inputs, result, sites)


def _store_run(conn: sqlite3.Connection, inputs: AllocationInput, result: AllocationResult,
               sites: dict[str, Any]) -> AssignmentReport:
    placements = result.placements()
    waitlists = result.waitlists()
    outcomes = {a.id: (position + 1, [o.to_json() for o in rows]) for position, a, rows in result.iter_outcomes()}
    inputs_fingerprint = inputs.fingerprint()
    fingerprint = result_fingerprint(placements, waitlists, outcomes)
    created_at = now_iso()

    conn.execute("UPDATE allocation_runs SET is_current = 0 WHERE is_current = 1")
    run_id = conn.execute(
        "INSERT INTO allocation_runs (created_at, seed, inputs_fingerprint, result_fingerprint, is_current, inputs) "
        "VALUES (?, ?, ?, ?, 1, ?)",
        (created_at, result.seed, inputs_fingerprint, fingerprint,
         json.dumps(inputs.to_json(), ensure_ascii=False, sort_keys=True)),
    ).lastrowid
    conn.executemany("INSERT INTO placements (run_id, registrant_id, tour_id, choice_rank, seats) VALUES (?, ?, ?, ?, ?)",
                     [(run_id, p.registrant_id, p.tour_id, p.choice_rank, p.seats) for p in placements])
    conn.executemany("INSERT INTO waitlist (run_id, tour_id, position, registrant_id) VALUES (?, ?, ?, ?)",
                     [(run_id, tour_id, i, rid) for tour_id, ids in waitlists.items()
                      for i, rid in enumerate(ids, 1)])
    conn.executemany("INSERT INTO outcomes (run_id, registrant_id, priority, outcomes) VALUES (?, ?, ?, ?)",
                     [(run_id, rid, priority, json.dumps(rows, ensure_ascii=False))
                      for rid, (priority, rows) in outcomes.items()])

    report = _summarise(run_id, created_at, result.seed, inputs_fingerprint, fingerprint, inputs, placements,
                        waitlists, outcomes, sites)
    conn.execute("UPDATE allocation_runs SET summary = ? WHERE run_id = ?",
                 (json.dumps(report.to_json(), ensure_ascii=False), run_id))
    return report


def _summarise(run_id: int, created_at: str, seed: str, inputs_fingerprint: str, fingerprint: str,
               inputs: AllocationInput, placements: list[Placement], waitlists: dict[str, list[str]],
               outcomes: dict[str, tuple[int, list[dict[str, Any]]]], sites: dict[str, Any]) -> AssignmentReport:
    filled = Counter()
    for p in placements:
        filled[p.tour_id] += p.seats
    site_rows: dict[str, list[int]] = {}
    day_rows: dict[dt.date, list[int]] = {}
    for tour in inputs.tours:
        for table, key in ((site_rows, tour.site_id), (day_rows, tour.date)):
            row = table.setdefault(key, [0, 0, 0])
            row[0] += 1
            row[1] += tour.capacity
            row[2] += filled[tour.tour_id]
    by_site = tuple(SeatCount(s, sites[s].name if s in sites else s, *row) for s, row in sorted(site_rows.items()))
    by_day = tuple(SeatCount(d.isoformat(), f"{d:%d.%m.%Y}", *row) for d, row in sorted(day_rows.items()))
    first_granted = {}
    for p in placements:
        first_granted[p.registrant_id] = min(p.choice_rank, first_granted.get(p.registrant_id, p.choice_rank))
    by_choice = tuple(sorted(Counter(first_granted.values()).items()))
    reasons = Counter(unplaced_reason(rows) for rid, (_, rows) in outcomes.items() if rid not in first_granted)
    waitlisted = len({rid for ids in waitlists.values() for rid in ids})
    return AssignmentReport(
        run_id=run_id, created_at=created_at, seed=seed, inputs_fingerprint=inputs_fingerprint,
        result_fingerprint=fingerprint, registrants=len(outcomes), placed=len(first_granted),
        seats_offered=sum(t.capacity for t in inputs.tours), seats_filled=sum(filled.values()),
        by_site=by_site, by_day=by_day, by_choice=by_choice,
        unplaced_by_reason=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))), waitlisted=waitlisted,
    )


def current_report(season: Season) -> AssignmentReport:
    """The summary of the current run, as stored when it ran."""
    with season.reader() as conn:
        run = _require_current(conn)
    return AssignmentReport.from_json(run.summary)


# -- explaining one person's result ------------------------------------------------------

@dataclass(frozen=True)
class Explanation:
    registrant_id: str
    full_name: str
    run_id: int
    seed: str
    priority: int                # 1 = chose first
    people: int
    score: float
    registered_at: dt.datetime | None
    lottery: int
    choices: tuple[ChoiceOutcome, ...]
    tours: tuple[str, ...]                       # tours granted
    waitlists: tuple[tuple[str, int], ...]       # (tour, position)
    # After a purge erased the birth date: (tour, met the minimum age) for each age-limited tour listed.
    age_verdicts: tuple[tuple[str, bool], ...] | None = None

    @property
    def birth_date_erased(self) -> bool:
        return self.age_verdicts is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "registrant_id": self.registrant_id, "full_name": self.full_name, "run_id": self.run_id,
            "seed": self.seed, "priority": self.priority, "people": self.people, "score": self.score,
            "registered_at": self.registered_at.isoformat() if self.registered_at else None,
            "lottery": self.lottery, "choices": [c.to_json() for c in self.choices], "tours": list(self.tours),
            "waitlists": [{"tour_id": t, "position": p} for t, p in self.waitlists],
            "birth_date_erased": self.birth_date_erased,
            "age_verdicts": dict(self.age_verdicts) if self.age_verdicts is not None else None,
        }


def explain(season: Season, registrant_id: str) -> Explanation:
    """One person's place in the priority order and, for each choice, what happened and why."""
    with season.reader() as conn:
        run = _require_current(conn)
        row = conn.execute("SELECT priority, outcomes FROM outcomes WHERE run_id = ? AND registrant_id = ?",
                           (run.run_id, registrant_id)).fetchone()
        if row is None:
            known = load_registrant(conn, registrant_id) is not None
            raise MissingInputError(
                f"registrant {registrant_id} was not part of allocation run {run.run_id}",
                hint="They registered after the run; run `openmosprom assign` again." if known
                else "Check the ID with `openmosprom registrants list`.")
        people = conn.execute("SELECT count(*) FROM outcomes WHERE run_id = ?", (run.run_id,)).fetchone()[0]
        tours = tuple(r["tour_id"] for r in conn.execute(
            "SELECT tour_id FROM placements WHERE run_id = ? AND registrant_id = ? ORDER BY choice_rank",
            (run.run_id, registrant_id)))
        waitlists = tuple((r["tour_id"], r["position"]) for r in conn.execute(
            "SELECT tour_id, position FROM waitlist WHERE run_id = ? AND registrant_id = ? ORDER BY tour_id",
            (run.run_id, registrant_id)))
        registrant = load_registrant(conn, registrant_id)
    applicant = next(a for a in run.inputs["applicants"] if a["id"] == registrant_id)
    return Explanation(
        registrant_id=registrant_id, full_name=registrant.full_name if registrant else "", run_id=run.run_id,
        seed=run.seed, priority=row["priority"], people=people, score=float(applicant["score"]),
        registered_at=dt.datetime.fromisoformat(applicant["registered_at"]) if applicant["registered_at"] else None,
        lottery=lottery_number(run.seed, registrant_id),
        choices=tuple(ChoiceOutcome(o["rank"], o["choice"], o["tour_id"], o["code"])
                      for o in json.loads(row["outcomes"])),
        tours=tours, waitlists=waitlists,
        age_verdicts=(tuple(sorted(applicant["age_ok"].items()))
                      if applicant.get("age_ok") is not None and not applicant["birth_date"] else None),
    )


def snapshot_inputs(run: StoredRun) -> AllocationInput:
    return AllocationInput.from_json(run.inputs)

