"""Commands after the tours: ``attendance import`` and ``attendance list``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    FIXED,
    ID,
    NUMBER,
    EncodingOption,
    FittedTable,
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
from openmosprom_cli.i18n import _, ngettext, weekday

if TYPE_CHECKING:
    from openmosprom_cli.attendance.importer import TourAttendance


def _status(status: str) -> str:
    """A seat's attendance (attendance/status.py STATUSES), in words."""
    return {"present": _("present"), "absent": _("no-show"), "unknown": _("unknown"),
            "excused": _("excused")}.get(status, status)


def _tour_table(title: str, tours: tuple[TourAttendance, ...]) -> FittedTable:
    table = new_table(title=title, title_justify="left")
    table.add_column(_("tour"), kind=ID, priority=9)
    table.add_column(_("date"), kind=FIXED, priority=8)
    table.add_column(_("seats held"), kind=NUMBER, priority=7)
    table.add_column(_("came"), kind=NUMBER, priority=8)
    table.add_column(_("no-shows"), kind=NUMBER, priority=8)
    table.add_column(_("unknown"), kind=NUMBER, priority=6)
    table.add_column(_("excused"), kind=NUMBER, priority=5)
    table.add_column(_("guests came"), kind=NUMBER, priority=4)
    for t in tours:
        c = t.counts
        note = _(" [dim](cancelled)[/]") if t.cancelled else ("" if t.returned else _(" [dim](not returned)[/]"))
        # The note on a line of its own: the ID column is as wide as its widest cell, never cut.
        table.add_row(escape(t.tour_id) + ("\n" + note.strip() if note else ""), f"{t.date:%d.%m} {weekday(t.date)} {t.start:%H:%M}",
                      str(c.seats_held), str(c.present + c.came_unlisted), str(c.no_shows), str(c.unknown),
                      str(c.excused), str(c.guests_came))
    return table


def import_(
    files: Annotated[list[Path], typer.Argument(help=_("Returned rosters (.xlsx, as sent, with «Отметка о посещении» "
                                                       "filled in) or check-in lists (.csv/.xlsx: «ID VK» and a mark)."),
                                                metavar=_("FILES..."))],
    unmarked_absent: Annotated[bool, typer.Option("--unmarked-absent", help=_("Read a tour with any mark as complete: "
                                                                              "its unmarked visitors did not come."))]
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
    read = _("Read {rows} from {files}: the marks of {tours} stored").format(
        rows=ngettext("{count} row", "{count} rows", report.rows).format(count=report.rows),
        files=ngettext("{count} file", "{count} files", len(report.files)).format(count=len(report.files)),
        tours=ngettext("{count} tour", "{count} tours", len(report.tours)).format(count=len(report.tours)))
    if report.replaced:
        read += _(", {count} of them replacing earlier marks").format(count=len(report.replaced))
    console.print(read + ".")
    if report.tours:
        console.print(_tour_table(_("Attendance of the tours read"), report.tours))
    if report.inferred_absent:
        console.print(ngettext("{count} unmarked visitor of marked tours read as absent (--unmarked-absent).",
                               "{count} unmarked visitors of marked tours read as absent (--unmarked-absent).",
                               report.inferred_absent).format(count=report.inferred_absent))
    if report.prizes_marked:
        console.print(_("«Приз выдан» read on {rows}; {handed} recorded (see `openmosprom prizes export`).").format(
            rows=ngettext("{count} row", "{count} rows", report.prizes_marked).format(count=report.prizes_marked),
            handed=ngettext("{count} new hand-out", "{count} new hand-outs", report.prizes_handed).format(
                count=report.prizes_handed)))
    for warning in report.warnings:
        console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(warning))), soft_wrap=True)


def list_(
    people: Annotated[bool, typer.Option("--people", help=_("Also list every seat with its status, by VK ID."))]
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
    console.print(_tour_table(_("Attendance"), listing.tours))
    t = listing.totals
    console.print(ngettext(
        "{held} seat held: {came} came, {no_shows} no-shows, {unknown} unknown, {excused} excused; {unlisted} came "
        "without a seat there; {guests} of {expected} guests came.",
        "{held} seats held: {came} came, {no_shows} no-shows, {unknown} unknown, {excused} excused; {unlisted} came "
        "without a seat there; {guests} of {expected} guests came.", t.seats_held).format(
        held=t.seats_held, came=t.present, no_shows=t.no_shows, unknown=t.unknown, excused=t.excused,
        unlisted=t.came_unlisted, guests=t.guests_came, expected=t.guests_expected))
    if people:
        table = new_table(title=_("Every seat's attendance"), title_justify="left")
        table.add_column(_("VK ID"), kind=ID, priority=9)
        table.add_column(_("tour"), kind=ID, priority=8)
        table.add_column(_("status"), priority=7)
        table.add_column(_("guests came"), kind=NUMBER, priority=6)
        for seat in listing.seats:
            status = _status(seat.status)
            if seat.inferred:
                status = _("{status} (unmarked, tour complete)").format(status=status)
            if not seat.listed:
                status = _("{status} (no seat there)").format(status=status)
            table.add_row(escape(seat.registrant_id), escape(seat.tour_id), status,
                          "" if seat.guests is None else str(seat.guests))
        console.print(table)


def register(app: typer.Typer) -> None:
    attach(attendance_app, "import", import_)
    attach(attendance_app, "list", list_)
