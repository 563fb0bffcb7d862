"""Accounts merged away as duplicates of one person: ``registrant_merges``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MergeRow:
    dropped_id: str
    kept_id: str
    reason: str
    at: str
    automatic: bool
    evidence: tuple[str, ...]     # what the accounts share: "phone", "email", "name and birth date"
    change_id: int                # the cancellation the merge made


def load_merges(conn: sqlite3.Connection) -> list[MergeRow]:
    """Every merge, in the order they were made."""
    return [MergeRow(r[0], r[1], r[2], r[3], bool(r[4]), tuple(json.loads(r[5])), r[6]) for r in conn.execute(
        "SELECT dropped_id, kept_id, reason, at, automatic, evidence, change_id FROM registrant_merges "
        "ORDER BY change_id, dropped_id")]


def add_merge(conn: sqlite3.Connection, *, dropped_id: str, kept_id: str, reason: str, at: str, automatic: bool,
              evidence: Iterable[str], change_id: int) -> None:
    conn.execute("INSERT INTO registrant_merges (dropped_id, kept_id, reason, at, automatic, evidence, change_id) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (dropped_id, kept_id, reason, at, int(automatic), json.dumps(list(evidence), ensure_ascii=False),
                  change_id))
