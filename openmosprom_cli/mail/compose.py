"""Composing the roster emails that factories receive.

The subject and body come from the email template (mail/template.py); this
module fills in its placeholders for one factory, in Russian, tells what
changed since the factory's last roster, and builds the message with the
roster attached.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from email.utils import format_datetime, make_msgid
from pathlib import Path

from openmosprom_cli.errors import BadDataError, MissingInputError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.files import safe_file_name
from openmosprom_cli.io.values import split_name_and_address
from openmosprom_cli.mail.addresses import MailAddress, UnusableAddress, mail_address, mail_addresses
from openmosprom_cli.mail.template import EmailTemplate
from openmosprom_cli.mail.wire import (
    Attachment,
    OutgoingMessage,
    address_list_field,
    mailbox_field,
    message_bytes,
    unstructured_field,
)
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.rosters.build import STANDBY, VISITOR
from openmosprom_cli.settings import Settings

UPDATE_MARK = "Обновлённый список"
TEST_MARK = "[ТЕСТ]"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
FALLBACK_DOMAIN = "openmosprom.invalid"
SITE_HEADER = "X-Openmosprom-Site"
FINGERPRINT_HEADER = "X-Openmosprom-Roster-Fingerprint"
TEST_HEADER = "X-Openmosprom-Test"

_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
_WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


@dataclass(frozen=True)
class Visitor:
    """One line of an exported roster, as recorded in ``roster_exports.visitors``: a visitor or on standby."""

    id: str
    name: str
    tour_id: str
    companions: int = 0
    when: str = ""      # the tour's start as it was then, ``YYYY-MM-DDTHH:MM``; "" in records of earlier releases
    role: str = VISITOR  # or STANDBY; records of earlier releases hold only visitors

    @property
    def party_size(self) -> int:
        return 1 + self.companions


def visitors_from_json(text: str) -> tuple[Visitor, ...]:
    return tuple(
        Visitor(id=str(v["id"]), name=str(v.get("name", "")), tour_id=str(v.get("tour_id", "")),
                companions=int(v.get("companions") or 0), when=str(v.get("when", "")),
                role=STANDBY if v.get("role") == STANDBY else VISITOR)
        for v in json.loads(text or "[]")
    )


def visitors_to_json(visitors: tuple[Visitor, ...]) -> str:
    return json.dumps([{"id": v.id, "name": v.name, "tour_id": v.tour_id, "companions": v.companions,
                        **({"when": v.when} if v.when else {}), "role": v.role}
                       for v in visitors], ensure_ascii=False)


def split_roles(listed: tuple[Visitor, ...]) -> tuple[tuple[Visitor, ...], tuple[Visitor, ...]]:
    """(the visitors, the people on standby)."""
    return (tuple(v for v in listed if v.role != STANDBY), tuple(v for v in listed if v.role == STANDBY))


@dataclass(frozen=True)
class RosterChanges:
    """How a roster differs from the one last sent to the factory."""

    added: tuple[Visitor, ...] = ()
    removed: tuple[Visitor, ...] = ()
    moved: tuple[tuple[Visitor, Visitor], ...] = ()    # (before, after): same person, another tour
    renamed: tuple[tuple[Visitor, Visitor], ...] = ()  # (before, after): same person and tour, name corrected
    retimed: tuple[tuple[str, str, str], ...] = ()     # (tour, start before, start now): the tour was moved
    standby_joined: tuple[Visitor, ...] = ()
    standby_left: tuple[Visitor, ...] = ()             # not counting those who now have a seat on that tour

    @property
    def anyone(self) -> bool:
        return bool(self.added or self.removed or self.moved or self.renamed or self.retimed
                    or self.standby_joined or self.standby_left)


def _by_name(visitors: Iterable[Visitor]) -> tuple[Visitor, ...]:
    return tuple(sorted(visitors, key=lambda v: (v.name.casefold(), v.id, v.tour_id)))


def diff_visitors(before: tuple[Visitor, ...], after: tuple[Visitor, ...]) -> RosterChanges:
    """Who was added, removed, or moved to another tour, and who joined or left a standby.

    A person may be on several tours of one site. Someone who leaves a tour's
    standby for a seat on it is told as added, not as leaving the standby.
    """
    (old_visitors, old_standby), (new_visitors, new_standby) = split_roles(before), split_roles(after)
    seated = {(v.id, v.tour_id) for v in new_visitors}
    was_standby = {(v.id, v.tour_id): v for v in old_standby}
    now_standby = {(v.id, v.tour_id): v for v in new_standby}
    return replace(
        _diff_visitors(old_visitors, new_visitors),
        standby_joined=_by_name(now_standby[k] for k in now_standby.keys() - was_standby.keys()),
        standby_left=_by_name(was_standby[k] for k in was_standby.keys() - now_standby.keys() if k not in seated),
    )


def _diff_visitors(before: tuple[Visitor, ...], after: tuple[Visitor, ...]) -> RosterChanges:
    old = {(v.id, v.tour_id): v for v in before}
    new = {(v.id, v.tour_id): v for v in after}
    gone = [old[k] for k in old.keys() - new.keys()]
    came = [new[k] for k in new.keys() - old.keys()]
    gone_by_id: dict[str, list[Visitor]] = {}
    came_by_id: dict[str, list[Visitor]] = {}
    for v in gone:
        gone_by_id.setdefault(v.id, []).append(v)
    for v in came:
        came_by_id.setdefault(v.id, []).append(v)
    # One tour lost and one gained by the same person reads better as a move.
    moved_ids = {i for i in gone_by_id.keys() & came_by_id.keys()
                 if len(gone_by_id[i]) == 1 and len(came_by_id[i]) == 1}
    return RosterChanges(
        added=_by_name(v for v in came if v.id not in moved_ids),
        removed=_by_name(v for v in gone if v.id not in moved_ids),
        moved=tuple(sorted(((gone_by_id[i][0], came_by_id[i][0]) for i in moved_ids),
                           key=lambda pair: (pair[1].name.casefold(), pair[1].id))),
        renamed=tuple(sorted(((old[k], new[k]) for k in old.keys() & new.keys() if old[k].name != new[k].name),
                             key=lambda pair: (pair[1].name.casefold(), pair[1].id, pair[1].tour_id))),
        retimed=tuple(sorted({(old[k].tour_id, old[k].when, new[k].when) for k in old.keys() & new.keys()
                              if old[k].when and new[k].when and old[k].when != new[k].when})),
    )


@dataclass(frozen=True)
class RosterLetter:
    """Everything one message to one factory says."""

    site: Site
    tours: tuple[Tour, ...]               # the site's tours that take place
    visitors: tuple[Visitor, ...]
    roster_path: Path
    fingerprint: str
    changes: RosterChanges | None = None  # None: the first roster this factory gets
    standby: tuple[Visitor, ...] = ()
    cancelled: tuple[tuple[Tour, str], ...] = ()  # the site's cancelled tours, with why
    roster_sha256: str = ""               # the exported workbook's; when given, other bytes are never attached

    @property
    def is_update(self) -> bool:
        return self.changes is not None

    @property
    def listed(self) -> tuple[Visitor, ...]:
        """Everyone the roster names, visitors and standby, as recorded for telling the next update's changes."""
        return self.visitors + self.standby


# -- rendering ----------------------------------------------------------------

def confirmation_deadline(letter: RosterLetter) -> dt.date | None:
    """The earliest tour minus the site's lead days; None when there is no tour."""
    dates = [t.date for t in letter.tours]
    if not dates:
        return None
    return min(dates) - dt.timedelta(days=letter.site.roster_lead_days)


def deadline_phrase(deadline: dt.date | None, today: dt.date) -> str:
    if deadline is None or deadline < today:
        return "как можно скорее"
    return f"до {deadline:%d.%m.%Y} ({_WEEKDAYS[deadline.weekday()]})"


def _tour_label(tour: Tour | None, tour_id: str) -> str:
    if tour is None:
        return tour_id
    return f"{tour.date:%d.%m.%Y} ({_WEEKDAYS_SHORT[tour.date.weekday()]}), {tour.start:%H:%M}"


def _tour_lines(letter: RosterLetter) -> str:
    people: dict[str, int] = {}
    for visitor in letter.visitors:
        people[visitor.tour_id] = people.get(visitor.tour_id, 0) + visitor.party_size
    standby: dict[str, int] = {}
    for waiting in letter.standby:
        standby[waiting.tour_id] = standby.get(waiting.tour_id, 0) + 1
    tours = {t.tour_id: t for t in letter.tours}
    lines = [f"  • {_tour_label(t, t.tour_id)} — {people.get(t.tour_id, 0)} чел."
             + (f", в резерве {standby[t.tour_id]}" if standby.get(t.tour_id) else "") for t in letter.tours]
    # Visitors of a tour that is no longer in the season still belong in the letter.
    lines += [f"  • {_tour_label(None, tid)} — {n} чел." for tid, n in sorted(people.items()) if tid not in tours]
    lines += [f"  • {_tour_label(t, t.tour_id)} — отменена: {_one_line(reason)}" for t, reason in letter.cancelled]
    return "\n".join(lines) if lines else "  (экскурсий нет)"


def _tour_names(letter: RosterLetter) -> dict[str, str]:
    """Tour ID → how a line of the changes names it; a cancelled tour says so."""
    names = {t.tour_id: f"{_tour_label(t, t.tour_id)} (экскурсия отменена)" for t, _ in letter.cancelled}
    names.update({t.tour_id: _tour_label(t, t.tour_id) for t in letter.tours})
    return names


def _changes_text(letter: RosterLetter) -> str:
    if letter.changes is None:
        return ""
    names = _tour_names(letter)

    def tour(tour_id: str) -> str:
        return names.get(tour_id, tour_id)

    changes = letter.changes
    # The email is Russian whatever the interface's language: its words are not the interface's messages.
    lines = ["", f"{UPDATE_MARK}: с прошлого письма список изменился."]
    if changes.added:
        lines.append("Добавлены:")  # not a message
        lines += [f"  + {v.name} — {tour(v.tour_id)}" for v in changes.added]
    if changes.removed:
        lines.append("Исключены:")  # not a message
        lines += [f"  − {v.name} — {tour(v.tour_id)}" for v in changes.removed]
    if changes.moved:
        lines.append("Переведены на другую экскурсию:")  # not a message
        lines += [f"  → {after.name}: {tour(after.tour_id)} (было {tour(before.tour_id)})"
                  for before, after in changes.moved]
    if changes.renamed:
        lines.append("Исправлены имена:")  # not a message
        lines += [f"  ✎ {after.name} (было: {before.name})" for before, after in changes.renamed]
    if changes.retimed:
        lines.append("Изменилось время экскурсий (посетители те же):")  # not a message
        lines += [f"  ⏰ {_when_label(now)} (было {_when_label(before)})" for _, before, now in changes.retimed]
    if changes.standby_joined:
        lines.append("В резерве добавлены:")  # not a message
        lines += [f"  + {v.name} — {tour(v.tour_id)}" for v in changes.standby_joined]
    if changes.standby_left:
        lines.append("В резерве больше нет:")  # not a message
        lines += [f"  − {v.name} — {tour(v.tour_id)}" for v in changes.standby_left]
    if not changes.anyone:
        lines.append("Состав посетителей прежний, изменились их данные (например, число гостей "  # not a message
                     "или приз к выдаче) или сведения об экскурсиях.")  # not a message
    lines.append("Пожалуйста, используйте новый список из этого письма вместо прежнего.")  # not a message
    return "\n".join(lines) + "\n"


def _when_label(when: str) -> str:
    moment = dt.datetime.fromisoformat(when)
    return f"{moment:%d.%m.%Y} ({_WEEKDAYS_SHORT[moment.weekday()]}), {moment:%H:%M}"


def attachment_name(site: Site) -> str:
    """``Список_<site name>.xlsx``, safe on every mail client's file system; Cyrillic kept."""
    stem = safe_file_name(f"Список_{site.name or site.site_id}", fallback=f"Список_{site.site_id}")
    return stem.replace(" ", "_") + ".xlsx"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def render_letter(letter: RosterLetter, settings: Settings, template: EmailTemplate,
                  today: dt.date) -> tuple[str, str]:
    """The subject and body of ``letter``, in Russian."""
    values = {
        "site_name": _one_line(letter.site.name or letter.site.site_id),
        "site_id": _one_line(letter.site.site_id),
        "site_address": _one_line(letter.site.address),
        "tours": _tour_lines(letter),
        "visitors_total": str(sum(v.party_size for v in letter.visitors)),
        "deadline": deadline_phrase(confirmation_deadline(letter), today),
        "attachment_name": attachment_name(letter.site),
        "changes": _changes_text(letter),
        "organizer_name": _one_line(settings.organizer_name),
        "organizer_email": _one_line(settings.organizer_email),
        "organizer_phone": _one_line(settings.organizer_phone),
    }
    subject = _one_line(string.Template(template.subject).substitute(values))
    if letter.is_update:
        subject = f"{UPDATE_MARK} — {subject}"
    body = string.Template(template.body).substitute(values)
    if letter.is_update and "$changes" not in template.body and "${changes}" not in template.body:
        # An edited template may have dropped $changes; the factory must still learn what changed.
        body = values["changes"].lstrip("\n") + "\n" + body
    body = re.sub(r"\n{3,}", "\n\n", body)
    return subject, body


# -- the message ---------------------------------------------------------------

def sender_address(settings: Settings) -> MailAddress:
    """The address of ``[smtp] sender`` as SMTP carries it; UnusableAddress when it is not one."""
    return mail_address(split_name_and_address(settings.smtp.sender)[1])


def sender_name(settings: Settings) -> str:
    """The display name of ``From:``: ``[smtp] sender``'s own, else ``[organizer] name``: factories see who writes."""
    return _one_line(split_name_and_address(settings.smtp.sender)[0] or settings.organizer_name)


def new_message_id(settings: Settings) -> str:
    for address in (split_name_and_address(settings.smtp.sender)[1], settings.organizer_email):
        with contextlib.suppress(UnusableAddress):
            return make_msgid(idstring="roster", domain=mail_address(address).text.rpartition("@")[2])
    return make_msgid(idstring="roster", domain=FALLBACK_DOMAIN)


def _recipients(site: Site, addresses: Iterable[str]) -> tuple[MailAddress, ...]:
    try:
        return mail_addresses(addresses)
    except UnusableAddress as exc:
        raise BadDataError(_("the roster addresses of {site} cannot be used: {reason}").format(
            site=site.site_id, reason=exc), hint=_("Correct «Email для списков» in its schedule and import it again.")
                           ) from None


def compose_message(letter: RosterLetter, settings: Settings, template: EmailTemplate, *, message_id: str,
                    now: dt.datetime, test_to: str | None = None, repeats: str = "") -> OutgoingMessage:
    """The message for ``letter``: To the site's roster addresses, or only ``test_to`` for a trial send.

    The roster workbook is attached byte for byte; its Cyrillic file name is
    encoded per RFC 2231. A deliberate resend ``repeats`` the Message-ID of the
    roster's first delivery: it refers to it (``In-Reply-To``, ``References``),
    so a mail client threads the two and no receiver drops the resend as a
    duplicate of it. The same arguments (and workbook) give the same bytes.
    """
    empty = not letter.visitors and not letter.is_update
    subject, body = (_empty_notice(letter, settings) if empty
                     else render_letter(letter, settings, template, now.date()))
    if test_to:
        subject = f"{TEST_MARK} {subject}"
        body = ("Это тестовое письмо. Настоящее письмо получили бы: "
                + ", ".join(letter.site.roster_emails) + ".\n\n" + body)
    attachment = None
    if not empty:
        try:
            data = letter.roster_path.read_bytes()
        except OSError as exc:
            raise MissingInputError(_("cannot read the roster {file}: {reason}").format(
                file=letter.roster_path, reason=exc.strerror or exc),
                hint=_("Export it again with `openmosprom rosters export`.")) from None
        if letter.roster_sha256 and hashlib.sha256(data).hexdigest() != letter.roster_sha256:
            # Checked again here, where the bytes are read: the file may have changed since the batch checked it.
            raise BadDataError(_("the roster of {site} ({file}) is not the one last exported; refusing to attach "
                                 "it").format(site=letter.site.site_id, file=letter.roster_path),
                               hint=_("Run `openmosprom rosters export` again, then `openmosprom rosters email`."))
        attachment = Attachment(data, "/".join(XLSX_TYPE), attachment_name(letter.site))
    sender = sender_address(settings)
    recipients = _recipients(letter.site, [test_to] if test_to else letter.site.roster_emails)
    fields = [mailbox_field("From", sender_name(settings), sender.text),
              address_list_field("To", [a.text for a in recipients])]
    addresses = [sender, *recipients]
    if settings.organizer_email:
        reply_to = mail_address(settings.organizer_email)
        fields.append(mailbox_field("Reply-To", _one_line(settings.organizer_name), reply_to.text))
        addresses.append(reply_to)
    fields += [unstructured_field("Subject", subject),
               unstructured_field("Date", format_datetime(now if now.tzinfo else now.astimezone())),
               unstructured_field("Message-ID", message_id)]
    if repeats:
        fields += [unstructured_field("In-Reply-To", repeats), unstructured_field("References", repeats)]
    fields += [unstructured_field(SITE_HEADER, letter.site.site_id),
               unstructured_field(FINGERPRINT_HEADER, letter.fingerprint)]
    if test_to:
        fields.append(unstructured_field(TEST_HEADER, "yes"))
    smtputf8 = any(a.needs_smtputf8 for a in addresses)
    return OutgoingMessage(message_bytes(fields, body, attachment, message_id=message_id, smtputf8=smtputf8),
                           subject=subject, smtputf8=smtputf8)


def _empty_notice(letter: RosterLetter, settings: Settings) -> tuple[str, str]:
    """A short word to a factory nobody is coming to (``--include-empty``): no list, nothing to confirm."""
    site = _one_line(letter.site.name or letter.site.site_id)
    tours = "\n".join(f"  • {_tour_label(t, t.tour_id)}" for t in letter.tours) or "  (экскурсий нет)"
    contact = ", ".join(_one_line(part) for part in (settings.organizer_name, settings.organizer_phone,
                                                     settings.organizer_email) if part)
    body = (f"Здравствуйте!\n\nНа экскурсии «Открой#Моспром» на площадке «{site}» посетители не записаны:\n{tours}\n\n"
            "Список посетителей не нужен и подтверждать ничего не требуется. Если кто-то запишется, мы пришлём "
            f"список отдельным письмом.\n\n{contact}\n")
    return f"«Открой#Моспром»: на экскурсии посетителей нет — {site}", body
