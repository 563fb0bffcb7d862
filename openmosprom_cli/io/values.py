"""Parsing of cell values as people type them into spreadsheets.

Each parser takes a raw cell value (text, number, date, time, bool or None)
and returns a clean value or raises :class:`ValueProblem` with a message meant
for the person who filled in the file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence

from openmosprom_cli.i18n import Msg

_DATE_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})\s*$")
_DATE_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*$")
_YES = {"да", "yes", "y", "true", "1", "+", "д", "истина"}
_NO = {"нет", "no", "n", "false", "0", "-", "н", "ложь", ""}
# Direction overrides and invisible controls make names lie about themselves.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


class ValueProblem(ValueError):
    """A cell value that cannot be read; the message is shown to the user.

    The message is a :class:`~openmosprom_cli.i18n.Msg`, kept as it is in :attr:`message` (``str(exc)`` would
    flatten it to the current language): a rejected row's reasons are written in Russian whatever the
    interface's language.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalize_header(text: object) -> str:
    """Case-insensitive, trimmed, ё = е, inner whitespace collapsed."""
    s = unicodedata.normalize("NFC", str(text or "")).strip().lower().replace("ё", "е")
    return re.sub(r"\s+", " ", s)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def describe(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def joined(messages: Sequence[str]) -> str:
    """Messages joined with "; " as one, which renders each part in the language asked for.

    Nested in halves, so that a long list renders without deep recursion.
    """
    if len(messages) <= 1:
        return messages[0] if messages else ""
    middle = len(messages) // 2
    return Msg("{first}; {then}", first=joined(messages[:middle]), then=joined(messages[middle:]))


def check_text(value: object) -> str:
    """Text as stored; rejects control and direction-override characters, naming them."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value))
    # isprintable() is False for every forbidden category (and for tabs and
    # newlines), so clean text, nearly all of it, skips the per-character check.
    if not text.isprintable():
        for ch in text:
            if ch in "\t\n\r":
                continue
            if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
                name = unicodedata.name(ch, "") or Msg("control character")
                raise ValueProblem(Msg("contains the forbidden character {code} ({name})", code=f"U+{ord(ch):04X}",
                                             name=name))
    return " ".join(text.split())


def parse_date(value: object) -> dt.date:
    """Excel dates, or text day-first (``11.12.2026``) or ISO (``2026-12-11``); strict."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise ValueProblem(Msg("{value} has a time of day; expected a date", value=describe(value)))
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        m = _DATE_DAY_FIRST.match(text)
        if m:
            day, month, year = (int(g) for g in m.groups())
            if len(m.group(3)) == 2:
                raise ValueProblem(Msg("{value} has a two-digit year; write it as DD.MM.YYYY", value=describe(value)))
        else:
            m = _DATE_ISO.match(text)
            if not m:
                raise ValueProblem(Msg("{value} is not a date (write DD.MM.YYYY)", value=describe(value)))
            year, month, day = (int(g) for g in m.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise ValueProblem(Msg("{value} is not a real date", value=describe(value))) from None
    raise ValueProblem(Msg("{value} is not a date (write DD.MM.YYYY)", value=describe(value)))


def parse_time(value: object) -> dt.time:
    """Excel times or text ``10:00``, ``10.00``, ``9:30``."""
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        minutes = round(value * 24 * 60)
        return dt.time(minutes // 60, minutes % 60)
    if isinstance(value, str):
        m = _TIME.match(value)
        if m:
            hour, minute = int(m.group(1)), int(m.group(2))
            if hour < 24 and minute < 60:
                return dt.time(hour, minute)
    raise ValueProblem(Msg("{value} is not a time (write HH:MM)", value=describe(value)))


def parse_bool(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = normalize_header(value)
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueProblem(Msg("{value} is not yes or no (write да or нет)", value=describe(value)))


# No count in a spreadsheet of this tool comes near it; past it, a number is a typo (or a probe), and it must
# never reach SQLite's 64-bit INTEGER nor Python's limit on converting long digit strings.
MAX_WHOLE_NUMBER = 10**9


def parse_int(value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise ValueProblem(Msg("{value} is not a whole number", value=describe(value)))
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueProblem(Msg("{value} is not a whole number", value=describe(value)))
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+(?:[.,]0+)?\s*", value):
        digits = re.split(r"[.,]", value.strip())[0]
        if len(digits.lstrip("+-").lstrip("0")) > len(str(MAX_WHOLE_NUMBER)):
            raise ValueProblem(Msg("{value} is not a sensible number", value=describe(value)))
        number = int(digits)
    else:
        raise ValueProblem(Msg("{value} is not a whole number", value=describe(value)))
    if abs(number) > MAX_WHOLE_NUMBER:
        raise ValueProblem(Msg("{value} is not a sensible number", value=describe(value)))
    if maximum is not None and number > maximum:
        raise ValueProblem(Msg("{value} is more than {maximum}", value=describe(value), maximum=maximum))
    if minimum is not None and number < minimum:
        if minimum == 1:
            raise ValueProblem(Msg("{value} is not a positive whole number", value=describe(value)))
        raise ValueProblem(Msg("{value} is less than {minimum}", value=describe(value), minimum=minimum))
    return number


def parse_number(value: object, *, minimum: float | None = None) -> float:
    if isinstance(value, bool):
        raise ValueProblem(Msg("{value} is not a number", value=describe(value)))
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)\s*", value):
        number = float(value.strip().replace(",", "."))
    else:
        raise ValueProblem(Msg("{value} is not a number", value=describe(value)))
    if not math.isfinite(number) or abs(number) > 1e12:
        raise ValueProblem(Msg("{value} is not a sensible number", value=describe(value)))
    if minimum is not None and number < minimum:
        raise ValueProblem(Msg("{value} is less than {minimum}", value=describe(value), minimum=f"{minimum:g}"))
    return number


def parse_emails(value: object) -> tuple[str, ...]:
    """One or more addresses separated by ``;`` or ``,``; an address given twice counts once."""
    text = check_text(value)
    unique: dict[str, str] = {}
    for part in re.split(r"[;,]", text):
        if part.strip():
            address = valid_email(part.strip())
            unique.setdefault(address.casefold(), address)
    return tuple(unique.values())


def parse_email(value: object) -> str:
    text = check_text(value)
    return valid_email(text) if text else text


_NAME_AND_ADDRESS = re.compile(r"^\s*(.*?)\s*<([^<>]*)>\s*$", re.S)


def split_name_and_address(text: str) -> tuple[str, str]:
    """``Name <address>`` or a bare address, as (name, address); the address is not yet checked."""
    match = _NAME_AND_ADDRESS.match(text)
    if match:
        return match[1].strip().strip('"'), match[2].strip()
    return "", text.strip()


def valid_email(text: str) -> str:
    """The address in its normal form (the domain in lower case, IDNA-normalised), or ValueProblem.

    email-validator knows the rules a hand-written pattern misses: ``a<b>@example.ru``,
    two dots in a row, reserved domains; Cyrillic domains (``завод.рф``) and local parts
    are valid, and the sender turns them into what SMTP can carry.
    """
    # Loaded on first use: it takes a fiftieth of a second, and a plain address never needs it.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(text, check_deliverability=False, allow_smtputf8=True).normalized
    except EmailNotValidError as exc:
        raise ValueProblem(Msg("{value} is not an email address: {reason}", value=repr(text),
                               reason=_email_reason(str(exc)))) from None


def _first_sentence(text: str) -> str:
    sentence = text.split(". ")[0].rstrip(".")
    return sentence[:1].lower() + sentence[1:]


_INVALID_CHARACTERS = re.compile(r"(the email address contains invalid characters before the @-sign|"
                                 r"the part after the @-sign contains invalid characters): (.+)")


def _email_reason(reason: str) -> str:
    """email-validator's reason, in the interface's language where its words are known (it speaks English only).

    The common reasons are Msgs; a rare one stays as email-validator words it.
    """
    sentence = _first_sentence(reason)
    match sentence:
        case "an email address must have an @-sign":
            return Msg("an email address must have an @-sign")
        case "there must be something before the @-sign":
            return Msg("there must be something before the @-sign")
        case "there must be something after the @-sign":
            return Msg("there must be something after the @-sign")
        case "an email address cannot have two periods in a row":
            return Msg("an email address cannot have two periods in a row")
        case "an email address cannot start with a period":
            return Msg("an email address cannot start with a period")
        case "an email address cannot end with a period":
            return Msg("an email address cannot end with a period")
        case "an email address cannot have a period immediately before the @-sign":
            return Msg("an email address cannot have a period immediately before the @-sign")
        case "an email address cannot have a period immediately after the @-sign":
            return Msg("an email address cannot have a period immediately after the @-sign")
        case "the part after the @-sign is not valid":
            return Msg("the part after the @-sign is not valid")
        case "the part after the @-sign is a special-use or reserved name that cannot be used with email":
            return Msg("the part after the @-sign is a special-use or reserved name that cannot be used with email")
        case "the email address contains invalid characters before the @-sign":
            return Msg("the email address contains invalid characters before the @-sign")
    invalid = _INVALID_CHARACTERS.fullmatch(sentence)
    if invalid is None:
        return sentence
    if invalid[1].startswith("the email address"):
        return Msg("the email address contains invalid characters before the @-sign: {characters}",
                   characters=invalid[2])
    return Msg("the part after the @-sign contains invalid characters: {characters}", characters=invalid[2])


def normalize_phone(value: object) -> str:
    """A Russian mobile or landline number as ``+7XXXXXXXXXX``.

    Text keeps its ``+``. A number Excel stored as a number has lost its form;
    it is repaired only when unambiguous: 11 digits starting 7 or 8, or 10
    digits starting with 3, 4, 8 or 9 (Russian area and mobile codes).
    """
    if isinstance(value, bool):
        raise ValueProblem(Msg("{value} is not a phone number", value=describe(value)))
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueProblem(Msg("{value} is not a phone number", value=describe(value)))
        value = str(int(value))
    elif isinstance(value, int):
        value = str(value)
    text = check_text(value)
    digits = re.sub(r"[\s()\-.]", "", text)
    if digits.startswith("+"):
        if not digits.startswith("+7") or not digits[1:].isdigit():
            raise ValueProblem(Msg("{value} is not a Russian phone number (+7…)", value=repr(text)))
        digits = digits[1:]
    if not digits.isdigit():
        raise ValueProblem(Msg("{value} is not a phone number", value=repr(text)))
    if len(digits) == 11 and digits[0] in "78":
        national = digits[1:]
    elif len(digits) == 10:
        national = digits
    else:
        raise ValueProblem(Msg("{value} is not a Russian phone number: expected 10 digits after +7", value=repr(text)))
    if national[0] not in "3489":
        raise ValueProblem(Msg("{value} is not a Russian mobile or landline number", value=repr(text)))
    return "+7" + national


def normalize_passport(value: object) -> str:
    """Series and number of a Russian passport as ``SSSS NNNNNN``; a foreign passport is kept as typed.

    A number that Excel stored as a number has lost its leading zeros; it is
    refused, since the missing digits cannot be known for sure.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueProblem(Msg("{value} was stored as a number, so leading zeros may be lost; "
                               "format the column as text and type it again", value=describe(value)))
    text = check_text(value)
    digits = re.sub(r"[\s№-]", "", text)
    if digits.isdigit():
        if len(digits) != 10:
            raise ValueProblem(Msg("{value} is not a passport: expected 4 digits of series and 6 of number",
                                   value=repr(text)))
        return f"{digits[:4]} {digits[4:]}"
    if len(text) > 40:
        raise ValueProblem(Msg("{value}… is too long for a passport number", value=repr(text[:40])))
    return text


RUSSIAN_CITIZENSHIP = {"ru", "rus", "россия", "рф", "российская федерация", "russia", "russian federation"}


def is_russian_citizen(citizenship: str) -> bool:
    return normalize_header(citizenship).replace(".", "") in RUSSIAN_CITIZENSHIP
