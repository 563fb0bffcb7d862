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

The constraints (eligibility, capacity, overlap) are written once, in this
module, as expressions that work on Python scalars and on numpy arrays alike;
the reference solver, the fast solver and the audit all use them.

Two solvers implement the rule. :func:`~openmosprom_cli.allocation.reference.allocate_reference`
is the readable specification; :func:`~openmosprom_cli.allocation.solver.allocate` is the
fast one used in production (numpy filters out people who can no longer get
any seat, a tight loop handles the rest exactly). A property test asserts
that they agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openmosprom_cli.models import OUTCOME_TEXT, Site, Tour

if TYPE_CHECKING:
    import numpy as np

    from openmosprom_cli.allocation.inputs import Applicant

# -- what happened to a choice ------------------------------------------------------

CODES: tuple[str, ...] = tuple(OUTCOME_TEXT)
CODE_INDEX: dict[str, int] = {code: i for i, code in enumerate(CODES)}
PLACED = CODE_INDEX["placed"]
FULL = CODE_INDEX["full"]
OVERLAPS = CODE_INDEX["overlaps"]
UNKNOWN_CHOICE = CODE_INDEX["unknown_choice"]
NOT_REACHED = CODE_INDEX["not_reached"]
LIMIT_REACHED = CODE_INDEX["limit_reached"]
HELD = CODE_INDEX["held"]
HOLDS_SEAT = CODE_INDEX["holds_seat"]
NO_CHOICE = -1      # padding in the per-choice arrays of people with fewer choices
ELIGIBLE = -1       # "no reason against" in eligibility code arrays


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
    # Depends on the tour too: an organizer took the person off it (AllocationInput.taken_off).
    taken_off: Any = False


@dataclass(frozen=True)
class TourTraits:
    date_ymd: Any           # tour date as YYYYMMDD
    min_age: Any
    passport_required: Any
    citizens_only: Any
    # Someone was taken off the tour by an organizer, so the rules must be asked about it.
    has_taken_off: Any = False


def ymd(day: dt.date | None) -> int:
    return day.year * 10000 + day.month * 100 + day.day if day else 0


BIRTH_DATE_ERASED = -1


# Full years between two YYYYMMDD numbers: the difference's ten-thousands digit
# counts a year only once the birthday has come (born 29 Feb: on 1 Mar in common years).
# Once a purge has erased the birth date, the verdict it recorded for the tour decides.
ELIGIBILITY_RULES: tuple[tuple[str, Callable[[PersonTraits, TourTraits], Any]], ...] = (
    ("taken_off", lambda p, t: p.taken_off),
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
    return (tour.min_age > 0) | tour.passport_required | tour.citizens_only | tour.has_taken_off


def person_traits(a: Applicant, tour_id: str, taken_off: bool = False) -> PersonTraits:
    """The person's traits as the rules see them for this tour (a purged age verdict and ``taken_off``, whether
    an organizer took them off it, depend on it)."""
    if a.birth_date_erased:
        return PersonTraits(BIRTH_DATE_ERASED, a.companions, not a.has_passport, not a.is_citizen,
                            age_not_on_record=(tour_id, True) not in (a.age_ok or ()), taken_off=taken_off)
    return PersonTraits(ymd(a.birth_date), a.companions, not a.has_passport, not a.is_citizen, taken_off=taken_off)


def eligibility(a: Applicant, tour: Tour, site: Site, taken_off: bool = False) -> str | None:
    """Why this applicant may not take this tour, or None if they may."""
    return ineligibility(person_traits(a, tour.tour_id, taken_off), tour_traits(tour, site))


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


def tours_by_site(tours: Sequence[Tour]) -> dict[str, list[int]]:
    """Site ID → indices of its tours in ``tours`` (give them :func:`ordered_tours`: the order a site choice tries)."""
    by_site: dict[str, list[int]] = {}
    for i, tour in enumerate(tours):
        by_site.setdefault(tour.site_id, []).append(i)
    return by_site
