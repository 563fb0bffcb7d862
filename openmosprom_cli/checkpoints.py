"""Named points a command passes, where a crash test can stop it for certain.

A test that kills a command after a fraction of a second depends on how busy
the machine is. Instead, the test names a point in ``OPENMOSPROM_TEST_PAUSE_AT``
(``point`` or ``point:N`` for its N-th passing); when the command gets there,
it writes its pid to ``OPENMOSPROM_TEST_PAUSE_FILE`` and waits to be killed, or
to be let go on: the test removes that file.
Without those variables a checkpoint costs one dictionary lookup.

Points:

* ``transaction.begun``: a season transaction has begun (its changes are not yet made);
* ``transaction.committing``: everything is written, the COMMIT is next;
* ``transaction.finishing``: the COMMIT is done, the files that go with it not yet in place
  (Ctrl-C waits until they are);
* ``transaction.committed``: the COMMIT is done, the lock not yet released;
* ``file.written``: an output file is complete under its temporary name;
* ``file.replaced``: it has just been renamed into place.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT_ENV = "OPENMOSPROM_TEST_PAUSE_AT"
PAUSE_FILE_ENV = "OPENMOSPROM_TEST_PAUSE_FILE"

_passed: dict[str, int] = {}


def checkpoint(point: str) -> None:
    wanted = os.environ.get(PAUSE_AT_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != point:
        return
    _passed[point] = _passed.get(point, 0) + 1
    if _passed[point] != (int(nth) if nth else 1):
        return
    marker = Path(os.environ[PAUSE_FILE_ENV])
    temporary = marker.with_name(marker.name + ".part")
    temporary.write_text(str(os.getpid()), encoding="ascii")
    os.replace(temporary, marker)
    while marker.exists():  # until the test kills us, or lets us go on
        time.sleep(0.01)
