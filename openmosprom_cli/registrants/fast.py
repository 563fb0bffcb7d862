"""Parsing a registrant column at once: column-wide fast paths, then each distinct remaining cell once.

A fast path checks a whole column with C-level maps and regular expressions
and decides every cell it can: a clean text, digits, a plain address, a
day-first date. The cells it cannot decide go to the per-cell parser of
:mod:`cells`, which words the problem, and each distinct value is parsed only
once. Whatever a fast path decides equals what the per-cell parser gives.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter, itemgetter
from typing import Any, cast

from openmosprom_cli.io.values import ValueProblem
from openmosprom_cli.registrants.cells import DATETIME_EXPORTED, DAY_FIRST, PHONE_SEPARATORS, is_plain_email
from openmosprom_cli.registrants.columns import EARLIEST_BIRTH_YEAR, MAX_TEXT_LENGTH


class _Invalid:
    """A cell that could not be read, with the reason; memoized like a good value."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


# A column-wide fast path: given a column's cells, the types among them and the value of a blank cell,
# either None (not applicable) or the parsed values with the positions it could not decide, at C speed.
# An empty cell is decided (it is ``blank``) wherever the path can say so without a look at each cell:
# an export leaves most passports and many addresses empty.
FastColumn = Callable[[Sequence[object], "set[type]", object], "tuple[list, list[int]] | None"]
_NONE_AS_EMPTY: dict[object, object] = {None: ""}


def _strings_of(raws: Sequence[object], kinds: set[type]) -> Sequence[str] | None:
    """The cells as strings when they are all strings or blank (None reads as "", which no fast pattern accepts)."""
    if kinds == {str}:
        return cast("Sequence[str]", raws)
    if kinds == {str, type(None)}:
        return cast("list[str]", list(map(_NONE_AS_EMPTY.get, raws, raws)))
    return None


def _misses(matches: Iterable[object]) -> list[int]:
    """Positions where a match is None (or false)."""
    return list(itertools.compress(itertools.count(), map(operator.not_, matches)))


def _same_where(accepts: Callable[[str], object], limit: int | None = None) -> FastColumn:
    """Cells that ``accepts`` are their own parsed value (clean text, digits, plain addresses)."""
    def fast(raws: Sequence[object], kinds: set[type], blank: object) -> tuple[list, list[int]] | None:
        texts = _strings_of(raws, kinds)
        if texts is None or (limit is not None and max(map(len, texts), default=0) > limit):
            return None
        distinct = list(dict.fromkeys(texts))
        clean = set(itertools.compress(distinct, map(accepts, distinct)))
        if blank == "" and blank.__class__ is str:  # an empty cell is its own value
            clean.add("")
        if clean.issuperset(distinct):
            return list(texts), []
        return list(texts), _misses(map(clean.__contains__, texts))
    return fast


def _convert_where(pattern: re.Pattern, convert: Callable[[list[str]], list]) -> FastColumn:
    """Distinct cells matching ``pattern`` are converted together by ``convert`` (C-level maps over
    slices); where it raises ValueError (an impossible date, say), one by one. The rest is left undecided."""
    def fast(raws: Sequence[object], kinds: set[type], blank: object) -> tuple[list, list[int]] | None:
        texts = _strings_of(raws, kinds)
        if texts is None:
            return None
        distinct = list(dict.fromkeys(texts))
        matching = list(itertools.compress(distinct, map(pattern.fullmatch, distinct)))
        table = _converted(convert, matching)
        if "" in distinct:
            table[""] = blank
        out = list(map(table.get, texts))
        return out, ([] if len(table) == len(distinct) else _misses(map(table.__contains__, texts)))
    return fast


def _converted(convert: Callable[[list[str]], list], texts: list[str]) -> dict[str, object]:
    """``text -> value`` for the texts ``convert`` accepts; halves around the few it refuses."""
    try:
        return dict(zip(texts, convert(texts), strict=False))
    except ValueError:
        if len(texts) < 2:
            return {}
        middle = len(texts) // 2
        return _converted(convert, texts[:middle]) | _converted(convert, texts[middle:])


_TEXT_CHARS = "!-~\u0400-\u045f"
# Printable, NFC-stable characters, single inner spaces and none around: exactly what check_text returns unchanged.
_CLEAN_TEXT = re.compile(f"[{_TEXT_CHARS}]+(?: [{_TEXT_CHARS}]+)*")
_CLEAN_ID = re.compile("[1-9][0-9]{0,18}", re.ASCII)     # what cells.parse_registrant_id keeps as it is
_PHONE_SPELLED = re.compile(r"(?:\+7|[78])?[3489][0-9]{9}", re.ASCII)
_PASSPORT_DIGITS = re.compile(r"[0-9]{2} ?[0-9]{2} ?[0-9]{6}", re.ASCII)
# Every cell a clean ID, checked over the column's lines at once (IDs are all distinct: nothing to share).
_CLEAN_ID_LINES = re.compile("[1-9][0-9]{0,18}(?:\n[1-9][0-9]{0,18})*", re.ASCII)
_same_clean_ids = _same_where(_CLEAN_ID.fullmatch)
# Names and citizenship, as cells.parse_text reads them with its default limit; addresses, as cells.parse_email.
fast_texts = _same_where(_CLEAN_TEXT.fullmatch, MAX_TEXT_LENGTH)
fast_emails = _same_where(is_plain_email)


def fast_ids(raws: Sequence[object], kinds: set[type], blank: object) -> tuple[list, list[int]] | None:
    if kinds == {int}:  # whole numbers from a spreadsheet
        numbers = cast("Sequence[int]", raws)
        return list(map(str, numbers)), list(itertools.compress(itertools.count(), map((1).__gt__, numbers)))
    if kinds == {str}:
        lines = _lines(cast("Sequence[str]", raws))
        if lines is not None and _CLEAN_ID_LINES.fullmatch(lines):
            return list(raws), []
    return _same_clean_ids(raws, kinds, blank)


def _lines(texts: Sequence[str]) -> str | None:
    """The texts as the lines of one text, when none has a line break of its own (so each line is one text)."""
    if not texts:
        return None
    lines = "\n".join(texts)
    return lines if lines.count("\n") == len(texts) - 1 else None


def fast_phones(raws: Sequence[object], kinds: set[type], blank: object) -> tuple[list, list[int]] | None:
    """The spellings :func:`cells.parse_phone` accepts without help.

    That is, with the separators dropped: +7, 7 or 8 (or nothing) and ten digits.
    """
    texts = _strings_of(raws, kinds)
    if texts is None:
        return None
    lines = _lines(texts)  # one translation of the whole column, rather than one a cell
    digits = (lines.translate(PHONE_SEPARATORS).split("\n") if lines is not None
              else list(map(str.translate, texts, itertools.repeat(PHONE_SEPARATORS))))
    normal = list(map(operator.add, itertools.repeat("+7"), map(itemgetter(slice(-10, None)), digits)))
    misses = _misses(map(_PHONE_SPELLED.fullmatch, digits))
    if not misses:
        return normal, misses
    undecided = []
    for i in misses:
        if texts[i]:
            undecided.append(i)
        else:
            normal[i] = blank
    return normal, undecided


def _passports_from_digits(texts: list[str]) -> list[str]:
    digits = list(map(str.replace, texts, itertools.repeat(" "), itertools.repeat("")))
    return list(map("{} {}".format, map(itemgetter(slice(0, 4)), digits), map(itemgetter(slice(4, None)), digits)))


fast_passports = _convert_where(_PASSPORT_DIGITS, _passports_from_digits)


def _dates_from_day_first(texts: list[str]) -> list[dt.date]:
    """DD.MM.YYYY texts as dates; fromisoformat validates and is the fastest constructor."""
    from_iso = dt.date.fromisoformat
    return [from_iso(f"{t[6:10]}-{t[3:5]}-{t[:2]}") for t in texts]


def _moments_from_export(texts: list[str]) -> list[dt.datetime]:
    """The mini-app's DD.MM.YYYY HH:MM:SS texts as date-times, as :func:`cells.parse_registered_at` reads them."""
    from_iso = dt.datetime.fromisoformat
    return [from_iso(f"{t[6:10]}-{t[3:5]}-{t[:2]}T{t[11:]}") for t in texts]


_exported_moments = _convert_where(DATETIME_EXPORTED, _moments_from_export)


def fast_birth_dates(today: dt.date) -> FastColumn:
    convert = _convert_where(DAY_FIRST, _dates_from_day_first)
    earliest = dt.date(EARLIEST_BIRTH_YEAR, 1, 1)

    def fast(raws: Sequence[object], kinds: set[type], blank: object) -> tuple[list, list[int]] | None:
        values: list
        misses: list[int]
        if kinds <= _DATES_OR_BLANK:
            values, misses = list(raws), []  # dates from a spreadsheet are their own value
        else:
            decided = convert(raws, kinds, blank)
            if decided is None:
                return None
            values, misses = decided
        # Impossible birth dates go the slow way, which words the problem.
        filled = cast("list[dt.date]", list(map(_NO_DATE.get, values, values)))
        implausible = set(itertools.compress(itertools.count(), map(today.__lt__, filled)))
        implausible.update(itertools.compress(itertools.count(), map(earliest.__gt__, filled)))
        return values, sorted(implausible.union(misses)) if implausible else misses
    return fast


_NO_DATE: dict[object, object] = {None: dt.date(EARLIEST_BIRTH_YEAR, 1, 1)}
_DATES_OR_BLANK = {dt.date, type(None)}
_MOMENTS_OR_BLANK = {dt.datetime, type(None)}
_NO_MOMENT: dict[object, object] = {None: dt.datetime(2000, 1, 1)}


def fast_moments(raws: Sequence[object], kinds: set[type], blank: object) -> tuple[list, list[int]] | None:
    """Registration times from a spreadsheet: without a zone or fractions of a second they are their own value."""
    if not kinds <= _MOMENTS_OR_BLANK:
        return _exported_moments(raws, kinds, blank)
    filled = list(map(_NO_MOMENT.get, raws, raws))
    if any(map(attrgetter("tzinfo"), filled)):
        return None
    return list(raws), list(itertools.compress(itertools.count(), map(attrgetter("microsecond"), filled)))


def parse_column(raws: Sequence[object], parser: Callable[[object], object], default: object = None,
                 fast: FastColumn | None = None, kinds: set[type] | None = None) -> tuple[list, list[tuple[int, str]]]:
    """Parse a column: first ``fast`` for the whole column at C speed where given, then each distinct
    remaining value once (exports repeat scores, choices, dates and names a lot).

    Returns the parsed values (``default`` for blank cells) and ``(index, message)`` for unreadable ones.
    """
    out: list = []  # filled by ``fast``, which leaves the positions in ``todo`` to the parser
    todo: list[int] | None = None
    if kinds is None:
        kinds = set(map(type, raws))
    if fast is not None and raws:
        decided = fast(raws, kinds, default)
        if decided is not None:
            out, todo = decided
            if not todo:
                return out, []
            raws = [raws[i] for i in todo]
    # True == 1 == 1.0 as keys, yet they parse differently: with a bool about, key by type too.
    typed = bool in kinds
    keys: Sequence[Any] = list(zip(map(type, raws), raws, strict=False)) if typed else raws
    results: dict = {}
    for key in dict.fromkeys(keys):
        raw = key[1] if typed else key
        if raw is None or (raw.__class__ is str and (not raw or raw.isspace())):
            results[key] = default
            continue
        try:
            results[key] = parser(raw)
        except ValueProblem as exc:
            results[key] = _Invalid(exc.message)
    parsed = list(map(results.__getitem__, keys))
    errors: list[tuple[int, str]] = []
    if any(v.__class__ is _Invalid for v in results.values()):
        for i, value in enumerate(parsed):
            if value.__class__ is _Invalid:
                errors.append((i if todo is None else todo[i], value.message))
                parsed[i] = default
    if todo is None:
        return parsed, errors
    for i, value in zip(todo, parsed, strict=False):
        out[i] = value
    return out, errors
