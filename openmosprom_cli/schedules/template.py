"""The blank schedule workbook a factory fills in: instructions, ``Площадка`` and ``Расписание``.

The season's dates are pre-filled; a date left without a start time is a day the
factory does not offer, and the import skips it. What the factory types is
checked by Excel's data validation as it types, and again by the import.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.io.values import ValueProblem
from openmosprom_cli.io.xlsx_out import (
    fit_columns,
    new_workbook,
    save_workbook,
    text_cell,
    value_cell,
    write_header,
)
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
SITE_FIRST_ROW = 3  # below the title and the «Поле | Значение» header

SCHEDULE_HEADERS = ("Дата", "День недели", "Начало", "Длительность, мин", "Размер группы", "Примечание",
                    "Закрепить", "Исключить")
SCHEDULE_COLUMN = {name: i for i, name in enumerate(SCHEDULE_HEADERS, start=1)}

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


def build_template_workbook(settings: Settings, site_id: str | None = None):
    """The template as an openpyxl workbook, for :func:`write_template` and the sample data."""
    if site_id is not None:
        try:
            site_id = check_site_id(site_id)
        except ValueProblem as exc:
            raise BadDataError(f"the site code {exc}") from None
    wb = new_workbook()
    _instructions_sheet(wb.create_sheet(INSTRUCTIONS_SHEET), settings)
    _site_sheet(wb.create_sheet(SITE_SHEET), site_id)
    _schedule_sheet(wb.create_sheet(SCHEDULE_SHEET), settings)
    wb.active = 0
    return wb


def write_template(path: Path, settings: Settings, site_id: str | None = None) -> Path:
    """Write the blank per-factory workbook to ``path`` (atomically) and return the path."""
    path = Path(path)
    save_workbook(build_template_workbook(settings, site_id), path)
    return path


def season_dates(settings: Settings) -> list[dt.date]:
    """The window's days, without blackout dates."""
    blackout = set(settings.blackout_dates)
    days = (settings.window_end - settings.window_start).days + 1
    dates = (settings.window_start + dt.timedelta(days=i) for i in range(days))
    return [d for d in dates if d not in blackout]


def _instructions_sheet(ws, settings: Settings) -> None:
    from openpyxl.styles import Alignment, Font

    lines = list(INSTRUCTIONS)
    lines.insert(1, f"Сезон {settings.year}: экскурсии с {settings.window_start:%d.%m.%Y} "
                    f"по {settings.window_end:%d.%m.%Y}.")
    if settings.blackout_dates:
        lines.insert(2, "Дни без экскурсий: " + ", ".join(f"{d:%d.%m.%Y}" for d in settings.blackout_dates) + ".")
    contact = ", ".join(x for x in (settings.organizer_name, settings.organizer_email, settings.organizer_phone) if x)
    if contact:
        lines += ["", f"Вопросы: {contact}"]
    for row, line in enumerate(lines, start=1):
        cell = text_cell(ws, row, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row == 1 or line in ("Как заполнить", "Форматы"):
            cell.font = Font(bold=True, size=14 if row == 1 else 11)
    ws.column_dimensions["A"].width = 110


def _site_sheet(ws, site_id: str | None) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    title = text_cell(ws, 1, 1, "Сведения о площадке")
    title.font = Font(bold=True, size=13)
    write_header(ws, 2, ("Поле", "Значение", "Подсказка"))
    ws.freeze_panes = "A3"
    rules = {
        "bool": _yes_no_validation(),
        "age": DataValidation(type="whole", operator="between", formula1="0", formula2="100", allow_blank=True),
        "count": DataValidation(type="whole", operator="between", formula1="1", formula2="20", allow_blank=True),
        "minutes": DataValidation(type="whole", operator="between", formula1="15", formula2="720", allow_blank=True),
        "days": DataValidation(type="whole", operator="between", formula1="0", formula2="60", allow_blank=True),
        "weight": DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=True),
    }
    for rule in rules.values():
        rule.error = "Проверьте значение: подсказка в столбце C."
        _refuse_invalid(rule)
        ws.add_data_validation(rule)
    for offset, (label, kind, hint) in enumerate(SITE_FIELD_ROWS):
        row = SITE_FIRST_ROW + offset
        text_cell(ws, row, 1, label).font = Font(bold=True)
        value = site_id if label == "Код" and site_id else SITE_DEFAULTS.get(label)
        cell = ws.cell(row=row, column=2) if value is None else value_cell(ws, row, 2, value)
        if kind == "text":
            cell.number_format = "@"  # keeps phone numbers and codes as typed
        if kind in rules:
            rules[kind].add(cell.coordinate)
        text_cell(ws, row, 3, hint).font = Font(italic=True, color="666666")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 45
    ws.column_dimensions["C"].width = 70


def _refuse_invalid(rule) -> None:
    """Excel shows the rule's message and refuses the value; openpyxl's default only remembers the rule."""
    rule.showErrorMessage = True
    rule.errorStyle = "stop"
    rule.errorTitle = "Неверное значение"


def _yes_no_validation():
    from openpyxl.worksheet.datavalidation import DataValidation

    rule = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    rule.error = "Выберите «да» или «нет»."
    return rule


def _schedule_sheet(ws, settings: Settings) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    write_header(ws, 1, SCHEDULE_HEADERS)
    ws.freeze_panes = "A2"
    dates = season_dates(settings)
    last_row = 1 + len(dates) + EXTRA_SCHEDULE_ROWS

    def column_range(name: str) -> str:
        letter = get_column_letter(SCHEDULE_COLUMN[name])
        return f"{letter}2:{letter}{last_row}"

    start, end = settings.window_start, settings.window_end
    date_rule = DataValidation(type="date", operator="between", allow_blank=True,
                               formula1=f"DATE({start.year},{start.month},{start.day})",
                               formula2=f"DATE({end.year},{end.month},{end.day})")
    date_rule.error = f"Дата сезона: с {start:%d.%m.%Y} по {end:%d.%m.%Y}."
    time_rule = DataValidation(type="time", operator="between", allow_blank=True,
                               formula1="TIME(0,0,0)", formula2="TIME(23,59,0)")
    time_rule.error = "Время в формате ЧЧ:ММ, например 10:00."
    capacity_rule = DataValidation(type="whole", operator="between", formula1="1", formula2="500", allow_blank=True)
    capacity_rule.error = "Размер группы — целое число участников."
    duration_rule = DataValidation(type="whole", operator="between", formula1="15", formula2="720", allow_blank=True)
    duration_rule.error = "Длительность — целое число минут."
    yes_no = _yes_no_validation()
    for rule, names in ((date_rule, ("Дата",)), (time_rule, ("Начало",)), (capacity_rule, ("Размер группы",)),
                        (duration_rule, ("Длительность, мин",)), (yes_no, ("Закрепить", "Исключить"))):
        _refuse_invalid(rule)
        ws.add_data_validation(rule)
        for name in names:
            rule.add(column_range(name))
    for row in range(2, last_row + 1):
        ws.cell(row=row, column=SCHEDULE_COLUMN["Дата"]).number_format = "DD.MM.YYYY"
        ws.cell(row=row, column=SCHEDULE_COLUMN["Начало"]).number_format = "HH:MM"
        ws.cell(row=row, column=SCHEDULE_COLUMN["Примечание"]).number_format = "@"
    for row, day in enumerate(dates, start=2):
        write_schedule_row(ws, row, day)
    fit_columns(ws, minimum=10)
    ws.column_dimensions[get_column_letter(SCHEDULE_COLUMN["Примечание"])].width = 40


def write_schedule_row(ws, row: int, day: dt.date, start: dt.time | None = None, capacity: int | None = None,
                       duration_min: int | None = None, note: str = "") -> None:
    """One row of ``Расписание``: the date and its weekday, and the tour if there is one."""
    value_cell(ws, row, SCHEDULE_COLUMN["Дата"], day)
    text_cell(ws, row, SCHEDULE_COLUMN["День недели"], WEEKDAYS_RU[day.weekday()])
    if start is not None:
        value_cell(ws, row, SCHEDULE_COLUMN["Начало"], start)
    if capacity is not None:
        value_cell(ws, row, SCHEDULE_COLUMN["Размер группы"], capacity)
    if duration_min is not None:
        value_cell(ws, row, SCHEDULE_COLUMN["Длительность, мин"], duration_min)
    if note:
        text_cell(ws, row, SCHEDULE_COLUMN["Примечание"], note)
