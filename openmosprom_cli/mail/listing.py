"""The outbox as the organizers list it: every message with the state a person should see."""

from __future__ import annotations

from dataclasses import dataclass

from openmosprom_cli.mail.outbox import SENDING, UNKNOWN
from openmosprom_cli.season.folder import Season
from openmosprom_cli.season.lock import run_in_progress
from openmosprom_cli.store.outbox import OutboxRow, load_outbox


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



def _entry(row: OutboxRow, live_run: bool) -> OutboxEntry:
    state = row.state
    if state == SENDING and not live_run:
        state = UNKNOWN
    return OutboxEntry(
        message_id=row.message_id, site_id=row.site_id, state=state, kind=row.kind, fingerprint=row.fingerprint,
        recipients=row.recipients, subject=row.subject, eml_path=row.eml_path, error=row.error,
        created_at=row.created_at, updated_at=row.updated_at, sent_at=row.sent_at,
    )


def list_outbox(season: Season) -> tuple[OutboxEntry, ...]:
    """Every message with its state; ``sending`` rows that no live run holds are ``unknown``."""
    live_run = run_in_progress(season.path)
    with season.reader() as conn:
        rows = load_outbox(conn)
    return tuple(_entry(row, live_run) for row in rows)
