"""The outbox: roster emails as rows of ``season.db``, delivered exactly once as far as SMTP allows.

A message's row goes ``draft`` → ``sending`` (committed before the DATA
command) → ``sent`` (committed once the server accepted it), or ``failed``
with the server's answer. A row still in ``sending`` when no run holds the
season lock was interrupted mid-delivery: the server may or may not have
accepted it, so it is shown as ``unknown`` and sent again only when the
organizer asks. The whole batch holds the season's run lock, so two runs
never deliver the same message.

A message whose outcome is unknown goes again as itself (a mailbox that has it
drops the copy); a deliberate ``--resend`` of a delivered roster is a new message
that refers to the first delivery, so that no receiver takes it for a duplicate.

The rows live in ``store/outbox.py``; the SMTP connection in ``mail/smtp.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from openmosprom_cli.errors import BadDataError, Location, MissingInputError, Problem, TemporaryFailure
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.io.files import atomic_write_bytes, inside, safe_file_name
from openmosprom_cli.io.values import split_name_and_address
from openmosprom_cli.mail.addresses import UnusableAddress, mail_address
from openmosprom_cli.mail.compose import (
    RosterLetter,
    Visitor,
    attachment_name,
    compose_message,
    diff_visitors,
    new_message_id,
    split_roles,
    visitors_from_json,
    visitors_to_json,
)
from openmosprom_cli.mail.template import EmailTemplate, load_template
from openmosprom_cli.mail.wire import OutgoingMessage
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.progress import tracked
from openmosprom_cli.rosters.files import ExportedFile, check_exported_files
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.settings import SETTINGS_FILE, Settings
from openmosprom_cli.store.changes import COMMITTED_BY_ROSTER, add_publication, last_change_id
from openmosprom_cli.store.outbox import (
    OutboxRow,
    delete_message,
    insert_message,
    load_outbox_history,
    set_message_state,
    update_message,
)
from openmosprom_cli.store.rosters import load_roster_exports
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_cancelled_tours, load_tours

if TYPE_CHECKING:
    from openmosprom_cli.allocation.current import CurrentAllocation
    from openmosprom_cli.mail.smtp import DeliveryInterrupted

OUTBOX_DIR = "outbox"

DRAFT, SENDING, SENT, FAILED, UNKNOWN = "draft", "sending", "sent", "failed", "unknown"
NEW, UPDATE, TEST = "new", "update", "test"

# What a batch did with each site's message.
WROTE_DRAFT = "draft written"
UP_TO_DATE = "up to date"
LEFT_UNKNOWN = "unknown, not sent"
NO_ADDRESS = "no roster email"
NO_VISITORS = "no visitors, not sent"
DELIVERED = "sent"
REFUSED = "failed"

Confirm = Callable[[str, Sequence["BatchItem"]], bool]
"""Asked ``("unknown", items)`` before resending interrupted messages, ``("resend", items)`` before
resending delivered ones; returns whether to go ahead."""


@dataclass(frozen=True)
class BatchItem:
    """One site's message in a batch and what happened to it."""

    site_id: str
    site_name: str
    recipients: tuple[str, ...]
    tours: tuple[str, ...]        # "DD.MM HH:MM" of the site's tours
    visitors: int                 # people, companions included
    attachment: str
    message_id: str
    kind: str
    outcome: str
    eml_path: Path | None = None
    added: int = 0
    removed: int = 0
    error: str = ""


@dataclass(frozen=True)
class BatchResult:
    items: tuple[BatchItem, ...]
    sent: bool
    test_to: str | None = None

    def count(self, outcome: str) -> int:
        return sum(item.outcome == outcome for item in self.items)


@dataclass(frozen=True)
class _Export:
    site_id: str
    fingerprint: str
    visitors: tuple[Visitor, ...]
    path: Path
    standby: tuple[Visitor, ...] = ()
    sha256: str = ""


def _load_exports(conn: sqlite3.Connection, season: Season) -> dict[str, _Export]:
    exports = {}
    for row in load_roster_exports(conn):
        path = Path(row.path)
        visitors, standby = split_roles(visitors_from_json(row.visitors_json))
        exports[row.site_id] = _Export(
            site_id=row.site_id, fingerprint=row.fingerprint, visitors=visitors, standby=standby,
            path=path if path.is_absolute() else season.path / path, sha256=row.sha256,
        )
    return exports


def _select_sites(sites: dict[str, Site], exports: dict[str, _Export], wanted: Sequence[str]) -> list[str]:
    if not wanted:
        return [site_id for site_id in sorted(exports) if site_id in sites]
    unknown = [s for s in dict.fromkeys(wanted) if s not in sites]
    if unknown:
        raise BadDataError(
            _("no such site: {sites}").format(sites=", ".join(unknown)),
            [Problem(Location("--site"), Msg("{site} is not a site of this season", site=repr(s))) for s in unknown],
            hint=_("`openmosprom schedules list` shows the site IDs."),
        )
    missing = [s for s in dict.fromkeys(wanted) if s not in exports]
    if missing:
        raise MissingInputError(_("no roster has been exported for {sites}").format(sites=", ".join(missing)),
                                hint=_("Run `openmosprom rosters export` first."))
    return list(dict.fromkeys(wanted))


# -- planning ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Plan:
    """What to do for one site, decided while holding the season lock."""

    site: Site
    letter: RosterLetter
    action: str                   # draft | resend | unknown | up to date | no address
    message_id: str
    kind: str
    row_state: str | None         # the existing row's state; None for a new message
    eml_name: str                 # file name in <season>/outbox/; the row stores it as "outbox/<name>"
    stale: tuple[OutboxRow, ...] = ()     # unsent drafts superseded by this plan: deleted, never sent
    repeats: str = ""             # a resend's: the Message-ID of the roster's first delivery, which it refers to
    message: OutgoingMessage | None = field(default=None, compare=False)


def _eml_name(site_id: str, kind: str, fingerprint: str, *, resend: int = 0) -> str:
    stem = f"{site_id}-{kind}-{fingerprint[:12]}" + (f"-resend{resend}" if resend else "")  # not a message
    return safe_file_name(stem, fallback="message", suffix=".eml")


def _plan_site(site: Site, export: _Export, tours: tuple[Tour, ...], rows: list[OutboxRow],
               settings: Settings, *, include_empty: bool = False, resend: bool = False,
               cancelled: tuple[tuple[Tour, str], ...] = ()) -> _Plan:
    """Decide one site's message from its outbox history (``rows``: oldest first, trial sends excluded).

    With ``resend``, a roster already delivered is planned as a new message that repeats the first delivery.
    """
    sent = [r for r in rows if r.state == SENT]
    last_sent = max(sent, key=lambda r: (r.sent_at or "", r.seq)) if sent else None
    unsent = [r for r in rows if r.state in (DRAFT, FAILED)]
    pending = [r for r in rows if r.fingerprint == export.fingerprint and r.state != SENT
               and (last_sent is None or r.seq > last_sent.seq)]

    def letter(previous: OutboxRow | None) -> RosterLetter:
        changes = (diff_visitors(visitors_from_json(previous.visitors_json), export.visitors + export.standby)
                   if previous else None)
        return RosterLetter(site=site, tours=tours, visitors=export.visitors, roster_path=export.path,
                            fingerprint=export.fingerprint, changes=changes, standby=export.standby,
                            cancelled=cancelled, roster_sha256=export.sha256)

    if last_sent is not None and last_sent.fingerprint == export.fingerprint:
        earlier = [r for r in sent if r.seq < last_sent.seq and r.fingerprint != export.fingerprint]
        previous = max(earlier, key=lambda r: (r.sent_at or "", r.seq)) if earlier else None
        since = max((r.seq for r in sent if r.fingerprint != export.fingerprint), default=-1)
        deliveries = [r for r in sent if r.fingerprint == export.fingerprint and r.seq > since]
        first = deliveries[0].message_id
        current = pending[-1] if pending else None
        if current is not None and current.state == SENDING:
            # A resend interrupted mid-delivery: if it goes again, it goes as itself.
            return _Plan(site, letter(previous), LEFT_UNKNOWN, current.message_id, current.kind, SENDING,
                         Path(current.eml_path).name, stale=tuple(unsent), repeats=first)
        if resend:
            # A draft of an earlier --resend (a dry run, or a declined or refused one) keeps its Message-ID.
            return _Plan(site, letter(previous), UP_TO_DATE,
                         current.message_id if current else new_message_id(settings), last_sent.kind,
                         current.state if current else None,
                         _eml_name(site.site_id, last_sent.kind, export.fingerprint, resend=len(deliveries)),
                         stale=tuple(r for r in unsent if r is not current), repeats=first)
        return _Plan(site, letter(previous), UP_TO_DATE, last_sent.message_id, last_sent.kind, SENT,
                     Path(last_sent.eml_path).name or _eml_name(site.site_id, last_sent.kind, export.fingerprint),
                     stale=tuple(unsent))

    kind = UPDATE if last_sent is not None else NEW
    row_state: str | None
    if pending:
        current = pending[-1]
        action = LEFT_UNKNOWN if current.state == SENDING else DRAFT
        message_id, row_state = current.message_id, current.state
    else:
        action, message_id, row_state = DRAFT, new_message_id(settings), None
    if not site.roster_emails:
        action = NO_ADDRESS
    elif last_sent is None and not export.visitors and not include_empty:
        # A first list with nobody on it asks a factory to confirm nothing; one that was sent and emptied
        # still goes out, so the factory learns who was removed.
        action = NO_VISITORS
    return _Plan(site, letter(last_sent), action, message_id, kind, row_state,
                 _eml_name(site.site_id, kind, export.fingerprint),
                 stale=tuple(r for r in unsent if r.message_id != message_id))


def _tour_labels(tours: Iterable[Tour]) -> tuple[str, ...]:
    return tuple(f"{t.date:%d.%m} {t.start:%H:%M}" for t in tours)


def _item(plan: _Plan, outcome: str, *, eml_path: Path | None = None, error: str = "",
          recipients: tuple[str, ...] | None = None, message_id: str | None = None, kind: str | None = None
          ) -> BatchItem:
    changes = plan.letter.changes
    return BatchItem(
        site_id=plan.site.site_id, site_name=plan.site.name,
        recipients=recipients if recipients is not None else plan.site.roster_emails,
        tours=_tour_labels(plan.letter.tours), visitors=sum(v.party_size for v in plan.letter.visitors),
        attachment=attachment_name(plan.site), message_id=message_id or plan.message_id, kind=kind or plan.kind,
        outcome=outcome, eml_path=eml_path, added=len(changes.added) if changes else 0,
        removed=len(changes.removed) if changes else 0, error=error,
    )


# -- the batch ----------------------------------------------------------------------

def email_rosters(season: Season, *, site_ids: Sequence[str] = (), send: bool = False, resend: bool = False,
                  test_to: str | None = None, include_empty: bool = False,
                  confirm: Confirm = lambda reason, items: False) -> BatchResult:
    """Build every site's roster email, write it to ``<season>/outbox/*.eml``, and with ``send`` deliver it.

    Without ``send`` nothing leaves the machine (a dry run). With ``test_to``
    every selected site's message goes to that one address instead, marked
    as a test, and the factories' messages stay as they were. Raises
    :class:`TemporaryFailure` (exit 75) when the server cannot be reached or
    the connection breaks; what was delivered until then stays recorded.
    Before anything is written, refuses (exit 65) every selected site whose
    workbook is not byte for byte the one its export recorded.
    """
    if test_to and not send:
        raise BadDataError.at(Location("--test-to"), Msg("a trial send needs --send as well"))
    with season.lock():
        with season.reader() as conn:
            sites = load_sites(conn)
            exports = _load_exports(conn, season)
            all_tours = load_tours(conn)
            cancelled_tours = load_cancelled_tours(conn)
            history = load_outbox_history(conn, except_kind=TEST)
        selected = _select_sites(sites, exports, site_ids)
        # Before anything is composed: only the bytes the export recorded go out, under its fingerprint.
        check_exported_files(ExportedFile(s, exports[s].path, exports[s].sha256) for s in selected)
        _check_sender(season)
        template = load_template(season.path)
        plans = []
        for site_id in selected:
            site_tours = tuple(t for t in all_tours if t.site_id == site_id)
            cancelled = tuple(c for c in cancelled_tours.values() if c[0].site_id == site_id)
            rows = [r for r in history if r.site_id == site_id]
            plans.append(_plan_site(sites[site_id], exports[site_id], site_tours, rows, season.settings,
                                    include_empty=include_empty, resend=resend, cancelled=cancelled))
        plans = _write_drafts(season, plans, template, resend=resend)
        if not send:
            return BatchResult(tuple(_item(p, _dry_outcome(p, resend), eml_path=_eml_path(season, p))
                                     for p in plans), sent=False)
        if test_to:
            return _send_trial(season, plans, template, test_to)
        return _send_to_factories(season, plans, resend=resend, confirm=confirm)


def write_outbox_drafts(season: Season) -> list[Path]:
    """The dry run: every site's message as a ``.eml`` file in ``<season>/outbox/``; returns the files written."""
    result = email_rosters(season)
    return [item.eml_path for item in result.items if item.outcome == WROTE_DRAFT and item.eml_path]


def _dry_outcome(plan: _Plan, resend: bool) -> str:
    if plan.action == DRAFT or (resend and plan.action in (UP_TO_DATE, LEFT_UNKNOWN)):
        return WROTE_DRAFT
    return plan.action


def _eml_path(season: Season, plan: _Plan) -> Path:
    return inside(season.path / OUTBOX_DIR, Path(plan.eml_name).name)


def _check_sender(season: Season) -> None:
    if not (season.settings.smtp.sender or "").strip():
        raise BadDataError.at(Location(SETTINGS_FILE, column="[smtp] sender"),
                              Msg("is empty; it is the From address of roster emails"),
                              hint=_("Set it, e.g. sender = \"excursions@example.org\"."))
    for column, address in (("[smtp] sender", split_name_and_address(season.settings.smtp.sender)[1]),
                            ("[organizer] email", season.settings.organizer_email)):
        try:
            if address or column == "[smtp] sender":
                mail_address(address)
        except UnusableAddress as exc:
            raise BadDataError.at(Location(SETTINGS_FILE, column=column), exc.args[0]) from None


def _write_drafts(season: Season, plans: list[_Plan], template: EmailTemplate, *, resend: bool) -> list[_Plan]:
    """Compose the messages that may go out, write their ``.eml`` files, and record the drafts in one transaction."""
    now = dt.datetime.now().astimezone().replace(microsecond=0)
    composed = []
    for plan in plans:
        # An unknown message is composed too: the organizer may confirm sending it again.
        goes_out = plan.action in (DRAFT, LEFT_UNKNOWN) or (plan.action == UP_TO_DATE and resend)
        if not goes_out:
            composed.append(plan)
            continue
        message = compose_message(plan.letter, season.settings, template, message_id=plan.message_id, now=now,
                                  repeats=plan.repeats)
        composed.append(replace(plan, message=message))
    # Written only once every message could be composed: a missing roster leaves no partial outbox.
    for plan in composed:
        if plan.message is not None:
            atomic_write_bytes(_eml_path(season, plan), plan.message.data, private=True)
    stamp = now_iso()
    with season.transaction() as conn:
        for plan in composed:
            for row in plan.stale:
                delete_message(conn, row.message_id, if_state_in=(DRAFT, FAILED))
            if plan.message is None or plan.row_state not in (None, DRAFT, FAILED):
                continue
            visitors_json, subject = visitors_to_json(plan.letter.listed), plan.message.subject
            eml_path = f"{OUTBOX_DIR}/{plan.eml_name}"
            if plan.row_state is None:
                insert_message(conn, message_id=plan.message_id, site_id=plan.site.site_id, state=DRAFT,
                               kind=plan.kind, fingerprint=plan.letter.fingerprint, visitors_json=visitors_json,
                               recipients=plan.site.roster_emails, subject=subject, eml_path=eml_path, now=stamp)
            else:
                update_message(conn, plan.message_id, kind=plan.kind, visitors_json=visitors_json,
                               recipients=plan.site.roster_emails, subject=subject, eml_path=eml_path, now=stamp)
    for plan in composed:
        for row in plan.stale:
            if row.eml_path and Path(row.eml_path).name != plan.eml_name:
                with contextlib.suppress(OSError):
                    inside(season.path / OUTBOX_DIR, Path(row.eml_path).name).unlink(missing_ok=True)
    return composed


def _send_to_factories(season: Season, plans: list[_Plan], *, resend: bool, confirm: Confirm) -> BatchResult:
    outcomes: dict[str, BatchItem] = {}
    again = [p for p in plans if p.action == LEFT_UNKNOWN or (resend and p.action == UP_TO_DATE)]
    approved = bool(again) and confirm("resend" if resend else "unknown", [_item(p, p.action) for p in again])
    again_sites = {p.site.site_id for p in again} if approved else set()
    chosen = [p for p in plans if p.action == DRAFT or p.site.site_id in again_sites]
    chosen_sites = {p.site.site_id for p in chosen}
    for plan in plans:
        if plan.site.site_id not in chosen_sites:
            outcomes[plan.site.site_id] = _item(plan, plan.action, eml_path=_eml_path(season, plan))
    if chosen:
        # The SMTP stack (smtplib, ssl, sockets) only when something goes out: a dry run never needs it.
        from openmosprom_cli.mail.smtp import DeliveryInterrupted, MessageRejected, SmtpBatch

        seats = _SeatsToCommit()
        with SmtpBatch(season) as batch:
            for number, plan in enumerate(tracked(chosen, _("Sending the rosters"))):
                assert plan.message is not None, "every message that may go out was composed by _write_drafts"
                try:
                    error = batch.deliver(plan.message, plan.site.roster_emails,
                                          on_data=partial(_mark, season, plan.message_id, SENDING))
                except MessageRejected as rejected:
                    # A refused resend is a row of its own: the earlier delivery stays recorded as sent.
                    _mark(season, plan.message_id, FAILED, error=rejected.answer)
                    outcomes[plan.site.site_id] = _item(plan, REFUSED, error=rejected.answer,
                                                        eml_path=_eml_path(season, plan))
                    continue
                except DeliveryInterrupted as interrupted:
                    if not interrupted.maybe_delivered:
                        _mark(season, plan.message_id, plan.row_state or DRAFT)
                    sent = sum(o.outcome == DELIVERED for o in outcomes.values())
                    raise _batch_stopped(interrupted, plan, sent=sent, left=len(chosen) - number) from None
                _mark_delivered(season, plan, error, seats)
                outcomes[plan.site.site_id] = _item(plan, DELIVERED, error=error, eml_path=_eml_path(season, plan))
    return BatchResult(tuple(outcomes[p.site.site_id] for p in plans), sent=True)


def _send_trial(season: Season, plans: list[_Plan], template: EmailTemplate, test_to: str) -> BatchResult:
    """Every selected site's message to ``test_to`` only; recorded as ``test`` rows, never as the factory's."""
    from openmosprom_cli.mail.smtp import DeliveryInterrupted, MessageRejected, SmtpBatch

    now = dt.datetime.now().astimezone().replace(microsecond=0)
    items = []
    with SmtpBatch(season) as batch:
        for number, plan in enumerate(tracked(plans, _("Sending the test messages"))):
            message_id = new_message_id(season.settings)
            message = compose_message(plan.letter, season.settings, template, message_id=message_id, now=now,
                                      test_to=test_to)
            with season.transaction() as conn:
                insert_message(conn, message_id=message_id, site_id=plan.site.site_id, state=DRAFT, kind=TEST,
                               fingerprint=plan.letter.fingerprint,
                               visitors_json=visitors_to_json(plan.letter.listed), recipients=(test_to,),
                               subject=message.subject, now=now_iso())
            try:
                error = batch.deliver(message, (test_to,), on_data=partial(_mark, season, message_id, SENDING))
            except MessageRejected as rejected:
                _mark(season, message_id, FAILED, error=rejected.answer)
                items.append(_item(plan, REFUSED, error=rejected.answer, recipients=(test_to,),
                                   message_id=message_id, kind=TEST))
                continue
            except DeliveryInterrupted as interrupted:
                if not interrupted.maybe_delivered:
                    _mark(season, message_id, FAILED, error=interrupted.answer)
                raise _batch_stopped(interrupted, plan, sent=sum(i.outcome == DELIVERED for i in items),
                                     left=len(plans) - number) from None
            _mark(season, message_id, SENT, error=error, delivered=True)
            items.append(_item(plan, DELIVERED, error=error, recipients=(test_to,), message_id=message_id, kind=TEST))
    return BatchResult(tuple(items), sent=True, test_to=test_to)


@dataclass
class _SeatsToCommit:
    """The current allocation, read at a batch's first delivery and kept for the rest of the batch.

    A 50,000-person allocation takes ~70 ms to read. Nothing else changes it while the batch holds the season
    lock, and a delivery commits only its own site's seats, which no other message of the batch lists.
    """

    read: bool = False
    allocation: CurrentAllocation | None = None


def _mark_delivered(season: Season, plan: _Plan, error: str, seats: _SeatsToCommit) -> None:
    """The factory has its roster: the message is sent, and the seats it lists are now commitments.

    Sending a roster tells the factory, so it publishes that site's seats: no later allocation takes them.
    """
    # Imported only here, where something was delivered: a dry run never loads the allocation (numpy).
    from openmosprom_cli.allocation.current import current_allocation
    from openmosprom_cli.publication.publish import commit_placements

    with season.transaction() as conn:
        set_message_state(conn, plan.message_id, SENT, error=error, delivered=True, now=now_iso())
        if not seats.read:
            seats.allocation, seats.read = current_allocation(conn), True
        allocation = seats.allocation
        if allocation is None:
            return
        listed = {(v.id, v.tour_id) for v in plan.letter.visitors}
        placed = [p for p in allocation.placements if (p.registrant_id, p.tour_id) in listed]
        commit_placements(conn, allocation, placed, by=COMMITTED_BY_ROSTER + plan.site.site_id)
        add_publication(conn, at=now_iso(), kind="email", run_id=allocation.run_id, change_id=last_change_id(conn),
                        site_id=plan.site.site_id, people=len(placed))


def _mark(season: Season, message_id: str, state: str, *, error: str | None = None,
          delivered: bool = False) -> None:
    """Move one message to ``state`` in its own committed transaction; ``error=None`` keeps the stored answer."""
    with season.transaction() as conn:
        set_message_state(conn, message_id, state, error=error, delivered=delivered, now=now_iso())


def _batch_stopped(interrupted: DeliveryInterrupted, plan: _Plan, *, sent: int, left: int) -> TemporaryFailure:
    fate = (_("it may or may not have arrived: `openmosprom outbox list` shows it as unknown")
            if interrupted.maybe_delivered else _("it was not delivered"))
    recorded = ngettext("{count} message sent in this run is recorded", "{count} messages sent in this run are "
                        "recorded", sent).format(count=sent)
    return TemporaryFailure(
        _("the SMTP server stopped the batch at {site}: {answer}; {fate}. {recorded}; {left} not sent").format(
            site=plan.site.site_id, answer=interrupted.answer, fate=fate, recorded=recorded, left=left),
        hint=_("Run the same command again later: it sends only what was not delivered."),
    )
