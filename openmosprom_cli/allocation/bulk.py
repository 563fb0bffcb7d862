"""Making hundreds of thousands of records at once, with Python's cyclic garbage collector paused meanwhile.

Each collection of the oldest generation walks every object alive, and making
200,000 records triggers several while the season's other 200,000 are alive:
that is two thirds of the time of making them. Records (frozen dataclasses,
tuples of strings and dates) hold no reference cycles, so nothing is left for
the collector to find; it runs again as usual afterwards.

The objects made meanwhile join the oldest generation as it resumes: left in
the youngest, the first collection after it would scan every one of them
(half a second at 200,000 people), though most are about to be freed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
