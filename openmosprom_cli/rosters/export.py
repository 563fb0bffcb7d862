"""Rosters: what the factories, the organizers and the visitors receive after an allocation.

``export_rosters`` turns the current allocation run into
- one workbook per site with one sheet per tour, the site's standby (the top
  of each tour's waitlist) and its cancelled tours, holding only that site's
  visitors and only the fields the site needs; every site with tours gets one,
  and so does every site that got one before, so that a factory whose tours
  were all cancelled learns that its visitors are gone;
- ``participants.xlsx``, the organizers' list of everyone and what they got.

What the visitors are told is written by ``publish``
(:mod:`openmosprom_cli.publication.publish`); before publication these
rosters are a preview.

Every value that came from a registrant or a factory is written as text that
can never become a formula. The files are byte-for-byte reproducible (the
same season state gives the same files) and become visible as one set: they
are staged and moved into place just before the export's records commit, each
site's workbook recorded with its sha256, and the previous export's files that
this one did not write again are removed with them, before the COMMIT.

Each site's roster is built in ``build.py``, the workbooks' sheets are laid out
in ``workbooks.py``, the set of files is handled in ``files.py``, everyone's
result in :mod:`openmosprom_cli.publication.outcomes`, and
:mod:`openmosprom_cli.io.writer` writes every file; the export records go
through ``store/rosters.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.allocation.current import CurrentAllocation, current_allocation
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.files import remove_stray_temp_files, safe_file_name, unique_name
from openmosprom_cli.io.writer import write_workbook
from openmosprom_cli.models import Contact, Site, Tour
from openmosprom_cli.prizes.current import prize_names
from openmosprom_cli.progress import stage, tracked
from openmosprom_cli.publication.outcomes import person_outcomes
from openmosprom_cli.rosters.build import SiteRoster, build_site_rosters
from openmosprom_cli.rosters.codes import CODE_KEY_META
from openmosprom_cli.rosters.files import (
    StagedExport,
    file_sha256,
    remove_retired_files,
    remove_stray_staging,
    staged_export,
)
from openmosprom_cli.rosters.workbooks import file_time, participants_sheet, site_sheets
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.store.meta import get_meta
from openmosprom_cli.store.registrants import RegistrantsOnDemand, load_contacts
from openmosprom_cli.store.rosters import (
    RosterExportRow,
    delete_roster_exports,
    load_roster_exports,
    save_roster_export,
)
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_cancelled_tours, load_tours
from openmosprom_cli.workers import work_beside, worth_a_process

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
    waitlisted: int   # everyone waiting for the site's tours
    standby: int      # of them, those on the factory's standby
    cancelled_tours: int
    private: bool
    status: str  # new | changed | unchanged, compared with the previous export (a code: the CLI words it)
    fingerprint: str


@dataclass(frozen=True)
class RosterExportReport:
    out_dir: Path
    run_id: int
    seed: str
    sites: tuple[SiteExport, ...]
    participants_path: Path
    people: int
    removed_sites: tuple[str, ...]        # sites that had a roster but are no longer in the season
    removed_files: tuple[Path, ...] = ()  # the previous export's files that this one did not write again


# -- export --------------------------------------------------------------------------------

def export_rosters(season: Season, out_dir: Path | None = None) -> RosterExportReport:
    """Write every site's roster, the participants list and the notifications, and record them in the season.

    Runs in one season transaction: the files are written to a staging
    folder, moved into place together just before the ``roster_exports`` rows
    are committed, and only then are the previous export's leftovers removed.
    """
    out_dir = Path(out_dir) if out_dir is not None else season.path / ROSTER_FOLDER
    # Everyone's record and line is made here at once: see allocation/bulk.py.
    with season.lock(), collector_paused():
        with season.transaction() as conn:
            # Only under the season's lock: another run's temporary files are not stray.
            remove_stray_temp_files(out_dir)
            remove_stray_staging(out_dir)
            allocation = current_allocation(conn)
            if allocation is None:
                raise MissingInputError(_("there is no allocation yet, so there are no rosters to export"),
                                        hint=_("Run `openmosprom assign` first."))
            sites = load_sites(conn)
            tours = load_tours(conn)
            contacts = load_contacts(conn)
            earlier = load_roster_exports(conn)
            previous = {r.site_id: r.fingerprint for r in earlier}
            cancelled, prizes = load_cancelled_tours(conn), prize_names(conn)
            code_key = get_meta(conn, CODE_KEY_META) or ""
            stamp = file_time(allocation.created_at)
            exported_at = now_iso()

            with staged_export(out_dir) as staging:
                # Moved in after the sites' rosters, as when it was written after them.
                participants_staged = staging.path(PARTICIPANTS_FILE, moved_last=True)
                participants_label = _("Writing {file}").format(file=PARTICIPANTS_FILE)
                write_participants = functools.partial(_write_participants, participants_staged, participants_label,
                                                       contacts, sites, tours, allocation, stamp=stamp)

                # About half of a large export: written by a second process while this one reads the whole records
                # of the people the sites are told of and writes their rosters (see workers.py), or else here after.
                with work_beside(write_participants, what=PARTICIPANTS_FILE, label=participants_label,
                                 worth_it=worth_a_process(len(contacts))):
                    people = RegistrantsOnDemand(conn, contacts.keys())
                    people.read_ahead(p.registrant_id for p in allocation.placements)
                    rosters = build_site_rosters(sites, tours, people, allocation, cancelled=cancelled,
                                                 exported_before=previous.keys(),
                                                 standby_share=season.settings.standby_share, code_key=code_key,
                                                 prizes=prizes)
                    site_exports = _write_site_rosters(conn, season, staging, rosters, previous, stamp=stamp,
                                                       exported_at=exported_at)
                removed = tuple(sorted(set(previous) - {r.site.site_id for r in rosters}))
                delete_roster_exports(conn, removed)
                participants_path = staging.final_path(PARTICIPANTS_FILE)
                # The last step before COMMIT: the files and their records become visible together.
                written = staging.swap_in()
                # Before the COMMIT too: killed after it, the export would leave them recorded nowhere, for good.
                # Killed before it, the records still name them, and `rosters email` refuses the missing files.
                retired = remove_retired_files((_recorded_path(season, r.path) for r in earlier), written, out_dir)
        # Freed before the collector runs again: its first pass would look at every record made while it was paused.
        people_count = len(contacts)
        del contacts, people, rosters

    return RosterExportReport(out_dir=out_dir.resolve(), run_id=allocation.run_id, seed=allocation.seed,
                              sites=tuple(site_exports),
                              participants_path=participants_path,
                              people=people_count, removed_sites=removed, removed_files=tuple(retired))



def _write_site_rosters(conn: sqlite3.Connection, season: Season, staging: StagedExport, rosters: Sequence[SiteRoster],
                        previous: dict[str, str], *, stamp: dt.datetime, exported_at: str) -> list[SiteExport]:
    """Each site's workbook into the staging folder, and its record; what the report says of each."""
    taken = {Path(PARTICIPANTS_FILE).stem}
    site_exports = []
    for roster in tracked(rosters, _("Writing the sites' rosters")):
        name = unique_name(safe_file_name(roster.site.site_id, fallback="site"), taken, max_len=80) + ".xlsx"
        staged = write_workbook(staging.path(name), site_sheets(roster, season.settings), private=True, stamp=stamp)
        path = staging.final_path(name)
        fingerprint = roster.fingerprint()
        save_roster_export(conn, RosterExportRow(
            site_id=roster.site.site_id, fingerprint=fingerprint,
            visitors_json=json.dumps(roster.visitors_summary(), ensure_ascii=False),
            path=_season_relative(season, path), exported_at=exported_at, sha256=file_sha256(staged),
        ))
        old = previous.get(roster.site.site_id)
        site_exports.append(SiteExport(
            site_id=roster.site.site_id, site_name=roster.site.name, path=path, tours=len(roster.tours),
            visitors=sum(len(t.visitors) for t in roster.tours),
            seats_taken=sum(t.seats_taken for t in roster.tours),
            waitlisted=sum(t.waiting for t in roster.tours),
            standby=sum(len(t.standby) for t in roster.tours),
            cancelled_tours=len(roster.cancelled), private=True,
            status="new" if old is None else ("unchanged" if old == fingerprint else "changed"),
            fingerprint=fingerprint,
        ))
    return site_exports



def _write_participants(path: Path, label: str, people: Mapping[str, Contact], sites: Mapping[str, Site],
                        tours: Sequence[Tour], allocation: CurrentAllocation, *, stamp: dt.datetime) -> None:
    with stage(label):
        outcomes = person_outcomes(people, sites, {t.tour_id: t for t in tours}, allocation)
        # Every file here names people with their phones (some with passports and birth dates): owner only.
        write_workbook(path, [participants_sheet(outcomes)], private=True, stamp=stamp)

def _recorded_path(season: Season, recorded: str) -> Path:
    path = Path(recorded)
    return path if path.is_absolute() else season.path / path


def _season_relative(season: Season, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(season.path.resolve()))
    except ValueError:
        return str(path.resolve())
