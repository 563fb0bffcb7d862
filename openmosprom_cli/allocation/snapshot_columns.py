"""The inputs snapshot a run stores, as columns: what the audit re-derives the run from, read back in a blink.

A run of 200,000 people saw 200,000 applicants; as one JSON text that is tens
of megabytes to write, hash, parse and turn into records again. A run stores
them instead as these columns of ``run_columns`` (part ``inputs``), people
sorted by ID:

- ``head``: everything of :meth:`AllocationInput.to_json` but the applicants
  (sites, tours, the limit, the seats kept, the closed tours, the date…);
- ``ids``; ``score``; ``registered`` (microseconds since 1970, as the
  priority reads it: naive Moscow time, :meth:`Applicant.of`; the smallest
  int64 when unknown); ``birth`` (YYYYMMDD, 0 when unknown or erased); ``companions``;
  ``flags`` (1: has a passport, 2: a citizen, 4: holds age verdicts);
- ``choices`` (every distinct choice, sorted) and ``choice`` (people × the
  longest list, -1 past a person's list);
- the age verdicts a privacy purge left in place of birth dates:
  ``age_person``, ``age_tour`` (into ``age_tours``), ``age_met``;
- ``purges``: the purges made since (:mod:`~openmosprom_cli.allocation.snapshots`),
  which the fingerprint leaves out.

The inputs' fingerprint (:meth:`SnapshotColumns.fingerprint`) hashes the
columns; runs made before them (format 1) keep their JSON snapshot and its
fingerprint.

Read back (:meth:`SnapshotColumns.to_inputs`), the columns the solver and the
audit read are taken from these arrays as they are, and an applicant's record
is made only when something reads it: at 50,000 people the audit made every
record (0.11 s) to read them straight back into columns (0.04 s); now it makes
those of the people who hold seats or tie, and reads the inputs in 8 ms.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter, countOf
from typing import TYPE_CHECKING, Any, overload

from openmosprom_cli.allocation.blobs import (
    JSON_KIND,
    array_column,
    canonical_hash,
    index_of,
    json_column,
    read_array,
    read_json,
)
from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.allocation.columns import AgeVerdicts, input_columns_of, take_rows
from openmosprom_cli.allocation.inputs import AllocationInput, Applicant, applicant_json
from openmosprom_cli.allocation.priority import PriorityFields
from openmosprom_cli.allocation.rules import BIRTH_DATE_ERASED, PersonTraits
from openmosprom_cli.store.runs import StoredColumn

if TYPE_CHECKING:
    import numpy as np

    from openmosprom_cli.allocation.columns import InputColumns

INPUTS_FORMAT = 2
HAS_PASSPORT, IS_CITIZEN, HAS_AGE_VERDICTS = 1, 2, 4
NO_TIME = -(2**63)
_JSON_NAMES = ("head", "ids", "choices", "age_tours")
_ARRAY_NAMES = ("score", "registered", "birth", "companions", "flags", "choice", "age_person", "age_tour", "age_met")
_HASHED_AS = ("<f8", "<i8", "<i4", "<i8", "|u1", "<i4", "<i4", "<i4", "|u1")


@dataclass(frozen=True, eq=False)
class SnapshotColumns:
    """One run's inputs as columns (see the module's docstring)."""

    head: dict[str, Any]
    ids: Sequence[str]
    choices: Sequence[str]
    age_tours: Sequence[str]
    score: np.ndarray
    registered: np.ndarray
    birth: np.ndarray
    companions: np.ndarray
    flags: np.ndarray
    choice: np.ndarray
    age_person: np.ndarray
    age_tour: np.ndarray
    age_met: np.ndarray
    purges: tuple[dict[str, Any], ...] = field(default=())

    @classmethod
    def of(cls, inputs: AllocationInput, purges: Sequence[Mapping[str, Any]] = ()) -> SnapshotColumns:
        import numpy as np

        ids = inputs.ids
        n = len(ids)
        order = sorted(range(n), key=ids.__getitem__)
        perm = np.asarray(order, dtype=np.int64)
        # The solver has read these columns already (and reads them the same way): reuse them.
        columns = inputs.input_columns
        registered = np.where(columns.priority.missing, NO_TIME, columns.priority.registered)[perm]
        birth = columns.person.birth_ymd[perm]
        birth = np.where(birth == BIRTH_DATE_ERASED, 0, birth)
        ages = list(map(attrgetter("age_ok"), inputs.applicants))
        erased = [] if countOf(ages, None) == n else [i for i, p in enumerate(order) if ages[p] is not None]
        flags = (np.where(columns.person.passport_missing, 0, HAS_PASSPORT)
                 | np.where(columns.person.non_citizen, 0, IS_CITIZEN))[perm].astype(np.uint8)
        flags[erased] |= HAS_AGE_VERDICTS
        choices, numbers = inputs.choice_numbers
        choice = take_rows(numbers, perm)
        verdicts = [(i, tour_id, met) for i in erased for tour_id, met in sorted(ages[order[i]] or ())]
        age_tours = sorted({tour_id for _, tour_id, _ in verdicts})
        tour_number = index_of(age_tours)
        return cls(
            head=inputs.to_json(applicants=False), ids=list(map(ids.__getitem__, order)), choices=choices,
            age_tours=age_tours, score=columns.priority.score[perm], registered=registered, birth=birth,
            # As the records hold them: reading them into int16 refused any count beyond.
            companions=columns.person.companions[perm].astype(np.int64), flags=flags,
            choice=choice, age_person=np.array([i for i, _, _ in verdicts], dtype=np.int32),
            age_tour=np.array([tour_number[t] for _, t, _ in verdicts], dtype=np.int32),
            age_met=np.array([met for _, _, met in verdicts], dtype=np.uint8), purges=tuple(map(dict, purges)))

    # -- storing ------------------------------------------------------------------------------

    def stored(self) -> dict[str, StoredColumn]:
        columns = {name: json_column(getattr(self, name)) for name in _JSON_NAMES}
        columns.update({name: array_column(getattr(self, name)) for name in _ARRAY_NAMES})
        columns["purges"] = json_column(list(self.purges))
        return columns

    @classmethod
    def read(cls, columns: Mapping[str, StoredColumn]) -> SnapshotColumns:
        """From the stored columns; raises ValueError (or KeyError) if they are not an inputs snapshot."""
        values: dict[str, Any] = {name: read_json(columns[name]) for name in _JSON_NAMES}
        values.update({name: read_array(columns[name]) for name in _ARRAY_NAMES})
        purges = read_json(columns["purges"]) if "purges" in columns and columns["purges"].kind == JSON_KIND else []
        n = len(values["ids"])
        if any(len(values[name]) != n for name in ("score", "registered", "birth", "companions", "flags", "choice")):
            raise ValueError("the stored inputs' columns do not fit together")
        return cls(**values, purges=tuple(purges))

    def with_purges(self, purges: Sequence[Mapping[str, Any]]) -> SnapshotColumns:
        return dataclasses.replace(self, purges=tuple(map(dict, purges)))

    # -- the fingerprint ----------------------------------------------------------------------

    def fingerprint(self) -> str:
        """SHA-256 of the inputs as stored (format 2; see :func:`~openmosprom_cli.allocation.blobs.canonical_hash`).

        The head holds ``head``, the IDs, the distinct choices, the age tours
        and the arrays' shapes; then come score,
        registered, birth, companions, flags, choice, age_person, age_tour,
        age_met, as float64, int64, int32, int64, uint8, int32, int32, int32,
        uint8. The purges are left out: they record what happened since.
        """
        head = {"format": INPUTS_FORMAT, "inputs": self.head, "ids": list(self.ids), "choices": list(self.choices),
                "age_tours": list(self.age_tours), "shape": list(self.choice.shape),
                "verdicts": int(self.age_person.size)}
        return canonical_hash(head, [(getattr(self, name), dtype) for name, dtype in zip(_ARRAY_NAMES, _HASHED_AS,
                                                                                         strict=True)])

    # -- reading ------------------------------------------------------------------------------

    def erased_ids(self) -> list[str]:
        """Whose birth date a purge replaced by age verdicts."""
        import numpy as np

        erased = ((self.flags & HAS_AGE_VERDICTS) != 0) & (self.birth == 0)
        return [self.ids[i] for i in np.flatnonzero(erased).tolist()]

    def to_inputs(self) -> AllocationInput:
        """The inputs, applicants sorted by ID (as the JSON snapshot of format 1 has them).

        Their columns (:attr:`AllocationInput.input_columns`), IDs and choice
        numbers are read off the stored arrays, and a record is made only when
        something reads it (:class:`StoredApplicants`): the audit reads few.
        Columns that do not hold what :meth:`of` stores (damaged ones) are
        made into every record at once, as they always were, failing as they did.
        """
        inputs = AllocationInput.from_json({**self.head, "applicants": []})
        if not self._records_readable():
            return dataclasses.replace(inputs, applicants=tuple(self._applicants(range(len(self.ids)))))
        inputs = dataclasses.replace(inputs, applicants=StoredApplicants(self)).prefilled(ids=tuple(self.ids))
        if not self._lists_fill_rows():
            return inputs
        return inputs.prefilled(input_columns=self._input_columns(inputs), choice_numbers=self._choice_numbers())

    def applicant(self, registrant_id: str) -> Applicant | None:
        """One person as the run saw them; None if it did not."""
        at = bisect.bisect_left(self.ids, registrant_id)
        if at >= len(self.ids) or self.ids[at] != registrant_id:
            return None
        return self._applicants([at])[0]

    def document(self) -> SnapshotDocument:
        """The inputs in the JSON form of :meth:`AllocationInput.to_json`; the applicants made only when read."""
        return SnapshotDocument(self)

    def _applicants(self, places: Sequence[int] | range) -> list[Applicant]:
        import numpy as np

        at = np.asarray(places, dtype=np.int64)
        # NO_TIME is numpy's "not a time", which becomes None.
        times = self.registered[at].astype(np.int64).astype("datetime64[us]").tolist()
        births = _dates(self.birth[at])
        flags = self.flags[at]
        rows = self.choice[at]
        lengths = (rows >= 0).sum(axis=1).tolist()
        vocabulary = np.array(list(self.choices), dtype=object)
        flat = iter(vocabulary[rows[rows >= 0]].tolist()) if rows.size else iter(())
        choices = [tuple(islice(flat, length)) for length in lengths]
        verdicts: dict[int, list[tuple[str, bool]]] = {}
        wanted = set(at.tolist())
        for person, tour, met in zip(self.age_person.tolist(), self.age_tour.tolist(), self.age_met.tolist(),
                                     strict=True):
            if person in wanted:
                verdicts.setdefault(person, []).append((self.age_tours[tour], bool(met)))
        ages = [tuple(sorted(verdicts.get(p, ()))) if f & HAS_AGE_VERDICTS else None
                for p, f in zip(at.tolist(), flags.tolist(), strict=True)]
        with collector_paused():
            return list(map(Applicant, [self.ids[p] for p in at.tolist()], self.score[at].tolist(), times, births,
                            self.companions[at].tolist(), ((flags & HAS_PASSPORT) != 0).tolist(),
                            ((flags & IS_CITIZEN) != 0).tolist(), choices, ages))

    # -- reading without the records --------------------------------------------------------
    #
    # What follows must give exactly what reading the records would (a property test compares them);
    # where the stored columns could give something else, the records are read instead.

    def _records_readable(self) -> bool:
        """Whether each record can be made on its own, as :meth:`_applicants` makes it among all of them."""
        import numpy as np

        flat = (self.score, self.registered, self.birth, self.companions, self.flags)
        if any(a.ndim != 1 for a in (*flat, self.age_person, self.age_tour, self.age_met)) or self.choice.ndim != 2 \
                or self.score.dtype.kind not in "fiu" or any(
                    a.dtype.kind not in "iu" for a in (*flat[1:], self.choice, self.age_person, self.age_tour,
                                                       self.age_met)) \
                or not len(self.age_person) == len(self.age_tour) == len(self.age_met):
            return False
        registered = self.registered.astype(np.int64)
        times_ok = ((registered == NO_TIME) | ((registered >= _FIRST_TIME) & (registered <= _LAST_TIME))).all()
        person = self.age_person.astype(np.int64)
        tour = self.age_tour.astype(np.int64)[(person >= 0) & (person < len(self.ids))]
        return bool(times_ok and _valid_days(self.birth) and (self.choice < len(self.choices)).all()
                    and ((tour >= -len(self.age_tours)) & (tour < len(self.age_tours))).all()
                    and all(isinstance(name, str) for name in (*self.choices, *self.age_tours)))

    def _lists_fill_rows(self) -> bool:
        """Whether each person's choices begin their row, -1 pads it, and the longest list fills it, as :meth:`of`
        stores them (and the columns of the records hold them)."""
        listed = self.choice >= 0
        n, width = self.choice.shape
        return not ((listed[:, 1:] > listed[:, :-1]).any() or (self.choice[~listed] != -1).any()
                    or (width and not listed[:, -1].any()) or (not n and width))

    def _input_columns(self, inputs: AllocationInput) -> InputColumns | None:
        """:func:`~openmosprom_cli.allocation.columns.read_input_columns` of the records, from the arrays; None when
        they cannot give it (a companion count beyond int16, which reading the records refuses)."""
        import numpy as np

        n = len(self.ids)
        if self.companions.size and not -2**15 <= int(self.companions.min()) <= int(self.companions.max()) < 2**15:
            return None
        registered = self.registered.astype(np.int64)
        no_time = registered == NO_TIME
        priority = PriorityFields(self.score.astype(np.float64), np.where(no_time, 0, registered), no_time)
        holds_verdicts = (self.flags & HAS_AGE_VERDICTS) != 0
        erased = holds_verdicts & (self.birth == 0)
        birth = np.where(erased, BIRTH_DATE_ERASED, self.birth).astype(np.int32)
        person = PersonTraits(birth_ymd=birth, companions=self.companions.astype(np.int16),
                              passport_missing=(self.flags & HAS_PASSPORT) == 0,
                              non_citizen=(self.flags & IS_CITIZEN) == 0)
        verdicts = None
        if holds_verdicts.any():
            owner = self.age_person.astype(np.int64)
            kept = np.flatnonzero((owner >= 0) & (owner < n))
            kept = kept[erased[owner[kept]]]
            # Numbers into age_tours, read as a list reads them (-1 the last).
            tour = self.age_tour[kept].astype(np.int64) % max(len(self.age_tours), 1)
            rank_of = index_of(sorted(set(self.age_tours)))
            name_rank = np.array([rank_of[t] for t in self.age_tours], dtype=np.int64)
            # As the records hold them: by person, then by tour ID (an unmet verdict adds nothing, so its place
            # among the same tour's does not matter).
            by_record = np.lexsort((name_rank[tour], owner[kept]))
            verdicts = AgeVerdicts(owner[kept][by_record], tour[by_record], self.age_tours,
                                   self.age_met[kept][by_record] != 0)
        return input_columns_of(inputs, priority, person, self.choices, self.choice.astype(np.int32), verdicts)

    def _choice_numbers(self) -> tuple[list[str], np.ndarray] | None:
        """:func:`~openmosprom_cli.allocation.columns.choice_numbers` from the arrays: the stored vocabulary is every
        choice made, sorted, as :meth:`of` stores it; None if it is not."""
        import numpy as np

        vocabulary = list(self.choices)
        listed = self.choice >= 0
        if any(a >= b for a, b in zip(vocabulary, vocabulary[1:], strict=False)) \
                or not np.bincount(self.choice[listed].astype(np.int64), minlength=len(vocabulary)).all():
            return None
        return vocabulary, self.choice.astype(np.int32)


_EPOCH = dt.datetime(1970, 1, 1)
# The registration times a record can hold, in microseconds since 1970 (numpy makes others into numbers).
_FIRST_TIME = (dt.datetime.min - _EPOCH) // dt.timedelta(microseconds=1)
_LAST_TIME = (dt.datetime.max - _EPOCH) // dt.timedelta(microseconds=1)


def _valid_days(ymd: np.ndarray) -> bool:
    """Whether every YYYYMMDD number but 0 is a day that ``datetime.date`` takes."""
    import numpy as np

    day = ymd[ymd != 0].astype(np.int64)
    year, month, date = day // 10000, day // 100 % 100, day % 100
    ok = (year >= 1) & (year <= 9999) & (month >= 1) & (month <= 12) & (date >= 1)
    first = ((np.where(ok, year, 1970) - 1970) * 12 + np.where(ok, month, 1) - 1).astype("datetime64[M]")
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    return bool((ok & (date <= length)).all())


class StoredApplicants(Sequence[Applicant]):
    """The applicants of stored inputs columns, each record made when first read.

    Read one by one (the audit reads the people who hold seats, or tie),
    each is made on its own; iterated or sliced, all are made at once. Equal
    to the tuple of the same records.
    """

    def __init__(self, columns: SnapshotColumns) -> None:
        self._columns = columns
        self._made: dict[int, Applicant] = {}
        self._all: tuple[Applicant, ...] | None = None

    def __len__(self) -> int:
        return len(self._columns.ids)

    @overload
    def __getitem__(self, index: int) -> Applicant: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Applicant]: ...

    def __getitem__(self, index: int | slice) -> Applicant | Sequence[Applicant]:
        if self._all is not None or isinstance(index, slice):
            return self.everyone()[index]
        place = operator.index(index)
        made = self._made.get(place)
        if made is None:
            n = len(self)
            if not -n <= place < n:
                raise IndexError("applicant index out of range")
            made = self._made[place % n] = self._one(place % n)
        return made

    def __iter__(self) -> Iterator[Applicant]:
        return iter(self.everyone())

    def __reversed__(self) -> Iterator[Applicant]:
        return reversed(self.everyone())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredApplicants | tuple):
            return self.everyone() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.everyone())

    def __repr__(self) -> str:
        return f"StoredApplicants({len(self)} people)"

    def everyone(self) -> tuple[Applicant, ...]:
        if self._all is None:
            self._all = tuple(self._columns._applicants(range(len(self))))
            self._made.clear()
        return self._all

    @functools.cached_property
    def _fields(self) -> tuple[list[Any], ...]:
        import numpy as np

        c = self._columns
        return (c.score.tolist(), c.registered.astype(np.int64).tolist(), c.birth.tolist(), c.companions.tolist(),
                c.flags.tolist())

    @functools.cached_property
    def _verdicts(self) -> tuple[list[int], list[int], list[int]]:
        """Everyone's age verdicts sorted by person, each person's in stored order: persons, tours, verdicts."""
        import numpy as np

        c = self._columns
        by_person = np.argsort(c.age_person, kind="stable")
        return c.age_person[by_person].tolist(), c.age_tour[by_person].tolist(), c.age_met[by_person].tolist()

    def _one(self, p: int) -> Applicant:
        """What :meth:`SnapshotColumns._applicants` makes of place ``p``, made alone."""
        c = self._columns
        score, registered, birth, companions, flags = self._fields
        time, day, flag = registered[p], birth[p], flags[p]
        choices = c.choices
        return Applicant(c.ids[p], score[p], None if time == NO_TIME else _EPOCH + dt.timedelta(microseconds=time),
                         dt.date(day // 10000, day // 100 % 100, day % 100) if day else None, companions[p],
                         (flag & HAS_PASSPORT) != 0, (flag & IS_CITIZEN) != 0,
                         tuple([choices[i] for i in c.choice[p].tolist() if i >= 0]),
                         self._verdicts_of(p) if flag & HAS_AGE_VERDICTS else None)

    def _verdicts_of(self, p: int) -> tuple[tuple[str, bool], ...]:
        persons, tours, met = self._verdicts
        names = self._columns.age_tours
        return tuple(sorted((names[tours[i]], bool(met[i]))
                            for i in range(bisect.bisect_left(persons, p), bisect.bisect_right(persons, p))))


def _dates(ymd: np.ndarray) -> list[dt.date | None]:
    """YYYYMMDD numbers as dates (0: None); each distinct day converted once."""
    import numpy as np

    days, inverse = np.unique(ymd, return_inverse=True)
    converted = [dt.date(d // 10000, d // 100 % 100, d % 100) if d else None for d in days.tolist()]
    return [converted[i] for i in inverse.reshape(-1).tolist()]


class SnapshotDocument(Mapping[str, Any]):
    """The JSON form of stored inputs columns, for callers that read the snapshot as a document."""

    def __init__(self, columns: SnapshotColumns) -> None:
        self._columns = columns

    @functools.cached_property
    def _applicants(self) -> list[dict[str, Any]]:
        return [applicant_json(a) for a in self._columns.to_inputs().applicants]

    def __getitem__(self, key: str) -> Any:
        if key == "applicants":
            return self._applicants
        return self._columns.head[key]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._columns.head, "applicants"])

    def __len__(self) -> int:
        return len(self._columns.head) + 1
