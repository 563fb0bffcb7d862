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
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from typing import TYPE_CHECKING, Any

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
from openmosprom_cli.allocation.columns import take_rows
from openmosprom_cli.allocation.inputs import AllocationInput, Applicant, applicant_json
from openmosprom_cli.allocation.rules import BIRTH_DATE_ERASED
from openmosprom_cli.store.runs import StoredColumn

if TYPE_CHECKING:
    import numpy as np

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

        applicants = inputs.applicants
        n = len(applicants)
        order = sorted(range(n), key=[a.id for a in applicants].__getitem__)
        people = [applicants[i] for i in order]
        perm = np.asarray(order, dtype=np.int64)
        # The solver has read these columns already (and reads them the same way): reuse them.
        columns = inputs.input_columns
        registered = np.where(columns.priority.missing, NO_TIME, columns.priority.registered)[perm]
        birth = columns.person.birth_ymd[perm]
        birth = np.where(birth == BIRTH_DATE_ERASED, 0, birth)
        erased = [i for i, a in enumerate(people) if a.age_ok is not None]
        flags = (np.where(columns.person.passport_missing, 0, HAS_PASSPORT)
                 | np.where(columns.person.non_citizen, 0, IS_CITIZEN))[perm].astype(np.uint8)
        flags[erased] |= HAS_AGE_VERDICTS
        choices, numbers = inputs.choice_numbers
        choice = take_rows(numbers, perm)
        verdicts = [(i, tour_id, met) for i in erased for tour_id, met in sorted(people[i].age_ok or ())]
        age_tours = sorted({tour_id for _, tour_id, _ in verdicts})
        tour_number = index_of(age_tours)
        return cls(
            head=inputs.to_json(applicants=False), ids=[a.id for a in people], choices=choices, age_tours=age_tours,
            score=columns.priority.score[perm], registered=registered, birth=birth,
            companions=np.fromiter(map(attrgetter("companions"), people), dtype=np.int64, count=n), flags=flags,
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

        return [self.ids[i] for i in np.flatnonzero((self.flags & HAS_AGE_VERDICTS) != 0).tolist()
                if self.birth[i] == 0]

    def to_inputs(self) -> AllocationInput:
        """The inputs as records, applicants sorted by ID (as the JSON snapshot of format 1 has them)."""
        return dataclasses.replace(AllocationInput.from_json({**self.head, "applicants": []}),
                                   applicants=tuple(self._applicants(range(len(self.ids)))))

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
