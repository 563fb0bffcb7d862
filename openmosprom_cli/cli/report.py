"""``openmosprom report``: the season in figures, as report.xlsx and on one screen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import JsonOption, WorkspaceOption, attach, console, escape, load_season, print_json

if TYPE_CHECKING:
    from openmosprom_cli.report.figures import SeasonFigures


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


_CHOICE_TEXT = {"1": "1st choice", "2": "2nd", "3": "3rd", "4": "4th", "5": "5th", "later": "a later one",
                "organizer": "placed by an organizer", "none": "no seat", "cancelled": "cancelled"}
_CHANGE_TEXT = {"promoted": "promoted from a waitlist", "cancel": "cancelled", "freed_by_cancel": "seats freed by them",
                "reinstate": "reinstated", "seat": "placed or moved by an organizer", "moved_from": "moved",
                "unassigned": "unassigned", "tour_cancel": "tours cancelled", "lost_tour_cancel": "seats lost with them",
                "tour_capacity": "capacities changed", "lost_capacity": "seats lost to cuts",
                "tour_add": "late tours", "tour_time": "tours moved in time", "unseat_other": "other seats taken"}


def render_summary(f: SeasonFigures) -> None:
    """One screen: seats, people, choices, activity, attendance, changes."""
    console.print(f"[bold]Season {f.window_start:%d.%m}–{f.window_end:%d.%m.%Y}[/]: {f.tours} tours"
                  + (f" ({f.cancelled_tours} cancelled)" if f.cancelled_tours else "")
                  + f", {f.seats_filled} of {f.seats_offered} seats filled ({_percent(f.seats_filled, f.seats_offered)}).")
    console.print(f"People: {f.registrants} registered, {f.placed} hold a seat "
                  f"({_percent(f.placed, f.registrants)}), {f.cancelled_people} cancelled.")
    choices = ", ".join(f"{_CHOICE_TEXT.get(c.key, c.key)} {c.people}" for c in f.choices if c.people)
    console.print(f"Choices: {escape(choices)}.")
    if f.demand:
        top = sorted(f.demand, key=lambda d: -d.per_seat)[:3]
        console.print("Most wanted: " + ", ".join(f"{escape(d.label)} {d.per_seat:.1f} first choices per seat"
                                                 for d in top) + ".")
    if f.deciles:
        first, last = f.deciles[0], f.deciles[-1]
        console.print(f"Activity: {_percent(first.placed, first.people)} of the top tenth by score hold a seat, "
                      f"{_percent(last.placed, last.people)} of the bottom tenth.")
    singles, parties = f.parties
    console.print(f"Singles: {_percent(singles.placed, singles.people)} placed; parties with guests: "
                  f"{_percent(parties.placed, parties.people)}.")
    a = f.attendance_totals
    if f.has_attendance:
        console.print(f"Attendance: {a.present} came, {a.no_shows} no-shows ({_percent(a.no_shows, a.marked)} of the "
                      f"marked), {a.unknown} unknown; {a.guests_came} guests came.")
    else:
        console.print("Attendance: not imported yet ([bold]openmosprom attendance import[/]).")
    moved = ", ".join(f"{_CHANGE_TEXT.get(c.key, c.key)} {c.events}" for c in f.changes if c.events)
    console.print(f"Changes: {moved or 'none'}.")
    if f.prizes is None:
        console.print("Prizes: not drawn yet.")


def report(
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE", show_default=False,
                                             help="Where to write the workbook. Default: report.xlsx in the "
                                                  "season folder.")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Write report.xlsx, the season in figures with native Excel charts, and print a one-screen summary.

    In Russian, for the organizers and the Department: seats offered and filled
    per site and per day; demand per site (first choices against seats); which
    choice people got; the share placed per tenth of the scores; parties against
    singles; attendance and no-shows per site; promotions from the waitlists,
    cancellations and moves; prizes. A season without attendance yet gets a
    report too, whose attendance sheet says so.

    Example: openmosprom report --out report-december.xlsx
    """
    from openmosprom_cli.report.build import write_season_report

    written = write_season_report(load_season(workspace), out)
    if as_json:
        print_json(written)
        return
    render_summary(written.figures)
    console.print(f"Written: {escape(str(written.path))}")


def register(app: typer.Typer) -> None:
    attach(app, "report", report)
