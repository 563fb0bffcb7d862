"""``publish``: tell the visitors, and keep every seat they were told of."""

from __future__ import annotations

import typer

from openmosprom_cli.cli.common import JsonOption, WorkspaceOption, attach, console, escape, load_season, print_json
from openmosprom_cli.i18n import _, ngettext


def publish(json_output: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """Publish the seats: write what to tell each visitor and what changed, and keep every seat from now on.

    Writes publications/notifications-NNNN.csv (everyone's result, one line
    each) and publications/changes-NNNN.csv (seats gained, lost or moved, and
    changed times, since the last publication) for the mini-app. From then on
    every seat is a commitment: a later `openmosprom assign` keeps it, and only
    a cancellation, a cancelled tour, a cut capacity or an organizer's move
    with a reason ends it. Publish again after each change you announce.

    Example: openmosprom publish
    """
    from openmosprom_cli.publication.publish import publish as publish_seats

    report = publish_seats(load_season(workspace))
    if json_output:
        print_json(report)
        return
    console.print(ngettext("[bold]Publication {number}[/] of allocation run {run}: {seats} seat announced and kept "
                           "from now on.",
                           "[bold]Publication {number}[/] of allocation run {run}: {seats} seats announced and kept "
                           "from now on.", report.committed).format(number=report.number, run=report.run_id,
                                                                    seats=report.committed))
    if report.changes:
        for what, people in report.changes:
            console.print(f"  {people}: {escape(str(what))}")  # not a message
    else:
        console.print(_("  Nothing changed for anyone since the last publication."))
    console.print(_("For the mini-app: [bold]{notifications}[/] and [bold]{changes}[/]").format(
        notifications=escape(str(report.notifications_path)), changes=escape(str(report.changes_path))))
    if report.pending_changes:
        console.print(ngettext("[yellow]note:[/] {count} seat freed since the last assign is not given yet; run "
                               "[bold]openmosprom assign[/], then publish again.",
                               "[yellow]note:[/] {count} seats freed since the last assign are not given yet; run "
                               "[bold]openmosprom assign[/], then publish again.", report.pending_changes).format(
            count=report.pending_changes), soft_wrap=True)


def register(app: typer.Typer) -> None:
    attach(app, "publish", publish)
