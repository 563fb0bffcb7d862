"""Commands after the tours: ``attendance import`` and ``attendance list``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    EncodingOption,
    JsonOption,
    WorkspaceOption,
    attach,
    console,
    escape,
    load_season,
    new_table,
    print_json,
)
from openmosprom_cli.cli.groups import attendance_app

if TYPE_CHECKING:
    from rich.table import Table

    from openmosprom_cli.attendance.importer import TourAttendance



def _tour_table(title: str, tours: tuple[TourAttendance, ...]) -> Table:
    table = new_table(title=title, title_justify="left")
    table.add_column("tour")
    table.add_column("date")
    for name in ("seats held", "came", "no-shows", "unknown", "excused", "guests came"):
        table.add_column(name, justify="right")
    for t in tours:
        c = t.counts
        note = " [dim](cancelled)[/]" if t.cancelled else ("" if t.returned else " [dim](not returned)[/]")
        table.add_row(escape(t.tour_id) + note, f"{t.date:%d.%m} {t.start:%H:%M}", str(c.seats_held),
                      str(c.present + c.came_unlisted), str(c.no_shows), str(c.unknown), str(c.excused),
                      str(c.guests_came))
    return table


def import_(
    files: Annotated[list[Path], typer.Argument(help="Returned rosters (.xlsx, as sent, with «Отметка о посещении» "
                                                     "filled in) or check-in lists (.csv/.xlsx: «ID VK» and a mark).",
                                                metavar="FILES...")],
    unmarked_absent: Annotated[bool, typer.Option("--unmarked-absent", help="Read a tour with any mark as complete: "
                                                                            "its unmarked visitors did not come.")]
    = False,
    encoding: EncodingOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Read who came from the factories' returned rosters and check-in lists.

    Rows are matched by the roster's «Код» column, whatever the factory did to
    their order; a list without codes needs «ID VK» (and «ID экскурсии» for
    someone with several tours). Marks such as +, да, 1, ✓, х mean present; -,
    нет, 0, «не пришёл» absent; an empty cell is unknown. «Пришло гостей» counts
    the guests who came. Each tour read replaces that tour's earlier marks; any
    problem is reported at its cell and nothing changes (exit 65). People who
    cancelled, and the visitors of cancelled tours, are never no-shows.

    Example: openmosprom attendance import returned/*.xlsx --unmarked-absent
    """
    from openmosprom_cli.attendance.importer import import_attendance

    report = import_attendance(load_season(workspace), files, unmarked_absent=unmarked_absent, encoding=encoding)
    if as_json:
        print_json(report)
        return
    console.print(f"Read {report.rows} rows from {len(report.files)} file(s): the marks of {len(report.tours)} "
                  f"tour(s) stored" + (f", {len(report.replaced)} of them replacing earlier marks"
                                       if report.replaced else "") + ".")
    if report.tours:
        console.print(_tour_table("Attendance of the tours read", report.tours))
    if report.inferred_absent:
        console.print(f"{report.inferred_absent} unmarked visitor(s) of marked tours read as absent "
                      "(--unmarked-absent).")
    if report.prizes_marked:
        console.print(f"«Приз выдан» read on {report.prizes_marked} row(s); {report.prizes_handed} new hand-out(s) "
                      "recorded (see `openmosprom prizes export`).")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)


def list_(
    people: Annotated[bool, typer.Option("--people", help="Also list every seat with its status, by VK ID.")]
    = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show each tour's attendance: seats held, who came, no-shows, unknown, excused, guests.

    Example: openmosprom attendance list --json
    """
    from openmosprom_cli.attendance.importer import list_attendance

    listing = list_attendance(load_season(workspace))
    if as_json:
        print_json(listing)
        return
    console.print(_tour_table("Attendance", listing.tours))
    t = listing.totals
    console.print(f"{t.seats_held} seats held: {t.present} came, {t.no_shows} no-shows, {t.unknown} unknown, "
                  f"{t.excused} excused; {t.came_unlisted} came without a seat there; {t.guests_came} of "
                  f"{t.guests_expected} guests came.")
    if people:
        table = new_table(title="Seats", title_justify="left")
        for name in ("VK ID", "tour", "status", "guests came"):
            table.add_column(name)
        for seat in listing.seats:
            status = seat.status + (" (unmarked, tour complete)" if seat.inferred else "") + \
                ("" if seat.listed else " (no seat there)")
            table.add_row(escape(seat.registrant_id), escape(seat.tour_id), status,
                          "" if seat.guests is None else str(seat.guests))
        console.print(table)


def register(app: typer.Typer) -> None:
    attach(attendance_app, "import", import_)
    attach(attendance_app, "list", list_)
