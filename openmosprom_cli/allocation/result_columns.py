"""An allocation's result as a run stores it: small integer codes per person and choice, and the waitlists.

A result is everyone's per-choice outcome and the waitlists; at 200,000 people a
JSON text per person and a row per waitlist entry cost seconds to write and to
read. A run stores them instead as these columns of ``run_columns`` (part
``result``):

- ``people``: registrant IDs in priority order; a person's priority is their place + 1;
- ``tours``: tour IDs, which the ``tour`` and ``waitlist_tour`` numbers index;
- ``choices``: every distinct choice as the people gave it, sorted, which ``choice`` indexes;
- ``codes``: the names of the outcome codes (:data:`~openmosprom_cli.models.OUTCOME_TEXT`), which ``code`` indexes;
- ``choice``, ``code``, ``tour``: people × the longest list of choices; for each
  choice, as given, what it gave, and the tour it resolved to (-1: none, and
  past the end of a person's list);
- ``waitlist_tour``, ``waitlist_person``: the waitlist entries, (tour, priority
  place), by tour, then priority; a place on a waitlist is the entry's rank in
  its tour.

The seats themselves stay rows of ``placements``. The result's fingerprint
(:meth:`ResultColumns.fingerprint`) hashes these columns and the placements;
runs made before the columns (format 1) keep the fingerprint of the JSON form
they were stored in (:meth:`ResultColumns.legacy_fingerprint`), which the
columns still give exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from openmosprom_cli.allocation.blobs import (
    array_column,
    canonical_hash,
    index_of,
    json_column,
    read_array,
    read_json,
)
from openmosprom_cli.allocation.columns import take_rows
from openmosprom_cli.allocation.inputs import fingerprint_of
from openmosprom_cli.allocation.rules import CODES
from openmosprom_cli.models import ChoiceOutcome
from openmosprom_cli.store.runs import StoredColumn

if TYPE_CHECKING:
    import numpy as np

    from openmosprom_cli.allocation.result import AllocationResult, Placement

RESULT_FORMAT = 2
_JSON_NAMES = ("people", "tours", "choices", "codes")
_ARRAY_NAMES = ("choice", "code", "tour", "waitlist_tour", "waitlist_person")


@dataclass(frozen=True, eq=False)
class ResultColumns:
    """Everyone's per-choice outcomes and the waitlists of one result, as arrays (see the module's docstring)."""

    people: Sequence[str]
    tours: Sequence[str]
    choices: Sequence[str]
    codes: Sequence[str]
    choice: np.ndarray
    code: np.ndarray
    tour: np.ndarray
    waitlist_tour: np.ndarray
    waitlist_person: np.ndarray

    @classmethod
    def of(cls, result: AllocationResult) -> ResultColumns:
        choices, numbers = result.inputs.choice_numbers
        wait_tour, wait_person = result.waitlist_arrays
        return cls(result.priority_ids(), [t.tour_id for t in result.tours], choices, CODES,
                   take_rows(numbers, result.order), result.choice_code, result.choice_tour, wait_tour, wait_person)

    @classmethod
    def from_rows(cls, outcomes: Mapping[str, tuple[int, Sequence[Mapping[str, Any]]]],
                  waitlists: Mapping[str, Sequence[str]]) -> ResultColumns:
        """From the JSON form runs had before the columns: ID → (priority, per-choice rows), tour → IDs in line."""
        import numpy as np

        people = sorted(outcomes, key=lambda rid: (outcomes[rid][0], rid))
        # Someone on a waitlist without an outcome (a run written by hand) comes last, with no choices.
        people += [rid for rid in dict.fromkeys(chain.from_iterable(waitlists[t] for t in sorted(waitlists)))
                   if rid not in outcomes]
        place = index_of(people)
        rows = [outcomes[rid][1] if rid in outcomes else () for rid in people]
        flat = list(chain.from_iterable(rows))
        tours = sorted({str(o["tour_id"]) for o in flat if o.get("tour_id") is not None} | set(waitlists))
        choices = sorted({str(o.get("choice", "")) for o in flat})
        codes = [*CODES, *sorted({str(o.get("code", "")) for o in flat} - set(CODES))]
        width = max(map(len, rows), default=0)
        arrays = [np.full((len(people), width), -1, dtype=np.int32) for _ in range(3)]
        lookups = index_of(choices), index_of(codes), index_of(tours)
        for p, mine in enumerate(rows):
            for j, o in enumerate(mine):
                arrays[0][p, j] = lookups[0][str(o.get("choice", ""))]
                arrays[1][p, j] = lookups[1][str(o.get("code", ""))]
                arrays[2][p, j] = lookups[2][str(o["tour_id"])] if o.get("tour_id") is not None else -1
        entries = [(lookups[2][tour_id], place[rid]) for tour_id in sorted(waitlists) for rid in waitlists[tour_id]]
        return cls(people, tours, choices, codes, arrays[0], arrays[1].astype(np.int8), arrays[2],
                   np.array([t for t, _ in entries], dtype=np.int32), np.array([p for _, p in entries], dtype=np.int32))

    # -- storing ------------------------------------------------------------------------------

    def stored(self) -> dict[str, StoredColumn]:
        return {**{name: json_column(list(getattr(self, name))) for name in _JSON_NAMES},
                **{name: array_column(getattr(self, name)) for name in _ARRAY_NAMES}}

    @classmethod
    def read(cls, columns: Mapping[str, StoredColumn]) -> ResultColumns:
        """From the stored columns; raises ValueError (or KeyError) if they are not a result's."""
        values: dict[str, Any] = {name: read_json(columns[name]) for name in _JSON_NAMES}
        values.update({name: read_array(columns[name]) for name in _ARRAY_NAMES})
        shapes = {values[name].shape for name in ("choice", "code", "tour")}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2 or next(iter(shapes))[0] != len(values["people"]) \
                or values["waitlist_tour"].shape != values["waitlist_person"].shape:
            raise ValueError("the stored result's columns do not fit together")
        return cls(**values)

    # -- fingerprints -------------------------------------------------------------------------

    def fingerprint(self, placements: Iterable[Placement]) -> str:
        """SHA-256 of the result as the columns and the placements hold it (format 2; see :func:`canonical_hash`).

        The head lists the names (people, tours, choices, codes), the sorted
        placements and the arrays' shapes; then come the arrays choice, code,
        tour (int32, int8, int32, people × width, row by row) and the waitlist's
        tours and places (int32 each).
        """
        head = {"format": RESULT_FORMAT, "people": list(self.people), "tours": list(self.tours),
                "choices": list(self.choices), "codes": list(self.codes),
                "placements": sorted([p.registrant_id, p.tour_id, p.choice_rank, p.seats] for p in placements),
                "shape": list(self.code.shape), "waitlist": int(self.waitlist_tour.size)}
        return canonical_hash(head, [(self.choice, "<i4"), (self.code, "|i1"), (self.tour, "<i4"),
                                     (self.waitlist_tour, "<i4"), (self.waitlist_person, "<i4")])

    def legacy_fingerprint(self, placements: Iterable[Placement]) -> str:
        """The fingerprint of format 1, over the JSON form such runs were stored in (placements, waitlists, rows)."""
        return result_fingerprint(placements, self.waitlists(),
                                  {rid: (p + 1, self.outcome_rows(p)) for p, rid in enumerate(self.people)})

    # -- reading ------------------------------------------------------------------------------

    @functools.cached_property
    def place_of(self) -> dict[str, int]:
        """Registrant ID → place in the priority order (0 = chose first)."""
        return index_of(self.people)

    def outcome_rows(self, place: int) -> list[dict[str, Any]]:
        """One person's per-choice outcomes in the JSON form of format 1."""
        return [o.to_json() for o in self.choice_outcomes(place)]

    def choice_outcomes(self, place: int) -> tuple[ChoiceOutcome, ...]:
        choices, codes, tours = self.choice[place].tolist(), self.code[place].tolist(), self.tour[place].tolist()
        return tuple(ChoiceOutcome(j + 1, self.choices[c], self.tours[t] if t >= 0 else None, self.codes[code])
                     for j, (c, code, t) in enumerate(zip(choices, codes, tours, strict=True)) if c >= 0)

    def waitlists(self) -> dict[str, list[str]]:
        """Tour ID → registrant IDs in line, first first; only tours with a waitlist."""
        result: dict[str, list[str]] = {}
        people, tours = self.people, self.tours
        for t, p in zip(self.waitlist_tour.tolist(), self.waitlist_person.tolist(), strict=True):
            result.setdefault(tours[t], []).append(people[p])
        return result

    def waitlist_places(self, place: int) -> list[tuple[str, int]]:
        """(tour, place in its line as stored, 1 = first) of each waitlist the person is on, by tour ID."""
        import numpy as np

        at = np.flatnonzero(self.waitlist_person == place)
        firsts = np.searchsorted(self.waitlist_tour, self.waitlist_tour[at])
        return sorted((self.tours[int(t)], int(i - first) + 1)
                      for t, i, first in zip(self.waitlist_tour[at], at, firsts, strict=True))


def result_fingerprint(placements: Iterable[Placement], waitlists: Mapping[str, Sequence[str]],
                       outcomes: Mapping[str, tuple[int, list[dict[str, Any]]]]) -> str:
    """Fingerprint of a result in the JSON form of format 1 (runs made before the columns)."""
    return fingerprint_of({
        "placements": sorted([p.registrant_id, p.tour_id, p.choice_rank, p.seats] for p in placements),
        "waitlists": {tour: list(ids) for tour, ids in waitlists.items() if ids},
        "outcomes": {rid: [priority, list(rows)] for rid, (priority, rows) in outcomes.items()},
    })
