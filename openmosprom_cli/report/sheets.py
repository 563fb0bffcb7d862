"""The sheets of ``report.xlsx``, in Russian, each a table with its native Excel chart drawn from the table's cells.

A sheet whose subject has no data yet (attendance before any roster came back,
prizes before the draw) says so in its first lines and draws no chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from openmosprom_cli.io.writer import Cell, Chart, Column, Sheet, Style
from openmosprom_cli.report.figures import SeasonFigures, SeatLine

PERCENT = Style(number_format="0.0%")
BOLD = Style(bold=True)
BOLD_PERCENT = Style(bold=True, number_format="0.0%")
ATTENDANCE_MISSING = ("Отметки о посещении ещё не загружены. Когда площадки вернут списки с отметками, "
                      "загрузите их: openmosprom attendance import ФАЙЛЫ…")
PRIZES_MISSING = "Призы ещё не разыграны: данных о призах пока нет."
NO_RUN = "Места ещё не распределялись (openmosprom assign): занятых мест нет."

SUMMARY, BY_SITE, BY_DAY, DEMAND, CHOICES, DECILES, PARTIES, ATTENDANCE, CHANGES, PRIZES = (
    "Сводка", "Места по площадкам", "Места по дням", "Спрос", "Выбор", "Баллы", "Группы", "Посещаемость",
    "Изменения", "Призы")


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _total(label: str, *values: object) -> tuple[object, ...]:
    """A totals row, in bold; a float is a share."""
    return (Cell(label, BOLD), *(v if isinstance(v, Cell) else Cell(v, BOLD_PERCENT if isinstance(v, float) else BOLD)
                                 for v in values))


def report_sheets(f: SeasonFigures, today: dt.date) -> list[Sheet]:
    return [_summary(f, today), _by_site(f), _by_day(f), _demand(f), _choices(f), _deciles(f), _parties(f),
            _attendance(f), _changes(f), _prizes(f)]


def _title(f: SeasonFigures, what: str) -> str:
    return f"«Открой#Моспром», {f.window_start:%d.%m}–{f.window_end:%d.%m.%Y}: {what}"


def _summary(f: SeasonFigures, today: dt.date) -> Sheet:
    a = f.attendance_totals
    rows: list[tuple[object, ...]] = [
        ("Зарегистрировались", f.registrants),
        ("Получили место", f.placed),
        ("Доля получивших место", _share(f.placed, f.registrants)),
        ("Отказались", f.cancelled_people),
        ("Экскурсий", f.tours),
        ("Экскурсий отменено", f.cancelled_tours),
        ("Мест предложено", f.seats_offered),
        ("Мест занято", f.seats_filled),
        ("Заполнено мест", _share(f.seats_filled, f.seats_offered)),
    ]
    if f.has_attendance:
        rows += [("Пришли", a.present), ("Не пришли (неявки)", a.no_shows), ("Посещение неизвестно", a.unknown),
                 ("Доля неявок среди отмеченных", a.no_show_share() or 0.0), ("Гостей пришло", a.guests_came)]
    styled = [(label, value if not isinstance(value, float) else _percent(value)) for label, value in rows]
    block = [("Составлен", f"{today:%d.%m.%Y}")]
    if not f.has_run:
        block.append(("Примечание", NO_RUN))
    if not f.has_attendance:
        block.append(("Посещаемость", ATTENDANCE_MISSING))
    return Sheet(SUMMARY, [Column("Показатель"), Column("Значение", width=14)], styled,
                 title=_title(f, "итоги сезона"), block=block)


def _percent(value: float) -> Cell:
    return Cell(value, PERCENT)


def _seat_columns(first: str) -> list[Column | str]:
    return [first, "Экскурсий", "Мест", "Занято", Column("Заполнено", style=PERCENT)]


def _seat_rows(lines: tuple[SeatLine, ...]) -> Iterator[tuple[object, ...]]:
    for line in lines:
        yield (line.label, line.tours, line.offered, line.filled, line.share)


def _by_site(f: SeasonFigures) -> Sheet:
    rows = [*_seat_rows(f.by_site),
            _total("Итого", f.tours, f.seats_offered, f.seats_filled, _share(f.seats_filled, f.seats_offered))]
    return Sheet(BY_SITE, _seat_columns("Площадка"), rows, title=_title(f, "места по площадкам"),
                 block=[("Примечание", NO_RUN)] if not f.has_run else (), freeze=True,
                 charts=[Chart("Места: предложено и занято", [2, 3], skip_last=1, kind="bar")])


def _by_day(f: SeasonFigures) -> Sheet:
    rows = [*_seat_rows(f.by_day),
            _total("Итого", f.tours, f.seats_offered, f.seats_filled, _share(f.seats_filled, f.seats_offered))]
    return Sheet(BY_DAY, _seat_columns("Дата"), rows, title=_title(f, "места по дням"), freeze=True,
                 charts=[Chart("Места по дням: предложено и занято", [2, 3], skip_last=1)])


def _demand(f: SeasonFigures) -> Sheet:
    rows: list[tuple[object, ...]] = [(d.label, d.first_choices, d.seats, round(d.per_seat, 2)) for d in f.demand]
    wanted = sum(d.first_choices for d in f.demand)
    rows.append(_total("Итого", wanted, f.seats_offered,
                       Cell(round(wanted / f.seats_offered, 2) if f.seats_offered else 0, BOLD)))
    block: list[tuple[str, object]] = [
        ("Первый выбор", "экскурсия или площадка, указанная первой; экскурсия считается за её площадку")]
    if f.no_first_choice:
        block.append(("Без выбора этого сезона", f.no_first_choice))
    return Sheet(DEMAND, ["Площадка", "Выбрали первой", "Мест", "Заявок на место"], rows,
                 title=_title(f, "спрос: первый выбор и места"), block=block, freeze=True,
                 charts=[Chart("Спрос: первый выбор против мест", [1, 2], skip_last=1, kind="bar")])


def _choices(f: SeasonFigures) -> Sheet:
    rows = [(c.label, c.people, c.share) for c in f.choices]
    return Sheet(CHOICES, ["Результат", "Человек", Column("Доля", style=PERCENT)], rows,
                 title=_title(f, "какой по счёту выбор исполнен"),
                 block=[("Как считается", "лучший по счёту выбор, на который у человека есть место")],
                 charts=[Chart("Исполненный выбор", [1])])


def _deciles(f: SeasonFigures) -> Sheet:
    rows = [(f"{d.decile}-я десятая", d.max_score, d.min_score, d.people, d.placed, d.share) for d in f.deciles]
    return Sheet(DECILES, ["Группа по баллам", "Наибольший балл", "Наименьший балл", "Человек", "Получили место",
                           Column("Доля с местом", style=PERCENT)], rows,
                 title=_title(f, "доля получивших место по баллам активности"),
                 block=[("Как считается", "все зарегистрированные по убыванию баллов, разделённые на десять "
                                          "равных групп; 1-я — самые активные")],
                 charts=[Chart("Доля получивших место по группам баллов", [5], percent=True)])


def _parties(f: SeasonFigures) -> Sheet:
    rows = [(p.label, p.people, p.placed, p.share, p.seats) for p in f.parties]
    return Sheet(PARTIES, ["Заявки", "Человек", "Получили место", Column("Доля с местом", style=PERCENT),
                           "Мест занято"], rows, title=_title(f, "с гостями и без"),
                 charts=[Chart("Доля получивших место: с гостями и без", [3], percent=True)])


def _attendance(f: SeasonFigures) -> Sheet:
    columns: list[Column | str] = [
        "Площадка", "Экскурсий прошло", "Списков вернули", "Мест занято (чел.)", "Пришли", "Не пришли", "Неизвестно",
        "Отказались", "Пришли без места", "Гостей ожидалось", "Гостей пришло", Column("Доля неявок", style=PERCENT)]
    if not f.has_attendance:
        return Sheet(ATTENDANCE, columns, (), title=_title(f, "посещаемость"), block=[("Примечание",
                                                                                      ATTENDANCE_MISSING)])
    rows: list[tuple[object, ...]] = [
        (s.label, s.tours_held, s.tours_returned, s.counts.seats_held, s.counts.present, s.counts.no_shows,
         s.counts.unknown, s.counts.excused, s.counts.came_unlisted, s.counts.guests_expected, s.counts.guests_came,
         s.counts.no_show_share() or 0.0) for s in f.attendance]
    t = f.attendance_totals
    rows.append(_total("Итого", sum(s.tours_held for s in f.attendance), sum(s.tours_returned for s in f.attendance),
                       t.seats_held, t.present, t.no_shows, t.unknown, t.excused, t.came_unlisted, t.guests_expected,
                       t.guests_came, t.no_show_share() or 0.0))
    return Sheet(ATTENDANCE, columns, rows, title=_title(f, "посещаемость"), freeze=True,
                 block=[("Как считается", "неявка — отмечен как не пришедший; пустая отметка — «неизвестно»; "
                                          "отказавшиеся и посетители отменённых экскурсий неявкой не считаются")],
                 charts=[Chart("Посещаемость по площадкам", [4, 5, 6], skip_last=1, kind="bar", stacked=True),
                         Chart("Доля неявок по площадкам", [11], skip_last=1, kind="bar", percent=True)])


def _changes(f: SeasonFigures) -> Sheet:
    rows = [(c.label, c.events, c.seats) for c in f.changes]
    return Sheet(CHANGES, ["Что произошло", "Событий", "Мест"], rows,
                 title=_title(f, "листы ожидания, отказы и переводы"),
                 charts=[Chart("Изменения после распределения", [1], kind="bar")])


def _prizes(f: SeasonFigures) -> Sheet:
    columns: list[Column | str] = ["Приз", "Разыграно", "Выдано", "Осталось"]
    if not f.prizes:
        return Sheet(PRIZES, columns, (), title=_title(f, "призы"), block=[("Примечание", PRIZES_MISSING)])
    rows = [(p.item, p.given, p.handed_out, p.left) for p in f.prizes]
    return Sheet(PRIZES, columns, rows, title=_title(f, "призы"),
                 charts=[Chart("Призы: разыграно, выдано, осталось", [1, 2, 3], kind="bar")])
