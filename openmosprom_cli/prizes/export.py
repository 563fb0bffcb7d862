"""``prizes export``: ``prizes.xlsx`` for the organizers, in Russian.

- «Призы»: per item, its stock, how many were won and handed over, and the stock left;
- «Победители»: per item, its winners with their phone and where they collect it;
- «Упаковка»: the packing list, how many of each item to bring to each tour, and to the pick-up point;
- «Пункт выдачи»: the winners without a seat, who collect at ``[prizes] pickup``.

Where a prize is collected follows the seats as they stand
(:mod:`openmosprom_cli.prizes.current`). The file names people with their
phones: it is written owner-only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.writer import Column, Sheet, write_workbook
from openmosprom_cli.models import Registrant
from openmosprom_cli.prizes.current import Collection, CurrentPrizes, collections, load_current_prizes
from openmosprom_cli.prizes.records import BEST, HELD, PREFERRED, PrizeItem
from openmosprom_cli.rosters.workbooks import file_time
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.registrants import load_registrants
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

PRIZES_FILE = "prizes.xlsx"
PICKUP_PLACE = "Пункт выдачи"
HOW_RU = {PREFERRED: "по своему выбору", BEST: "лучший доступный", HELD: "закреплён ранее"}


@dataclass(frozen=True)
class PackingLine:
    """How many of one item to bring to one tour, or to the pick-up point (``tour_id`` "")."""

    site: str
    tour_id: str
    when: str
    item: str
    count: int


@dataclass(frozen=True)
class PrizeExportReport:
    path: Path
    draw_id: int
    items: int
    winners: int
    at_tours: int            # awards collected on a tour
    at_pickup: int           # awards collected at the pick-up point
    handed: int
    packing: tuple[PackingLine, ...]


def export_prizes(season: Season, out: Path | None = None) -> PrizeExportReport:
    out = Path(out) if out is not None else season.path / PRIZES_FILE
    with season.reader() as conn:
        prizes = load_current_prizes(conn)
        if prizes is None:
            raise MissingInputError(_("there is no prize draw yet"),
                                    hint=_("Draw them with `openmosprom prizes draw`."))
        people = {p.id: p for p in load_registrants(conn)}
        sites = load_sites(conn)
        found = collections(prizes, current_allocation(conn), load_tours(conn), sites)
    pickup = season.settings.prizes.pickup
    packing = packing_list(found)
    sheets = [_items_sheet(prizes, found), _winners_sheet(found, people, pickup), _packing_sheet(packing, pickup),
              _pickup_sheet([c for c in found if c.tour is None], people, pickup)]
    write_workbook(out, sheets, private=True, stamp=file_time(prizes.draw.created_at))
    return PrizeExportReport(out.resolve(), prizes.draw.draw_id, len(prizes.items),
                             len({c.award.registrant_id for c in found}), sum(1 for c in found if c.tour),
                             sum(1 for c in found if c.tour is None), sum(1 for c in found if c.handed), packing)


def packing_list(found: Sequence[Collection]) -> tuple[PackingLine, ...]:
    """Per tour (earliest first), then the pick-up point: how many of each item, best item first."""
    counts: Counter[tuple] = Counter()
    for c in found:
        key: tuple
        if c.tour is not None and c.site is not None:
            key = (0, c.tour.date, c.tour.start, c.tour.tour_id, c.site.name, c.item.rank, c.item.name)
        else:
            key = (1, None, None, "", PICKUP_PLACE, c.item.rank, c.item.name)
        counts[key] += 1
    lines = []
    for (_at, date, start, tour_id, site, _rank, item), count in sorted(counts.items(), key=lambda kv: _order(kv[0])):
        when = f"{date:%d.%m.%Y} {start:%H:%M}" if date is not None else ""
        lines.append(PackingLine(site, tour_id, when, item, count))
    return tuple(lines)


def _order(key: tuple) -> tuple:
    pickup, date, start, tour_id, _, rank, _ = key
    return (pickup, date or 0, start.isoformat() if start else "", tour_id, rank)


def _items_sheet(prizes: CurrentPrizes, found: Sequence[Collection]) -> Sheet:
    given = Counter(c.item.item_id for c in found)
    handed = Counter(c.item.item_id for c in found if c.handed)

    def rows() -> Iterator[tuple[object, ...]]:
        for item in prizes.items:
            yield (item.rank, item.name, item.item_id, item.stock, given[item.item_id], handed[item.item_id],
                   item.stock - given[item.item_id], _who_ru(item))

    headers = ("Место", "Приз", "Код", "Количество", "Выиграно", "Вручено", "Осталось", "Кто может получить")
    return Sheet("Призы", headers, rows(), title=f"Призы: розыгрыш {prizes.draw.draw_id}, зерно {prizes.draw.seed}",
                 autofilter=True, freeze=True)


def _who_ru(item: PrizeItem) -> str:
    parts = []
    if item.top_n is not None:
        parts.append(f"первые {item.top_n} мест")  # not a message: the workbook is Russian
    if item.min_score is not None:
        parts.append(f"от {item.min_score:g} баллов")  # not a message
    if item.min_age:
        parts.append(f"с {item.min_age} лет")  # not a message
    return ", ".join(parts)


def _winners_sheet(found: Sequence[Collection], people: dict[str, Registrant], pickup: str) -> Sheet:
    def rows() -> Iterator[tuple[object, ...]]:
        for c in found:
            person = people.get(c.award.registrant_id)
            yield (c.item.name, c.award.rank, c.award.registrant_id, person.full_name if person else "",
                   person.phone if person else "", _score(person), c.where_ru(pickup),
                   c.tour.tour_id if c.tour else None, c.handed is not None, HOW_RU.get(c.award.how, c.award.how))

    columns = (Column("Приз"), Column("Место в рейтинге"), Column("ID VK"), Column("ФИО"), Column("Телефон"),
               Column("Баллы"), Column("Где получить", width=50), Column("ID экскурсии"),
               Column("Вручён", yes_no=True), Column("Как получен"))
    return Sheet("Победители", columns, rows(), autofilter=True, freeze=True, print_ready=True)


def _score(person: Registrant | None) -> object:
    if person is None:
        return None
    return int(person.score) if float(person.score).is_integer() else person.score


def _packing_sheet(packing: Sequence[PackingLine], pickup: str) -> Sheet:
    rows = ((line.site, line.when or pickup, line.tour_id or None, line.item, line.count) for line in packing)
    return Sheet("Упаковка", ("Площадка", "Когда / где", "ID экскурсии", "Приз", "Количество"), rows,
                 title="Сколько призов везти на каждую экскурсию и в пункт выдачи", borders=True, print_ready=True)


def _pickup_sheet(found: Sequence[Collection], people: dict[str, Registrant], pickup: str) -> Sheet:
    rows = ((c.award.registrant_id, people[c.award.registrant_id].full_name if c.award.registrant_id in people else "",
             people[c.award.registrant_id].phone if c.award.registrant_id in people else "", c.item.name,
             c.handed is not None)
            for c in found)
    columns = (Column("ID VK"), Column("ФИО"), Column("Телефон"), Column("Приз"), Column("Вручён", yes_no=True))
    return Sheet("Пункт выдачи", columns, rows, title=f"Пункт выдачи: {pickup}" if pickup else "Пункт выдачи",
                 borders=True, print_ready=True)
