"""The rosters last exported: one ``roster_exports`` row per site, read by the emails to tell what changed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RosterExportRow:
    site_id: str
    fingerprint: str
    visitors_json: str  # JSON list of {id, name, tour_id, companions, when, role}; role is "visitor" or "standby"
    path: str           # the site's workbook, relative to the season folder unless it lies outside
    exported_at: str
    sha256: str = ""    # of the workbook's bytes as exported; "" in records of earlier releases: not known


def load_roster_exports(conn: sqlite3.Connection) -> list[RosterExportRow]:
    """Every site's last export, by site ID."""
    return [RosterExportRow(site_id=r["site_id"], fingerprint=r["fingerprint"], visitors_json=r["visitors"],
                            path=r["path"], exported_at=r["exported_at"], sha256=r["sha256"])
            for r in conn.execute("SELECT * FROM roster_exports ORDER BY site_id")]


def save_roster_export(conn: sqlite3.Connection, export: RosterExportRow) -> None:
    """Record a site's export, replacing the one before."""
    conn.execute(
        "INSERT INTO roster_exports (site_id, fingerprint, visitors, path, exported_at, sha256) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(site_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
        "visitors = excluded.visitors, path = excluded.path, exported_at = excluded.exported_at, "
        "sha256 = excluded.sha256",
        (export.site_id, export.fingerprint, export.visitors_json, export.path, export.exported_at, export.sha256),
    )


def delete_roster_exports(conn: sqlite3.Connection, site_ids: Iterable[str]) -> None:
    conn.executemany("DELETE FROM roster_exports WHERE site_id = ?", [(s,) for s in site_ids])
