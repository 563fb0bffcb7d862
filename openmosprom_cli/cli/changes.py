"""Commands that change people's seats after the fact: cancel, reinstate, move, unassign."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    EncodingOption,
    JsonOption,
    ReasonOption,
    WorkspaceOption,
    attach,
    console,
    escape,
    load_season,
    print_json,
)
from openmosprom_cli.cli.groups import registrants_app
from openmosprom_cli.i18n import _, ngettext

if TYPE_CHECKING:
    from openmosprom_cli.changes.seats import SeatChange


def render_seat_changes(changes: Sequence[SeatChange]) -> None:
    for c in changes:
        if c.gained:
            console.print(ngettext("  [green]+[/] {id} seated on {tour} ({seats} seat), kept from now on",
                                   "  [green]+[/] {id} seated on {tour} ({seats} seats), kept from now on",
                                   c.seats).format(id=escape(c.registrant_id), tour=escape(c.tour_id), seats=c.seats))
        elif c.was_committed:
            console.print(ngettext("  [red]−[/] {id} loses {seats} seat on {tour}, who was told",
                                   "  [red]−[/] {id} loses {seats} seats on {tour}, who was told",
                                   c.seats).format(id=escape(c.registrant_id), tour=escape(c.tour_id), seats=c.seats))
        else:
            console.print(ngettext("  [red]−[/] {id} loses {seats} seat on {tour}",
                                   "  [red]−[/] {id} loses {seats} seats on {tour}",
                                   c.seats).format(id=escape(c.registrant_id), tour=escape(c.tour_id), seats=c.seats))


def cancel(
    ids: Annotated[list[str] | None, typer.Argument(help=_("VK IDs of the people who cancel."), metavar=_("ID..."),
                                                     show_default=False)] = None,
    file: Annotated[Path | None, typer.Option("--file", metavar=_("FILE"), show_default=False,
                                              help=_("The mini-app's export of declines (.csv or .xlsx): an «ID VK» "
                                                     "column, and an optional «Причина»."))] = None,
    reason: ReasonOption = None,
    encoding: EncodingOption = None,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Cancel people: they leave every tour and waitlist, and no allocation places them again unless reinstated.

    Their seats go to the next assign, by priority. IDs on the command line need --reason; the file's rows are the
    visitors' own declines. Any unknown ID stops the whole command (exit 65) and nothing changes.

    Example: openmosprom registrants cancel 123456 --reason "called to say she cannot come"
    """
    from openmosprom_cli.changes.people import cancel_registrants

    report = cancel_registrants(load_season(workspace), ids or (), reason=reason, file=file, encoding=encoding)
    if json_output:
        print_json(report)
        return
    console.print(ngettext("Cancelled {count} person.", "Cancelled {count} people.", len(report.cancelled)).format(
        count=len(report.cancelled)))
    if report.already:
        console.print(_("Already cancelled, left as they were: {ids}").format(ids=escape(", ".join(report.already))))
    render_seat_changes(report.seats_freed)
    if report.seats_freed:
        console.print(_("Next: [bold]openmosprom assign[/] gives the freed seats, then [bold]openmosprom publish[/]."))


def reinstate(
    ids: Annotated[list[str], typer.Argument(help=_("VK IDs of cancelled people."), metavar=_("ID..."))],
    reason: ReasonOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Undo a cancellation: the next assign considers the person again (their old seat is not given back).

    Example: openmosprom registrants reinstate 123456 --reason "cancelled by mistake"
    """
    from openmosprom_cli.changes.people import reinstate_registrants

    done = reinstate_registrants(load_season(workspace), ids, reason=reason)
    console.print(_("Reinstated {ids}. Next: [bold]openmosprom assign[/].").format(ids=escape(", ".join(done))))


def move(
    registrant_id: Annotated[str, typer.Argument(help=_("The person's VK ID."), metavar=_("ID"))],
    tour: Annotated[str, typer.Argument(help=_("The tour to put them on."), metavar=_("TOUR"))],
    reason: ReasonOption = None,
    from_tour: Annotated[str | None, typer.Option("--from", metavar=_("TOUR"), show_default=False,
                                                  help=_("Which of their seats to move, when they hold several."))] = None,
    override: Annotated[bool, typer.Option("--override", help=_("Move them even though a rule (eligibility, capacity, "
                                                                "overlap, the limit of tours) forbids it; the reason "
                                                                "is kept as a documented exception."))] = False,
    after_deadline: Annotated[bool, typer.Option("--after-deadline", help=_("Fill a seat on a tour whose list is "
                                                                            "already frozen (its deadline has come)."))]
    = False,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Put a person on a tour: from the seat they hold, or from none. Every later assign keeps it.

    Eligibility and capacity still hold unless --override; a frozen tour needs --after-deadline; a tour that has
    started never changes. A rule that stops the move is named, and nothing changes (exit 65).

    Example: openmosprom move 123456 estet-1215-1500 --reason "asked for a later day"
    """
    from openmosprom_cli.changes.people import move_registrant

    report = move_registrant(load_season(workspace), registrant_id, tour, reason=reason, from_tour=from_tour,
                             override=override, after_deadline=after_deadline)
    if json_output:
        print_json(report)
        return
    render_seat_changes(report.changes)
    if report.override:
        console.print(_("[yellow]Documented exception:[/] {why}").format(why=escape(str(report.override))),
                      soft_wrap=True)
    console.print(_("Next: [bold]openmosprom publish[/] tells the person, [bold]openmosprom rosters export[/] and "
                    "[bold]rosters email --send[/] the factory."))


def unassign(
    registrant_id: Annotated[str, typer.Argument(help=_("The person's VK ID."), metavar=_("ID"))],
    reason: ReasonOption = None,
    tour: Annotated[str | None, typer.Option("--tour", metavar=_("TOUR"), show_default=False,
                                             help=_("Which seat, when they hold several."))] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Take a person's seat away; the next assign gives it to the next in line who fits.

    Example: openmosprom unassign 123456 --reason "duplicate booking"
    """
    from openmosprom_cli.changes.people import unassign_registrant

    render_seat_changes(unassign_registrant(load_season(workspace), registrant_id, reason=reason, tour_id=tour))


def register(app: typer.Typer) -> None:
    attach(registrants_app, "cancel", cancel)
    attach(registrants_app, "reinstate", reinstate)
    attach(app, "move", move)
    attach(app, "unassign", unassign)
