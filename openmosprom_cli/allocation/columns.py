"""The inputs as numpy columns, for the fast solver and the waitlists: read once, put in priority order per run.

Also the few array helpers the column code shares, and :func:`reasons`, the
eligibility rules applied to columns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter, countOf, itemgetter
from typing import TYPE_CHECKING, Any

from openmosprom_cli.allocation.priority import PriorityFields, registration_microseconds
from openmosprom_cli.allocation.rules import (
    BIRTH_DATE_ERASED,
    PersonTraits,
    TourTraits,
    ineligibility_codes,
    ordered_tours,
    tour_minutes,
    tours_by_site,
    ymd,
)
from openmosprom_cli.models import Tour

if TYPE_CHECKING:
    import numpy as np

    from openmosprom_cli.allocation.inputs import AllocationInput

# What a choice slot holds: padding past the person's list, a tour, a site, or neither.
KIND_NONE, KIND_TOUR, KIND_SITE, KIND_UNKNOWN = 0, 1, 2, 3
_READ_CHUNK = 4096


@dataclass(frozen=True)
class InputColumns:
    """Everything the fast solver reads of the inputs, as numpy columns, people in input order.

    Reading a million records costs more than solving, so each AllocationInput
    reads them once (:attr:`AllocationInput.input_columns`); a run's
    waitlists, or a second allocation of the same inputs, only put them in
    priority order. The arrays are read-only, being shared.
    """

    tours: tuple[Tour, ...]      # earliest first
    priority: PriorityFields
    person: PersonTraits
    kind: np.ndarray
    ref: np.ndarray
    tour: TourTraits
    capacity: np.ndarray
    start: np.ndarray
    end: np.ndarray
    site_tours: np.ndarray
    site_len: np.ndarray
    age_ok_keys: np.ndarray | None     # as in Columns, but input index × tours + tour index, unsorted
    taken_off_keys: np.ndarray | None = None   # likewise


@dataclass(frozen=True)
class Columns:
    """The inputs as numpy columns, people in priority order."""

    size: np.ndarray
    person: PersonTraits
    kind: np.ndarray           # (n, k) KIND_NONE / KIND_TOUR / KIND_SITE / KIND_UNKNOWN
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
    # position × tours + tour index, for each tour an organizer took the person off; None when none.
    taken_off_keys: np.ndarray | None = None


def in_priority_order(a: InputColumns, order: np.ndarray) -> Columns:
    """The inputs' columns in this priority order."""
    import numpy as np

    person = _pick(a.person, order)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))

    def in_order(keys: np.ndarray | None) -> np.ndarray | None:
        if keys is None:
            return None
        owner, tour = np.divmod(keys, max(len(a.tours), 1))
        return np.sort(position[owner] * len(a.tours) + tour)

    return Columns(
        size=person.companions.astype(np.int64) + 1, person=person, kind=take_rows(a.kind, order),
        ref=take_rows(a.ref, order), tour=a.tour, capacity=a.capacity, start=a.start, end=a.end,
        site_tours=a.site_tours, site_len=a.site_len, age_ok_keys=in_order(a.age_ok_keys),
        taken_off_keys=in_order(a.taken_off_keys),
    )


@dataclass(frozen=True)
class AgeVerdicts:
    """The age verdicts of the people whose birth date a purge erased: one entry per (person, tour) recorded.

    Entries go by person, and each person's by tour ID, as the records hold them (``Applicant.age_ok``).
    """

    person: np.ndarray          # input index, int64
    tour: np.ndarray            # the tour each verdict is for, into tour_ids (int64)
    tour_ids: Sequence[str]     # perhaps tours the inputs do not have
    met: np.ndarray             # bool: old enough for it


def read_input_columns(inputs: AllocationInput) -> InputColumns:
    """The applicants' records read into columns."""
    import numpy as np

    applicants = inputs.applicants
    n = len(applicants)
    frame = _Frame.of(inputs)
    lookup = frame.lookup()
    score = np.empty(n, dtype=np.float64)
    companions = np.empty(n, dtype=np.int16)
    has_passport = np.empty(n, dtype=bool)
    is_citizen = np.empty(n, dtype=bool)
    lengths = np.empty(n, dtype=np.int64)
    registered = np.empty(n, dtype=np.int64)
    no_time = np.empty(n, dtype=bool)
    birth_day = np.empty(n, dtype=np.int64)
    flat: list[np.ndarray] = []
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
        registered[start:stop], no_time[start:stop] = registration_microseconds(
            list(map(attrgetter("registered_at"), part)))
        birth_day[start:stop] = _day_numbers(list(map(attrgetter("birth_date"), part)))
        purged += m - countOf(map(attrgetter("age_ok"), part), None)
        choices = list(map(attrgetter("choices"), part))
        lengths[start:stop] = np.fromiter(map(len, choices), dtype=np.int64, count=m)
        flat.append(np.fromiter(map(lookup.__getitem__, chain.from_iterable(choices)), dtype=np.int32))
    k = int(lengths.max()) if n else 0
    token = np.full((n, k), frame.none_code, dtype=np.int32)
    if n:
        token[np.arange(k) < lengths[:, None]] = np.concatenate(flat)     # row-major, like the chained choices
    del flat
    birth_ymd = _ymd_of_day_numbers(birth_day)

    verdicts = None
    if purged:
        age_records = list(map(attrgetter("age_ok"), applicants))
        no_birth_date = (birth_day == 0).tolist()
        erased = [i for i, record in enumerate(age_records) if record is not None and no_birth_date[i]]
        birth_ymd[erased] = BIRTH_DATE_ERASED
        records = [age_records[i] for i in erased]
        counts = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
        recorded = list(chain.from_iterable(records))
        verdicts = AgeVerdicts(np.repeat(np.asarray(erased, dtype=np.int64), counts),
                               np.arange(len(recorded), dtype=np.int64), list(map(itemgetter(0), recorded)),
                               np.fromiter(map(itemgetter(1), recorded), dtype=bool, count=len(recorded)))

    person = PersonTraits(birth_ymd=birth_ymd, companions=companions, passport_missing=~has_passport,
                          non_citizen=~is_citizen)
    return frame.columns(inputs, PriorityFields(score, registered, no_time), person, token, verdicts)


def input_columns_of(inputs: AllocationInput, priority: PriorityFields, person: PersonTraits,
                     choices: Sequence[str], choice: np.ndarray, verdicts: AgeVerdicts | None) -> InputColumns:
    """The columns :func:`read_input_columns` reads, of applicants whose fields are given as arrays, input order.

    A stored inputs snapshot holds them so (:mod:`~openmosprom_cli.allocation.snapshot_columns`): no record
    need be made. ``priority`` and ``person`` are as the records read (``birth_ymd`` is BIRTH_DATE_ERASED where
    a purge erased it; companions int16); ``choice`` numbers the choices into ``choices`` (int32, -1 past a
    person's list; each list a prefix of its row, the longest filling it); ``verdicts`` is None when nobody's
    birth date was ever erased (as ``age_ok is None`` for everyone).
    """
    import numpy as np

    frame = _Frame.of(inputs)
    lookup = frame.lookup()
    # A choice's code by its number; -1 (past a list) is the last entry, "no choice".
    code_of = np.array([*map(lookup.__getitem__, choices), frame.none_code], dtype=np.int32)
    return frame.columns(inputs, priority, person, code_of[choice], verdicts)


@dataclass(frozen=True)
class _Frame:
    """What the columns hold of the tours and sites, and how a choice is coded, whoever the applicants are."""

    tours: tuple[Tour, ...]      # earliest first
    site_number: dict[str, int]
    tour: TourTraits
    times: np.ndarray
    site_tours: np.ndarray
    site_len: np.ndarray

    @classmethod
    def of(cls, inputs: AllocationInput) -> _Frame:
        import numpy as np

        tours = tuple(ordered_tours(inputs.tours))
        sites = {s.site_id: s for s in inputs.sites}
        site_ids = sorted({t.site_id for t in tours})
        site_number = {s: i for i, s in enumerate(site_ids)}
        by_site = tours_by_site(tours)
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
        return cls(tours, site_number, tour, times, site_tours, site_len)

    # Choice tokens → codes: tours first, then sites, then "unknown", then "no choice" padding;
    # kind and ref are then two table look-ups.

    @property
    def none_code(self) -> int:
        return len(self.tours) + len(self.site_number) + 1

    def lookup(self) -> _Codes:
        n_tours = len(self.tours)
        lookup = _Codes({s: n_tours + i for s, i in self.site_number.items()}, default=self.none_code - 1)
        lookup.update({t.tour_id: i for i, t in enumerate(self.tours)})     # a tour ID wins over a site ID
        return lookup

    def columns(self, inputs: AllocationInput, priority: PriorityFields, person: PersonTraits, token: np.ndarray,
                verdicts: AgeVerdicts | None) -> InputColumns:
        import numpy as np

        tours, n_tours, n_sites = self.tours, len(self.tours), len(self.site_number)
        kind_of = np.array([KIND_TOUR] * n_tours + [KIND_SITE] * n_sites + [KIND_UNKNOWN, KIND_NONE], dtype=np.int8)
        ref_of = np.array([*range(n_tours), *range(n_sites), 0, 0], dtype=np.int32)
        kind, ref = kind_of[token], ref_of[token]

        age_ok_keys = None
        if verdicts is not None:
            tour_index = _Codes({t.tour_id: i for i, t in enumerate(tours)})
            tour_of = np.fromiter(map(tour_index.__getitem__, verdicts.tour_ids), dtype=np.int64,
                                  count=len(verdicts.tour_ids))[verdicts.tour]
            ok = verdicts.met & (tour_of >= 0)
            age_ok_keys = verdicts.person[ok] * n_tours + tour_of[ok]

        tour_number = {t.tour_id: i for i, t in enumerate(tours)}
        person_number = {rid: i for i, rid in enumerate(inputs.ids)} if inputs.taken_off else {}
        taken = [(person_number[rid], tour_number[tid]) for rid, tid in inputs.taken_off
                 if rid in person_number and tid in tour_number]
        has_taken_off = np.zeros(n_tours, dtype=bool)
        has_taken_off[[t for _, t in taken]] = True
        columns = InputColumns(
            tours=tours, priority=priority, person=person, kind=kind, ref=ref,
            tour=dataclasses.replace(self.tour, has_taken_off=has_taken_off),
            capacity=np.array([t.capacity for t in tours], dtype=np.int64), start=self.times[:, 0],
            end=self.times[:, 1], site_tours=self.site_tours, site_len=self.site_len, age_ok_keys=age_ok_keys,
            taken_off_keys=np.array([p * n_tours + t for p, t in taken], dtype=np.int64) if taken else None,
        )
        for value in _arrays_in(columns):
            value.flags.writeable = False
        return columns


def choice_numbers(inputs: AllocationInput) -> tuple[list[str], np.ndarray]:
    """Every distinct choice the applicants gave, sorted, and their choices as numbers into that list.

    The numbers are people × the longest list, in input order, -1 past a
    person's list. They are read off the columns, so only the few choices that
    name no tour or site are looked at as text. A run stores them with its
    inputs and with its result.
    """
    import numpy as np

    c = inputs.input_columns
    n_tours = len(c.tours)
    # A site's number follows the tours'; its first tour names it.
    names = [t.tour_id for t in c.tours] + [c.tours[first].site_id for first in c.site_tours[:, 0].tolist()]
    token = np.where(c.kind == KIND_TOUR, c.ref, np.where(c.kind == KIND_SITE, n_tours + c.ref, -1))
    rows, cols = true_at(c.kind == KIND_UNKNOWN)
    unknown = [inputs.applicants[i].choices[j] for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
    used = np.unique(token[token >= 0])
    vocabulary = sorted({names[u] for u in used.tolist()} | set(unknown))
    number = {name: i for i, name in enumerate(vocabulary)}
    remap = np.full(max(len(names), 1), -1, dtype=np.int32)
    remap[used] = [number[names[u]] for u in used.tolist()]
    numbers = np.where(token >= 0, remap[np.maximum(token, 0)], -1).astype(np.int32)
    numbers[rows, cols] = [number[choice] for choice in unknown]
    return vocabulary, numbers


def _arrays_in(value: Any) -> Iterator[np.ndarray]:
    import numpy as np

    if isinstance(value, np.ndarray):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _arrays_in(getattr(value, field.name))


_LAST_DAY = dt.date.max
_FIRST_OF_1970 = dt.date(1970, 1, 1).toordinal()
_STAND_IN: dict[Any, Any] = {None: _LAST_DAY}     # a missing day is read as the last one, then told apart by identity


def _day_numbers(days: list[dt.date | None]) -> np.ndarray:
    """Each day's ``date.toordinal()`` (1 for 1 January of the year 1), 0 where it is None, as int64.

    One C call a day, on the day's own calendar fields, as :func:`ymd` reads
    them: an aware date-time's local day, of any year. (numpy converts date
    objects ten times slower, looking up each field by name.)
    """
    import numpy as np

    number = np.fromiter(map(dt.date.toordinal, map(_STAND_IN.get, days, days)), dtype=np.int64, count=len(days))
    last = np.flatnonzero(number == _LAST_DAY.toordinal())
    number[last[np.array([days[i] is None for i in last.tolist()], dtype=bool)]] = 0
    return number


def _ymd_of_day_numbers(number: np.ndarray) -> np.ndarray:
    """:func:`ymd` of each ``date.toordinal()`` number (0 for None), as int32."""
    import numpy as np

    known = number[number > 0]
    first, last = (int(known.min()), int(known.max())) if known.size else (1, 0)
    if last - first < max(2 * len(number), 1 << 16):
        # Birth dates span a century or so: the calendar arithmetic once a day of that span, then a look-up,
        # is ten times as fast as doing it for each of a million people.
        table = _ymd_by_arithmetic(np.arange(first - 1, last + 1))
        table[0] = 0
        return table[np.where(number > 0, number - (first - 1), 0)]
    return _ymd_by_arithmetic(number)


def _ymd_by_arithmetic(number: np.ndarray) -> np.ndarray:
    import numpy as np

    day = (number - _FIRST_OF_1970).astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    result = year * 10000 + (month.astype(np.int64) % 12 + 1) * 100 + (day - month).astype(np.int64) + 1
    return np.where(number == 0, 0, result).astype(np.int32)


class _Codes(dict):
    """A dict that answers a missing key with ``default``."""

    def __init__(self, *args: Any, default: int = -1) -> None:
        super().__init__(*args)
        self.default = default

    def __missing__(self, key: Any) -> int:
        return self.default


def true_at(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D mask, two and a half times as fast: rows and columns of the True cells."""
    import numpy as np

    return np.divmod(np.flatnonzero(mask), max(mask.shape[1], 1))


def take_rows(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[index]``: take() copies whole rows, several times faster than indexing a 2-D array does."""
    import numpy as np

    return np.take(table, index, axis=0)


def _pick(traits: Any, index: np.ndarray) -> Any:
    import numpy as np

    return type(traits)(**{name: value[index] if np.ndim(value) else value for name, value in vars(traits).items()})


def reasons(c: Columns, people: np.ndarray, tours: np.ndarray) -> np.ndarray:
    """Why not, for aligned (broadcastable) arrays of priority positions and tour indices: CODES indices or ELIGIBLE."""
    import numpy as np

    person = _pick(c.person, people)
    shape = np.broadcast_shapes(np.shape(people), np.shape(tours))
    if c.age_ok_keys is not None:
        erased = np.broadcast_to(person.birth_ymd == BIRTH_DATE_ERASED, shape)
        not_on_record = np.zeros(shape, dtype=bool)
        not_on_record[erased] = ~_among(c.age_ok_keys, c, np.broadcast_to(people, shape)[erased],
                                        np.broadcast_to(tours, shape)[erased])
        person = dataclasses.replace(person, age_not_on_record=not_on_record)
    if c.taken_off_keys is not None:
        person = dataclasses.replace(person, taken_off=_among(c.taken_off_keys, c, np.broadcast_to(people, shape),
                                                              np.broadcast_to(tours, shape)))
    return ineligibility_codes(person, _pick(c.tour, tours))


def _among(keys: np.ndarray, c: Columns, people: np.ndarray, tours: np.ndarray) -> np.ndarray:
    """Whether each (position, tour) pair is among ``keys`` (sorted position × tours + tour index)."""
    import numpy as np

    wanted = people.astype(np.int64) * len(c.capacity) + tours
    if not len(keys):
        return np.zeros(np.shape(wanted), dtype=bool)
    # The keys are sorted once in in_priority_order; searchsorted spares isin's re-hashing of them on every call.
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return keys[at] == wanted

