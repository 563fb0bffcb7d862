"""The season report's reads: registrants as columns, and the runs in order; aggregated in SQL where it can be.

A season of 200,000 registrants must report in seconds, so nothing here
builds a Registrant per person or decodes a run's outcomes: the report needs
each person's score, party and first choice, and who sits where.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class RunBrief:
    run_id: int
    created_at: str
    kind: str              # fresh | incremental | from_scratch
    last_change: int


def registrant_columns(conn: sqlite3.Connection) -> tuple[list[str], list[float], list[int]]:
    """(IDs, scores, companions), highest score first, then by ID."""
    cursor = conn.cursor()
    cursor.row_factory = None
    rows = cursor.execute("SELECT id, score, companions FROM registrants ORDER BY score DESC, id").fetchall()
    if not rows:
        return [], [], []
    ids, scores, companions = zip(*rows, strict=True)
    return list(ids), list(scores), list(companions)


def first_choice_counts(conn: sqlite3.Connection) -> list[tuple[str | None, int]]:
    """(first choice as listed, people): a tour or a site ID; None for people who listed none."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute("SELECT json_extract(choices, '$[0]') AS first, count(*) FROM registrants "
                          "GROUP BY first").fetchall()


def load_run_briefs(conn: sqlite3.Connection) -> list[RunBrief]:
    """Every run, oldest first, without its snapshot or result."""
    return [RunBrief(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in conn.execute(
        "SELECT run_id, created_at, kind, last_change FROM allocation_runs ORDER BY run_id")]


def load_tour_sites(conn: sqlite3.Connection) -> dict[str, str]:
    """Tour ID → site ID, cancelled tours included."""
    return {r[0]: r[1] for r in conn.execute("SELECT tour_id, site_id FROM tours")}
