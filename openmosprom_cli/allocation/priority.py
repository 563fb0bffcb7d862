"""Who chooses first: score, then registration time, then the seeded lottery, then the ID.

:func:`priority_key` states the order plainly (the reference solver sorts by
it); :func:`priority_indices` gives the same order fast, packing score and
time into one int64 key and drawing the lottery only where they tie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING

from openmosprom_cli.allocation.inputs import AllocationInput, Applicant
from openmosprom_cli.models import Registrant

if TYPE_CHECKING:
    import numpy as np


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
    return tuple(applicants[i].id for i in priority_indices(applicants, str(seed)))


@dataclass(frozen=True)
class PriorityFields:
    """What the priority sort reads of the records, as columns in input order."""

    score: np.ndarray
    registered: np.ndarray     # microseconds; meaningless where missing
    missing: np.ndarray

    @classmethod
    def of(cls, applicants: Sequence[Applicant]) -> PriorityFields:
        import numpy as np

        score = np.fromiter(map(attrgetter("score"), applicants), dtype=np.float64, count=len(applicants))
        return cls.from_columns(score, list(map(attrgetter("registered_at"), applicants)))

    @classmethod
    def from_columns(cls, score: np.ndarray, registered_at: list[dt.datetime | None]) -> PriorityFields:
        import numpy as np
        import pandas as pd

        moments = pd.to_datetime(pd.Series(registered_at, dtype=object)).to_numpy()
        return cls(score, moments.astype("datetime64[us]").astype(np.int64), np.isnat(moments))


def priority_indices(applicants: Sequence[Applicant], seed: str,
                     fields: PriorityFields | None = None) -> np.ndarray:
    """The priority sort with numpy; the lottery is drawn only where score and time tie."""
    import numpy as np
    import pandas as pd

    n = len(applicants)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if fields is None:
        fields = PriorityFields.of(applicants)
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
        for a, b in zip(starts, ends, strict=True):
            if b - a > 1:
                block = tied_at[a:b]
                order[block] = sorted(order[block], key=lambda i: key(applicants[i]))
    return order
