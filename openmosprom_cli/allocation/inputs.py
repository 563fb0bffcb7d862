"""What one allocation sees: the tours, their sites and the applicants, and the snapshot a run stores of them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.allocation.rules import ELIGIBILITY_RULES, person_traits, tour_traits
from openmosprom_cli.io.values import is_russian_citizen
from openmosprom_cli.models import Holding, Registrant, Site, Tour

if TYPE_CHECKING:
    import numpy as np

    from openmosprom_cli.allocation.columns import InputColumns

POLICY_KEY = "priority_policy"   # the stored inputs' record of the priority policy, when a run used one


@dataclass(frozen=True, slots=True)
class Applicant:
    """What the allocation needs of one registrant, and nothing more.

    This is also what a run stores in its inputs snapshot: passport and
    citizenship are reduced to the yes/no the rule needs. Once a privacy purge
    has erased the birth date, ``age_ok`` holds what the age rule needs
    instead: for each tour of an age-limited site that the person listed
    (directly or through a site choice), whether they met the site's minimum
    age on that tour's date. ``age_ok is None`` means the birth date was never
    erased.
    """

    id: str
    score: float = 0.0
    registered_at: dt.datetime | None = None
    birth_date: dt.date | None = None
    companions: int = 0
    has_passport: bool = False
    is_citizen: bool = False
    choices: tuple[str, ...] = ()
    age_ok: tuple[tuple[str, bool], ...] | None = None   # (tour ID, met the minimum age), sorted

    @property
    def birth_date_erased(self) -> bool:
        return self.age_ok is not None and self.birth_date is None

    @property
    def party_size(self) -> int:
        return 1 + self.companions

    @classmethod
    def of(cls, r: Registrant, *, citizen_cache: dict[str, bool] | None = None) -> Applicant:
        cache = citizen_cache if citizen_cache is not None else {}
        citizen = cache.get(r.citizenship)
        if citizen is None:
            citizen = cache[r.citizenship] = is_russian_citizen(r.citizenship)
        # Positional: a quarter faster than by keyword, for 200,000 people.
        return cls(r.id, float(r.score), _naive(r.registered_at), r.birth_date, r.companions, bool(r.passport.strip()),
                   citizen, tuple(r.choices))


def _naive(moment: dt.datetime | None) -> dt.datetime | None:
    """Registration times compare as naive local times; an aware one is converted to Moscow time."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.timezone(dt.timedelta(hours=3))).replace(tzinfo=None)


@dataclass(frozen=True)
class AllocationInput:
    """Exactly what one allocation sees; stored with each run so the audit can re-derive it.

    After publication an allocation gives only what is left: ``held`` are the
    seats it must keep (commitments), and ``closed`` the tours whose lists are
    frozen (their deadline, the date of ``today``, has come), which it gives
    to nobody. Both are part of the stored inputs and their fingerprint. So is
    the priority policy a run used (:mod:`~openmosprom_cli.allocation.policy`):
    the applicants' scores are then the adjusted ones, and ``policy`` records
    how each was adjusted. ``taken_off`` are the (person, tour) pairs an
    organizer took away (``unassign``, or ``move`` to another tour): no run
    gives such a tour to that person again (the ``taken_off`` rule).
    """

    tours: tuple[Tour, ...]
    sites: tuple[Site, ...]
    # A tuple; or, read back from a run's stored columns, a sequence that makes the records only when read.
    applicants: Sequence[Applicant]
    max_tours_per_person: int = 1
    held: tuple[Holding, ...] = ()
    closed: tuple[str, ...] = ()
    today: dt.date | None = None
    policy: Mapping[str, Any] | None = field(default=None, hash=False)
    taken_off: tuple[tuple[str, str], ...] = ()

    @classmethod
    def build(cls, tours: Iterable[Tour], sites: Iterable[Site], people: Iterable[Registrant | Applicant],
              max_tours_per_person: int = 1, *, held: Iterable[Holding] = (), closed: Iterable[str] = (),
              today: dt.date | None = None, policy: Mapping[str, Any] | None = None,
              taken_off: Iterable[tuple[str, str]] = ()) -> AllocationInput:
        cache: dict[str, bool] = {}
        with collector_paused():
            applicants = tuple(p if isinstance(p, Applicant) else Applicant.of(p, citizen_cache=cache)
                               for p in people)
        return cls(tuple(tours), tuple(sites), applicants, max_tours_per_person,
                   tuple(sorted(held, key=attrgetter("registrant_id", "tour_id"))), tuple(sorted(set(closed))),
                   today, policy, tuple(sorted(set(taken_off))))

    def to_json(self, *, applicants: bool = True) -> dict[str, Any]:
        """A canonical form: sorted, so the same inputs always give the same fingerprint (of format 1).

        ``applicants=False`` leaves them out: the rest is the head of the stored
        inputs' columns (:mod:`~openmosprom_cli.allocation.snapshot_columns`).
        """
        # What later releases added appears only when used: the inputs of a fresh allocation keep the
        # fingerprint they always had.
        later: dict[str, Any] = {}
        if self.held:
            later["held"] = [[h.registrant_id, h.tour_id, h.seats, h.choice_rank] for h in self.held]
        if self.closed:
            later["closed"] = list(self.closed)
        if self.today is not None:
            later["today"] = self.today.isoformat()
        if self.policy is not None:
            later[POLICY_KEY] = self.policy
        if self.taken_off:
            later["taken_off"] = [list(pair) for pair in self.taken_off]
        return {
            **later,
            "max_tours_per_person": self.max_tours_per_person,
            "sites": [
                {"site_id": s.site_id, "name": s.name, "min_age": s.min_age,
                 "passport_required": s.passport_required, "citizens_only": s.citizens_only,
                 # With the date, what froze the closed tours: the audit checks them.
                 **({"roster_lead_days": s.roster_lead_days} if self.today is not None else {})}
                for s in sorted(self.sites, key=lambda s: s.site_id)
            ],
            "tours": [
                {"tour_id": t.tour_id, "site_id": t.site_id, "date": t.date.isoformat(),
                 "start": t.start.strftime("%H:%M"), "duration_min": t.duration_min, "capacity": t.capacity}
                for t in sorted(self.tours, key=lambda t: t.tour_id)
            ],
            **({"applicants": [applicant_json(a) for a in sorted(self.applicants, key=lambda a: a.id)]}
               if applicants else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AllocationInput:
        sites = tuple(Site(site_id=s["site_id"], name=s["name"], min_age=s["min_age"],
                           passport_required=s["passport_required"], citizens_only=s["citizens_only"],
                           roster_lead_days=s.get("roster_lead_days", Site.roster_lead_days))
                      for s in data["sites"])
        tours = tuple(Tour(tour_id=t["tour_id"], site_id=t["site_id"], date=dt.date.fromisoformat(t["date"]),
                           start=dt.time.fromisoformat(t["start"]), duration_min=t["duration_min"],
                           capacity=t["capacity"])
                      for t in data["tours"])
        applicants = tuple(
            Applicant(id=a["id"], score=float(a["score"]),
                      registered_at=dt.datetime.fromisoformat(a["registered_at"]) if a["registered_at"] else None,
                      birth_date=dt.date.fromisoformat(a["birth_date"]) if a["birth_date"] else None,
                      companions=a["companions"], has_passport=a["has_passport"], is_citizen=a["is_citizen"],
                      choices=tuple(a["choices"]),
                      age_ok=tuple(sorted(a["age_ok"].items())) if a.get("age_ok") is not None else None)
            for a in data["applicants"])
        held = tuple(Holding(str(rid), str(tour_id), int(seats), int(rank))
                     for rid, tour_id, seats, rank in data.get("held", ()))
        today = dt.date.fromisoformat(data["today"]) if data.get("today") else None
        return cls(tours, sites, applicants, data["max_tours_per_person"], held, tuple(data.get("closed", ())),
                   today, data.get(POLICY_KEY),
                   tuple((str(rid), str(tour_id)) for rid, tour_id in data.get("taken_off", ())))

    def fingerprint(self) -> str:
        """The fingerprint a run records of these inputs: of their columns as stored (format 2)."""
        # Imported here: the columns build on this module.
        from openmosprom_cli.allocation.snapshot_columns import SnapshotColumns

        return SnapshotColumns.of(self).fingerprint()

    def legacy_fingerprint(self) -> str:
        """The fingerprint of format 1, over the canonical JSON (:meth:`to_json`): runs stored before the columns."""
        return fingerprint_of(self.to_json())

    @functools.cached_property
    def ids(self) -> tuple[str, ...]:
        """The applicants' IDs, in input order."""
        return tuple(map(attrgetter("id"), self.applicants))

    @functools.cached_property
    def input_columns(self) -> InputColumns:
        """The records read into columns, once: the fields are frozen, and reading is most of an allocation."""
        # Imported here: the columns module builds on this one.
        from openmosprom_cli.allocation.columns import read_input_columns

        return read_input_columns(self)

    @functools.cached_property
    def choice_numbers(self) -> tuple[list[str], np.ndarray]:
        """Every distinct choice, sorted, and the applicants' choices as numbers into it (columns.choice_numbers)."""
        from openmosprom_cli.allocation.columns import choice_numbers

        return choice_numbers(self)

    def prefilled(self, *, ids: tuple[str, ...] | None = None, input_columns: InputColumns | None = None,
                 choice_numbers: tuple[list[str], np.ndarray] | None = None) -> AllocationInput:
        """These inputs, with what would be read off the records known beforehand (from a stored snapshot's columns).

        They must be exactly what :attr:`ids`, :attr:`input_columns` and
        :attr:`choice_numbers` would read; None leaves it to be read.
        """
        known = {"ids": ids, "input_columns": input_columns, "choice_numbers": choice_numbers}
        # What a cached_property stores on first use: a frozen dataclass lets it, and so this, in.
        self.__dict__.update({name: value for name, value in known.items() if value is not None})
        return self

    def with_birth_dates_erased(self, ids: Collection[str]) -> tuple[AllocationInput, int]:
        """These inputs with the birth dates of ``ids`` replaced by their age verdicts; and how many were erased.

        The verdicts come from the age rule itself, so every allocation decision
        stays the same (see :data:`~openmosprom_cli.allocation.rules.ELIGIBILITY_RULES`).
        """
        tours = {t.tour_id: t for t in self.tours}
        sites = {s.site_id: s for s in self.sites}
        site_tours: dict[str, list[Tour]] = {}
        for tour in self.tours:
            site_tours.setdefault(tour.site_id, []).append(tour)
        below_min_age = dict(ELIGIBILITY_RULES)["below_min_age"]
        erased = 0
        applicants = []
        for a in self.applicants:
            if a.id in ids and a.birth_date is not None:
                listed = {t.tour_id: t for choice in a.choices
                          for t in ([tours[choice]] if choice in tours else site_tours.get(choice, ()))
                          if sites[t.site_id].min_age > 0}
                verdicts = tuple(sorted(
                    (tour_id, not below_min_age(person_traits(a, tour_id), tour_traits(t, sites[t.site_id])))
                    for tour_id, t in listed.items()))
                a = dataclasses.replace(a, birth_date=None, age_ok=verdicts)
                erased += 1
            applicants.append(a)
        return dataclasses.replace(self, applicants=tuple(applicants)), erased


def applicant_json(a: Applicant) -> dict[str, Any]:
    """One applicant as the JSON snapshot holds them."""
    data = {"id": a.id, "score": a.score,
            "registered_at": a.registered_at.isoformat() if a.registered_at else None,
            "birth_date": a.birth_date.isoformat() if a.birth_date else None,
            "companions": a.companions, "has_passport": a.has_passport, "is_citizen": a.is_citizen,
            "choices": list(a.choices)}
    # Only after a purge, so that snapshots stored before purges existed keep their fingerprint.
    if a.age_ok is not None:
        data["age_ok"] = dict(a.age_ok)
    return data


def fingerprint_of(data: Any) -> str:
    """SHA-256 of canonical JSON: anyone can recompute it from the stored data."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_inputs(inputs: AllocationInput) -> None:
    """Refuse inputs no allocation can be made of: duplicate IDs, tours of unknown sites, a limit below 1."""
    if not _ids_unique(inputs.ids):
        raise ValueError("registrant IDs must be unique")
    site_ids = {s.site_id for s in inputs.sites}
    stray = sorted({t.site_id for t in inputs.tours} - site_ids)
    if stray:
        raise ValueError(f"tours of unknown sites: {', '.join(stray)}")
    if len({t.tour_id for t in inputs.tours}) != len(inputs.tours):
        raise ValueError("tour IDs must be unique")
    if inputs.max_tours_per_person < 1:
        raise ValueError("max_tours_per_person must be at least 1")
    if inputs.held:
        ids = set(inputs.ids)
        tour_ids = {t.tour_id for t in inputs.tours}
        stray_held = [h for h in inputs.held if h.registrant_id not in ids or h.tour_id not in tour_ids]
        if stray_held:
            raise ValueError(f"held seats of unknown people or tours: {stray_held[:3]}")
        if len({(h.registrant_id, h.tour_id) for h in inputs.held}) != len(inputs.held):
            raise ValueError("a seat is held twice")
    if set(inputs.closed) - {t.tour_id for t in inputs.tours}:
        raise ValueError("closed tours that are not tours of the inputs")
    if {tour_id for _, tour_id in inputs.taken_off} - {t.tour_id for t in inputs.tours}:
        raise ValueError("people taken off tours that are not tours of the inputs")


def _ids_unique(ids: Sequence[str]) -> bool:
    """Whether no two IDs are the same; a set decides only when two IDs' hashes coincide."""
    import numpy as np

    # Distinct hashes prove distinct IDs, and sorting a million int64 hashes takes
    # less than half the time of building a set of a million strings.
    hashes = np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))
    hashes.sort()
    return not (hashes[1:] == hashes[:-1]).any() or len(set(ids)) == len(ids)
