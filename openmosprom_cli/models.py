"""Domain records shared by every pipeline stage. All are frozen dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar

from openmosprom_cli.i18n import Msg


def make_tour_id(site_id: str, date: dt.date, start: dt.time) -> str:
    """Stable, readable tour ID: ``<site_id>-<MMDD>-<HHMM>``."""
    return f"{site_id}-{date:%m%d}-{start:%H%M}"


@dataclass(frozen=True)
class Site:
    site_id: str
    name: str
    industry: str = ""
    address: str = ""
    contact: str = ""
    roster_emails: tuple[str, ...] = ()
    phone: str = ""
    min_age: int = 0
    passport_required: bool = False
    citizens_only: bool = False
    max_tours_per_day: int = 1
    duration_min: int = 90
    roster_lead_days: int = 3
    notes: str = ""
    weight: float | None = None

    @property
    def age_limited(self) -> bool:
        return self.min_age > 0


@dataclass(frozen=True)
class Candidate:
    """One tour a factory offers; generation picks the season's tours from these."""

    site_id: str
    date: dt.date
    start: dt.time
    duration_min: int
    capacity: int
    note: str = ""
    pin: bool = False
    exclude: bool = False
    json_extra: ClassVar[tuple[str, ...]] = ("tour_id",)

    @property
    def tour_id(self) -> str:
        return make_tour_id(self.site_id, self.date, self.start)

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start)

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_min)

    def overlaps(self, other: Candidate | Tour) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Tour:
    """A tour of the season: published, registered for, allocated."""

    tour_id: str
    site_id: str
    date: dt.date
    start: dt.time
    duration_min: int
    capacity: int
    note: str = ""

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start)

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_min)

    @classmethod
    def from_candidate(cls, c: Candidate) -> Tour:
        return cls(c.tour_id, c.site_id, c.date, c.start, c.duration_min, c.capacity, c.note)


@dataclass(frozen=True, slots=True)  # slots: a step holds 200,000 of them at once
class Contact:
    """Who a person is and how to reach them: all that the participants list and the notices show of them."""

    id: str
    full_name: str = ""
    phone: str = ""
    email: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class Registrant:
    """A person registered in the VK mini-app. ``id`` is the VK ID, kept as text."""

    id: str
    full_name: str = ""
    phone: str = ""
    email: str = ""
    birth_date: dt.date | None = None
    score: float = 0.0
    registered_at: dt.datetime | None = None
    choices: tuple[str, ...] = ()
    companions: int = 0
    passport: str = ""
    citizenship: str = ""

    @property
    def party_size(self) -> int:
        return 1 + self.companions


@dataclass(frozen=True)
class ChangeSummary:
    """What an import changed, for the organizer's report."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: int = 0
    details: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Holding:
    """A seat that an allocation must keep: a commitment (announced, or placed by an organizer).

    ``seats`` is the party it was given for; a later import that adds guests
    does not grow it. ``choice_rank`` is the choice it answers (1-based; 0
    for none, as when an organizer put the person on a tour they never chose).
    """

    registrant_id: str
    tour_id: str
    seats: int
    choice_rank: int = 0


# Why a choice did not give a person a seat. Codes are stored in season.db;
# the first text is for organizers in the terminal, a Msg in the interface's language (render it again with
# i18n.render when the language may have changed since this module was imported); the second is the Russian of
# spreadsheets and notifications that visitors and factories see.
OUTCOME_TEXT: dict[str, tuple[str, str]] = {
    "placed": (Msg("placed"), "место выделено"),
    "full": (Msg("no room left for the party"), "мест не осталось"),
    "below_min_age": (Msg("below the site's minimum age on the tour date"), "возраст ниже допустимого"),
    "no_birth_date": (Msg("no birth date, and the site has an age limit"), "не указана дата рождения"),
    "no_passport": (Msg("no passport number, and the site requires one"), "не указан паспорт"),
    "companions_not_allowed": (Msg("the site requires passports and admits no companions"),
                               "на эту площадку нельзя с гостями"),
    "not_citizen": (Msg("the site admits citizens of Russia only"), "только для граждан РФ"),
    "unknown_choice": (Msg("not a tour or site of this season"), "такой экскурсии нет"),
    "limit_reached": (Msg("already has the most tours a person may get"), "уже получено максимальное число экскурсий"),
    "overlaps": (Msg("overlaps a tour the person already has"), "пересекается с другой экскурсией"),
    "not_reached": (Msg("not needed: an earlier choice was granted"),
                    "не рассматривался: выделено место по более раннему выбору"),
    # After publication a seat that was announced is kept (a commitment); its holder chooses no more.
    "held": (Msg("seat kept: it was announced"), "место закреплено"),
    "holds_seat": (Msg("not considered: the person keeps an announced seat"),
                   "не рассматривался: место уже закреплено"),
    # An organizer took the person off this tour (unassign, or a move away): no run gives it back to them.
    "taken_off": (Msg("taken off this tour by the organizers; not given again"),
                  "снят с этой экскурсии организаторами"),
}


@dataclass(frozen=True)
class ChoiceOutcome:
    """What one of a person's choices gave them in an allocation, as stored per choice."""

    rank: int  # 1-based position in the person's list
    choice: str  # as the person gave it: a tour or a site ID
    tour_id: str | None  # the tour it resolved to, if any
    code: str  # a key of OUTCOME_TEXT

    def to_json(self) -> dict:
        return {"rank": self.rank, "choice": self.choice, "tour_id": self.tour_id, "code": self.code}

    @property
    def text_ru(self) -> str:
        return OUTCOME_TEXT.get(self.code, (self.code, self.code))[1]
