"""Fourteen filled-in factory workbooks for a December season: the demo's input and the format's example.

Six are the sites the programme's announcement names; eight are examples for the
other industries it mentions, named «… (пример)». Each is the blank template
filled in the way a factory would, from a fixed seed, so every run gives the
same content.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.io.files import inside
from openmosprom_cli.io.writer import Sheet, write_workbook
from openmosprom_cli.schedules.template import NO, YES, schedule_row, season_dates, template_sheets
from openmosprom_cli.settings import Settings

SATURDAY = 5


@dataclass(frozen=True)
class SampleSite:
    site_id: str
    name: str
    industry: str
    address: str
    contact: str
    emails: tuple[str, ...]
    phone: str
    min_age: int
    starts: tuple[str, ...]
    capacities: tuple[int, ...]
    tours: tuple[int, int]  # fewest and most candidate tours offered
    saturdays: bool
    notes: str
    duration_min: int = 90
    max_tours_per_day: int = 1
    passport_required: bool = False
    citizens_only: bool = False
    roster_lead_days: int = 3
    saturday_note: str = ""


SAMPLE_SITES: tuple[SampleSite, ...] = (
    SampleSite("estet", "Ювелирный завод «Эстет»", "Ювелирное производство",
               "Москва, ул. Годовикова, д. 9, стр. 2", "Смирнова Анна Викторовна", ("estet@example.ru",),
               "+7 495 000-10-01", 12, ("11:00", "15:00"), (15, 20), (6, 9), True,
               "Закрытая обувь; фото только в демонстрационном зале", max_tours_per_day=2,
               saturday_note="Показ 3D-печати украшений"),
    SampleSite("nauchnye-razvlecheniya", "«Научные Развлечения»", "Производство научно-познавательных наборов",
               "Москва, ул. Складочная, д. 1, стр. 18", "Петров Илья Андреевич",
               ("tours@example.ru", "nauka-office@example.org"), "+7 495 000-10-02", 7,
               ("10:00", "12:00", "15:00"), (25, 30), (7, 10), True,
               "Дети до 14 лет — с сопровождающим взрослым", duration_min=75, max_tours_per_day=2,
               saturday_note="С мастер-классом по сборке набора"),
    SampleSite("khrunichev", "ГКНПЦ им. М.В. Хруничева", "Ракетно-космическая промышленность",
               "Москва, ул. Новозаводская, д. 18", "Кузнецов Олег Николаевич",
               ("khrunichev@example.ru", "khrunichev-security@example.org"), "+7 495 000-10-03", 18,
               ("10:00", "14:00"), (15, 20), (5, 7), False,
               "Паспорт при себе; фото и видео запрещены; закрытая обувь", duration_min=120,
               passport_required=True, citizens_only=True, roster_lead_days=10),
    SampleSite("il", "ПАО «Ил»", "Авиастроение",
               "Москва, Ленинградский проспект, д. 45Г", "Волкова Елена Павловна", ("il-excursions@example.ru",),
               "+7 495 000-10-04", 14, ("10:00", "13:30"), (15, 20, 25), (5, 7), False,
               "Паспорт при себе; без фото на производстве", duration_min=120, passport_required=True,
               roster_lead_days=7),
    SampleSite("npo-molniya", "НПО «Молния»", "Аэрокосмическая промышленность",
               "Москва, ул. Новопоселковая, д. 6", "Соколов Дмитрий Игоревич",
               ("molniya@example.ru", "molniya-security@example.org"), "+7 495 000-10-05", 18,
               ("10:30", "14:00"), (15, 20), (5, 7), False,
               "Паспорт при себе; фото и видео запрещены", passport_required=True, roster_lead_days=7),
    SampleSite("obedinennye-konditery", "«Объединённые кондитеры»", "Кондитерская промышленность",
               "Москва, 2-й Новокузнецкий пер., д. 13/15", "Морозова Ольга Алексеевна",
               ("konditery@example.ru",), "+7 495 000-10-06", 7, ("10:00", "12:30", "15:00"), (25, 30, 35),
               (7, 10), True, "Халаты и шапочки выдают на месте; в конце — дегустация", max_tours_per_day=2),
    SampleSite("example-drinks", "Завод напитков «Родник» (пример)", "Производство напитков",
               "Москва, Огородный проезд, д. 20", "Лебедев Артём Сергеевич", ("rodnik@example.org",),
               "+7 495 000-10-07", 12, ("11:00", "14:00"), (20, 25, 30), (6, 9), True,
               "Закрытая обувь; в цехе шумно"),
    SampleSite("example-sweets", "Кондитерская фабрика «Пастила» (пример)", "Кондитерская промышленность",
               "Москва, ул. Электрозаводская, д. 21", "Новикова Дарья Михайловна", ("pastila@example.org",),
               "+7 495 000-10-08", 7, ("10:00", "13:00"), (20, 25), (6, 9), True,
               "Шапочки выдают на месте; длинные волосы собрать", duration_min=75,
               saturday_note="С мастер-классом по росписи пряников"),
    SampleSite("example-toys", "Фабрика игрушек «Мишутка» (пример)", "Производство игрушек",
               "Москва, ул. Щербаковская, д. 53", "Фёдорова Ирина Олеговна", ("mishutka@example.org",),
               "+7 495 000-10-09", 0, ("10:00", "12:00", "16:00"), (25, 30, 40), (7, 10), True,
               "Можно с детьми любого возраста; коляски оставить в гардеробе", duration_min=60,
               max_tours_per_day=2),
    SampleSite("example-shoes", "Обувная фабрика «Шаг» (пример)", "Обувное производство",
               "Москва, Варшавское шоссе, д. 125", "Егоров Павел Константинович", ("shag@example.org",),
               "+7 495 000-10-10", 12, ("11:00", "15:00"), (15, 20), (5, 8), False,
               "Закрытая обувь, без фото"),
    SampleSite("example-bakery", "Хлебозавод «Калач» (пример)", "Хлебопечение",
               "Москва, ул. Трифоновская, д. 57", "Васильева Наталья Юрьевна", ("kalach@example.org",),
               "+7 495 000-10-11", 7, ("09:00", "11:00"), (20, 25), (6, 9), True,
               "Шапочки и бахилы выдают на месте", duration_min=75),
    SampleSite("example-dairy", "Молочный комбинат «Бурёнка» (пример)", "Молочная промышленность",
               "Москва, Дмитровское шоссе, д. 108", "Зайцев Игорь Владимирович", ("burenka@example.org",),
               "+7 495 000-10-12", 0, ("10:00", "13:00"), (25, 30), (5, 8), True,
               "Халаты и бахилы выдают на месте"),
    SampleSite("example-electronics", "Завод «Электроприбор» (пример)", "Электроника и приборостроение",
               "Москва, Волгоградский проспект, д. 42, корп. 5", "Павлов Сергей Романович",
               ("elektropribor@example.org", "hr-elektropribor@example.ru"), "+7 495 000-10-13", 12,
               ("11:00", "14:30"), (15, 20), (5, 8), False, "Антистатические халаты выдают на месте; без фото"),
    SampleSite("example-cosmetics", "Фабрика косметики «Северное сияние» (пример)", "Парфюмерия и косметика",
               "Москва, ул. Вольная, д. 28", "Козлова Марина Денисовна", ("siyanie@example.org",),
               "+7 495 000-10-14", 12, ("10:00", "14:00"), (15, 20, 25), (6, 9), True,
               "Людям с аллергией на отдушки лучше выбрать другую экскурсию"),
)


@dataclass(frozen=True)
class SampleTour:
    date: dt.date
    start: dt.time
    capacity: int
    duration_min: int | None = None  # None: the site's own
    note: str = ""


def sample_tours(site: SampleSite, settings: Settings) -> list[SampleTour]:
    """The candidate tours a site offers: from its own seed, so each site's choice is stable."""
    rng = random.Random(f"openmosprom-sample-{settings.year}-{site.site_id}")
    days = [d for d in season_dates(settings) if d.weekday() < SATURDAY or (site.saturdays and d.weekday() == SATURDAY)]
    starts = [dt.time.fromisoformat(s) for s in site.starts]
    options = [(day, start) for day in days for start in starts]
    rng.shuffle(options)
    if site.saturdays:
        # Saturdays first, so that a site open on Saturdays offers at least one.
        options.sort(key=lambda o: o[0].weekday() != SATURDAY)
    wanted = rng.randint(*site.tours)
    chosen: list[tuple[dt.date, dt.time]] = []
    for day, start in options:
        same_day = [s for d, s in chosen if d == day]
        if len(same_day) >= site.max_tours_per_day:
            continue
        if any(abs(_minutes(start) - _minutes(s)) < site.duration_min + 30 for s in same_day):
            continue
        chosen.append((day, start))
        if len(chosen) == wanted:
            break
    tours = []
    for day, start in sorted(chosen):
        special = day.weekday() == SATURDAY and bool(site.saturday_note)
        tours.append(SampleTour(day, start, rng.choice(site.capacities),
                                duration_min=site.duration_min + 30 if special else None,
                                note=site.saturday_note if special else ""))
    return tours


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _site_values(site: SampleSite) -> dict[str, object]:
    def yes_no(flag: bool) -> str:
        return YES if flag else NO

    return {
        "Код": site.site_id, "Название": site.name, "Отрасль": site.industry, "Адрес": site.address,
        "Контактное лицо": site.contact, "Email для списков": "; ".join(site.emails), "Телефон": site.phone,
        "Минимальный возраст": site.min_age, "Паспорт обязателен": yes_no(site.passport_required),
        "Только граждане РФ": yes_no(site.citizens_only), "Максимум экскурсий в день": site.max_tours_per_day,
        "Длительность, мин": site.duration_min, "Срок подачи списков, дней": site.roster_lead_days,
        "Примечание для участников": site.notes,
    }


def sample_sheets(site: SampleSite, settings: Settings) -> list[Sheet]:
    """The blank template filled in as the factory would: its site's fields, and its tours on their dates."""
    return template_sheets(settings, site.site_id, site_values=_site_values(site),
                           schedule_rows=_schedule_rows(sample_tours(site, settings), settings))


def _schedule_rows(tours: list[SampleTour], settings: Settings) -> Iterator[tuple[object, ...]]:
    for day in season_dates(settings):
        todays = [t for t in tours if t.date == day]
        for tour in todays:
            yield schedule_row(day, tour.start, tour.capacity, tour.duration_min, tour.note)
        if not todays:
            yield schedule_row(day)  # offered no tour: left as the template had it


def write_sample_schedules(folder: Path, year: int) -> list[Path]:
    """Write the fourteen sample workbooks (``<site_id>.xlsx``) for ``year``'s December window."""
    settings = Settings.defaults(year)
    # Fixed document dates: the bytes depend on the year alone.
    stamp = dt.datetime(year, 11, 1, 12, 0)
    paths = []
    for site in SAMPLE_SITES:
        path = inside(Path(folder), f"{site.site_id}.xlsx")
        # Fictional factories and example.org addresses: no personal data, so the files follow the umask.
        write_workbook(path, sample_sheets(site, settings), private=False, stamp=stamp)
        paths.append(path)
    return sorted(paths)
