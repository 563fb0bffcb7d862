"""The blank schedule workbook a factory fills in: instructions, ``Площадка`` and ``Расписание``.

The season's dates are pre-filled; a date left without a start time is a day the
factory does not offer, and the import skips it. What the factory types is
checked by Excel's data validation as it types, and again by the import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.values import ValueProblem
from openmosprom_cli.io.writer import Cell, Column, Sheet, Style, Validation, write_workbook
from openmosprom_cli.schedules.fields import SCHEDULE_SHEET, SITE_SHEET, check_site_id
from openmosprom_cli.settings import Settings

INSTRUCTIONS_SHEET = "Инструкция"
WEEKDAYS_RU = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
YES, NO = "да", "нет"
# Rows with validation beyond the pre-filled dates, for a second tour on a day.
EXTRA_SCHEDULE_ROWS = 60

# (label as the import reads it, kind, hint for the factory)
SITE_FIELD_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Код", "text", "латиницей, без пробелов, например estet; выдают организаторы"),
    ("Название", "text", "как его увидят участники"),
    ("Отрасль", "text", "например: ювелирное производство"),
    ("Адрес", "text", "адрес проходной, куда приходят участники"),
    ("Контактное лицо", "text", "кто встречает группу"),
    ("Email для списков", "text", "сюда придут списки участников; несколько адресов — через «;»"),
    ("Телефон", "text", "+7 …"),
    ("Минимальный возраст", "age", "0, если ограничений нет"),
    ("Паспорт обязателен", "bool", "да — участники заранее сообщат паспортные данные"),
    ("Только граждане РФ", "bool", "да — только для граждан России"),
    ("Максимум экскурсий в день", "count", "сколько групп площадка примет за один день"),
    ("Длительность, мин", "minutes", "обычная длительность экскурсии"),
    ("Срок подачи списков, дней", "days", "за сколько дней до экскурсии нужен список участников"),
    ("Примечание для участников", "text", "например: закрытая обувь, без фото"),
    ("Вес", "weight", "заполняют организаторы; можно оставить пустым"),
)
SITE_DEFAULTS = {"Минимальный возраст": 0, "Паспорт обязателен": NO, "Только граждане РФ": NO,
                 "Максимум экскурсий в день": 1, "Длительность, мин": 90, "Срок подачи списков, дней": 3}

INSTRUCTIONS = (
    "Расписание экскурсий «Открой#Моспром»",
    "",
    "Как заполнить",
    "1. На листе «Площадка» заполните столбец «Значение»: название, адрес, email для списков участников и "
    "ограничения (возраст, паспорт, гражданство).",
    "2. На листе «Расписание» даты сезона уже проставлены. Для каждой экскурсии, которую вы готовы провести, "
    "укажите время начала и размер группы.",
    "3. Дату, в которую экскурсий нет, оставьте без времени начала — такие строки не учитываются.",
    "4. Если в один день вы проводите две экскурсии, добавьте строку с той же датой и другим временем. "
    "Экскурсии одной площадки не должны пересекаться по времени.",
    "5. Длительность можно не указывать — тогда берётся длительность с листа «Площадка».",
    "6. Столбцы «Закрепить» и «Исключить» заполняют организаторы.",
    "",
    "Форматы",
    "Дата — ДД.ММ.ГГГГ (например, 11.12.2026). Время — ЧЧ:ММ (например, 10:00 или 9:30).",
    "Да/нет — выберите из списка: «да» или «нет».",
    "Размер группы — целое число участников, например 20.",
    "",
    "Не переименовывайте листы «Площадка» и «Расписание» и заголовки столбцов.",
    "Заполненный файл отправьте организаторам.",
)
_HEADINGS = ("Как заполнить", "Форматы")


# Keeps what is typed as text: phone numbers and codes lose nothing to Excel's guessing.
_TEXT = Style(number_format="@")
_SITE_RULE_ERROR = "Проверьте значение: подсказка в столбце C."
# Excel refuses what breaks these as it is typed, with the message; the import checks again.
_SITE_RULES = {
    "bool": Validation.one_of(YES, NO, error=_SITE_RULE_ERROR),
    "age": Validation.between("whole", 0, 100, error=_SITE_RULE_ERROR),
    "count": Validation.between("whole", 1, 20, error=_SITE_RULE_ERROR),
    "minutes": Validation.between("whole", 15, 720, error=_SITE_RULE_ERROR),
    "days": Validation.between("whole", 0, 60, error=_SITE_RULE_ERROR),
    "weight": Validation.compare("decimal", ">", 0, error=_SITE_RULE_ERROR),
}


def template_sheets(settings: Settings, site_id: str | None = None, *,
                    site_values: Mapping[str, object] | None = None,
                    schedule_rows: Iterable[Sequence[object]] | None = None) -> list[Sheet]:
    """The template's sheets, for :func:`write_template` and, filled in, for the sample data.

    ``site_values`` fill the ``Площадка`` sheet by field label, over the
    defaults; ``schedule_rows`` (from :func:`schedule_row`) replace the bare
    season dates of ``Расписание``.
    """
    if site_id is not None:
        try:
            site_id = check_site_id(site_id)
        except ValueProblem as exc:
            raise BadDataError(_("the site code {problem}").format(problem=exc.message)) from None
    values: dict[str, object] = {**SITE_DEFAULTS, **({"Код": site_id} if site_id else {}), **(site_values or {})}
    if schedule_rows is None:
        schedule_rows = (schedule_row(day) for day in season_dates(settings))
    return [_instructions_sheet(settings), _site_sheet(values), _schedule_sheet(settings, schedule_rows)]


def write_template(path: Path, settings: Settings, site_id: str | None = None) -> Path:
    """Write the blank per-factory workbook to ``path`` (atomically) and return the path."""
    # No personal data: the file follows the umask, and its fixed date makes the same season give the same bytes.
    return write_workbook(Path(path), template_sheets(settings, site_id), private=False)


def season_dates(settings: Settings) -> list[dt.date]:
    """The window's days, without blackout dates."""
    blackout = set(settings.blackout_dates)
    days = (settings.window_end - settings.window_start).days + 1
    dates = (settings.window_start + dt.timedelta(days=i) for i in range(days))
    return [d for d in dates if d not in blackout]


def _instructions_sheet(settings: Settings) -> Sheet:
    lines = list(INSTRUCTIONS)
    lines.insert(1, f"Сезон {settings.year}: экскурсии с {settings.window_start:%d.%m.%Y} "
                    f"по {settings.window_end:%d.%m.%Y}.")
    if settings.blackout_dates:
        lines.insert(2, "Дни без экскурсий: " + ", ".join(f"{d:%d.%m.%Y}" for d in settings.blackout_dates) + ".")
    contact = ", ".join(x for x in (settings.organizer_name, settings.organizer_email, settings.organizer_phone) if x)
    if contact:
        lines += ["", f"Вопросы: {contact}"]
    rows = [(Cell(line, style=Style(bold=True, size=14 if i == 0 else 11)) if i == 0 or line in _HEADINGS else line,)
            for i, line in enumerate(lines)]
    return Sheet(INSTRUCTIONS_SHEET, [Column("", width=110, style=Style(wrap=True, valign="top"))], rows,
                 header=False)


def _site_sheet(values: Mapping[str, object]) -> Sheet:
    columns = [Column("Поле", width=30, style=Style(bold=True)), Column("Значение", width=45),
               Column("Подсказка", width=70, style=Style(italic=True, color="666666"))]
    rows = [(label, Cell(values.get(label), style=_TEXT if kind == "text" else None, validation=_SITE_RULES.get(kind)),
             hint)
            for label, kind, hint in SITE_FIELD_ROWS]
    # Below the title, the «Поле | Значение» header, then the fields from row 3.
    return Sheet(SITE_SHEET, columns, rows, title="Сведения о площадке", spacing=0, freeze=True)


def _schedule_sheet(settings: Settings, rows: Iterable[Sequence[object]]) -> Sheet:
    start, end = settings.window_start, settings.window_end
    yes_no = Validation.one_of(YES, NO, error="Выберите «да» или «нет».")
    columns = [
        Column("Дата", style=Style(number_format="DD.MM.YYYY"),
               validation=Validation.between("date", start, end, error=f"Дата сезона: с {start:%d.%m.%Y} "
                                                                        f"по {end:%d.%m.%Y}.")),
        Column("День недели"),
        Column("Начало", style=Style(number_format="HH:MM"),
               validation=Validation.between("time", dt.time(0, 0), dt.time(23, 59),
                                             error="Время в формате ЧЧ:ММ, например 10:00.")),
        Column("Длительность, мин",
               validation=Validation.between("whole", 15, 720, error="Длительность — целое число минут.")),
        Column("Размер группы",
               validation=Validation.between("whole", 1, 500, error="Размер группы — целое число участников.")),
        Column("Примечание", width=40, style=_TEXT),
        Column("Закрепить", validation=yes_no),
        Column("Исключить", validation=yes_no),
    ]
    # Every season date, and room below for a second tour on a day: formats and validation down to there.
    return Sheet(SCHEDULE_SHEET, columns, rows, freeze=True, min_width=10,
                 min_rows=len(season_dates(settings)) + EXTRA_SCHEDULE_ROWS)


def schedule_row(day: dt.date, start: dt.time | None = None, capacity: int | None = None,
                 duration_min: int | None = None, note: str = "") -> tuple[object, ...]:
    """One row of ``Расписание``: the date and its weekday, and the tour if there is one."""
    return (day, WEEKDAYS_RU[day.weekday()], start, duration_min, capacity, note or None)
