"""Seats by priority: serial dictatorship over the season's tours.

The rule (issue 3):

1. Priority: score, highest first; then registration time, earliest first
   (missing last); then a lottery number derived from the seed and the
   person's ID alone; then the ID.
2. In priority order each person takes their first choice that they are
   eligible for and that has room for their whole party (1 + companions). A
   site choice means any tour of that site, earliest first. A party that does
   not fit moves on, and the seats stay open for later people. Nobody gets
   more than ``max_tours_per_person`` tours, and never two that overlap.
3. Waitlists: a person who did not get a choice they were eligible for goes
   on that tour's waitlist, in priority order. For a site choice that is the
   waitlist of every tour of that site they were eligible for and that was
   full, since any of them would have done.

The constraints (eligibility, capacity, overlap) are written once, below, as
expressions that work on Python scalars and on numpy arrays alike; the
reference solver, the fast solver and the audit all use them.

Two solvers implement the rule. :func:`allocate_reference` is the readable
specification; :func:`allocate` is the fast one used in production (numpy
filters out people who can no longer get any seat, a tight loop handles the
rest exactly). A property test asserts that they agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter, countOf, itemgetter
from typing import (
    TYPE_CHECKING,
    Any,
)

from openmosprom_cli.io.values import is_russian_citizen
from openmosprom_cli.models import OUTCOME_TEXT, ChoiceOutcome, Registrant, Site, Tour

if TYPE_CHECKING:
    import numpy as np

CODES: tuple[str, ...] = tuple(OUTCOME_TEXT)
CODE_INDEX: dict[str, int] = {code: i for i, code in enumerate(CODES)}
PLACED = CODE_INDEX["placed"]
FULL = CODE_INDEX["full"]
OVERLAPS = CODE_INDEX["overlaps"]
UNKNOWN_CHOICE = CODE_INDEX["unknown_choice"]
NOT_REACHED = CODE_INDEX["not_reached"]
LIMIT_REACHED = CODE_INDEX["limit_reached"]
NO_CHOICE = -1      # padding in the per-choice arrays of people with fewer choices
ELIGIBLE = -1       # "no reason against" in eligibility code arrays


# -- inputs ---------------------------------------------------------------------

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
        return cls(id=r.id, score=float(r.score), registered_at=_naive(r.registered_at), birth_date=r.birth_date,
                   companions=r.companions, has_passport=bool(r.passport.strip()), is_citizen=citizen,
                   choices=tuple(r.choices))


def _naive(moment: dt.datetime | None) -> dt.datetime | None:
    """Registration times compare as naive local times; an aware one is converted to Moscow time."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.timezone(dt.timedelta(hours=3))).replace(tzinfo=None)


@dataclass(frozen=True)
class AllocationInput:
    """Exactly what one allocation sees; stored with each run so the audit can re-derive it."""

    tours: tuple[Tour, ...]
    sites: tuple[Site, ...]
    applicants: tuple[Applicant, ...]
    max_tours_per_person: int = 1

    @classmethod
    def build(cls, tours: Iterable[Tour], sites: Iterable[Site], people: Iterable[Registrant | Applicant],
              max_tours_per_person: int = 1) -> AllocationInput:
        cache: dict[str, bool] = {}
        applicants = tuple(p if isinstance(p, Applicant) else Applicant.of(p, citizen_cache=cache) for p in people)
        return cls(tuple(tours), tuple(sites), applicants, max_tours_per_person)

    def to_json(self) -> dict[str, Any]:
        """A canonical form: sorted, so the same inputs always give the same fingerprint."""
        return {
            "max_tours_per_person": self.max_tours_per_person,
            "sites": [
                {"site_id": s.site_id, "name": s.name, "min_age": s.min_age,
                 "passport_required": s.passport_required, "citizens_only": s.citizens_only}
                for s in sorted(self.sites, key=lambda s: s.site_id)
            ],
            "tours": [
                {"tour_id": t.tour_id, "site_id": t.site_id, "date": t.date.isoformat(),
                 "start": t.start.strftime("%H:%M"), "duration_min": t.duration_min, "capacity": t.capacity}
                for t in sorted(self.tours, key=lambda t: t.tour_id)
            ],
            "applicants": [_applicant_json(a) for a in sorted(self.applicants, key=lambda a: a.id)],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AllocationInput:
        sites = tuple(Site(site_id=s["site_id"], name=s["name"], min_age=s["min_age"],
                           passport_required=s["passport_required"], citizens_only=s["citizens_only"])
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
        return cls(tours, sites, applicants, data["max_tours_per_person"])

    def fingerprint(self) -> str:
        return fingerprint_of(self.to_json())

    @functools.cached_property
    def _input_columns(self) -> _InputColumns:
        """The records read into columns, once: the fields are frozen, and reading is most of an allocation."""
        return _read_input_columns(self)

    def with_birth_dates_erased(self, ids: Collection[str]) -> tuple[AllocationInput, int]:
        """These inputs with the birth dates of ``ids`` replaced by their age verdicts; and how many were erased.

        The verdicts come from the age rule itself, so every allocation decision
        stays the same (see :data:`ELIGIBILITY_RULES`).
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


def _applicant_json(a: Applicant) -> dict[str, Any]:
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


# -- the constraints, written once ------------------------------------------------
#
# Each field may hold a Python scalar or a numpy array; the rules below use only
# operators that mean the same for both (&, |, comparisons, arithmetic).

@dataclass(frozen=True)
class PersonTraits:
    birth_ymd: Any          # birth date as YYYYMMDD, 0 when unknown, BIRTH_DATE_ERASED after a purge
    companions: Any
    passport_missing: Any
    non_citizen: Any
    # Depends on the tour too: the verdict recorded when the birth date was erased does
    # not say they met this tour's minimum age (no verdict counts as not met).
    age_not_on_record: Any = False


@dataclass(frozen=True)
class TourTraits:
    date_ymd: Any           # tour date as YYYYMMDD
    min_age: Any
    passport_required: Any
    citizens_only: Any


def ymd(day: dt.date | None) -> int:
    return day.year * 10000 + day.month * 100 + day.day if day else 0


BIRTH_DATE_ERASED = -1


# Full years between two YYYYMMDD numbers: the difference's ten-thousands digit
# counts a year only once the birthday has come (born 29 Feb: on 1 Mar in common years).
# Once a purge has erased the birth date, the verdict it recorded for the tour decides.
ELIGIBILITY_RULES: tuple[tuple[str, Callable[[PersonTraits, TourTraits], Any]], ...] = (
    ("no_birth_date", lambda p, t: (t.min_age > 0) & (p.birth_ymd == 0)),
    ("below_min_age", lambda p, t: (t.min_age > 0) & (
        ((p.birth_ymd > 0) & ((t.date_ymd - p.birth_ymd) // 10000 < t.min_age))
        | ((p.birth_ymd == BIRTH_DATE_ERASED) & p.age_not_on_record))),
    ("no_passport", lambda p, t: t.passport_required & p.passport_missing),
    ("companions_not_allowed", lambda p, t: t.passport_required & (p.companions > 0)),
    ("not_citizen", lambda p, t: t.citizens_only & p.non_citizen),
)
"""In order: the first rule that holds is the reason given."""


def restricts(tour: TourTraits) -> Any:
    """Whether any rule can hold for this tour: each rule above requires one of these site settings.

    The fast solver skips the rules for the other tours, since everyone is eligible for them.
    """
    return (tour.min_age > 0) | tour.passport_required | tour.citizens_only


def person_traits(a: Applicant, tour_id: str) -> PersonTraits:
    """The person's traits as the rules see them for this tour (only a purged age verdict depends on it)."""
    if a.birth_date_erased:
        return PersonTraits(BIRTH_DATE_ERASED, a.companions, not a.has_passport, not a.is_citizen,
                            age_not_on_record=(tour_id, True) not in a.age_ok)
    return PersonTraits(ymd(a.birth_date), a.companions, not a.has_passport, not a.is_citizen)


def eligibility(a: Applicant, tour: Tour, site: Site) -> str | None:
    """Why this applicant may not take this tour, or None if they may."""
    return ineligibility(person_traits(a, tour.tour_id), tour_traits(tour, site))


def tour_traits(tour: Tour, site: Site) -> TourTraits:
    return TourTraits(ymd(tour.date), site.min_age, site.passport_required, site.citizens_only)


def ineligibility(person: PersonTraits, tour: TourTraits) -> str | None:
    """Why the person may not take the tour, or None if they may."""
    for code, rule in ELIGIBILITY_RULES:
        if rule(person, tour):
            return code
    return None


def ineligibility_codes(person: PersonTraits, tour: TourTraits) -> np.ndarray:
    """:func:`ineligibility` over aligned arrays: an index into CODES per pair, or ELIGIBLE."""
    import numpy as np

    result = np.full(np.broadcast_shapes(*(np.shape(v) for v in (*vars(person).values(), *vars(tour).values()))),
                     ELIGIBLE, dtype=np.int8)
    for code, rule in reversed(ELIGIBILITY_RULES):
        result[np.asarray(rule(person, tour), dtype=bool)] = CODE_INDEX[code]
    return result


def fits(seats_left: int, party_size: int) -> bool:
    return party_size <= seats_left


def tour_minutes(tour: Tour) -> tuple[int, int]:
    start = tour.date.toordinal() * 1440 + tour.start.hour * 60 + tour.start.minute
    return start, start + tour.duration_min


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def ordered_tours(tours: Iterable[Tour]) -> list[Tour]:
    """Earliest first; this is also the order a site choice tries its tours in."""
    return sorted(tours, key=lambda t: (t.date, t.start, t.tour_id))


# -- priority -----------------------------------------------------------------------

def lottery_number(seed: str, registrant_id: str) -> int:
    """The person's draw: depends on the seed and their ID only, never on file order."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{registrant_id}".encode()).digest()[:8], "big")


def priority_key(seed: str) -> Callable[[Applicant], tuple]:
    def key(a: Applicant) -> tuple:
        return (-a.score, a.registered_at is None, a.registered_at or dt.datetime.min,
                lottery_number(seed, a.id), a.id)
    return key


def priority_order(people: Sequence[Applicant | Registrant], seed: str) -> tuple[str, ...]:
    """IDs in the order people choose: the first chooses first."""
    applicants = AllocationInput.build((), (), people).applicants
    return tuple(applicants[i].id for i in _priority_indices(applicants, str(seed)))


@dataclass(frozen=True)
class _PriorityFields:
    """What the priority sort reads of the records, as columns in input order."""

    score: np.ndarray
    registered: np.ndarray     # microseconds; meaningless where missing
    missing: np.ndarray

    @classmethod
    def of(cls, applicants: Sequence[Applicant]) -> _PriorityFields:
        import numpy as np

        score = np.fromiter(map(attrgetter("score"), applicants), dtype=np.float64, count=len(applicants))
        return cls.from_columns(score, list(map(attrgetter("registered_at"), applicants)))

    @classmethod
    def from_columns(cls, score: np.ndarray, registered_at: list[dt.datetime | None]) -> _PriorityFields:
        import numpy as np
        import pandas as pd

        moments = pd.to_datetime(pd.Series(registered_at, dtype=object)).to_numpy()
        return cls(score, moments.astype("datetime64[us]").astype(np.int64), np.isnat(moments))


def _priority_indices(applicants: Sequence[Applicant], seed: str,
                      fields: _PriorityFields | None = None) -> np.ndarray:
    """The priority sort with numpy; the lottery is drawn only where score and time tie."""
    import numpy as np
    import pandas as pd

    n = len(applicants)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if fields is None:
        fields = _PriorityFields.of(applicants)
    score, registered, missing = fields.score, fields.registered, fields.missing
    # One int64 key instead of a two-key lexsort (twice as fast at a million people):
    # the score's rank, highest first, then the registration time, missing last.
    # factorize hashes instead of sorting all million scores; it counts 0.0 and -0.0 as one, like a
    # comparison does, and NaN (never a valid score) as one more value, sorted after the rest.
    score_rank, score_values = pd.factorize(-score, sort=True, use_na_sentinel=False)
    score_rank = score_rank.astype(np.int64)
    present = registered[~missing]
    earliest = int(present.min()) if present.size else 0
    span = (int(present.max()) - earliest + 2) if present.size else 1
    if len(score_values) * span < 2**62:
        offset = registered - earliest
        offset[missing] = span - 1
        key = score_rank * span + offset
    else:   # times too far apart to pack beside the score: pack their ranks instead
        time_values, time_rank = np.unique(np.where(missing, np.iinfo(np.int64).max, registered),
                                           return_inverse=True)
        key = score_rank * len(time_values) + time_rank.reshape(n)
    order = np.argsort(key)
    sorted_key = key[order]
    same_as_next = sorted_key[1:] == sorted_key[:-1]
    if not same_as_next.any():
        return order
    tied = np.zeros(n, dtype=bool)
    tied[1:] |= same_as_next
    tied[:-1] |= same_as_next
    group = np.concatenate(([0], np.cumsum(~same_as_next)))
    tied_at = np.flatnonzero(tied)
    members = order[tied_at]
    draws = np.fromiter((lottery_number(seed, applicants[i].id) for i in members), dtype=np.uint64,
                        count=len(members))
    within = np.lexsort((draws, group[tied_at]))
    order[tied_at] = members[within]
    # Equal draws (a 64-bit collision) fall back to the ID; practically never happens.
    d = draws[within]
    g = group[tied_at][within]
    collide = (d[1:] == d[:-1]) & (g[1:] == g[:-1])
    if collide.any():
        key = priority_key(seed)
        starts = np.flatnonzero(np.concatenate(([True], ~collide)))
        ends = np.append(starts[1:], len(within))
        for a, b in zip(starts, ends):
            if b - a > 1:
                block = tied_at[a:b]
                order[block] = sorted(order[block], key=lambda i: key(applicants[i]))
    return order


# -- the result -----------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    registrant_id: str
    tour_id: str
    choice_rank: int
    seats: int


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """Column arrays, indexed by priority position (0 = first to choose), so 1M people stay cheap.

    ``choice_code[p, j]`` is an index into CODES (NO_CHOICE past the person's
    list); ``choice_tour[p, j]`` a tour index or -1. The waitlists follow from
    these outcomes (see :func:`derive_waitlist`); the reference solver lists
    them explicitly instead, which the property tests compare. Use the methods
    for records.
    """

    inputs: AllocationInput
    seed: str
    order: np.ndarray          # priority position → index into inputs.applicants
    tours: tuple[Tour, ...]      # tour index → tour, earliest first
    choice_code: np.ndarray
    choice_tour: np.ndarray
    explicit_waitlist: tuple[np.ndarray, np.ndarray] | None = None

    @functools.cached_property
    def waitlist_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(tour index, priority position) pairs, sorted by tour, then priority."""
        return self.explicit_waitlist if self.explicit_waitlist is not None else derive_waitlist(self)

    def applicant_at(self, position: int) -> Applicant:
        return self.inputs.applicants[int(self.order[position])]

    def priority_ids(self) -> list[str]:
        applicants = self.inputs.applicants
        return [applicants[i].id for i in self.order.tolist()]

    def placements(self) -> list[Placement]:
        """Every seat given, in priority order."""
        import numpy as np

        positions, slots = np.nonzero(self.choice_code == PLACED)
        placements = []
        for p, j, t in zip(positions.tolist(), slots.tolist(), self.choice_tour[positions, slots].tolist()):
            applicant = self.applicant_at(p)
            placements.append(Placement(applicant.id, self.tours[t].tour_id, j + 1, applicant.party_size))
        return placements

    def waitlists(self) -> dict[str, list[str]]:
        """Tour ID → registrant IDs in priority order; only tours with a waitlist."""
        result: dict[str, list[str]] = {}
        tours, positions = self.waitlist_arrays
        for t, p in zip(tours.tolist(), positions.tolist()):
            result.setdefault(self.tours[t].tour_id, []).append(self.applicant_at(p).id)
        return result

    def outcomes_at(self, position: int) -> list[ChoiceOutcome]:
        applicant = self.applicant_at(position)
        codes = self.choice_code[position].tolist()
        tours = self.choice_tour[position].tolist()
        return [ChoiceOutcome(j + 1, choice, self.tours[tours[j]].tour_id if tours[j] >= 0 else None, CODES[codes[j]])
                for j, choice in enumerate(applicant.choices)]

    def iter_outcomes(self) -> Iterator[tuple[int, Applicant, list[ChoiceOutcome]]]:
        """(priority position, applicant, per-choice outcomes) for everyone, first to choose first."""
        for position in range(len(self.order)):
            yield position, self.applicant_at(position), self.outcomes_at(position)

    def same_as(self, other: AllocationResult) -> bool:
        import numpy as np

        return (self.priority_ids() == other.priority_ids()
                and [t.tour_id for t in self.tours] == [t.tour_id for t in other.tours]
                and np.array_equal(self.choice_code, other.choice_code)
                and np.array_equal(self.choice_tour, other.choice_tour)
                and all(np.array_equal(a, b) for a, b in zip(self.waitlist_arrays, other.waitlist_arrays)))

    def fingerprint(self) -> str:
        return result_fingerprint(
            self.placements(), self.waitlists(),
            {a.id: (p + 1, [o.to_json() for o in outcomes]) for p, a, outcomes in self.iter_outcomes()},
        )


def result_fingerprint(placements: Iterable[Placement], waitlists: Mapping[str, Sequence[str]],
                       outcomes: Mapping[str, tuple[int, list[dict[str, Any]]]]) -> str:
    """Fingerprint of a result as it is stored, so the audit can recompute it from the tables."""
    return fingerprint_of({
        "placements": sorted([p.registrant_id, p.tour_id, p.choice_rank, p.seats] for p in placements),
        "waitlists": {tour: list(ids) for tour, ids in waitlists.items() if ids},
        "outcomes": {rid: [priority, list(rows)] for rid, (priority, rows) in outcomes.items()},
    })


# -- shared preparation ----------------------------------------------------------------

def _check_inputs(inputs: AllocationInput) -> None:
    if not _ids_unique(inputs.applicants):
        raise ValueError("registrant IDs must be unique")
    site_ids = {s.site_id for s in inputs.sites}
    stray = sorted({t.site_id for t in inputs.tours} - site_ids)
    if stray:
        raise ValueError(f"tours of unknown sites: {', '.join(stray)}")
    if len({t.tour_id for t in inputs.tours}) != len(inputs.tours):
        raise ValueError("tour IDs must be unique")
    if inputs.max_tours_per_person < 1:
        raise ValueError("max_tours_per_person must be at least 1")


def _ids_unique(applicants: Sequence[Applicant]) -> bool:
    """Whether no two applicants share an ID; a set decides only when two IDs' hashes coincide."""
    import numpy as np

    # Distinct hashes prove distinct IDs, and sorting a million int64 hashes takes
    # less than half the time of building a set of a million strings.
    hashes = np.fromiter(map(hash, map(attrgetter("id"), applicants)), dtype=np.int64, count=len(applicants))
    hashes.sort()
    return not (hashes[1:] == hashes[:-1]).any() or len(set(map(attrgetter("id"), applicants))) == len(applicants)


def _site_tours(tours: Sequence[Tour]) -> dict[str, list[int]]:
    by_site: dict[str, list[int]] = {}
    for i, tour in enumerate(tours):
        by_site.setdefault(tour.site_id, []).append(i)
    return by_site


def _pack(inputs: AllocationInput, seed: str, order: Sequence[int], tours: tuple[Tour, ...],
          rows: Sequence[tuple[list[int], list[int]]], waitlist: Iterable[tuple[int, int]]) -> AllocationResult:
    import numpy as np

    n = len(order)
    k = max((len(a.choices) for a in inputs.applicants), default=0)
    code = np.full((n, k), NO_CHOICE, dtype=np.int8)
    tour = np.full((n, k), -1, dtype=np.int32)
    for p, (codes, tour_ids) in enumerate(rows):
        code[p, :len(codes)] = codes
        tour[p, :len(tour_ids)] = tour_ids
    entries = sorted(set(waitlist))
    explicit = (np.array([t for t, _ in entries], dtype=np.int32), np.array([p for _, p in entries], dtype=np.int32))
    return AllocationResult(inputs, seed, np.asarray(order, dtype=np.int64), tours, code, tour, explicit)


# -- the reference solver: the rule, plainly ------------------------------------------

def allocate_reference(inputs: AllocationInput, *, seed: str) -> AllocationResult:
    """Serial dictatorship written for reading; the specification the fast solver must match."""
    seed = str(seed)
    _check_inputs(inputs)
    tours = tuple(ordered_tours(inputs.tours))
    sites = {s.site_id: s for s in inputs.sites}
    index_of = {t.tour_id: i for i, t in enumerate(tours)}
    site_tours = _site_tours(tours)
    traits = [tour_traits(t, sites[t.site_id]) for t in tours]
    times = [tour_minutes(t) for t in tours]
    seats_left = [t.capacity for t in tours]
    limit = inputs.max_tours_per_person
    after_limit = NOT_REACHED if limit == 1 else LIMIT_REACHED

    key = priority_key(seed)
    order = sorted(range(len(inputs.applicants)), key=lambda i: key(inputs.applicants[i]))
    rows: list[tuple[list[int], list[int]]] = []
    waitlist: list[tuple[int, int]] = []
    for position, i in enumerate(order):
        person = inputs.applicants[i]
        held: list[int] = []
        codes: list[int] = []
        granted_tours: list[int] = []
        for choice in person.choices:
            named_tour = index_of.get(choice, -1)
            options = [named_tour] if named_tour >= 0 else site_tours.get(choice, [])
            if len(held) >= limit:
                codes.append(after_limit)
                granted_tours.append(named_tour)
                continue
            if not options:
                codes.append(UNKNOWN_CHOICE)
                granted_tours.append(-1)
                continue
            first_reason: str | None = None
            overlapped = False
            full: list[int] = []
            granted = -1
            for t in options:
                reason = ineligibility(person_traits(person, tours[t].tour_id), traits[t])
                if reason is not None:
                    first_reason = first_reason or reason
                elif any(overlaps(times[t], times[h]) for h in held):
                    overlapped = True
                elif not fits(seats_left[t], person.party_size):
                    full.append(t)
                else:
                    granted = t
                    break
            if granted >= 0:
                seats_left[granted] -= person.party_size
                held.append(granted)
                codes.append(PLACED)
                granted_tours.append(granted)
                continue
            waitlist.extend((t, position) for t in full)
            codes.append(FULL if full else OVERLAPS if overlapped else CODE_INDEX[str(first_reason)])
            granted_tours.append(named_tour)
        rows.append((codes, granted_tours))
    return _pack(inputs, seed, order, tours, rows, waitlist)


# -- the fast solver --------------------------------------------------------------------

_NONE, _TOUR, _SITE, _UNKNOWN = 0, 1, 2, 3
_FIRST_CHUNK = 2048
_READ_CHUNK = 4096


@dataclass(frozen=True)
class _InputColumns:
    """Everything the fast solver reads of the inputs, as numpy columns, people in input order.

    Reading a million records costs more than solving, so each AllocationInput
    reads them once (:attr:`AllocationInput._input_columns`); a run's
    waitlists, or a second allocation of the same inputs, only put them in
    priority order. The arrays are read-only, being shared.
    """

    tours: tuple[Tour, ...]      # earliest first
    priority: _PriorityFields
    person: PersonTraits
    kind: np.ndarray
    ref: np.ndarray
    tour: TourTraits
    capacity: np.ndarray
    start: np.ndarray
    end: np.ndarray
    site_tours: np.ndarray
    site_len: np.ndarray
    age_ok_keys: np.ndarray | None     # as in _Columns, but input index × tours + tour index, unsorted


@dataclass(frozen=True)
class _Columns:
    """The inputs as numpy columns, people in priority order."""

    size: np.ndarray
    person: PersonTraits
    kind: np.ndarray           # (n, k) _NONE / _TOUR / _SITE / _UNKNOWN
    ref: np.ndarray            # (n, k) tour index or site index
    tour: TourTraits
    capacity: np.ndarray
    start: np.ndarray
    end: np.ndarray
    site_tours: np.ndarray     # (sites, longest) tour indices, earliest first, -1 padded
    site_len: np.ndarray
    # position × tours + tour index, for each tour that a person whose birth date was
    # erased is recorded as old enough for; None when nobody's birth date was erased.
    age_ok_keys: np.ndarray | None


def _columns(a: _InputColumns, order: np.ndarray) -> _Columns:
    """The inputs' columns in this priority order."""
    import numpy as np

    person = _pick(a.person, order)
    age_ok_keys = None
    if a.age_ok_keys is not None:
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        owner, tour = np.divmod(a.age_ok_keys, max(len(a.tours), 1))
        age_ok_keys = np.sort(position[owner] * len(a.tours) + tour)
    return _Columns(
        size=person.companions.astype(np.int64) + 1, person=person, kind=_rows(a.kind, order), ref=_rows(a.ref, order),
        tour=a.tour, capacity=a.capacity, start=a.start, end=a.end, site_tours=a.site_tours, site_len=a.site_len,
        age_ok_keys=age_ok_keys,
    )


def _read_input_columns(inputs: AllocationInput) -> _InputColumns:
    import numpy as np

    applicants = inputs.applicants
    n = len(applicants)
    tours = tuple(ordered_tours(inputs.tours))
    sites = {s.site_id: s for s in inputs.sites}
    site_ids = sorted({t.site_id for t in tours})
    site_number = {s: i for i, s in enumerate(site_ids)}
    by_site = _site_tours(tours)
    longest = max((len(v) for v in by_site.values()), default=0)
    site_tours = np.full((len(site_ids), max(longest, 1)), -1, dtype=np.int32)
    for s, members in by_site.items():
        site_tours[site_number[s], :len(members)] = members
    site_len = np.array([len(by_site[s]) for s in site_ids], dtype=np.int32)
    tour_sites = [sites[t.site_id] for t in tours]
    tour = TourTraits(
        date_ymd=np.array([ymd(t.date) for t in tours], dtype=np.int32),
        min_age=np.array([s.min_age for s in tour_sites], dtype=np.int16),
        passport_required=np.array([s.passport_required for s in tour_sites], dtype=bool),
        citizens_only=np.array([s.citizens_only for s in tour_sites], dtype=bool),
    )
    times = np.array([tour_minutes(t) for t in tours], dtype=np.int64).reshape(len(tours), 2)

    # Choice tokens → codes: tours first, then sites, then "unknown", then "no choice" padding;
    # kind and ref are then two table look-ups.
    n_tours, n_sites = len(tours), len(site_ids)
    unknown_code, none_code = n_tours + n_sites, n_tours + n_sites + 1
    lookup = _Codes({s: n_tours + i for s, i in site_number.items()}, default=unknown_code)
    lookup.update({t.tour_id: i for i, t in enumerate(tours)})     # a tour ID wins over a site ID
    kind_of = np.array([_TOUR] * n_tours + [_SITE] * n_sites + [_UNKNOWN, _NONE], dtype=np.int8)
    ref_of = np.array([*range(n_tours), *range(n_sites), 0, 0], dtype=np.int32)

    score = np.empty(n, dtype=np.float64)
    companions = np.empty(n, dtype=np.int16)
    has_passport = np.empty(n, dtype=bool)
    is_citizen = np.empty(n, dtype=bool)
    lengths = np.empty(n, dtype=np.int64)
    flat: list[np.ndarray] = []
    registered_at: list[dt.datetime | None] = []
    births: list[dt.date | None] = []
    purged = 0
    # map() with attrgetter keeps each field's pass over the records in C; one fromiter per field is
    # faster than one pass into a structured array. Making every pass over a few thousand records
    # before going on finds them still in the CPU cache after the first: a tenth less time at a million.
    for start in range(0, n, _READ_CHUNK):
        part = applicants[start:start + _READ_CHUNK]
        stop, m = start + len(part), len(part)
        score[start:stop] = np.fromiter(map(attrgetter("score"), part), dtype=np.float64, count=m)
        companions[start:stop] = np.fromiter(map(attrgetter("companions"), part), dtype=np.int16, count=m)
        has_passport[start:stop] = np.fromiter(map(attrgetter("has_passport"), part), dtype=bool, count=m)
        is_citizen[start:stop] = np.fromiter(map(attrgetter("is_citizen"), part), dtype=bool, count=m)
        registered_at.extend(map(attrgetter("registered_at"), part))
        births.extend(map(attrgetter("birth_date"), part))
        purged += m - countOf(map(attrgetter("age_ok"), part), None)
        choices = list(map(attrgetter("choices"), part))
        lengths[start:stop] = np.fromiter(map(len, choices), dtype=np.int64, count=m)
        flat.append(np.fromiter(map(lookup.__getitem__, chain.from_iterable(choices)), dtype=np.int32))
    k = int(lengths.max()) if n else 0
    token = np.full((n, k), none_code, dtype=np.int32)
    if n:
        token[np.arange(k) < lengths[:, None]] = np.concatenate(flat)     # row-major, like the chained choices
    del flat
    kind, ref = kind_of[token], ref_of[token]
    del token
    priority = _PriorityFields.from_columns(score, registered_at)
    del registered_at
    birth_ymd = _ymd_column(births)

    age_ok_keys = None
    if purged:
        age_records = list(map(attrgetter("age_ok"), applicants))
        erased = [i for i, record in enumerate(age_records) if record is not None and births[i] is None]
        birth_ymd[erased] = BIRTH_DATE_ERASED
        records = [age_records[i] for i in erased]
        counts = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
        verdicts = list(chain.from_iterable(records))
        tour_index = _Codes({t.tour_id: i for i, t in enumerate(tours)})
        tour_of = np.fromiter(map(tour_index.__getitem__, map(itemgetter(0), verdicts)), dtype=np.int64,
                              count=len(verdicts))
        ok = np.fromiter(map(itemgetter(1), verdicts), dtype=bool, count=len(verdicts)) & (tour_of >= 0)
        owner = np.repeat(np.asarray(erased, dtype=np.int64), counts)
        age_ok_keys = owner[ok] * n_tours + tour_of[ok]
    del births

    person = PersonTraits(birth_ymd=birth_ymd, companions=companions, passport_missing=~has_passport,
                          non_citizen=~is_citizen)
    columns = _InputColumns(
        tours=tours, priority=priority, person=person, kind=kind, ref=ref, tour=tour,
        capacity=np.array([t.capacity for t in tours], dtype=np.int64), start=times[:, 0], end=times[:, 1],
        site_tours=site_tours, site_len=site_len, age_ok_keys=age_ok_keys,
    )
    for value in _arrays_in(columns):
        value.flags.writeable = False
    return columns


def _arrays_in(value: Any) -> Iterator[np.ndarray]:
    import numpy as np

    if isinstance(value, np.ndarray):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _arrays_in(getattr(value, field.name))


def _ymd_column(days: list[dt.date | None]) -> np.ndarray:
    """:func:`ymd` of each day, as int32."""
    import numpy as np
    import pandas as pd

    try:
        # pandas converts dates in C, where a dict of converted days would hash and compare each one.
        moments = pd.to_datetime(pd.Series(days, dtype=object)).to_numpy()
    except (ValueError, TypeError, OverflowError):      # dates beyond pandas 2's nanosecond range
        moments = None
    if moments is None or moments.dtype.kind != "M":    # time-zone-aware moments: their UTC day may differ
        day_ymd = _Codes(convert=ymd)     # days repeat: convert each once
        return np.fromiter(map(day_ymd.__getitem__, days), dtype=np.int32, count=len(days))
    # Calendar arithmetic only for the distinct days: tens of thousands among a million people.
    codes, unique = pd.factorize(moments.astype("datetime64[D]"), use_na_sentinel=False)
    day = np.asarray(unique, dtype="datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    result = year * 10000 + (month.astype(np.int64) % 12 + 1) * 100 + (day - month).astype(np.int64) + 1
    return np.where(np.isnat(day), 0, result).astype(np.int32)[codes]


class _Codes(dict):
    """A dict that answers a missing key with ``convert(key)`` (remembered), or else with ``default``."""

    def __init__(self, *args: Any, default: int = -1, convert: Callable[[Any], int] | None = None) -> None:
        super().__init__(*args)
        self.default = default
        self.convert = convert

    def __missing__(self, key: Any) -> int:
        if self.convert is None:
            return self.default
        value = self[key] = self.convert(key)
        return value


def _true_at(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D mask, two and a half times as fast: rows and columns of the True cells."""
    import numpy as np

    return np.divmod(np.flatnonzero(mask), max(mask.shape[1], 1))


def _rows(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[index]``: take() copies whole rows, several times faster than indexing a 2-D array does."""
    import numpy as np

    return np.take(table, index, axis=0)


def _pick(traits: Any, index: np.ndarray) -> Any:
    import numpy as np

    return type(traits)(**{name: value[index] if np.ndim(value) else value for name, value in vars(traits).items()})


def _reasons(c: _Columns, people: np.ndarray, tours: np.ndarray) -> np.ndarray:
    """Reasons for aligned (broadcastable) arrays of priority positions and tour indices."""
    import numpy as np

    person = _pick(c.person, people)
    if c.age_ok_keys is not None:
        shape = np.broadcast_shapes(np.shape(people), np.shape(tours))
        erased = np.broadcast_to(person.birth_ymd == BIRTH_DATE_ERASED, shape)
        keys = np.broadcast_to(people, shape)[erased].astype(np.int64) * len(c.capacity) \
            + np.broadcast_to(tours, shape)[erased]
        # The keys are sorted once in _columns; searchsorted spares isin's re-hashing of them on every call.
        at = np.minimum(np.searchsorted(c.age_ok_keys, keys), max(len(c.age_ok_keys) - 1, 0))
        not_on_record = np.zeros(shape, dtype=bool)
        not_on_record[erased] = c.age_ok_keys[at] != keys if len(c.age_ok_keys) else True
        person = dataclasses.replace(person, age_not_on_record=not_on_record)
    return ineligibility_codes(person, _pick(c.tour, tours))


def allocate(inputs: AllocationInput, *, seed: str) -> AllocationResult:
    """Serial dictatorship, fast: same result as :func:`allocate_reference`.

    Seats only ever decrease, so a person with no eligible option that fits
    their party *now* will never get one. Chunk by chunk, numpy finds the few
    people who still might be placed; a tight loop decides those exactly, in
    priority order, and everyone else's outcome follows in bulk at the end.
    """
    seed = str(seed)
    _check_inputs(inputs)
    columns = inputs._input_columns
    order = _priority_indices(inputs.applicants, seed, columns.priority)
    return _solve(inputs, seed, columns.tours, order, _columns(columns, order))


def _solve(inputs: AllocationInput, seed: str, tours: tuple[Tour, ...], order: np.ndarray,
           c: _Columns) -> AllocationResult:
    import numpy as np

    n, k = c.kind.shape
    code = np.full((n, k), NO_CHOICE, dtype=np.int8)
    chosen = np.full((n, k), -1, dtype=np.int32)
    decided = np.zeros(n, dtype=bool)
    seats_left = c.capacity.copy()

    is_tour = c.kind == _TOUR
    # Only the slots naming a tour that some rule applies to need the rules at all.
    tour_reason = np.full((n, k), ELIGIBLE, dtype=np.int8)
    if len(tours):
        rows, cols = _true_at(is_tour & restricts(c.tour)[c.ref])
        tour_reason[rows, cols] = _reasons(c, rows, c.ref[rows, cols])

    start, chunk = 0, _FIRST_CHUNK
    while start < n and tours:
        stop = min(n, start + chunk)
        maybe = _might_be_placed(c, start, stop, is_tour, tour_reason, seats_left)
        if maybe.size:
            _decide_exactly(c, maybe, seats_left, code, chosen, inputs.max_tours_per_person)
            decided[maybe] = True
        start, chunk = stop, chunk * 2

    _settle_the_rest(c, ~decided, tour_reason, code, chosen)
    return AllocationResult(inputs, seed, order, tours, code, chosen)


def _might_be_placed(c: _Columns, start: int, stop: int, is_tour: np.ndarray, tour_reason: np.ndarray,
                     seats_left: np.ndarray) -> np.ndarray:
    """Positions in [start, stop) with an eligible option that still fits their party."""
    import numpy as np

    size = c.size[start:stop, None]
    ref = c.ref[start:stop]
    fit = is_tour[start:stop] & (tour_reason[start:stop] == ELIGIBLE) & (seats_left[ref] >= size)
    maybe = fit.any(axis=1)
    rows, cols = _true_at((c.kind[start:stop] == _SITE) & ~maybe[:, None])
    if rows.size:
        # No tour of a site has room for a party that its roomiest tour has no room for: once the
        # tours fill up, this spares looking at each tour of nearly every site choice.
        roomiest = np.where(c.site_tours >= 0, seats_left[c.site_tours], -1).max(axis=1)
        site = ref[rows, cols]
        roomy = roomiest[site] >= c.size[start + rows]
        rows, site = rows[roomy], site[roomy]
        candidates = _rows(c.site_tours, site)                            # (slots, longest)
        open_ = (candidates >= 0) & (seats_left[np.maximum(candidates, 0)] >= c.size[start + rows, None])
        slot, position = _true_at(open_)
        people = start + rows[slot]
        ok = _reasons(c, people, candidates[slot, position]) == ELIGIBLE
        maybe[people[ok] - start] = True
    return start + np.flatnonzero(maybe)


def _decide_exactly(c: _Columns, people: np.ndarray, seats: np.ndarray, code: np.ndarray,
                    chosen: np.ndarray, limit: int) -> None:
    """Serial dictatorship for these people, in priority order, with every option's reason precomputed."""
    import numpy as np

    k = c.kind.shape[1]
    kind = c.kind[people]
    ref = c.ref[people]
    is_site = kind == _SITE
    count = np.where(kind == _TOUR, 1, np.where(is_site, c.site_len[np.where(is_site, ref, 0)], 0)).ravel()
    offsets = np.concatenate(([0], np.cumsum(count)))
    slot = np.repeat(np.arange(count.size), count)
    within = np.arange(slot.size) - offsets[slot]
    slot_ref = ref.ravel()[slot]
    slot_is_site = is_site.ravel()[slot]
    option_tour = np.where(slot_is_site, c.site_tours[np.where(slot_is_site, slot_ref, 0), within], slot_ref)
    option_reason = _reasons(c, people[slot // max(k, 1)], option_tour)

    kinds, refs, offs = kind.ravel().tolist(), ref.ravel().tolist(), offsets.tolist()
    opt_tour, opt_reason = option_tour.tolist(), option_reason.tolist()
    sizes = c.size[people].tolist()
    starts, ends = c.start.tolist(), c.end.tolist()
    left = seats.tolist()
    out_code = [NO_CHOICE] * kind.size
    out_tour = [-1] * kind.size
    # Where each person reached the limit; their later choices are settled below, in bulk.
    limit_at = [k] * len(people)
    for i in range(len(people)):
        party = sizes[i]
        held: list[int] = []
        base = i * k
        for j in range(base, base + k):
            what = kinds[j]
            if what == _NONE:       # only padding follows
                break
            if what == _UNKNOWN:
                out_code[j] = UNKNOWN_CHOICE
                continue
            first_reason = -1
            overlapped = False
            full = False
            granted = -1
            for o in range(offs[j], offs[j + 1]):
                t = opt_tour[o]
                if opt_reason[o] != ELIGIBLE:
                    if first_reason < 0:
                        first_reason = opt_reason[o]
                elif held and any(starts[t] < ends[h] and starts[h] < ends[t] for h in held):
                    overlapped = True
                elif left[t] < party:
                    full = True
                else:
                    granted = t
                    break
            if granted >= 0:
                left[granted] -= party
                held.append(granted)
                out_code[j] = PLACED
                out_tour[j] = granted
                if len(held) == limit:
                    limit_at[i] = j - base + 1
                    break
            else:
                out_code[j] = FULL if full else OVERLAPS if overlapped else first_reason
                if what == _TOUR:
                    out_tour[j] = refs[j]
    seats[:] = left
    if k:
        codes = np.array(out_code, dtype=np.int8).reshape(len(people), k)
        tours = np.array(out_tour, dtype=np.int32).reshape(len(people), k)
        after = (np.arange(k) >= np.array(limit_at)[:, None]) & (kind != _NONE)
        codes[after] = NOT_REACHED if limit == 1 else LIMIT_REACHED
        tours[after] = np.where(kind == _TOUR, ref, -1)[after]
        code[people] = codes
        chosen[people] = tours


def _settle_the_rest(c: _Columns, rest: np.ndarray, tour_reason: np.ndarray, code: np.ndarray,
                     chosen: np.ndarray) -> None:
    """People who never had an option that fits: every eligible choice was full at their turn."""
    import numpy as np

    kind = c.kind
    rest = rest[:, None]
    tour_slot = rest & (kind == _TOUR)
    np.copyto(tour_reason, FULL, where=tour_reason == ELIGIBLE)     # its last use: spares a copy
    np.copyto(code, tour_reason, where=tour_slot)
    np.copyto(chosen, c.ref, where=tour_slot, casting="unsafe")
    code[rest & (kind == _UNKNOWN)] = UNKNOWN_CHOICE

    rows, cols = _true_at(rest & (kind == _SITE))
    site = c.ref[rows, cols]
    code[rows, cols] = FULL
    # A site's tours share its settings: the rules only for sites they may apply to.
    ruled = np.flatnonzero(restricts(c.tour)[c.site_tours[site, 0]])
    if ruled.size:
        rows, cols, site = rows[ruled], cols[ruled], site[ruled]
        # People only grow older, and the other rules do not depend on the date: someone is
        # eligible for some tour of a site exactly when they are eligible for its last one.
        first_reason = _reasons(c, rows, c.site_tours[site, 0])
        last_reason = _reasons(c, rows, c.site_tours[site, c.site_len[site] - 1])
        code[rows, cols] = np.where(last_reason == ELIGIBLE, FULL, first_reason)


def derive_waitlist(result: AllocationResult) -> tuple[np.ndarray, np.ndarray]:
    """Waitlist entries implied by the outcomes: (tour index, priority position), by tour, then priority.

    A "full" tour choice puts the person on that tour's waitlist; a "full"
    site choice on the list of every tour of the site that they were eligible
    for and that did not overlap a tour they already held: at their turn each
    of those lacked room for their party, or they would have got it.
    """
    import numpy as np

    c = _columns(result.inputs._input_columns, result.order)
    code, chosen = result.choice_code, result.choice_tour
    full = code == FULL
    rows, cols = _true_at(full & (c.kind == _TOUR))
    tours = [c.ref[rows, cols]]
    people = [rows]
    rows, cols = _true_at(full & (c.kind == _SITE))
    if rows.size:
        candidates = _rows(c.site_tours, c.ref[rows, cols])
        slot, position = _true_at(candidates >= 0)
        person, choice, tour = rows[slot], cols[slot], candidates[slot, position]
        # Millions of pairs at a million people: the rules only for tours they may apply to, the
        # overlaps only for people who hold a tour.
        ok = np.ones(len(tour), dtype=bool)
        ruled = np.flatnonzero(restricts(c.tour)[tour])
        ok[ruled] = _reasons(c, person[ruled], tour[ruled]) == ELIGIBLE
        holders = np.flatnonzero((code == PLACED).any(axis=1)[person])
        for earlier in range(code.shape[1]):
            p, t = person[holders], tour[holders]
            held = chosen[p, earlier]
            clash = ((code[p, earlier] == PLACED) & (earlier < choice[holders])
                     & (c.start[t] < c.end[held]) & (c.start[held] < c.end[t]))
            ok[holders[clash]] = False
        tours.append(tour[ok])
        people.append(person[ok])
    n = max(len(result.order), 1)
    key = np.sort(np.concatenate(tours).astype(np.int64) * n + np.concatenate(people))
    key = key[np.concatenate(([True], key[1:] != key[:-1]))] if key.size else key
    return (key // n).astype(np.int32), (key % n).astype(np.int32)
