"""The outbox: roster emails as rows of ``season.db``, delivered exactly once as far as SMTP allows.

A message's row goes ``draft`` → ``sending`` (committed before the DATA
command) → ``sent`` (committed once the server accepted it), or ``failed``
with the server's answer. A row still in ``sending`` when no run holds the
season lock was interrupted mid-delivery: the server may or may not have
accepted it, so it is shown as ``unknown`` and sent again only when the
organizer asks. The whole batch holds the season's run lock, so two runs
never deliver the same message.

The SMTP password is read only from ``OPENMOSPROM_SMTP_PASSWORD`` and is
scrubbed from every message this module produces.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email.policy
import fcntl
import json
import os
import smtplib
import socket
import sqlite3
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from openmosprom_cli.errors import (
    EX_DATAERR,
    BadDataError,
    Location,
    MissingInputError,
    OpenMospromError,
    Problem,
    TemporaryFailure,
)
from openmosprom_cli.io.files import atomic_write_bytes, inside, safe_file_name
from openmosprom_cli.mail.compose import (
    EmailTemplate,
    RosterLetter,
    Visitor,
    attachment_name,
    compose_message,
    diff_visitors,
    envelope_sender,
    load_template,
    new_message_id,
    visitors_from_json,
    visitors_to_json,
)
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.season.folder import LOCK_FILE, Season, now_iso
from openmosprom_cli.settings import SETTINGS_FILE, Settings
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

PASSWORD_ENV = "OPENMOSPROM_SMTP_PASSWORD"
OUTBOX_DIR = "outbox"

DRAFT, SENDING, SENT, FAILED, UNKNOWN = "draft", "sending", "sent", "failed", "unknown"
NEW, UPDATE, TEST = "new", "update", "test"

# What a batch did with each site's message.
WROTE_DRAFT = "draft written"
UP_TO_DATE = "up to date"
LEFT_UNKNOWN = "unknown, not sent"
NO_ADDRESS = "no roster email"
DELIVERED = "sent"
REFUSED = "failed"

Confirm = Callable[[str, Sequence["BatchItem"]], bool]
"""Asked ``("unknown", items)`` before resending interrupted messages, ``("resend", items)`` before
resending delivered ones; returns whether to go ahead."""


class SmtpConfigError(OpenMospromError):
    """The SMTP server refuses this configuration (login, TLS); retrying as is will not help.

    It is bad input (the [smtp] settings or the password), hence EX_DATAERR.
    """

    exit_code = EX_DATAERR


@dataclass(frozen=True)
class OutboxEntry:
    """One row of the outbox, with the state a person should see."""

    message_id: str
    site_id: str
    state: str  # draft | sending | sent | failed | unknown
    kind: str   # new | update | test
    fingerprint: str
    recipients: tuple[str, ...]
    subject: str
    eml_path: str
    error: str
    created_at: str
    updated_at: str
    sent_at: str | None

    def as_dict(self) -> dict:
        return {**self.__dict__, "recipients": list(self.recipients)}


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

    def as_dict(self) -> dict:
        data = {**self.__dict__, "recipients": list(self.recipients), "tours": list(self.tours)}
        data["eml_path"] = str(self.eml_path) if self.eml_path else None
        return data


@dataclass(frozen=True)
class BatchResult:
    items: tuple[BatchItem, ...]
    sent: bool
    test_to: str | None = None

    def count(self, outcome: str) -> int:
        return sum(item.outcome == outcome for item in self.items)


# -- reading the season ----------------------------------------------------------

def _entry(row: sqlite3.Row, live_run: bool) -> OutboxEntry:
    state = row["state"]
    if state == SENDING and not live_run:
        state = UNKNOWN
    return OutboxEntry(
        message_id=row["message_id"], site_id=row["site_id"], state=state, kind=row["kind"],
        fingerprint=row["fingerprint"], recipients=tuple(json.loads(row["recipients"])), subject=row["subject"],
        eml_path=row["eml_path"], error=row["error"], created_at=row["created_at"], updated_at=row["updated_at"],
        sent_at=row["sent_at"],
    )


def run_in_progress(season: Season) -> bool:
    """Whether some run holds the season's lock right now (a shared probe that never waits)."""
    path = season.path / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the descriptor also drops the probe's lock
    return False


def list_outbox(season: Season) -> tuple[OutboxEntry, ...]:
    """Every message with its state; ``sending`` rows that no live run holds are ``unknown``."""
    live_run = run_in_progress(season)
    with season.reader() as conn:
        rows = conn.execute("SELECT * FROM outbox ORDER BY created_at, site_id, message_id").fetchall()
    return tuple(_entry(row, live_run) for row in rows)


@dataclass(frozen=True)
class _Export:
    site_id: str
    fingerprint: str
    visitors: tuple[Visitor, ...]
    path: Path


def _load_exports(conn: sqlite3.Connection, season: Season) -> dict[str, _Export]:
    exports = {}
    for row in conn.execute("SELECT * FROM roster_exports ORDER BY site_id"):
        path = Path(row["path"])
        exports[row["site_id"]] = _Export(
            site_id=row["site_id"], fingerprint=row["fingerprint"], visitors=visitors_from_json(row["visitors"]),
            path=path if path.is_absolute() else season.path / path,
        )
    return exports


def _select_sites(sites: dict[str, Site], exports: dict[str, _Export], wanted: Sequence[str]) -> list[str]:
    if not wanted:
        return [site_id for site_id in sorted(exports) if site_id in sites]
    unknown = [s for s in dict.fromkeys(wanted) if s not in sites]
    if unknown:
        raise BadDataError(
            f"no such site: {', '.join(unknown)}",
            [Problem(Location("--site"), f"{s!r} is not a site of this season") for s in unknown],
            hint="`openmosprom schedules list` shows the site IDs.",
        )
    missing = [s for s in dict.fromkeys(wanted) if s not in exports]
    if missing:
        raise MissingInputError(f"no roster has been exported for {', '.join(missing)}",
                                hint="Run `openmosprom rosters export` first.")
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
    stale: tuple[sqlite3.Row, ...] = ()   # unsent drafts superseded by this plan: deleted, never sent
    message: object = field(default=None, compare=False)  # the composed EmailMessage


def _eml_name(site_id: str, kind: str, fingerprint: str) -> str:
    return safe_file_name(f"{site_id}-{kind}-{fingerprint[:12]}", fallback="message", suffix=".eml")


def _plan_site(site: Site, export: _Export, tours: tuple[Tour, ...], rows: list[sqlite3.Row],
               settings: Settings) -> _Plan:
    """Decide one site's message from its outbox history (``rows``: oldest first, trial sends excluded)."""
    sent = [r for r in rows if r["state"] == SENT]
    last_sent = max(sent, key=lambda r: (r["sent_at"] or "", r["seq"])) if sent else None
    unsent = [r for r in rows if r["state"] in (DRAFT, FAILED)]

    def letter(previous: sqlite3.Row | None) -> RosterLetter:
        changes = diff_visitors(visitors_from_json(previous["visitors"]), export.visitors) if previous else None
        return RosterLetter(site=site, tours=tours, visitors=export.visitors, roster_path=export.path,
                            fingerprint=export.fingerprint, changes=changes)

    if last_sent is not None and last_sent["fingerprint"] == export.fingerprint:
        earlier = [r for r in sent if r["seq"] < last_sent["seq"] and r["fingerprint"] != export.fingerprint]
        previous = max(earlier, key=lambda r: (r["sent_at"] or "", r["seq"])) if earlier else None
        return _Plan(site, letter(previous), UP_TO_DATE, last_sent["message_id"], last_sent["kind"], SENT,
                     Path(last_sent["eml_path"]).name or _eml_name(site.site_id, last_sent["kind"], export.fingerprint),
                     stale=tuple(unsent))

    pending = [r for r in rows if r["fingerprint"] == export.fingerprint and r["state"] != SENT
               and (last_sent is None or r["seq"] > last_sent["seq"])]
    kind = UPDATE if last_sent is not None else NEW
    if pending:
        current = pending[-1]
        action = LEFT_UNKNOWN if current["state"] == SENDING else DRAFT
        message_id, row_state = current["message_id"], current["state"]
    else:
        action, message_id, row_state = DRAFT, new_message_id(settings), None
    if not site.roster_emails:
        action = NO_ADDRESS
    return _Plan(site, letter(last_sent), action, message_id, kind, row_state,
                 _eml_name(site.site_id, kind, export.fingerprint),
                 stale=tuple(r for r in unsent if r["message_id"] != message_id))


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
                  test_to: str | None = None, confirm: Confirm = lambda reason, items: False) -> BatchResult:
    """Build every site's roster email, write it to ``<season>/outbox/*.eml``, and with ``send`` deliver it.

    Without ``send`` nothing leaves the machine (a dry run). With ``test_to``
    every selected site's message goes to that one address instead, marked
    as a test, and the factories' messages stay as they were. Raises
    :class:`TemporaryFailure` (exit 75) when the server cannot be reached or
    the connection breaks; what was delivered until then stays recorded.
    """
    if test_to and not send:
        raise BadDataError.at(Location("--test-to"), "a trial send needs --send as well")
    with season.lock():
        with season.reader() as conn:
            sites = load_sites(conn)
            exports = _load_exports(conn, season)
            all_tours = load_tours(conn)
            history = conn.execute(
                "SELECT rowid AS seq, * FROM outbox WHERE kind != ? ORDER BY rowid", (TEST,)).fetchall()
        selected = _select_sites(sites, exports, site_ids)
        _check_sender(season)
        template = load_template(season.path)
        plans = []
        for site_id in selected:
            site_tours = tuple(t for t in all_tours if t.site_id == site_id)
            rows = [r for r in history if r["site_id"] == site_id]
            plans.append(_plan_site(sites[site_id], exports[site_id], site_tours, rows, season.settings))
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
                              "is empty; it is the From address of roster emails",
                              hint="Set it, e.g. sender = \"excursions@example.org\".")
    if "@" not in envelope_sender(season.settings):
        raise BadDataError.at(Location(SETTINGS_FILE, column="[smtp] sender"),
                              f"{season.settings.smtp.sender!r} is not an email address")


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
        message = compose_message(plan.letter, season.settings, template, message_id=plan.message_id, now=now)
        composed.append(replace(plan, message=message))
    # Written only once every message could be composed: a missing roster leaves no partial outbox.
    for plan in composed:
        if plan.message is not None:
            atomic_write_bytes(_eml_path(season, plan), plan.message.as_bytes(policy=email.policy.SMTP), private=True)
    stamp = now_iso()
    with season.transaction() as conn:
        for plan in composed:
            for row in plan.stale:
                conn.execute("DELETE FROM outbox WHERE message_id = ? AND state IN (?, ?)",
                             (row["message_id"], DRAFT, FAILED))
            if plan.message is None or plan.row_state not in (None, DRAFT, FAILED):
                continue
            values = (json.dumps(list(plan.site.roster_emails), ensure_ascii=False), str(plan.message["Subject"]),
                      plan.kind, visitors_to_json(plan.letter.visitors), f"{OUTBOX_DIR}/{plan.eml_name}", stamp)
            if plan.row_state is None:
                conn.execute(
                    "INSERT INTO outbox (recipients, subject, kind, visitors, eml_path, updated_at, message_id, "
                    "site_id, state, fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, plan.message_id, plan.site.site_id, DRAFT, plan.letter.fingerprint, stamp))
            else:
                conn.execute("UPDATE outbox SET recipients = ?, subject = ?, kind = ?, visitors = ?, eml_path = ?, "
                             "updated_at = ? WHERE message_id = ?", (*values, plan.message_id))
    for plan in composed:
        for row in plan.stale:
            if row["eml_path"] and Path(row["eml_path"]).name != plan.eml_name:
                with contextlib.suppress(OSError):
                    inside(season.path / OUTBOX_DIR, Path(row["eml_path"]).name).unlink(missing_ok=True)
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
        with SmtpBatch(season) as batch:
            for number, plan in enumerate(chosen):
                was_sent = plan.row_state == SENT
                try:
                    error = batch.deliver(plan.message, plan.site.roster_emails,
                                          on_data=lambda p=plan: _mark(season, p.message_id, SENDING))
                except _Rejected as rejected:
                    # A refused resend does not undo the earlier delivery.
                    _mark(season, plan.message_id, SENT if was_sent else FAILED,
                          error=f"resend refused: {rejected.answer}" if was_sent else rejected.answer)
                    outcomes[plan.site.site_id] = _item(plan, REFUSED, error=rejected.answer,
                                                        eml_path=_eml_path(season, plan))
                    continue
                except _Interrupted as interrupted:
                    if not interrupted.maybe_delivered:
                        _mark(season, plan.message_id, plan.row_state or DRAFT)
                    sent = sum(o.outcome == DELIVERED for o in outcomes.values())
                    raise _batch_stopped(interrupted, plan, sent=sent, left=len(chosen) - number) from None
                _mark(season, plan.message_id, SENT, error=error, delivered=True)
                outcomes[plan.site.site_id] = _item(plan, DELIVERED, error=error, eml_path=_eml_path(season, plan))
    return BatchResult(tuple(outcomes[p.site.site_id] for p in plans), sent=True)


def _send_trial(season: Season, plans: list[_Plan], template: EmailTemplate, test_to: str) -> BatchResult:
    """Every selected site's message to ``test_to`` only; recorded as ``test`` rows, never as the factory's."""
    now = dt.datetime.now().astimezone().replace(microsecond=0)
    items = []
    with SmtpBatch(season) as batch:
        for number, plan in enumerate(plans):
            message_id = new_message_id(season.settings)
            message = compose_message(plan.letter, season.settings, template, message_id=message_id, now=now,
                                      test_to=test_to)
            stamp = now_iso()
            with season.transaction() as conn:
                conn.execute(
                    "INSERT INTO outbox (message_id, site_id, state, kind, fingerprint, visitors, recipients, subject, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (message_id, plan.site.site_id, DRAFT, TEST, plan.letter.fingerprint,
                     visitors_to_json(plan.letter.visitors), json.dumps([test_to]), str(message["Subject"]),
                     stamp, stamp))
            try:
                error = batch.deliver(message, (test_to,), on_data=lambda: _mark(season, message_id, SENDING))
            except _Rejected as rejected:
                _mark(season, message_id, FAILED, error=rejected.answer)
                items.append(_item(plan, REFUSED, error=rejected.answer, recipients=(test_to,),
                                   message_id=message_id, kind=TEST))
                continue
            except _Interrupted as interrupted:
                if not interrupted.maybe_delivered:
                    _mark(season, message_id, FAILED, error=interrupted.answer)
                raise _batch_stopped(interrupted, plan, sent=sum(i.outcome == DELIVERED for i in items),
                                     left=len(plans) - number) from None
            _mark(season, message_id, SENT, error=error, delivered=True)
            items.append(_item(plan, DELIVERED, error=error, recipients=(test_to,), message_id=message_id, kind=TEST))
    return BatchResult(tuple(items), sent=True, test_to=test_to)


def _mark(season: Season, message_id: str, state: str, *, error: str | None = None,
          delivered: bool = False) -> None:
    """Move one message to ``state`` in its own committed transaction; ``error=None`` keeps the stored answer."""
    stamp = now_iso()
    with season.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET state = ?, error = COALESCE(?, error), updated_at = ?, "
            "sent_at = CASE WHEN ? THEN ? ELSE sent_at END WHERE message_id = ?",
            (state, error, stamp, int(delivered), stamp, message_id))


def _batch_stopped(interrupted: _Interrupted, plan: _Plan, *, sent: int, left: int) -> TemporaryFailure:
    fate = ("it may or may not have arrived: `openmosprom outbox list` shows it as unknown"
            if interrupted.maybe_delivered else "it was not delivered")
    return TemporaryFailure(
        f"the SMTP server stopped the batch at {plan.site.site_id}: {interrupted.answer}; {fate}. "
        f"{sent} message(s) sent in this run are recorded; {left} not sent",
        hint="Run the same command again later: it sends only what was not delivered.",
    )


# -- SMTP ----------------------------------------------------------------------------

class _Rejected(Exception):
    """The server refused this message for good (5xx); the batch goes on."""

    def __init__(self, answer: str):
        super().__init__(answer)
        self.answer = answer


class _Interrupted(Exception):
    """A temporary failure (4xx, broken connection, timeout); the batch stops."""

    def __init__(self, answer: str, *, maybe_delivered: bool):
        super().__init__(answer)
        self.answer = answer
        self.maybe_delivered = maybe_delivered


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a read timeout as a disconnection.
        return "timed out" if "timed out" in str(exc) else "the server closed the connection"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or exc.__class__.__name__


class SmtpBatch:
    """One SMTP connection for a whole batch: TLS as configured, login with the password from the environment."""

    def __init__(self, season: Season):
        self.settings = season.settings.smtp
        self.season_path = season.path
        self.sender = envelope_sender(season.settings)
        self._password = os.environ.get(PASSWORD_ENV, "")
        self._secrets = _secret_forms(self.settings.user, self._password)
        self._smtp: smtplib.SMTP | None = None

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file:
            ca_file = Path(self.settings.ca_file).expanduser()
            ca_file = ca_file if ca_file.is_absolute() else self.season_path / ca_file
            try:
                context.load_verify_locations(cafile=str(ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise BadDataError.at(Location(SETTINGS_FILE, column="[smtp] ca_file"),
                                      f"cannot load {ca_file}: {_reason(exc)}") from None
        return context

    def __enter__(self) -> SmtpBatch:
        s = self.settings
        if s.user and not self._password:
            raise SmtpConfigError(f"[smtp] user is {s.user!r} but {PASSWORD_ENV} is not set",
                                  hint=f"export {PASSWORD_ENV}=… in the shell that runs the command.")
        context = self._tls_context() if s.security in ("starttls", "ssl") else None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        except smtplib.SMTPConnectError as exc:
            self._refuse_or_retry(exc.smtp_code, _answer(exc.smtp_code, exc.smtp_error))
        except ssl.SSLError as exc:
            raise self._tls_error(exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"cannot reach the SMTP server {self.where}: {self.scrub(_reason(exc))}; "
                                   "nothing was sent",
                                   hint="Check [smtp] host and port in season.toml, then run the command again."
                                   ) from None
        self._smtp = smtp
        try:
            smtp.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                self._login(smtp)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise SmtpConfigError(
                f"the SMTP server {self.where} rejected the login of {s.user!r}: "
                f"{self.scrub(_answer(exc.smtp_code, exc.smtp_error))}; nothing was sent",
                hint=f"Check [smtp] user and the password in {PASSWORD_ENV}.") from None
        except smtplib.SMTPNotSupportedError as exc:
            self.close()
            raise SmtpConfigError(f"the SMTP server {self.where} does not support what [smtp] asks: "
                                  f"{self.scrub(str(exc))}; nothing was sent",
                                  hint="Check [smtp] security (none, starttls or ssl) and user.") from None
        except ssl.SSLError as exc:
            self.close()
            raise self._tls_error(exc) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            self._refuse_or_retry(exc.smtp_code, self.scrub(_answer(exc.smtp_code, exc.smtp_error)))
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(f"the SMTP server {self.where} broke the connection before sending: "
                                   f"{self.scrub(_reason(exc))}; nothing was sent",
                                   hint="Run the command again later.") from None
        return self

    def _login(self, smtp: smtplib.SMTP) -> None:
        if self._password.isascii():
            smtp.login(self.settings.user, self._password)
            return
        # smtplib encodes credentials as ASCII; AUTH PLAIN carries UTF-8 (RFC 4616), so send it by hand.
        if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
            raise smtplib.SMTPNotSupportedError("AUTH PLAIN, needed for a password with non-ASCII characters")
        token = base64.b64encode(f"\0{self.settings.user}\0{self._password}".encode()).decode("ascii")
        code, text = smtp.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, text)

    def _refuse_or_retry(self, code: int, answer: str):
        if 400 <= code < 500:
            raise TemporaryFailure(f"the SMTP server {self.where} is busy: {answer}; nothing was sent",
                                   hint="Run the command again later.") from None
        raise SmtpConfigError(f"the SMTP server {self.where} refused the connection: {answer}; nothing was sent")

    def _tls_error(self, exc: ssl.SSLError) -> SmtpConfigError:
        return SmtpConfigError(
            f"TLS with the SMTP server {self.where} failed: {self.scrub(getattr(exc, 'verify_message', '') or _reason(exc))}"
            "; nothing was sent",
            hint="Check [smtp] security and port; for a server with its own certificate authority set [smtp] ca_file.")

    def __exit__(self, *exc_info) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
            self._smtp = None

    def deliver(self, message, recipients: Sequence[str], *, on_data: Callable[[], None]) -> str:
        """Send one message; ``on_data`` runs (and commits ``sending``) just before the DATA command.

        Returns "" or the refusals of some of several recipients. Raises
        :class:`_Rejected` for a permanent refusal, :class:`_Interrupted` for a
        temporary one.
        """
        smtp = self._smtp
        if smtp is None:
            raise _Interrupted("the connection is closed", maybe_delivered=False)
        try:
            code, text = smtp.mail(self.sender)
            if code != 250:
                self._refused(code, text, "sender")
            refused = {}
            for recipient in recipients:
                code, text = smtp.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = (code, text)
            if len(refused) == len(recipients):
                if any(400 <= code < 500 for code, _ in refused.values()):
                    raise _Interrupted(self._refusals(refused), maybe_delivered=False)
                smtp.rset()
                raise _Rejected(self._refusals(refused))
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise _Interrupted(self.scrub(_reason(exc)), maybe_delivered=False) from None
        on_data()
        try:
            code, text = smtp.data(message.as_bytes(policy=email.policy.SMTP))
            if code != 250:  # smtplib raises only for the answer to DATA itself, not for the final one
                raise smtplib.SMTPDataError(code, text)
        except smtplib.SMTPDataError as exc:
            answer = self.scrub(_answer(exc.smtp_code, exc.smtp_error))
            if 400 <= exc.smtp_code < 500:
                raise _Interrupted(answer, maybe_delivered=False) from None
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.rset()
            raise _Rejected(answer) from None
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise _Interrupted(self.scrub(_reason(exc)), maybe_delivered=True) from None
        return self._refusals(refused) if refused else ""

    def _refused(self, code: int, text: bytes, what: str) -> None:
        answer = self.scrub(_answer(code, text))
        if 400 <= code < 500:
            raise _Interrupted(f"{what} refused: {answer}", maybe_delivered=False)
        with contextlib.suppress(OSError, smtplib.SMTPException):
            self._smtp.rset()
        raise _Rejected(f"{what} refused: {answer}")

    def _refusals(self, refused: dict[str, tuple[int, bytes]]) -> str:
        return self.scrub("; ".join(f"{address}: {_answer(code, text)}" for address, (code, text) in refused.items()))


def _secret_forms(user: str, password: str) -> tuple[str, ...]:
    """The password as it could appear in a server's answer: plain, or base64 as AUTH PLAIN/LOGIN send it."""
    if not password:
        return ()
    forms = {password}
    for raw in (password, f"\0{user}\0{password}", f"{user}\0{password}"):
        forms.add(base64.b64encode(raw.encode("utf-8")).decode("ascii"))
    return tuple(sorted(forms, key=len, reverse=True))
