"""Rosters: what the factories, the organizers and the visitors receive after an allocation.

``export_rosters`` turns the current allocation run into
- one workbook per site with one sheet per tour and the site's waitlists,
  holding only that site's visitors and only the fields the site needs;
- ``participants.xlsx``, the organizers' list of everyone and what they got.

What the visitors are told is written by ``publish``
(:mod:`openmosprom_cli.publication.publish`); before publication these
rosters are a preview.

Every value that came from a registrant or a factory is written as text that
can never become a formula. Files are written atomically and are byte-for-byte
reproducible: the same season state gives the same files.

Each site's roster is built in ``build.py``, the workbooks' sheets are laid out
in ``workbooks.py``, everyone's result in :mod:`openmosprom_cli.publication.outcomes`,
and :mod:`openmosprom_cli.io.writer` writes every file; the export records go
through ``store/rosters.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.io.files import inside, remove_stray_temp_files, safe_file_name, unique_name
from openmosprom_cli.io.writer import write_workbook
from openmosprom_cli.publication.outcomes import person_outcomes
from openmosprom_cli.rosters.build import build_site_rosters
from openmosprom_cli.rosters.workbooks import file_time, participants_sheet, site_sheets
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.store.registrants import load_registrants
from openmosprom_cli.store.rosters import (
    RosterExportRow,
    delete_roster_exports,
    load_roster_exports,
    save_roster_export,
)
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

ROSTER_FOLDER = "rosters"
PARTICIPANTS_FILE = "participants.xlsx"


# -- the report ------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteExport:
    site_id: str
    site_name: str
    path: Path
    tours: int
    visitors: int
    seats_taken: int
    waitlisted: int
    private: bool
    status: str  # new | changed | unchanged, compared with the previous export
    fingerprint: str


@dataclass(frozen=True)
class RosterExportReport:
    out_dir: Path
    run_id: int
    seed: str
    sites: tuple[SiteExport, ...]
    participants_path: Path
    people: int
    removed_sites: tuple[str, ...]  # sites that had a roster but no longer have tours


# -- export --------------------------------------------------------------------------------

def export_rosters(season: Season, out_dir: Path | None = None) -> RosterExportReport:
    """Write every site's roster, the participants list and the notifications, and record them in the season.

    Runs in one season transaction: the ``roster_exports`` rows are committed
    only after every file has been written.
    """
    out_dir = Path(out_dir) if out_dir is not None else season.path / ROSTER_FOLDER
    with season.transaction() as conn:
        # Only under the season's lock: another run's temporary files are not stray.
        remove_stray_temp_files(out_dir)
        allocation = current_allocation(conn)
        if allocation is None:
            raise MissingInputError("there is no allocation yet, so there are no rosters to export",
                                    hint="Run `openmosprom assign` first.")
        sites = load_sites(conn)
        tours = load_tours(conn)
        people = {p.id: p for p in load_registrants(conn)}
        rosters = build_site_rosters(sites, tours, people, allocation)
        previous = {r.site_id: r.fingerprint for r in load_roster_exports(conn)}
        stamp = file_time(allocation.created_at)
        exported_at = now_iso()

        taken = {Path(PARTICIPANTS_FILE).stem}
        site_exports = []
        for roster in rosters:
            stem = unique_name(safe_file_name(roster.site.site_id, fallback="site"), taken, max_len=80)
            path = inside(out_dir, f"{stem}.xlsx")
            write_workbook(path, site_sheets(roster, season.settings), private=True, stamp=stamp)
            fingerprint = roster.fingerprint()
            save_roster_export(conn, RosterExportRow(
                site_id=roster.site.site_id, fingerprint=fingerprint,
                visitors_json=json.dumps(roster.visitors_summary(), ensure_ascii=False),
                path=_season_relative(season, path), exported_at=exported_at,
            ))
            old = previous.get(roster.site.site_id)
            site_exports.append(SiteExport(
                site_id=roster.site.site_id, site_name=roster.site.name, path=path, tours=len(roster.tours),
                visitors=sum(len(t.visitors) for t in roster.tours),
                seats_taken=sum(t.seats_taken for t in roster.tours),
                waitlisted=sum(len(t.waitlist) for t in roster.tours), private=True,
                status="new" if old is None else ("unchanged" if old == fingerprint else "changed"),
                fingerprint=fingerprint,
            ))

        exported_sites = {r.site.site_id for r in rosters}
        removed = tuple(sorted(set(previous) - exported_sites))
        delete_roster_exports(conn, removed)

        outcomes = person_outcomes(people, sites, {t.tour_id: t for t in tours}, allocation)
        participants_path = inside(out_dir, PARTICIPANTS_FILE)
        # Every file here names people with their phones (some with passports and birth dates): owner only.
        write_workbook(participants_path, [participants_sheet(outcomes)], private=True, stamp=stamp)

    return RosterExportReport(out_dir=out_dir.resolve(), run_id=allocation.run_id, seed=allocation.seed,
                              sites=tuple(site_exports),
                              participants_path=participants_path,
                              people=len(people), removed_sites=removed)


def _season_relative(season: Season, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(season.path.resolve()))
    except ValueError:
        return str(path.resolve())
