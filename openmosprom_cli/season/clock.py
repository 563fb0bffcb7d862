"""What day it is, for the season.

Deadlines, freezes and purges depend on the date. A rehearsal, or a test, sets
it with ``OPENMOSPROM_TODAY=2026-12-10``; the time of day stays the real one.
Every run that depends on the date stores the date it used, so that an audit
on any later day gives the same answer.
"""

from __future__ import annotations

import datetime as dt
import os

from openmosprom_cli.errors import BadDataError, Location
from openmosprom_cli.i18n import Msg

TODAY_ENV = "OPENMOSPROM_TODAY"


def today() -> dt.date:
    text = os.environ.get(TODAY_ENV, "").strip()
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadDataError.at(Location(f"${TODAY_ENV}"), Msg("{value} is not a date (write YYYY-MM-DD)",
                                                             value=repr(text))) from None


def now() -> dt.datetime:
    """Today (as set) at the real time of day, without microseconds."""
    return dt.datetime.combine(today(), dt.datetime.now().time()).replace(microsecond=0)


def now_iso() -> str:
    return now().isoformat()
