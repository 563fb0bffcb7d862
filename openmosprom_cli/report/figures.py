"""The season's figures for the report: pure computations over who registered, who sat where and who came.

Every number of ``report.xlsx`` and of the terminal summary is computed here,
from plain inputs, so that the tests can recompute them from the season's data
by another route. Definitions:

- **seats offered** are the capacities of the tours that take place; **filled**
  the seats held on them now (the current run with every change since);
- **demand** is each person's first choice (a tour, or a site: either counts
  for the site), against the site's seats;
- **choice satisfaction** is the best-ranked choice each person holds a seat
  for; people without a seat are "none", those who cancelled are counted apart;
- **score deciles** split everyone, highest score first, into ten groups of
  equal size (the first decile the most active);
- **parties** are registrants with guests, **singles** those without;
- **promotions from the waitlists** are the seats that runs after the first
  gave to people waiting (incremental runs: what was freed went to the next in
  line); moves, cancellations and cut or cancelled tours come from the log of
  changes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.attendance.status import AttendanceCounts, SeatAttendance, count_attendance, counts_by
from openmosprom_cli.changes.seats import CANCELLED, CAPACITY_CUT, MOVED, TOUR_CANCELLED, UNASSIGNED
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.store.changes import ChangeRow

if TYPE_CHECKING:
    from openmosprom_cli.prizes.current import CurrentPrizes

MAX_RANK_SHOWN = 5


@dataclass(frozen=True)
class SeatLine:
    key: str
    label: str
    tours: int
    offered: int
    filled: int

    @property
    def share(self) -> float:
        return self.filled / self.offered if self.offered else 0.0


@dataclass(frozen=True)
class DemandLine:
    site_id: str
    label: str
    first_choices: int
    seats: int

    @property
    def per_seat(self) -> float:
        return self.first_choices / self.seats if self.seats else 0.0


@dataclass(frozen=True)
class CountLine:
    """A labelled count, and its share of the whole it belongs to."""

    key: str
    label: str
    people: int
    share: float


@dataclass(frozen=True)
class DecileLine:
    decile: int
    min_score: float
    max_score: float
    people: int
    placed: int

    @property
    def share(self) -> float:
        return self.placed / self.people if self.people else 0.0


@dataclass(frozen=True)
class PartyLine:
    key: str          # singles | parties
    label: str
    people: int
    placed: int
    seats: int        # seats their parties hold

    @property
    def share(self) -> float:
        return self.placed / self.people if self.people else 0.0


@dataclass(frozen=True)
class SiteAttendance:
    site_id: str
    label: str
    tours_returned: int
    tours_held: int        # tours that took place (not after today), with seats
    counts: AttendanceCounts


@dataclass(frozen=True)
class ChangeLine:
    key: str
    label: str
    events: int
    seats: int


@dataclass(frozen=True)
class PrizeLine:
    item: str
    given: int
    handed_out: int
    left: int


def prize_lines(prizes: CurrentPrizes | None) -> tuple[PrizeLine, ...] | None:
    """Per catalogue item, best first: how many were won, handed out, and are left in stock; None before a draw."""
    if prizes is None:
        return None
    given = Counter(award.item_id for award in prizes.awards)
    handed = Counter(award.item_id for award in prizes.awards if prizes.is_handed(award))
    return tuple(PrizeLine(item.name, given[item.item_id], handed[item.item_id], item.stock - given[item.item_id])
                 for item in prizes.items)


@dataclass(frozen=True)
class SeasonFigures:
    window_start: dt.date
    window_end: dt.date
    has_run: bool
    registrants: int
    placed: int                                 # people holding a seat now
    cancelled_people: int
    tours: int                                  # that take place
    cancelled_tours: int
    seats_offered: int
    seats_filled: int
    by_site: tuple[SeatLine, ...]
    by_day: tuple[SeatLine, ...]
    demand: tuple[DemandLine, ...]
    no_first_choice: int                        # listed nothing, or nothing of this season
    choices: tuple[CountLine, ...]
    deciles: tuple[DecileLine, ...]
    parties: tuple[PartyLine, ...]
    attendance: tuple[SiteAttendance, ...]      # () before any attendance was imported
    attendance_totals: AttendanceCounts
    changes: tuple[ChangeLine, ...]
    prizes: tuple[PrizeLine, ...] | None = None  # None: not drawn yet

    @property
    def has_attendance(self) -> bool:
        return bool(self.attendance)


# -- seats ------------------------------------------------------------------------------------------------

def filled_by_tour(placements: Iterable[Placement]) -> Counter[str]:
    filled: Counter[str] = Counter()
    for p in placements:
        filled[p.tour_id] += p.seats
    return filled


def seat_lines(tours: Sequence[Tour], sites: Mapping[str, Site], filled: Mapping[str, int]
               ) -> tuple[tuple[SeatLine, ...], tuple[SeatLine, ...]]:
    """Seats offered and filled per site (by name) and per day."""
    site_rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    day_rows: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for tour in tours:
        for row in (site_rows[tour.site_id], day_rows[tour.date]):
            row[0] += 1
            row[1] += tour.capacity
            row[2] += filled.get(tour.tour_id, 0)
    by_site = sorted((SeatLine(s, sites[s].name if s in sites else s, *row) for s, row in site_rows.items()),
                     key=lambda line: (line.label.casefold(), line.key))
    by_day = [SeatLine(d.isoformat(), f"{d:%d.%m.%Y}", *row) for d, row in sorted(day_rows.items())]
    return tuple(by_site), tuple(by_day)


def demand_lines(first_choices: Iterable[tuple[str | None, int]], tour_sites: Mapping[str, str],
                 sites: Mapping[str, Site], by_site: Sequence[SeatLine]) -> tuple[tuple[DemandLine, ...], int]:
    """Per site: how many people chose it first, against its seats; and how many chose nothing of the season."""
    wanted: Counter[str] = Counter()
    nowhere = 0
    for choice, people in first_choices:
        site = tour_sites.get(choice) if choice else None
        if site is None and choice in sites:
            site = choice
        if site is None:
            nowhere += people
        else:
            wanted[site] += people
    seats = {line.key: line.offered for line in by_site}
    keys = sorted(set(wanted) | set(seats), key=lambda s: ((sites[s].name if s in sites else s).casefold(), s))
    return tuple(DemandLine(s, sites[s].name if s in sites else s, wanted[s], seats.get(s, 0)) for s in keys), nowhere


# -- people -----------------------------------------------------------------------------------------------

def choice_lines(registrants: int, placements: Iterable[Placement], cancelled_without_seat: int
                 ) -> tuple[CountLine, ...]:
    """People by the best-ranked choice they hold a seat for; then those with none, then those who cancelled."""
    best: dict[str, int] = {}
    for p in placements:
        best[p.registrant_id] = min(p.choice_rank, best.get(p.registrant_id, p.choice_rank))
    by_rank = Counter(rank if 1 <= rank <= MAX_RANK_SHOWN else (0 if rank == 0 else MAX_RANK_SHOWN + 1)
                      for rank in best.values())
    lines = [(str(rank), f"{rank}-й выбор", by_rank[rank]) for rank in range(1, MAX_RANK_SHOWN + 1)]
    if by_rank[MAX_RANK_SHOWN + 1]:
        lines.append(("later", f"{MAX_RANK_SHOWN + 1}-й выбор и дальше", by_rank[MAX_RANK_SHOWN + 1]))
    if by_rank[0]:
        lines.append(("organizer", "место дал организатор", by_rank[0]))
    lines.append(("none", "без места", registrants - len(best) - cancelled_without_seat))
    if cancelled_without_seat:
        lines.append(("cancelled", "отказались", cancelled_without_seat))
    return tuple(CountLine(key, label, people, people / registrants if registrants else 0.0)
                 for key, label, people in lines)


def decile_lines(ids: Sequence[str], scores: Sequence[float], placed: set[str] | frozenset[str]
                 ) -> tuple[DecileLine, ...]:
    """``ids`` and ``scores`` highest score first; ten groups of (nearly) equal size, the most active first."""
    n = len(ids)
    lines = []
    for decile in range(10):
        start, end = n * decile // 10, n * (decile + 1) // 10
        if start == end:
            continue
        members = ids[start:end]
        lines.append(DecileLine(decile + 1, float(scores[end - 1]), float(scores[start]), end - start,
                                sum(1 for rid in members if rid in placed)))
    return tuple(lines)


def party_lines(ids: Sequence[str], companions: Sequence[int], placements: Iterable[Placement]
                ) -> tuple[PartyLine, ...]:
    seats: Counter[str] = Counter()
    for p in placements:
        seats[p.registrant_id] += p.seats
    rows = {"singles": [0, 0, 0], "parties": [0, 0, 0]}
    for rid, guests in zip(ids, companions, strict=True):
        row = rows["parties" if guests else "singles"]
        row[0] += 1
        if rid in seats:
            row[1] += 1
            row[2] += seats[rid]
    return (PartyLine("singles", "без гостей", *rows["singles"]),
            PartyLine("parties", "с гостями", *rows["parties"]))


# -- attendance --------------------------------------------------------------------------------------------

def attendance_lines(seats: Sequence[SeatAttendance], tours: Sequence[Tour], sites: Mapping[str, Site],
                     returned: Iterable[str], today: dt.date) -> tuple[SiteAttendance, ...]:
    tour_site = {t.tour_id: t.site_id for t in tours}
    counts = counts_by((s for s in seats if s.tour_id in tour_site), tour_site)
    returned_by_site = Counter(tour_site[t] for t in set(returned) if t in tour_site)
    held_by_site = Counter(t.site_id for t in tours if t.date <= today)
    keys = sorted(set(counts) | set(held_by_site), key=lambda s: ((sites[s].name if s in sites else s).casefold(), s))
    return tuple(SiteAttendance(s, sites[s].name if s in sites else s, returned_by_site[s], held_by_site[s],
                                counts.get(s, AttendanceCounts())) for s in keys)


def attendance_total(seats: Sequence[SeatAttendance], tours: Sequence[Tour]) -> AttendanceCounts:
    active = {t.tour_id for t in tours}
    return count_attendance(s for s in seats if s.tour_id in active)


# -- changes -------------------------------------------------------------------------------------------------

def promotions(runs: Sequence[tuple[str, tuple[Placement, ...], tuple[Placement, ...]]]) -> list[Placement]:
    """Seats the incremental runs gave: (kind, seats just before the run, the run's seats) per run after the first."""
    given: list[Placement] = []
    for kind, before, after in runs:
        if kind != "incremental":
            continue
        had = {(p.registrant_id, p.tour_id) for p in before}
        given.extend(p for p in after if (p.registrant_id, p.tour_id) not in had)
    return given


def change_lines(changes: Iterable[ChangeRow], promoted: Sequence[Placement]) -> tuple[ChangeLine, ...]:
    events: Counter[str] = Counter()
    seats: Counter[str] = Counter()
    for change in changes:
        cause = str(change.detail.get("cause", "")) if change.kind == "unseat" else ""
        key = {"cancel": "cancel", "reinstate": "reinstate", "seat": "seat", "tour_cancel": "tour_cancel",
               "tour_add": "tour_add", "tour_capacity": "tour_capacity", "tour_time": "tour_time"}.get(change.kind)
        if change.kind == "unseat":
            key = {CANCELLED: "freed_by_cancel", TOUR_CANCELLED: "lost_tour_cancel", CAPACITY_CUT: "lost_capacity",
                   UNASSIGNED: "unassigned", MOVED: "moved_from"}.get(cause, "unseat_other")
        if key is None:
            continue
        events[key] += 1
        seats[key] += change.seats or 0
    events["promoted"] = len(promoted)
    seats["promoted"] = sum(p.seats for p in promoted)
    labels = (
        ("promoted", "получили место из листа ожидания"),
        ("cancel", "отказались (человек)"),
        ("freed_by_cancel", "мест освободили отказы"),
        ("reinstate", "отказ отменён"),
        ("seat", "организатор дал место или перевёл"),
        ("moved_from", "из них переведены с другой экскурсии"),
        ("unassigned", "организатор снял с экскурсии"),
        ("tour_cancel", "экскурсий отменено"),
        ("lost_tour_cancel", "мест потеряно из-за отмены экскурсий"),
        ("tour_capacity", "вместимость экскурсий изменена"),
        ("lost_capacity", "мест потеряно из-за уменьшения групп"),
        ("tour_add", "экскурсий добавлено позже"),
        ("tour_time", "экскурсий перенесено"),
        ("unseat_other", "мест снято по другим причинам"),
    )
    return tuple(ChangeLine(key, label, events[key], seats[key]) for key, label in labels
                 if events[key] or key in ("promoted", "cancel", "seat", "tour_cancel"))
