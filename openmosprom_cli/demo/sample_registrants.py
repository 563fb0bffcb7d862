"""A realistic synthetic export of the VK mini-app «Открытая промышленность».

Used by the demo and the benchmarks. Everything is drawn from one seeded
generator, so a seed always gives the same people:

* Cyrillic names with male and female surname forms, and patronymics;
* phones in the mixed formats people type (``+7 916 …``, ``8(916)…``, ``9161234567``);
* a skewed score: most people did a few tasks, a few did very many, and
  scores come in steps of 10, so ties are common;
* registration times bunched after the announcement;
* about one in eight is a minor; a few have no birth date;
* some passports and citizenships (mostly Russia), some companions;
* 1–5 choices weighted toward popular sites, a mix of tour IDs and site IDs;
* ``invalid_rows`` deliberately broken rows, cycling through: a bad phone, an
  impossible date, an unknown choice, too many companions, a score that is not
  a number, and an ID repeated with different data (which rejects both rows).

The columns are built with numpy and formatted in plain loops, so a million
rows take seconds, not minutes.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from openmosprom_cli.models import Site, Tour

HEADERS = ("ID VK", "Фамилия", "Имя", "Отчество", "Телефон", "Email", "Дата рождения", "Баллы",
           "Дата регистрации", "Выбор 1", "Выбор 2", "Выбор 3", "Выбор 4", "Выбор 5", "Гостей", "Паспорт",
           "Гражданство")
INVALID_KINDS = ("phone", "date", "choice", "companions", "score", "duplicate")

_SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
    "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
    "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев",
    "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев",
    "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов",
    "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов", "Крылов", "Куликов", "Карпов",
    "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев",
    "Тимофеев", "Фомин", "Чернов", "Абрамов", "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров",
    "Калинин", "Исаев", "Чернышёв", "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин",
    "Климов", "Филатов", "Пономарёв", "Голубев", "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв",
    "Овчинников", "Трофимов", "Леонов", "Соболев", "Ермаков", "Колесников", "Гончаров", "Емельянов",
    "Никифоров", "Грачёв", "Котов", "Гришин", "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев",
    "Панов", "Моисеев", "Румянцев", "Акимов", "Кондратьев", "Бирюков", "Горбунов", "Анисимов", "Еремин",
    "Тихомиров", "Галкин", "Лукьянов", "Михеев", "Скворцов", "Юдин", "Белоусов", "Нестеров", "Симонов",
    "Прокофьев", "Харитонов", "Князев", "Цветков", "Левин", "Митрофанов", "Воронов", "Аксёнов", "Софронов",
    "Мальцев", "Логинов", "Горшков", "Савин", "Краснов", "Майоров", "Демидов", "Елисеев", "Рыбаков",
    "Сафонов", "Плотников", "Демин", "Хохлов", "Жданов", "Руднев", "Шубин", "Мухин", "Зуев", "Сазонов",
    "Островский", "Покровский", "Вишневский", "Чайковский", "Яблонский", "Соколовский", "Лозинский",
    "Высоцкий", "Полянский", "Заболоцкий", "Толстой", "Шевченко", "Бондаренко", "Ткаченко", "Коваленко",
    "Кравченко", "Черных", "Седых", "Ким", "Цой", "Пак", "Гайдамак", "Мамедов", "Алиев", "Хабибуллин",
    "Гарипов", "Сафин", "Валиев", "Нуриев", "Гусейнов", "Абдуллаев", "Ахмедов", "Шарипов", "Юсупов",
)
_MALE_NAMES = (
    "Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил",
    "Никита", "Матвей", "Роман", "Егор", "Арсений", "Иван", "Денис", "Евгений", "Даниил", "Тимофей",
    "Владислав", "Игорь", "Владимир", "Павел", "Руслан", "Марк", "Константин", "Тимур", "Олег", "Ярослав",
    "Антон", "Николай", "Глеб", "Данила", "Савелий", "Вадим", "Степан", "Юрий", "Богдан", "Фёдор",
    "Лев", "Георгий", "Пётр", "Виктор", "Григорий", "Эльдар", "Ринат", "Азат", "Геннадий", "Леонид",
)
_FEMALE_NAMES = (
    "Анастасия", "Мария", "Анна", "Виктория", "Екатерина", "Наталья", "Марина", "Полина", "София", "Дарья",
    "Алиса", "Ксения", "Александра", "Елена", "Алина", "Ольга", "Татьяна", "Юлия", "Ирина", "Вероника",
    "Валерия", "Арина", "Елизавета", "Кристина", "Маргарита", "Светлана", "Варвара", "Людмила", "Ульяна",
    "Алёна", "Диана", "Милана", "Ева", "Василиса", "Надежда", "Галина", "Любовь", "Вера", "Зарина", "Лейла",
)
# (male, female) patronymics
_PATRONYMICS = (
    ("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"), ("Андреевич", "Андреевна"),
    ("Алексеевич", "Алексеевна"), ("Иванович", "Ивановна"), ("Владимирович", "Владимировна"),
    ("Михайлович", "Михайловна"), ("Николаевич", "Николаевна"), ("Викторович", "Викторовна"),
    ("Юрьевич", "Юрьевна"), ("Игоревич", "Игоревна"), ("Олегович", "Олеговна"), ("Павлович", "Павловна"),
    ("Петрович", "Петровна"), ("Евгеньевич", "Евгеньевна"), ("Романович", "Романовна"),
    ("Борисович", "Борисовна"), ("Константинович", "Константиновна"), ("Максимович", "Максимовна"),
    ("Денисович", "Денисовна"), ("Антонович", "Антоновна"), ("Артёмович", "Артёмовна"),
    ("Вадимович", "Вадимовна"), ("Анатольевич", "Анатольевна"), ("Геннадьевич", "Геннадьевна"),
)
_CITIZENSHIP_RU = ("РФ", "Россия", "RU", "Российская Федерация", "россия")
_CITIZENSHIP_OTHER = ("Беларусь", "Казахстан", "Узбекистан", "Армения", "Киргизия", "Таджикистан")
_MAIL_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru", "rambler.ru", "ya.ru")
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ("a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"),
))


def female_surname(surname: str) -> str:
    """The female form of a Russian surname; indeclinable ones (Шевченко, Черных, Ким) stay as they are."""
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith("ой") and len(surname) > 4:
        return surname[:-2] + "ая"
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname


def _translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def _site_ids(tours: Sequence[Tour], sites: Mapping[str, Site] | Iterable[Site] | None) -> list[str]:
    with_tours = sorted({t.site_id for t in tours})
    if sites is None:
        return with_tours
    known = set(sites.keys() if isinstance(sites, Mapping) else (s.site_id for s in sites))
    return [s for s in with_tours if s in known] or with_tours


def generate_registrant_columns(tours: Iterable[Tour], sites: Mapping[str, Site] | Iterable[Site] | None = None,
                                count: int = 3000, *, seed: int = 2026, invalid_rows: int = 6,
                                max_companions: int = 2) -> dict[str, list[str]]:
    """The export as columns (header → cell texts), the fast form for large counts."""
    import numpy as np

    tours = sorted(tours, key=lambda t: (t.site_id, t.date, t.start))
    if not tours:
        raise ValueError("the sample export needs the season's tours to choose from")
    site_ids = _site_ids(tours, sites)
    rng = np.random.default_rng(seed)
    n = count

    ids = 1_000_000 + np.cumsum(rng.integers(1, 700, n))
    rng.shuffle(ids)
    female = rng.random(n) < 0.55
    surname_idx = rng.integers(0, len(_SURNAMES), n)
    male_forms = np.array(_SURNAMES, dtype=object)
    female_forms = np.array([female_surname(s) for s in _SURNAMES], dtype=object)
    last = np.where(female, female_forms[surname_idx], male_forms[surname_idx])
    first = np.where(female, np.array(_FEMALE_NAMES, dtype=object)[rng.integers(0, len(_FEMALE_NAMES), n)],
                     np.array(_MALE_NAMES, dtype=object)[rng.integers(0, len(_MALE_NAMES), n)])
    patronymic_idx = rng.integers(0, len(_PATRONYMICS), n)
    middle = np.where(female, np.array([p[1] for p in _PATRONYMICS], dtype=object)[patronymic_idx],
                      np.array([p[0] for p in _PATRONYMICS], dtype=object)[patronymic_idx])
    no_middle = rng.random(n) < 0.08
    middle[no_middle] = ""

    phones = _phones(rng, n)

    first_day = min(t.date for t in tours)
    reference = np.datetime64(first_day, "D")
    minor = rng.random(n) < 0.12
    age_days = np.where(minor, rng.integers(8 * 365, 18 * 365 - 30, n),
                        np.minimum(18 * 365 + rng.gamma(2.2, 9.0, n) * 365, 88 * 365).astype(np.int64))
    birth = np.datetime_as_string(reference - age_days.astype("timedelta64[D]"))
    birth_text = [f"{b[8:10]}.{b[5:7]}.{b[:4]}" for b in birth.tolist()]
    for i in np.flatnonzero(rng.random(n) < 0.04).tolist():
        birth_text[i] = ""

    emails = _emails(rng, n, surname_idx, birth)

    # Most people did a few tasks, a few did very many; steps of 10 points make ties common.
    enthusiast = rng.random(n) < 0.15
    tasks = np.where(enthusiast, rng.geometric(0.06, n), rng.geometric(0.3, n) - 1)
    scores = (np.minimum(tasks, 120) * 10).tolist()

    opened = np.datetime64(dt.datetime.combine(first_day - dt.timedelta(days=21), dt.time(12, 0)), "s")
    delay = np.minimum(rng.exponential(3.5 * 86400, n), 17 * 86400).astype(np.int64)
    registered = np.datetime_as_string(opened + delay.astype("timedelta64[s]"))
    registered_text = [f"{r[8:10]}.{r[5:7]}.{r[:4]} {r[11:19]}" for r in registered.tolist()]

    companions = np.minimum(rng.choice(3, n, p=(0.68, 0.22, 0.10)), max_companions).tolist()

    citizenship = [""] * n
    has_citizenship = rng.random(n) < 0.35
    foreign = has_citizenship & (rng.random(n) < 0.08)
    ru_idx = rng.integers(0, len(_CITIZENSHIP_RU), n)
    other_idx = rng.integers(0, len(_CITIZENSHIP_OTHER), n)
    for i in np.flatnonzero(has_citizenship).tolist():
        citizenship[i] = _CITIZENSHIP_OTHER[other_idx[i]] if foreign[i] else _CITIZENSHIP_RU[ru_idx[i]]
    passports = _passports(rng, n, foreign)

    choice_columns = _choices(rng, n, tours, site_ids)

    columns: dict[str, list[str]] = {
        "ID VK": [str(i) for i in ids.tolist()],
        "Фамилия": last.tolist(),
        "Имя": first.tolist(),
        "Отчество": middle.tolist(),
        "Телефон": phones,
        "Email": emails,
        "Дата рождения": birth_text,
        "Баллы": [str(s) for s in scores],
        "Дата регистрации": registered_text,
        **choice_columns,
        "Гостей": [str(c) for c in companions],
        "Паспорт": passports,
        "Гражданство": citizenship,
    }
    _break_rows(columns, rng, n, invalid_rows, max_companions)
    return columns


def generate_registrant_rows(tours: Iterable[Tour], sites: Mapping[str, Site] | Iterable[Site] | None = None,
                             count: int = 3000, *, seed: int = 2026, invalid_rows: int = 6,
                             max_companions: int = 2) -> list[dict[str, str]]:
    """The export as rows (header → cell text), in the column order of :data:`HEADERS`."""
    columns = generate_registrant_columns(tours, sites, count, seed=seed, invalid_rows=invalid_rows,
                                          max_companions=max_companions)
    return [dict(zip(HEADERS, values)) for values in zip(*(columns[h] for h in HEADERS))]


def _phones(rng, n: int) -> list[str]:
    import numpy as np

    landline = rng.random(n) < 0.1
    mobile_codes = np.array([915, 916, 917, 903, 905, 906, 926, 925, 929, 964, 965, 977, 985, 999, 901, 958])
    codes = np.where(landline, np.where(rng.random(n) < 0.6, 495, 499), mobile_codes[rng.integers(0, 16, n)])
    numbers = rng.integers(0, 10_000_000, n)
    styles = rng.choice(6, n, p=(0.3, 0.25, 0.15, 0.12, 0.1, 0.08)).tolist()
    out = []
    for code, number, style in zip(codes.tolist(), numbers.tolist(), styles):
        digits = f"{number:07d}"
        if style == 0:
            out.append(f"+7{code}{digits}")
        elif style == 1:
            out.append(f"+7 {code} {digits[:3]}-{digits[3:5]}-{digits[5:]}")
        elif style == 2:
            out.append(f"8{code}{digits}")
        elif style == 3:
            out.append(f"8 ({code}) {digits[:3]}-{digits[3:5]}-{digits[5:]}")
        elif style == 4:
            out.append(f"{code}{digits}")
        else:
            out.append(f"+7({code}){digits}")
    return out


def _emails(rng, n: int, surname_idx, birth) -> list[str]:
    import numpy as np

    translit = [_translit(s) for s in _SURNAMES]
    has_email = rng.random(n) < 0.7
    domain_idx = rng.integers(0, len(_MAIL_DOMAINS), n).tolist()
    suffix = rng.integers(1, 1000, n).tolist()
    years = [b[:4] for b in birth.tolist()]
    out = [""] * n
    for i in np.flatnonzero(has_email).tolist():
        tail = years[i] if suffix[i] % 2 else str(suffix[i])
        out[i] = f"{translit[surname_idx[i]]}.{tail}@{_MAIL_DOMAINS[domain_idx[i]]}"
    return out


def _passports(rng, n: int, foreign) -> list[str]:
    import numpy as np

    has = rng.random(n) < 0.22
    region = rng.choice(np.array([45, 46, 40, 77, 50, 92]), n)
    year = rng.integers(0, 25, n)
    number = rng.integers(0, 1_000_000, n)
    styles = rng.integers(0, 3, n)
    out = [""] * n
    for i in np.flatnonzero(has).tolist():
        if foreign[i]:
            out[i] = f"MP{number[i] * 7 % 10_000_000:07d}"
            continue
        series = f"{region[i]:02d}{year[i]:02d}"
        digits = f"{number[i]:06d}"
        style = styles[i]
        out[i] = f"{series} {digits}" if style == 0 else f"{series}{digits}" if style == 1 \
            else f"{series[:2]} {series[2:]} {digits}"
    return out


def _choices(rng, n: int, tours: list[Tour], site_ids: list[str]) -> dict[str, list[str]]:
    import numpy as np

    tours_by_site: dict[str, list[str]] = {}
    for tour in tours:
        tours_by_site.setdefault(tour.site_id, []).append(tour.tour_id)
    sites = [s for s in site_ids if s in tours_by_site]
    # Popularity follows a Zipf-like law over a seeded order of the sites.
    order = rng.permutation(len(sites))
    weights = 1.0 / (np.arange(1, len(sites) + 1) ** 0.9)
    popularity = np.empty(len(sites))
    popularity[order] = weights / weights.sum()
    offsets = np.cumsum([0] + [len(tours_by_site[s]) for s in sites])[:-1]
    counts = np.array([len(tours_by_site[s]) for s in sites])
    flat_tours = np.array([t for s in sites for t in tours_by_site[s]], dtype=object)
    site_labels = np.array(sites, dtype=object)

    picked_site = rng.choice(len(sites), size=(n, 5), p=popularity)
    tour_pick = offsets[picked_site] + rng.integers(0, 1 << 30, (n, 5)) % counts[picked_site]
    as_site = rng.random((n, 5)) < 0.4
    labels = np.where(as_site, site_labels[picked_site], flat_tours[tour_pick]).tolist()
    wanted = rng.choice(np.arange(1, 6), n, p=(0.22, 0.2, 0.2, 0.16, 0.22)).tolist()
    out = [[""] * n for _ in range(5)]
    for i, (row, k) in enumerate(zip(labels, wanted)):
        seen: list[str] = []
        for label in row:
            if label not in seen:
                seen.append(label)
                if len(seen) == k:
                    break
        for j, label in enumerate(seen):
            out[j][i] = label
    return {f"Выбор {j + 1}": out[j] for j in range(5)}


def _break_rows(columns: dict[str, list[str]], rng, n: int, invalid_rows: int, max_companions: int) -> None:
    count = min(invalid_rows, max(0, n - 1))
    if count <= 0:
        return
    positions = rng.choice(n, size=count + 1, replace=False).tolist()
    duplicate_source = positions.pop()
    for position, kind in zip(positions, (INVALID_KINDS * (count // len(INVALID_KINDS) + 1))[:count]):
        if kind == "phone":
            columns["Телефон"][position] = "12-34-56"
        elif kind == "date":
            columns["Дата рождения"][position] = "31.02.2001"
        elif kind == "choice":
            columns["Выбор 1"][position] = "zavod-mechty"
        elif kind == "companions":
            columns["Гостей"][position] = str(max_companions + 3)
        elif kind == "score":
            columns["Баллы"][position] = "много"
        else:
            columns["ID VK"][position] = columns["ID VK"][duplicate_source]


def write_registrant_export(path: Path, rows: Sequence[Mapping[str, str]]) -> Path:
    """Write rows as the mini-app exports them: ``.csv`` (UTF-8 with BOM, ``;``) or ``.xlsx``, by suffix.

    The CSV imitates a third party's file, so it is written with the csv module
    as that party would, not through the tool's own writer: the writer's formula
    guard would give every ``+7 …`` phone a leading ``'`` that the real export
    does not have. In ``.xlsx`` the ID, score and guest count are numbers and
    the dates are Excel dates, as a spreadsheet export has them. Either file is
    owner-only, since it looks like personal data.
    """
    from openmosprom_cli.io.files import atomic_path
    from openmosprom_cli.io.writer import Sheet, write_workbook

    path = Path(path)
    headers = list(rows[0].keys()) if rows else list(HEADERS)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with atomic_path(path, private=True) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows([row.get(h, "") for h in headers] for row in rows)
        return path
    if suffix != ".xlsx":
        raise ValueError(f"{path.name}: the export is written as .csv or .xlsx")
    converters = [_XLSX_CONVERTERS.get(h, _as_text) for h in headers]
    cells = ([convert(row.get(h, "")) for h, convert in zip(headers, converters)] for row in rows)
    return write_workbook(path, [Sheet("Участники", headers, cells)], private=True)


def _as_text(value: str) -> str | None:
    return value or None


def _as_number(value: str) -> int | str | None:
    return int(value) if value.isdigit() else (value or None)


def _as_date(value: str) -> dt.date | str | None:
    try:
        return dt.datetime.strptime(value, "%d.%m.%Y").date()
    except ValueError:
        return value or None


def _as_datetime(value: str) -> dt.datetime | str | None:
    try:
        return dt.datetime.strptime(value, "%d.%m.%Y %H:%M:%S")
    except ValueError:
        return value or None


_XLSX_CONVERTERS = {"ID VK": _as_number, "Баллы": _as_number, "Гостей": _as_number, "Дата рождения": _as_date,
                    "Дата регистрации": _as_datetime}
