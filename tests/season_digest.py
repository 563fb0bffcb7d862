"""One fingerprint of a season's whole state, for tests that assert "unchanged" or "exactly before or after"."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path


def season_digest(season_dir: Path, *, ignore_columns: frozenset[str] = frozenset()) -> str:
    """sha256 over every row of every table, in a stable order; ``ignore_columns`` drops wall-clock stamps."""
    digest = hashlib.sha256()
    conn = sqlite3.connect(Path(season_dir) / "season.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            if table == "sqlite_sequence":
                continue
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[1] not in ignore_columns]
            digest.update(table.encode())
            rows = conn.execute(f'SELECT {", ".join(columns)} FROM "{table}"')
            for row in sorted(map(repr, rows)):
                digest.update(row.encode())
    finally:
        conn.close()
    return digest.hexdigest()
