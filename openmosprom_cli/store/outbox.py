"""The roster emails: one ``outbox`` row per message.

A row's ``rowid``, read as ``seq``, is the order in which messages were
first recorded; the outbox's planning relies on it to tell which of a site's
messages came last. States and kinds are the outbox's (mail/outbox.py); this
module only stores them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OutboxRow:
    seq: int                      # the rowid: the order of recording
    message_id: str
    site_id: str
    state: str
    kind: str
    fingerprint: str
    visitors_json: str            # JSON snapshot of the roster's visitors when the message was written
    recipients: tuple[str, ...]
    subject: str
    eml_path: str                 # "outbox/<name>.eml", relative to the season folder; "" for trial sends
    error: str
    created_at: str
    updated_at: str
    sent_at: str | None


def _outbox_row(row: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        seq=row["seq"], message_id=row["message_id"], site_id=row["site_id"], state=row["state"], kind=row["kind"],
        fingerprint=row["fingerprint"], visitors_json=row["visitors"], recipients=tuple(json.loads(row["recipients"])),
        subject=row["subject"], eml_path=row["eml_path"], error=row["error"], created_at=row["created_at"],
        updated_at=row["updated_at"], sent_at=row["sent_at"],
    )


def load_outbox(conn: sqlite3.Connection) -> list[OutboxRow]:
    """Every message, by creation time, site and message ID."""
    return [_outbox_row(r) for r in
            conn.execute("SELECT rowid AS seq, * FROM outbox ORDER BY created_at, site_id, message_id")]


def load_outbox_history(conn: sqlite3.Connection, *, except_kind: str) -> list[OutboxRow]:
    """Every message but those of ``except_kind``, oldest first (by ``seq``)."""
    return [_outbox_row(r) for r in
            conn.execute("SELECT rowid AS seq, * FROM outbox WHERE kind != ? ORDER BY rowid", (except_kind,))]


def insert_message(conn: sqlite3.Connection, *, message_id: str, site_id: str, state: str, kind: str,
                   fingerprint: str, visitors_json: str, recipients: Sequence[str], subject: str,
                   eml_path: str = "", now: str) -> None:
    """Record a new message, created and updated ``now``."""
    conn.execute(
        "INSERT INTO outbox (message_id, site_id, state, kind, fingerprint, visitors, recipients, subject, "
        "eml_path, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (message_id, site_id, state, kind, fingerprint, visitors_json, _recipients_json(recipients), subject,
         eml_path, now, now))


def update_message(conn: sqlite3.Connection, message_id: str, *, kind: str, visitors_json: str,
                   recipients: Sequence[str], subject: str, eml_path: str, now: str) -> None:
    """Rewrite a recorded message's content; its state, fingerprint and history stay."""
    conn.execute(
        "UPDATE outbox SET recipients = ?, subject = ?, kind = ?, visitors = ?, eml_path = ?, updated_at = ? "
        "WHERE message_id = ?",
        (_recipients_json(recipients), subject, kind, visitors_json, eml_path, now, message_id))


def delete_message(conn: sqlite3.Connection, message_id: str, *, if_state_in: Sequence[str]) -> None:
    """Delete a message, but only while its state is one of ``if_state_in``."""
    placeholders = ", ".join("?" for _ in if_state_in)
    conn.execute(f"DELETE FROM outbox WHERE message_id = ? AND state IN ({placeholders})",
                 (message_id, *if_state_in))


def set_message_state(conn: sqlite3.Connection, message_id: str, state: str, *, error: str | None,
                      delivered: bool, now: str) -> None:
    """Move a message to ``state``; ``error=None`` keeps the stored answer, ``delivered`` stamps ``sent_at``."""
    conn.execute(
        "UPDATE outbox SET state = ?, error = COALESCE(?, error), updated_at = ?, "
        "sent_at = CASE WHEN ? THEN ? ELSE sent_at END WHERE message_id = ?",
        (state, error, now, int(delivered), now, message_id))


def _recipients_json(recipients: Sequence[str]) -> str:
    return json.dumps(list(recipients), ensure_ascii=False)
