"""Generating the season's tours from the factories' candidates, and storing them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.errors import BadDataError, Location, MissingInputError
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.io.reader import read_file_table
from openmosprom_cli.io.tables import Column, ProblemCollector
from openmosprom_cli.io.values import check_text, parse_number
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.settings import Limits
from openmosprom_cli.store.changes import is_published
from openmosprom_cli.store.meta import get_meta, set_meta
from openmosprom_cli.store.runs import count_runs
from openmosprom_cli.store.sites import load_candidates, load_sites
from openmosprom_cli.store.tours import load_tours, replace_tours
from openmosprom_cli.tours.selection import GenerationParams, GenerationResult, generate_tours

WEIGHT_COLUMNS = (
    Column("site_id", ("Код площадки", "site_id", "Код", "site"), required=True),
    Column("weight", ("Вес", "weight"), required=True),
)


@dataclass(frozen=True)
class GenerationReport:
    result: GenerationResult
    params: GenerationParams
    sites: Mapping[str, Site]
    replaced: int  # how many tours the season had before
    warnings: tuple[str, ...]  # the generation's warnings, and any about earlier allocations


def generate_season_tours(season: Season, *, tours: int | None = None, date_from: dt.date | None = None,
                          date_to: dt.date | None = None, min_per_site: int | None = None, seed: int | None = None,
                          weights_file: Path | None = None, allow_fewer: bool = False, encoding: str | None = None,
                          force: bool = False) -> GenerationReport:
    """Choose the season's tours from the candidates and store them, replacing earlier ones, in one transaction.

    Settings come from season.toml unless given here. After publication it
    refuses: people were told of those tours. Before, it refuses unless
    ``force`` when an allocation exists (new tours would invalidate it) or when
    it would undo the organizer's edits of the tours (it lists them).
    """
    s = season.settings
    with season.transaction() as conn:
        if is_published(conn):
            raise BadDataError(_("the season's seats are published: regenerating the tours would take the seats of "
                                 "people who were told; nothing was changed"),
                               hint=_("Change single tours instead: openmosprom slots import, slots cancel, "
                                      "slots add."))
        undone = _edits_it_would_undo(conn)
        if undone and not force:
            listed = "; ".join(undone[:10])
            if len(undone) > 10:
                listed = _("{listed}; … and {count} more").format(listed=listed, count=len(undone) - 10)
            raise BadDataError(
                ngettext("regenerating would undo {count} edit of the tours: {edits}",
                         "regenerating would undo {count} edits of the tours: {edits}", len(undone)).format(
                    count=len(undone), edits=listed),
                hint=_("Pass --force to regenerate all the same."))
        sites = load_sites(conn)
        weights = (read_weights(Path(weights_file), sites, s.limits, encoding=encoding)
                   if weights_file is not None else None)
        params = GenerationParams(
            tours=s.tours if tours is None else tours,
            window_start=date_from or s.window_start,
            window_end=date_to or s.window_end,
            min_per_site=s.min_per_site if min_per_site is None else min_per_site,
            daily_limit=s.max_tours_per_day,
            blackout_dates=frozenset(s.blackout_dates),
            seed=s.slots_seed if seed is None else seed,
            weights=weights,
            allow_fewer=allow_fewer,
        )
        warnings = refuse_if_allocated(conn, force, Msg("regenerating the tours"))
        candidates = load_candidates(conn)
        if not candidates:
            raise MissingInputError(
                _("the season has no candidate tours yet"),
                hint=_("Import the factories' schedules first: openmosprom schedules import FOLDER"))
        result = generate_tours(sites, candidates, params)
        replaced = len(load_tours(conn))
        replace_tours(conn, result.tours)
        set_meta(conn, "tours_generated_at", now_iso())
        set_meta(conn, "tours_generation", json.dumps(_params_record(params), ensure_ascii=False))
        set_meta(conn, GENERATED_KEY, json.dumps(sorted(_shape(t) for t in result.tours)))
    return GenerationReport(result, params, sites, replaced, (*result.warnings, *warnings))


GENERATED_KEY = "tours_generated"


def _shape(tour: Tour) -> list:
    return [tour.tour_id, tour.date.isoformat(), tour.start.strftime("%H:%M"), tour.duration_min, tour.capacity]


def _edits_it_would_undo(conn) -> list[str]:
    """How the tours differ from what the last generation made: the organizer's edits since."""
    stored = get_meta(conn, GENERATED_KEY)
    if stored is None:
        return []
    generated = {row[0]: row for row in json.loads(stored)}
    now = {t.tour_id: _shape(t) for t in load_tours(conn)}
    undone: list[str] = []
    for tour_id in sorted(generated.keys() | now.keys()):
        before, after = generated.get(tour_id), now.get(tour_id)
        if after is None:
            undone.append(Msg("bring back {tour}, which was removed", tour=tour_id))
        elif before is None:
            undone.append(Msg("drop {tour}, which was added", tour=tour_id))
        elif before != after:
            names = (Msg("date"), Msg("start"), Msg("duration"), Msg("capacity"))
            what = [name for name, a, b in zip(names, before[1:], after[1:], strict=True) if a != b]
            both = what[0]
            for name in what[1:]:
                both = Msg("{first} and {then}", first=both, then=name)
            undone.append(Msg("revert the {what} of {tour}", what=both, tour=tour_id))
    return undone


def _params_record(params: GenerationParams) -> dict:
    """What the generation used, stored so that anyone can repeat it."""
    return {
        "tours": params.tours, "from": params.window_start.isoformat(), "to": params.window_end.isoformat(),
        "min_per_site": params.min_per_site, "daily_limit": params.daily_limit,
        "blackout_dates": sorted(d.isoformat() for d in params.blackout_dates), "seed": params.seed,
        "weights": dict(sorted(params.weights.items())) if params.weights is not None else None,
        "allow_fewer": params.allow_fewer,
    }


def refuse_if_allocated(conn, force: bool, action: str) -> tuple[str, ...]:
    runs = count_runs(conn)
    if not runs:
        return ()
    if not force:
        # The command's input conflicts with the season's state; nothing is written.
        raise BadDataError(
            ngettext("the season already has {count} allocation run; {action} would invalidate it",
                     "the season already has {count} allocation runs; {action} would invalidate them", runs).format(
                count=runs, action=action),
            hint=_("Pass --force to go ahead, then run the allocation again."))
    return (Msg("the existing allocation ({count} run(s)) was made with the previous tours; run the allocation again",
                count=runs),)


def read_weights(path: Path, sites: Mapping[str, Site], limits: Limits, *,
                 encoding: str | None = None) -> dict[str, float]:
    """A ``site_id, weight`` table (.csv or .xlsx) naming every site of the season; every problem at once."""
    table = read_file_table(path, WEIGHT_COLUMNS, limits, encoding=encoding)
    problems = ProblemCollector()
    weights: dict[str, float] = {}
    first_row: dict[str, int] = {}
    for record in table.records:
        site_id = problems.parse(table, record, "site_id", check_text, required=True)
        weight = problems.parse(table, record, "weight", lambda v: parse_number(v, minimum=0), required=True)
        if not site_id:
            continue
        if site_id not in sites:
            problems.add(table.location(record.row, "site_id"), Msg("{site} is not a site of this season",
                                                                    site=repr(site_id)))
        elif site_id in first_row:
            problems.add(table.location(record.row, "site_id"),
                         Msg("{value} appears twice (also row {row})", value=repr(site_id), row=first_row[site_id]))
        else:
            first_row[site_id] = record.row
            if weight is not None:
                weights[site_id] = weight
    missing = [s for s in sorted(sites) if s not in first_row]
    if missing:
        problems.add(Location(path.name, table.sheet), Msg("no weight for the site(s) {sites}",
                                                           sites=", ".join(missing)))
    problems.raise_if_any(path.name)
    return weights
