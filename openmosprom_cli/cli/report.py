"""``openmosprom report``: the season in figures, as report.xlsx and on one screen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    JsonOption,
    WorkspaceOption,
    attach,
    console,
    decimal,
    escape,
    load_season,
    percent,
    print_json,
)
from openmosprom_cli.i18n import _, ngettext

if TYPE_CHECKING:
    from openmosprom_cli.report.figures import SeasonFigures



def _choice_text(key: str) -> str:
    """Which choice people got (report/figures.py keys), in words."""
    return {"1": _("1st choice"), "2": _("2nd"), "3": _("3rd"), "4": _("4th"), "5": _("5th"),
            "later": _("a later one"), "organizer": _("placed by an organizer"), "none": _("no seat"),
            "cancelled": _("cancelled")}.get(key, key)


def _change_text(key: str) -> str:
    """A kind of change in the season (report/figures.py keys), in words."""
    return {"promoted": _("promoted from a waitlist"), "cancel": _("cancelled"),
            "freed_by_cancel": _("seats freed by them"), "reinstate": _("reinstated"),
            "seat": _("placed or moved by an organizer"), "moved_from": _("moved"), "unassigned": _("unassigned"),
            "tour_cancel": _("tours cancelled"), "lost_tour_cancel": _("seats lost with them"),
            "tour_capacity": _("capacities changed"), "lost_capacity": _("seats lost to cuts"),
            "tour_add": _("late tours"), "tour_time": _("tours moved in time"),
            "unseat_other": _("other seats taken")}.get(key, key)


def render_summary(f: SeasonFigures) -> None:
    """One screen: seats, people, choices, activity, attendance, changes."""
    tours = ngettext("{count} tour", "{count} tours", f.tours).format(count=f.tours)
    if f.cancelled_tours:
        tours = _("{tours} ({cancelled} cancelled)").format(tours=tours, cancelled=f.cancelled_tours)
    console.print(_("[bold]Season {start}–{end}[/]: {tours}, {filled} of {offered} seats filled ({share}).").format(
        start=f"{f.window_start:%d.%m}", end=f"{f.window_end:%d.%m.%Y}", tours=tours, filled=f.seats_filled,
        offered=f.seats_offered, share=percent(f.seats_filled, f.seats_offered)))
    console.print(_("People: {registered} registered, {placed} hold a seat ({share}), {cancelled} cancelled.").format(
        registered=f.registrants, placed=f.placed, share=percent(f.placed, f.registrants),
        cancelled=f.cancelled_people))
    choices = ", ".join(f"{_choice_text(c.key)} {c.people}" for c in f.choices if c.people)
    console.print(_("Choices: {choices}.").format(choices=escape(choices)))
    if f.demand:
        top = sorted(f.demand, key=lambda d: -d.per_seat)[:3]
        console.print(_("Most wanted: {sites}.").format(sites=", ".join(
            _("{site} {ratio} first choices per seat").format(site=escape(d.label), ratio=decimal(d.per_seat))
            for d in top)))
    if f.deciles:
        first, last = f.deciles[0], f.deciles[-1]
        console.print(_("Activity: {top} of the top tenth by score hold a seat, {bottom} of the bottom tenth.").format(
            top=percent(first.placed, first.people), bottom=percent(last.placed, last.people)))
    singles, parties = f.parties
    console.print(_("Singles: {singles} placed; parties with guests: {parties}.").format(
        singles=percent(singles.placed, singles.people), parties=percent(parties.placed, parties.people)))
    a = f.attendance_totals
    if f.has_attendance:
        console.print(_("Attendance: {came} came, {no_shows} no-shows ({share} of the marked), {unknown} unknown; "
                        "{guests} guests came.").format(came=a.present, no_shows=a.no_shows,
                                                        share=percent(a.no_shows, a.marked), unknown=a.unknown,
                                                        guests=a.guests_came))
    else:
        console.print(_("Attendance: not imported yet ([bold]openmosprom attendance import[/])."))
    moved = ", ".join(f"{_change_text(c.key)} {c.events}" for c in f.changes if c.events)
    console.print(_("Changes: {changes}.").format(changes=moved or _("none")))
    if f.prizes is None:
        console.print(_("Prizes: not drawn yet."))
    else:
        won, handed, left = (sum(getattr(line, name) for line in f.prizes) for name in ("given", "handed_out", "left"))
        console.print(_("Prizes: {won} won, {handed} handed out, {left} left in stock.").format(
            won=won, handed=handed, left=left))


def report(
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar=_("FILE"), show_default=False,
                                             help=_("Where to write the workbook. Default: report.xlsx in the "
                                                    "season folder."))] = None,
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
    console.print(_("Written: {file}").format(file=escape(str(written.path))))


def register(app: typer.Typer) -> None:
    attach(app, "report", report)
