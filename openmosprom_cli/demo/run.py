"""The whole pipeline on sample data, in a fresh season folder.

It is what a new user runs first, so it uses exactly the functions the
commands use, in the order an organizer would.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.i18n import _
from openmosprom_cli.season.folder import DB_FILE, init_season
from openmosprom_cli.settings import SETTINGS_FILE

DEMO_PEOPLE = 3000
DEMO_SEED = 20231205  # the day the December series was announced


# The demo's prize catalogue (Приз, Код, Количество, Первые N мест, Баллов не меньше, Минимальный возраст,
# Примечание): a few prizes for the very top, more for everyone above a threshold.
SAMPLE_PRIZES: tuple[tuple[object, ...], ...] = (
    ("Умная колонка с голосовым помощником", "speaker", 3, 10, None, None, ""),
    ("Пауэрбанк", "powerbank", 10, 50, None, None, ""),
    ("Термос", "termos", 25, None, 60, None, ""),
    ("Книга о промышленности Москвы", "book", 40, None, 30, 14, "с автографом автора"),
)


@dataclass(frozen=True)
class DemoReport:
    path: Path
    schedule_files: tuple[Path, ...]
    schedules: Any
    tours: Any
    registrant_export: Path
    registrants: Any
    assignment: Any
    publication: Any
    rosters: Any
    outbox: tuple[Path, ...]
    prize_catalogue: Path | None = None
    prizes: Any = None


def _prepare_folder(directory: Path, force: bool) -> None:
    if directory.exists() and any(directory.iterdir()):
        is_season = (directory / SETTINGS_FILE).exists() or (directory / DB_FILE).exists()
        if not force:
            raise CannotCreateError(_("{folder} is not empty").format(folder=directory),
                                    hint=_("Choose another folder, or pass --force to replace an earlier demo there."))
        if not is_season:
            raise CannotCreateError(_("{folder} is not empty and is not a season folder; refusing to clear it").format(
                folder=directory))
        shutil.rmtree(directory)


def run_demo(directory: Path, *, force: bool = False, people: int = DEMO_PEOPLE, seed: int = DEMO_SEED,
             year: int | None = None) -> DemoReport:
    from openmosprom_cli.allocation.runs import run_assignment
    from openmosprom_cli.demo.sample_registrants import (
        generate_registrant_rows,
        write_registrant_export,
    )
    from openmosprom_cli.demo.sample_schedules import write_sample_schedules
    from openmosprom_cli.mail.outbox import write_outbox_drafts
    from openmosprom_cli.prizes.catalogue import import_catalogue, write_template
    from openmosprom_cli.prizes.runs import run_draw
    from openmosprom_cli.publication.publish import publish
    from openmosprom_cli.registrants.importer import import_registrants
    from openmosprom_cli.rosters.export import export_rosters
    from openmosprom_cli.schedules.importer import import_schedules
    from openmosprom_cli.store.sites import load_sites
    from openmosprom_cli.store.tours import load_tours
    from openmosprom_cli.tours.generate import generate_season_tours

    directory = Path(directory)
    _prepare_folder(directory, force)
    season = init_season(directory, year=year)
    schedule_files = tuple(write_sample_schedules(directory / "schedules", season.settings.year))
    schedules = import_schedules(season, [directory / "schedules"])
    tours = generate_season_tours(season)

    with season.reader() as conn:
        published, sites = load_tours(conn), load_sites(conn)
    export = directory / "registrants-export.csv"
    write_registrant_export(export, generate_registrant_rows(published, sites, count=people, seed=seed))
    registrants = import_registrants(season, export, skip_invalid=True)
    assignment = run_assignment(season)
    catalogue = write_template(directory / "prizes-catalogue.xlsx", SAMPLE_PRIZES)
    import_catalogue(season, catalogue)
    prizes = run_draw(season)
    publication = publish(season)
    rosters = export_rosters(season)
    outbox = tuple(write_outbox_drafts(season))
    return DemoReport(directory, schedule_files, schedules, tours, export, registrants, assignment,
                      publication, rosters, outbox, catalogue, prizes)
