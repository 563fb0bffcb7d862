"""Importing the factories' schedules into the season, and listing them.

Every workbook is parsed and validated first (:mod:`openmosprom_cli.schedules.parse`);
the season changes only when all of them are good, in one transaction.
Re-importing a site replaces its schedule and says what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from openmosprom_cli.i18n import Msg
from openmosprom_cli.models import Candidate, ChangeSummary
from openmosprom_cli.schedules.parse import SiteSchedule, parse_schedule_files
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.store.sites import load_source_files
from openmosprom_cli.store.tours import count_tours


@dataclass(frozen=True)
class SiteImportResult:
    site_id: str
    name: str
    source_file: str
    is_new: bool
    candidates: int
    tours: ChangeSummary
    site_changes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.is_new or bool(self.tours.added or self.tours.removed or self.tours.changed or self.site_changes)


@dataclass(frozen=True)
class ScheduleImportReport:
    files: tuple[str, ...]
    sites: tuple[SiteImportResult, ...]
    # Tours generated earlier no longer follow the candidates once these change.
    tours_already_generated: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return any(s.changed for s in self.sites)


# -- the season ------------------------------------------------------------------

_COMPARED_SITE_FIELDS = ("name", "industry", "address", "contact", "roster_emails", "phone", "min_age",
                         "passport_required", "citizens_only", "max_tours_per_day", "duration_min",
                         "roster_lead_days", "notes", "weight")
_COMPARED_CANDIDATE_FIELDS = ("duration_min", "capacity", "note", "pin", "exclude")


def _show(value: object) -> str:
    if isinstance(value, bool):
        return Msg("yes") if value else Msg("no")
    if isinstance(value, tuple):
        return ", ".join(value) or "—"
    if value is None or value == "":
        return "—"
    return str(value)


def _change(fieldname: str, before: object, after: object) -> Msg:
    """How one field of a site or a candidate tour changed: ``min_age 12 → 14``."""
    old, new = _show(before), _show(after)
    match fieldname:
        case "name":
            return Msg("name {old} → {new}", old=old, new=new)
        case "industry":
            return Msg("industry {old} → {new}", old=old, new=new)
        case "address":
            return Msg("address {old} → {new}", old=old, new=new)
        case "contact":
            return Msg("contact {old} → {new}", old=old, new=new)
        case "roster_emails":
            return Msg("roster_emails {old} → {new}", old=old, new=new)
        case "phone":
            return Msg("phone {old} → {new}", old=old, new=new)
        case "min_age":
            return Msg("min_age {old} → {new}", old=old, new=new)
        case "passport_required":
            return Msg("passport_required {old} → {new}", old=old, new=new)
        case "citizens_only":
            return Msg("citizens_only {old} → {new}", old=old, new=new)
        case "max_tours_per_day":
            return Msg("max_tours_per_day {old} → {new}", old=old, new=new)
        case "duration_min":
            return Msg("duration_min {old} → {new}", old=old, new=new)
        case "roster_lead_days":
            return Msg("roster_lead_days {old} → {new}", old=old, new=new)
        case "notes":
            return Msg("notes {old} → {new}", old=old, new=new)
        case "weight":
            return Msg("weight {old} → {new}", old=old, new=new)
        case "capacity":
            return Msg("capacity {old} → {new}", old=old, new=new)
        case "note":
            return Msg("note {old} → {new}", old=old, new=new)
        case "pin":
            return Msg("pin {old} → {new}", old=old, new=new)
        case "exclude":
            return Msg("exclude {old} → {new}", old=old, new=new)
    raise ValueError(f"no words for a change of {fieldname}")


def _diff_candidates(old: list[Candidate], new: tuple[Candidate, ...]) -> ChangeSummary:
    before = {c.tour_id: c for c in old}
    after = {c.tour_id: c for c in new}
    changed, details = [], []
    for tour_id in sorted(before.keys() & after.keys()):
        differences = [_change(f, getattr(before[tour_id], f), getattr(after[tour_id], f))
                       for f in _COMPARED_CANDIDATE_FIELDS
                       if getattr(before[tour_id], f) != getattr(after[tour_id], f)]
        if differences:
            changed.append(tour_id)
            details.append(f"{tour_id}: {', '.join(differences)}")
    return ChangeSummary(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=tuple(changed),
        unchanged=len(before.keys() & after.keys()) - len(changed),
        details=tuple(details),
    )


def import_schedules(season: Season, paths: list[Path]) -> ScheduleImportReport:
    """Validate every workbook, then replace the schedules of the sites they hold in one transaction."""
    from openmosprom_cli.store.sites import (
        load_candidates,
        load_sites,
        replace_candidates,
        save_site,
    )

    parsed = parse_schedule_files(paths, season.settings)
    results = []
    imported_at = now_iso()
    with season.transaction() as conn:
        old_sites = load_sites(conn)
        tours_exist = count_tours(conn) > 0
        for schedule in parsed.sites:
            site = schedule.site
            previous = old_sites.get(site.site_id)
            old_candidates = load_candidates(conn, site.site_id) if previous else []
            site_changes = () if previous is None else tuple(
                _change(f, getattr(previous, f), getattr(site, f))
                for f in _COMPARED_SITE_FIELDS if getattr(previous, f) != getattr(site, f))
            results.append(SiteImportResult(
                site_id=site.site_id, name=site.name, source_file=schedule.source_file, is_new=previous is None,
                candidates=len(schedule.candidates), tours=_diff_candidates(old_candidates, schedule.candidates),
                site_changes=site_changes,
            ))
            save_site(conn, site, source_file=schedule.source_file, imported_at=imported_at)
            replace_candidates(conn, site.site_id, schedule.candidates)
    report = ScheduleImportReport(parsed.files, tuple(results), warnings=parsed.warnings)
    return replace(report, tours_already_generated=tours_exist and report.has_changes)


def list_schedules(season: Season) -> list[SiteSchedule]:
    """Every site of the season with its candidate tours."""
    from openmosprom_cli.store.sites import load_candidates, load_sites

    with season.reader() as conn:
        sites = load_sites(conn)
        sources = load_source_files(conn)
        candidates: dict[str, list[Candidate]] = {}
        for c in load_candidates(conn):
            candidates.setdefault(c.site_id, []).append(c)
    return [SiteSchedule(site, tuple(candidates.get(site_id, ())), sources.get(site_id, ""))
            for site_id, site in sites.items()]
