"""An earlier season with every kind of history, and the season after it.

December (the scenario's season, window 11–22.12.2026), published, then:
9004 cancels before the tour (its E1 seat goes to 9010 by the next assign),
and the rosters come back: E1 9001 came, 9002 did not, 9010 came; E2 9003
came; Z1 9005 did not, 9006 came; K1 (9008) was never returned.

What it must say, per VK ID (placed, attended, missed, cancelled in time):
"""

from __future__ import annotations

from pathlib import Path

from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.attendance.importer import import_attendance
from openmosprom_cli.changes.people import cancel_registrants
from openmosprom_cli.models import Registrant
from openmosprom_cli.rosters.export import export_rosters
from openmosprom_cli.season.folder import Season, init_season
from openmosprom_cli.store.registrants import upsert_registrants
from tests.attendance.returned import return_roster
from tests.changes.scenario import allocate_and_publish, person, stock

DECEMBER_FACTS = {
    "9001": (1, 1, 0, 0), "9002": (1, 0, 1, 0), "9003": (1, 1, 0, 0), "9004": (1, 0, 0, 1), "9005": (1, 0, 1, 0),
    "9006": (1, 1, 0, 0), "9007": (0, 0, 0, 0), "9008": (1, 0, 0, 0), "9009": (0, 0, 0, 0), "9010": (1, 1, 0, 0),
}


def december(folder: Path) -> Season:
    season = init_season(folder, year=2026)
    allocate_and_publish(season)
    cancel_registrants(season, ["9004"], reason="уехала")
    run_assignment(season)
    export_rosters(season)
    back = folder.parent / f"{folder.name}-returned"
    marks = {"Участник 9001": "+", "Участник 9002": "нет", "Участник 9010": "да", "Участник 9003": "х",
             "Участник 9005": "-", "Участник 9006": "✓"}
    import_attendance(season, [return_roster(season.path / "rosters" / f"{site}.xlsx", back / f"{site}.xlsx", marks)
                               for site in ("estet", "zil")])
    return season


def with_window(season: Season, start: str, end: str) -> Season:
    """The same season, its window moved (another month of the programme)."""
    from openmosprom_cli.season.folder import open_season

    path = season.settings_path
    text = path.read_text(encoding="utf-8")
    text = text.replace(f"start = {season.settings.window_start.isoformat()}", f"start = {start}")
    text = text.replace(f"end = {season.settings.window_end.isoformat()}", f"end = {end}")
    path.write_text(text, encoding="utf-8")
    return open_season(season.path)


def next_season(folder: Path, *, priority: str = "", newcomers: tuple[Registrant, ...] = ()) -> Season:
    """A later season (window in 2027) with the scenario's tours and people, and ``priority`` as its
    ``[priority]`` section's body."""
    from openmosprom_cli.season.folder import open_season

    season = init_season(folder, year=2027)
    stock(season)
    if newcomers:
        with season.transaction() as conn:
            upsert_registrants(conn, newcomers, now="2027-11-30T10:00:00")
    if priority:
        text = season.settings_path.read_text(encoding="utf-8")
        start = text.index("[priority]")
        end = text.index("[history]")
        season.settings_path.write_text(text[:start] + "[priority]\n" + priority + "\n\n" + text[end:],
                                        encoding="utf-8")
        season = open_season(folder)
    return season


NEWCOMER = person("9011", 95, "estet-1214-1000")
