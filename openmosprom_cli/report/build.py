"""``openmosprom report``: the season's figures, read from the season, written as ``report.xlsx``.

Reads lightly (:mod:`openmosprom_cli.store.report`): no run's outcomes,
waitlists or inputs snapshot, no Registrant per person, so a season of 200,000
registrants reports in seconds. The figures are
:mod:`~openmosprom_cli.report.figures`'s, the sheets and charts
:mod:`~openmosprom_cli.report.sheets`'.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.current import apply_changes
from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.attendance.status import load_seat_state, seat_attendance
from openmosprom_cli.io.writer import write_workbook
from openmosprom_cli.prizes.current import load_current_prizes
from openmosprom_cli.report.figures import (
    PrizeLine,
    SeasonFigures,
    attendance_lines,
    attendance_total,
    change_lines,
    choice_lines,
    decile_lines,
    demand_lines,
    filled_by_tour,
    party_lines,
    prize_lines,
    promotions,
    seat_lines,
)
from openmosprom_cli.report.sheets import report_sheets
from openmosprom_cli.season import clock
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.attendance import load_attendance_imports, load_marks
from openmosprom_cli.store.changes import load_changes
from openmosprom_cli.store.report import first_choice_counts, load_run_briefs, load_tour_sites, registrant_columns
from openmosprom_cli.store.runs import load_placements
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

REPORT_FILE = "report.xlsx"


@dataclass(frozen=True)
class SeasonReport:
    path: Path
    figures: SeasonFigures


def season_figures(season: Season, prizes: tuple[PrizeLine, ...] | None = None) -> SeasonFigures:
    """Everything the report shows, read in one consistent view of the season."""
    today = clock.today()
    with season.reader() as conn:
        sites = load_sites(conn)
        tours = load_tours(conn)
        tour_sites = load_tour_sites(conn)
        state = load_seat_state(conn)
        ids, scores, companions = registrant_columns(conn)
        first_choices = first_choice_counts(conn)
        changes = load_changes(conn)
        marks = load_marks(conn)
        returned = load_attendance_imports(conn)
        runs = load_run_briefs(conn)
        if prizes is None:
            prizes = prize_lines(load_current_prizes(conn))
        # Each run's seats, to tell what the runs after the first gave to people waiting.
        run_seats = ({run.run_id: tuple(Placement(*row) for row in load_placements(conn, run.run_id)) for run in runs}
                     if len(runs) > 1 else {})
    active = {t.tour_id for t in tours}
    placements = tuple(p for p in state.placements if p.tour_id in active)
    by_site, by_day = seat_lines(tours, sites, filled_by_tour(placements))
    demand, nowhere = demand_lines(first_choices, tour_sites, sites, by_site)
    placed = frozenset(p.registrant_id for p in placements)
    cancelled_without_seat = len(state.cancelled_people - placed)
    seats = seat_attendance(state, marks)
    run_steps = []
    for previous, run in zip(runs, runs[1:], strict=False):
        before = apply_changes(run_seats[previous.run_id],
                               tuple(c for c in changes if previous.last_change < c.change_id <= run.last_change))
        run_steps.append((run.kind, before, run_seats[run.run_id]))
    return SeasonFigures(
        window_start=season.settings.window_start, window_end=season.settings.window_end, has_run=state.has_run,
        registrants=len(ids), placed=len(placed), cancelled_people=len(state.cancelled_people), tours=len(tours),
        cancelled_tours=len(state.cancelled_tours), seats_offered=sum(t.capacity for t in tours),
        seats_filled=sum(p.seats for p in placements), by_site=by_site, by_day=by_day, demand=demand,
        no_first_choice=nowhere, choices=choice_lines(len(ids), placements, cancelled_without_seat),
        deciles=decile_lines(ids, scores, placed), parties=party_lines(ids, companions, placements),
        attendance=attendance_lines(seats, tours, sites, returned, today) if marks else (),
        attendance_totals=attendance_total(seats, tours), changes=change_lines(changes, promotions(run_steps)),
        prizes=prizes)


def write_season_report(season: Season, out: Path | None = None) -> SeasonReport:
    """Write report.xlsx (by default in the season folder) and return its figures for the terminal summary."""
    figures = season_figures(season)
    path = Path(out) if out is not None else season.path / REPORT_FILE
    # Figures only, no names; but the counts describe the season's people: owner only like the rest.
    write_workbook(path, report_sheets(figures, clock.today()), private=True)
    return SeasonReport(path.resolve(), figures)
