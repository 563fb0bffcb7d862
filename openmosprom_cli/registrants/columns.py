"""The columns of a registrant export: each field's accepted headers, the limits on values, the task columns.

Headers match like every other table of the tool (case-insensitive, trimmed,
ё = е; Russian names first, English aliases too), and ``--map`` renames any
other header to a field. With no score column, each ``[scoring]`` task of
season.toml is a column of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.tables import Column, header_lookup
from openmosprom_cli.io.values import normalize_header
from openmosprom_cli.settings import Settings

MAX_CHOICES = 5
MAX_ID_LENGTH = 64
MAX_TEXT_LENGTH = 200
EARLIEST_BIRTH_YEAR = 1900

CHOICE_FIELDS = tuple(f"choice_{n}" for n in range(1, MAX_CHOICES + 1))

COLUMNS: tuple[Column, ...] = (
    Column("id", ("ID VK", "id", "ID ВК", "VK ID", "vk_id", "ID пользователя", "user_id"), required=True),
    Column("full_name", ("ФИО", "full_name", "name", "full name", "Ф.И.О.")),
    Column("last_name", ("Фамилия", "last_name", "last name", "surname")),
    Column("first_name", ("Имя", "first_name", "first name")),
    Column("middle_name", ("Отчество", "middle_name", "middle name", "patronymic")),
    Column("phone", ("Телефон", "phone", "Номер телефона", "Мобильный телефон", "tel")),
    Column("email", ("Email", "e-mail", "Почта", "Электронная почта", "mail")),
    Column("birth_date", ("Дата рождения", "birth_date", "birth date", "birthday", "birthdate")),
    Column("score", ("Баллы", "score", "points", "Очки")),
    Column("registered_at", ("Дата регистрации", "registered_at", "registered at", "registered",
                             "Время регистрации")),
    *(Column(f"choice_{n}", (f"Выбор {n}", f"choice_{n}", f"choice {n}", f"Выбор{n}", f"choice{n}"))
      for n in range(1, MAX_CHOICES + 1)),
    Column("choices", ("Выбор", "choices", "choice", "Экскурсии")),
    Column("companions", ("Гостей", "companions", "Гости", "guests")),
    Column("passport", ("Паспорт", "passport", "Паспортные данные")),
    Column("citizenship", ("Гражданство", "citizenship")),
    # Stored apart from the person's fields, for the prize draw (openmosprom_cli/prizes/preferences.py).
    Column("prizes", ("Призы", "prizes", "Желаемые призы", "Предпочтения призов")),
)
FIELDS = tuple(c.field for c in COLUMNS)
_TASK_PREFIX = "task:"


def task_field(header: str) -> str:
    """The field of a ``[scoring]`` task column, kept apart from the registrant fields."""
    return f"{_TASK_PREFIX}{header}"


def columns_for(settings: Settings) -> tuple[Column, ...]:
    """The registrant columns and the season's ``[scoring]`` task columns."""
    tasks = tuple(Column(task_field(header), (header,)) for header, _ in settings.scoring)
    return COLUMNS + tasks


def resolve_mapping(mapping: Mapping[str, str] | None, columns: tuple[Column, ...]) -> dict[str, str]:
    """``--map`` targets may be field names or any header the field accepts."""
    known = header_lookup(columns)
    resolved: dict[str, str] = {}
    for source, target in (mapping or {}).items():
        fieldname = known.get(normalize_header(target))
        if fieldname is None:
            raise BadDataError(
                _("--map {source}={target}: {name} is not a registrant field").format(source=source, target=target,
                                                                                      name=repr(target)),
                hint=_("Fields: {fields} (or their column names, e.g. Баллы).").format(fields=", ".join(FIELDS)),
            )
        resolved[source] = fieldname
    return resolved
