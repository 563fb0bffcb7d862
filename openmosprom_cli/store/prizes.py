"""Prizes: ``prize_items`` (the catalogue), ``prize_preferences``, ``prize_draws`` with their ``prize_awards``,
and ``prize_handouts``.

The newest draw flagged ``is_current`` is the season's current one; earlier
draws stay as history. A draw's snapshot is stored as the text its inputs
fingerprint was computed from.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from openmosprom_cli.prizes.records import Award, PrizeItem

# -- the catalogue ------------------------------------------------------------------------------

def load_items(conn: sqlite3.Connection) -> list[PrizeItem]:
    """The catalogue, best item first."""
    return [PrizeItem(r["item_id"], r["rank"], r["name"], r["stock"], r["top_n"], r["min_score"], r["min_age"],
                      r["note"])
            for r in conn.execute("SELECT * FROM prize_items ORDER BY rank")]


def replace_items(conn: sqlite3.Connection, items: Iterable[PrizeItem], *, source_file: str, at: str) -> None:
    conn.execute("DELETE FROM prize_items")
    conn.executemany(
        "INSERT INTO prize_items (item_id, rank, name, stock, top_n, min_score, min_age, note, source_file, "
        "imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(i.item_id, i.rank, i.name, i.stock, i.top_n, i.min_score, i.min_age, i.note, source_file, at)
         for i in items])


def catalogue_source(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """(file, when) of the last catalogue import; None before the first."""
    row = conn.execute("SELECT source_file, imported_at FROM prize_items LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


# -- who takes part ------------------------------------------------------------------------------

def load_contestant_rows(conn: sqlite3.Connection) -> list[tuple[str, float, str | None, str | None]]:
    """(ID, score, registration time, birth date) of everyone registered, as stored (ISO text): all a draw reads of
    a person, without making 200,000 full records."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute("SELECT id, score, registered_at, birth_date FROM registrants ORDER BY id").fetchall()


# -- preferences --------------------------------------------------------------------------------

def load_preferences(conn: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Registrant ID → the prizes they prefer, best first, as written in the export."""
    return {r[0]: tuple(json.loads(r[1])) for r in conn.execute("SELECT registrant_id, prizes FROM prize_preferences")}


def load_person_preferences(conn: sqlite3.Connection, registrant_id: str) -> tuple[str, ...]:
    """The prizes one person prefers, best first, as written in the export; () when none."""
    row = conn.execute("SELECT prizes FROM prize_preferences WHERE registrant_id = ?", (registrant_id,)).fetchone()
    return tuple(json.loads(row[0])) if row else ()


def save_preferences(conn: sqlite3.Connection, preferences: Mapping[str, tuple[str, ...]]) -> None:
    """Set these people's preferences; an empty list clears them. Others' stay as they are."""
    conn.executemany("DELETE FROM prize_preferences WHERE registrant_id = ?",
                     [(rid,) for rid, prizes in preferences.items() if not prizes])
    conn.executemany(
        "INSERT INTO prize_preferences (registrant_id, prizes) VALUES (?, ?) "
        "ON CONFLICT(registrant_id) DO UPDATE SET prizes = excluded.prizes",
        [(rid, json.dumps(list(prizes), ensure_ascii=False)) for rid, prizes in preferences.items() if prizes])


# -- draws --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DrawRow:
    """One row of ``prize_draws``; the snapshot is left as text until it is needed."""

    draw_id: int
    created_at: str
    kind: str                       # draw | redraw
    seed: str
    inputs_fingerprint: str
    result_fingerprint: str
    snapshot_text: str = field(repr=False)
    summary: dict[str, Any] = field(default_factory=dict)
    last_change: int = 0
    based_on: int | None = None

    @functools.cached_property
    def snapshot(self) -> dict[str, Any]:
        """The inputs the draw saw, decoded once (200,000 people's are tens of megabytes)."""
        return json.loads(self.snapshot_text) if self.snapshot_text else {}


def _draw(row: sqlite3.Row) -> DrawRow:
    return DrawRow(row["draw_id"], row["created_at"], row["kind"], row["seed"], row["inputs_fingerprint"],
                   row["result_fingerprint"], row["inputs"], json.loads(row["summary"] or "{}"), row["last_change"],
                   row["based_on"])


def load_current_draw(conn: sqlite3.Connection) -> DrawRow | None:
    row = conn.execute("SELECT * FROM prize_draws WHERE is_current = 1 ORDER BY draw_id DESC LIMIT 1").fetchone()
    return None if row is None else _draw(row)


def load_draws(conn: sqlite3.Connection) -> list[DrawRow]:
    """Every draw, oldest first."""
    return [_draw(r) for r in conn.execute("SELECT * FROM prize_draws ORDER BY draw_id")]


def load_draw(conn: sqlite3.Connection, draw_id: int) -> DrawRow | None:
    row = conn.execute("SELECT * FROM prize_draws WHERE draw_id = ?", (draw_id,)).fetchone()
    return None if row is None else _draw(row)


def insert_current_draw(conn: sqlite3.Connection, *, created_at: str, kind: str, seed: str, inputs_fingerprint: str,
                        result_fingerprint: str, snapshot_text: str, last_change: int,
                        based_on: int | None = None) -> int:
    """Store a draw as the current one (the previous current one becomes history); its ID.

    ``snapshot_text`` is the inputs' canonical JSON, the very text their fingerprint was computed from.
    """
    conn.execute("UPDATE prize_draws SET is_current = 0 WHERE is_current = 1")
    cursor = conn.execute(
        "INSERT INTO prize_draws (created_at, kind, seed, inputs_fingerprint, result_fingerprint, is_current, "
        "inputs, last_change, based_on) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
        (created_at, kind, seed, inputs_fingerprint, result_fingerprint, snapshot_text, last_change, based_on))
    return cast(int, cursor.lastrowid)


def save_draw_summary(conn: sqlite3.Connection, draw_id: int, summary: Mapping[str, Any]) -> None:
    conn.execute("UPDATE prize_draws SET summary = ? WHERE draw_id = ?",
                 (json.dumps(summary, ensure_ascii=False), draw_id))


def insert_awards(conn: sqlite3.Connection, draw_id: int, awards: Iterable[Award]) -> None:
    conn.executemany("INSERT INTO prize_awards (draw_id, registrant_id, item_id, rank, how) VALUES (?, ?, ?, ?, ?)",
                     [(draw_id, a.registrant_id, a.item_id, a.rank, a.how) for a in awards])


def load_awards(conn: sqlite3.Connection, draw_id: int) -> list[Award]:
    """The draw's awards, in the order of the ranking."""
    return [Award(r[0], r[1], r[2], r[3]) for r in conn.execute(
        "SELECT registrant_id, item_id, rank, how FROM prize_awards WHERE draw_id = ? ORDER BY rank, item_id",
        (draw_id,))]


# -- hand-outs ------------------------------------------------------------------------------------

HandoutKey = tuple[str, str]          # registrant ID, item ID


def load_handouts(conn: sqlite3.Connection) -> dict[HandoutKey, tuple[str, str]]:
    """(person, item) → (when, source) of every prize handed over."""
    return {(r[0], r[1]): (r[2], r[3])
            for r in conn.execute("SELECT registrant_id, item_id, at, source FROM prize_handouts")}


def add_handout(conn: sqlite3.Connection, registrant_id: str, item_id: str, *, at: str, source: str) -> None:
    conn.execute("INSERT INTO prize_handouts (registrant_id, item_id, at, source) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT(registrant_id, item_id) DO NOTHING", (registrant_id, item_id, at, source))


def remove_handout(conn: sqlite3.Connection, registrant_id: str, item_id: str) -> None:
    conn.execute("DELETE FROM prize_handouts WHERE registrant_id = ? AND item_id = ?", (registrant_id, item_id))
