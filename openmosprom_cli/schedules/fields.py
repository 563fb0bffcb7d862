"""What a factory's schedule workbook holds: its sheets, its fields and columns, and how each value is read."""

from __future__ import annotations

import re
from collections.abc import Callable

from openmosprom_cli.i18n import Msg
from openmosprom_cli.io.tables import Column
from openmosprom_cli.io.values import (
    ValueProblem,
    check_text,
    describe,
    normalize_header,
    parse_bool,
    parse_emails,
    parse_int,
    parse_number,
)

SITE_SHEET = "Площадка"
SITES_SHEET = "Площадки"
SCHEDULE_SHEET = "Расписание"
SITE_SHEET_NAMES = (SITE_SHEET, "Site")
SITES_SHEET_NAMES = (SITES_SHEET, "Sites")
SCHEDULE_SHEET_NAMES = (SCHEDULE_SHEET, "Schedule")
# The header row of a field/value sheet, as the template writes it.
PAIR_HEADER_KEYS = {normalize_header(n) for n in ("Поле", "Field", "Параметр")}

MAX_DURATION_MIN = 12 * 60
MAX_LEAD_DAYS = 60
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?$")

# Field names in the order the template lists them; the first name is the one shown.
SITE_COLUMNS: tuple[Column, ...] = (
    Column("site_id", ("Код", "site_id", "site id", "код площадки", "id"), required=True),
    Column("name", ("Название", "name", "наименование"), required=True),
    Column("industry", ("Отрасль", "industry")),
    Column("address", ("Адрес", "address")),
    Column("contact", ("Контактное лицо", "contact", "контакт")),
    Column("roster_emails", ("Email для списков", "roster_email", "roster_emails", "roster email", "email",
                             "e-mail для списков", "e-mail")),
    Column("phone", ("Телефон", "phone")),
    Column("min_age", ("Минимальный возраст", "min_age", "min age", "возраст")),
    Column("passport_required", ("Паспорт обязателен", "passport_required", "passport required", "паспорт")),
    Column("citizens_only", ("Только граждане РФ", "citizens_only", "citizens only", "только граждане")),
    Column("max_tours_per_day", ("Максимум экскурсий в день", "max_tours_per_day", "max tours per day")),
    Column("duration_min", ("Длительность, мин", "duration_min", "duration", "длительность")),
    Column("roster_lead_days", ("Срок подачи списков, дней", "roster_lead_days", "roster lead days")),
    Column("notes", ("Примечание для участников", "notes", "примечание", "примечания")),
    Column("weight", ("Вес", "weight")),
)

CANDIDATE_COLUMNS: tuple[Column, ...] = (
    Column("date", ("Дата", "date"), required=True),
    Column("start", ("Начало", "start", "время", "time", "время начала"), required=True),
    Column("duration_min", ("Длительность, мин", "duration_min", "duration", "длительность")),
    Column("capacity", ("Размер группы", "capacity", "мест", "группа")),
    Column("note", ("Примечание", "note", "notes")),
    Column("pin", ("Закрепить", "pin")),
    Column("exclude", ("Исключить", "exclude")),
    # The template shows each date's weekday to help the factory; it is known, so never "not read", but unused.
    Column("weekday", ("День недели", "weekday", "day of week")),
)
SITE_ID_COLUMN = Column("site_id", ("Код площадки", "site_id", "site id", "код"), required=True)
COMBINED_CANDIDATE_COLUMNS: tuple[Column, ...] = (SITE_ID_COLUMN, *CANDIDATE_COLUMNS)

SITE_LABELS = {c.field: c.label for c in SITE_COLUMNS}


# -- single values ----------------------------------------------------------------

def check_site_id(value: object) -> str:
    """A site code: a latin slug such as ``estet`` (lower-cased, trimmed)."""
    text = check_text(value).lower()
    if not _SLUG.match(text):
        raise ValueProblem(Msg("{value} is not a latin slug: use lowercase latin letters, digits and hyphens, "
                               "e.g. estet or rot-front", value=describe(value)))
    return text


def parse_min_age(value: object) -> int:
    """``14``, or ``14+`` as age limits are usually written."""
    if isinstance(value, str) and value.strip().endswith("+"):
        value = value.strip()[:-1]
    age = parse_int(value, minimum=0)
    if age > 100:
        raise ValueProblem(Msg("{value} is not a sensible age", value=describe(value)))
    return age


def parse_positive_int(value: object) -> int:
    return parse_int(value, minimum=1)


def parse_duration(value: object) -> int:
    minutes = parse_int(value, minimum=1)
    if minutes > MAX_DURATION_MIN:
        raise ValueProblem(Msg("{value} minutes is longer than {hours} hours", value=describe(value),
                               hours=MAX_DURATION_MIN // 60))
    return minutes


def parse_weight(value: object) -> float:
    weight = parse_number(value)
    if weight <= 0:
        raise ValueProblem(Msg("{value} is not a positive number", value=describe(value)))
    return weight


def parse_capacity(value: object) -> int:
    try:
        return parse_int(value, minimum=1)
    except ValueProblem:
        raise ValueProblem(Msg("{value} is not a positive whole number of visitors", value=describe(value))) from None


# field -> (parser, default when blank); site_id, name and roster_emails are required.
SITE_PARSERS: dict[str, tuple[Callable[[object], object], object]] = {
    "site_id": (check_site_id, None),
    "name": (check_text, ""),
    "industry": (check_text, ""),
    "address": (check_text, ""),
    "contact": (check_text, ""),
    "roster_emails": (parse_emails, ()),
    "phone": (check_text, ""),
    "min_age": (parse_min_age, 0),
    "passport_required": (parse_bool, False),
    "citizens_only": (parse_bool, False),
    "max_tours_per_day": (lambda v: parse_int(v, minimum=1, maximum=24), 1),
    "duration_min": (parse_duration, 90),
    # A list is needed days before a tour, never months: beyond that the deadline would come before the season.
    "roster_lead_days": (lambda v: parse_int(v, minimum=0, maximum=MAX_LEAD_DAYS), 3),
    "notes": (check_text, ""),
    "weight": (parse_weight, None),
}
