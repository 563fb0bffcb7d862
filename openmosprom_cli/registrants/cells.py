"""Fast, strict parsers of one registrant cell, beyond the plain parsers of :mod:`values`.

* **Text stays text.** Phones become ``+7XXXXXXXXXX``; a phone Excel stored as
  a number is repaired only when unambiguous (see :func:`values.normalize_phone`).
  A passport Excel stored as a number is reported, never guessed.
* **Dates** are strict and day-first; a birth date in the future or before
  1900 is impossible. The registration time keeps its seconds, since it breaks
  ties between equal scores; one written with a UTC offset is converted to
  Moscow time (UTC+3) and stored without the offset.
* **Choices** are each a tour ID of the published list or the ID of a site
  with published tours, matched case-insensitively.
* **Tasks.** A task counts as done when its cell is non-empty and not a "no"
  (``нет``, ``no``, ``0``, ``false``, ``-``…); any other value, whatever the
  number, earns the task's points once.

Each parser raises :class:`ValueProblem` for a value it cannot read. The
common well-formed spellings are checked first, without the general parser.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping

from openmosprom_cli.i18n import Msg
from openmosprom_cli.io import values
from openmosprom_cli.io.values import (
    ValueProblem,
    check_text,
    describe,
    normalize_header,
    normalize_phone,
    parse_date,
    parse_number,
)
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.registrants.columns import EARLIEST_BIRTH_YEAR, MAX_ID_LENGTH, MAX_TEXT_LENGTH

MOSCOW = dt.timezone(dt.timedelta(hours=3))


def parse_text(value: object, limit: int = MAX_TEXT_LENGTH) -> str:
    text = check_text(value)
    if len(text) > limit:
        raise ValueProblem(Msg("{value}… is longer than {limit} characters", value=repr(text[:40]), limit=limit))
    return text


MAX_ID_DIGITS = 19            # VK IDs are positive 64-bit numbers
_VK_LINK = re.compile(r"^(?:https?://)?(?:www\.|m\.)?vk\.(?:com|ru)/", re.IGNORECASE)


def parse_registrant_id(value: object) -> str:
    """A VK ID as its canonical number: ``9000001`` for ``09000001``, ``id9000001``, ``https://vk.com/id9000001``
    or full-width digits, so that one account is always one person. A short name (``vk.com/durov``) is refused:
    only the number identifies an account for good."""
    if value.__class__ is str and value.isdigit() and value.isascii() and value[:1] != "0" \
            and len(value) <= MAX_ID_DIGITS:
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 < value < 1 << 63:
            return str(value)
        raise ValueProblem(Msg("{value} is not a VK ID: a VK ID is a positive number", value=describe(value)))
    text = unicodedata.normalize("NFKC", parse_text(value, MAX_ID_LENGTH)).strip()
    bare = _VK_LINK.sub("", text).rstrip("/")
    if bare[:2].lower() == "id" and bare[2:].isdigit():
        bare = bare[2:]
    if bare.isdigit() and bare.isascii() and len(bare.lstrip("0")) <= MAX_ID_DIGITS and int(bare) > 0:
        return str(int(bare))
    raise ValueProblem(Msg("{value} is not a VK ID: write the account's number "
                           "(123456789, id123456789 or https://vk.com/id123456789)", value=describe(text)))


def canonical_id(text: str) -> str:
    """An ID typed on the command line, as stored; unchanged when it is not a VK ID at all (then nobody has it)."""
    try:
        return parse_registrant_id(text.strip())
    except ValueProblem:
        return text.strip()


PHONE_SEPARATORS = str.maketrans("", "", " ()-.")


def parse_phone(value: object) -> str:
    """:func:`values.normalize_phone`, with a fast path for the common well-formed spellings."""
    if value.__class__ is str:
        if len(value) == 12 and value[:2] == "+7" and value[2] in "3489" and value[2:].isdigit() and value.isascii():
            return value
        digits = value.translate(PHONE_SEPARATORS)
        if digits.isascii():
            if digits[:2] == "+7":
                digits = digits[2:]
            elif len(digits) == 11 and digits[0] in "78":
                digits = digits[1:]
            if len(digits) == 10 and digits.isdigit() and digits[0] in "3489":
                return "+7" + digits
    return normalize_phone(value)


DAY_FIRST = re.compile(r"(\d\d)\.(\d\d)\.(\d{4})", re.ASCII)


def _date(value: object) -> dt.date:
    if value.__class__ is str:
        m = DAY_FIRST.fullmatch(value)
        if m:
            try:
                return dt.date(int(m[3]), int(m[2]), int(m[1]))
            except ValueError:
                pass  # parse_date words the message
    return parse_date(value)


# The common address, already in normal form, that email-validator would accept unchanged: a dot-atom of
# plain characters and a lower-case domain with a letters-only top level outside the reserved names.
# Everything else goes through email-validator, which costs ~40 µs an address (8 s for 200,000).
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                          r"([a-z]{2,24})", re.ASCII)
_RESERVED_TOP_LEVEL = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test", "alt", "internal"})


def is_plain_email(text: str) -> bool:
    local, _, domain = text.partition("@")
    if len(text) > 254 or len(local) > 64 or "--" in domain:
        return False
    plain = _PLAIN_EMAIL.fullmatch(text)
    return plain is not None and plain[1] not in _RESERVED_TOP_LEVEL


def parse_email(value: object) -> str:
    if isinstance(value, str) and is_plain_email(value):
        return value
    return values.parse_email(value)


def parse_birth_date(value: object, today: dt.date) -> dt.date:
    day = _date(value)
    if day > today:
        raise ValueProblem(Msg("{value} is in the future", value=describe(value)))
    if day.year < EARLIEST_BIRTH_YEAR:
        raise ValueProblem(Msg("{value} is before {year}", value=describe(value), year=EARLIEST_BIRTH_YEAR))
    return day


_DATETIME_DAY_FIRST = re.compile(
    r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?)?\s*", re.ASCII)
_DATETIME_ISO = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*", re.ASCII)


DATETIME_EXPORTED = re.compile(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", re.ASCII)


def parse_registered_at(value: object) -> dt.datetime:
    """A registration time with its seconds kept; an offset is converted to Moscow time."""
    if value.__class__ is str and DATETIME_EXPORTED.fullmatch(value):
        # The mini-app's own format; fromisoformat validates and is the fastest constructor.
        try:
            return dt.datetime.fromisoformat(f"{value[6:10]}-{value[3:5]}-{value[:2]}T{value[11:]}")
        except ValueError:
            raise ValueProblem(Msg("{value} is not a real date and time", value=describe(value))) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(MOSCOW).replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0))
    if value.__class__ is str:
        zone = None
        m = _DATETIME_DAY_FIRST.fullmatch(value)
        if m:
            day, month, year, hour, minute, second = m.groups()
        else:
            m = _DATETIME_ISO.fullmatch(value)
            if m:
                year, month, day, hour, minute, second, zone = m.groups()
        if m:
            try:
                moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                     int(second or 0))
            except ValueError:
                raise ValueProblem(Msg("{value} is not a real date and time", value=describe(value))) from None
            if zone:
                offset = dt.datetime.strptime(zone.replace("Z", "+0000").replace(":", ""), "%z").tzinfo
                moment = moment.replace(tzinfo=offset).astimezone(MOSCOW).replace(tzinfo=None)
            return moment
    raise ValueProblem(Msg("{value} is not a date and time (write DD.MM.YYYY HH:MM:SS)", value=describe(value)))


def parse_score(value: object) -> float:
    # The plain-digits shortcut stays within parse_number's limit (1e12): longer ones go the careful way.
    if value.__class__ is str and value.isdigit() and value.isascii() and len(value) <= 12:
        return float(value)
    return parse_number(value, minimum=0)


_NOT_DONE = {"нет", "no", "n", "н", "0", "false", "ложь", "-", "—", "не выполнено", "не выполнен"}


def task_done(value: object) -> bool:
    """Whether a task cell says the task was done: non-empty and not a "no"."""
    if value is None or isinstance(value, bool) and not value:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    text = normalize_header(value)
    if text.replace(",", ".") in ("0.0", "0.00"):
        return False
    return bool(text) and text not in _NOT_DONE


class ChoiceIndex:
    """Tour IDs of the published list and site IDs with tours, matched case-insensitively."""

    def __init__(self, tours: Iterable[Tour], sites: Mapping[str, Site] | Iterable[Site]):
        site_ids = set(sites.keys() if isinstance(sites, Mapping) else (s.site_id for s in sites))
        self.known: dict[str, str] = {}
        self.sites_without_tours: dict[str, str] = {s.lower(): s for s in site_ids}
        for tour in tours:
            self.known[tour.tour_id.lower()] = tour.tour_id
            self.known[tour.site_id.lower()] = tour.site_id
            self.sites_without_tours.pop(tour.site_id.lower(), None)

    def resolve(self, raw: str) -> str:
        key = raw.strip().lower()
        found = self.known.get(key)
        if found is not None:
            return found
        if key in self.sites_without_tours:
            raise ValueProblem(Msg("{value} is a site with no tours this season", value=repr(raw)))
        raise ValueProblem(Msg("{value} is not a tour or site of this season", value=repr(raw)))

