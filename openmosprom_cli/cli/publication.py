"""``publish``: tell the visitors, and keep every seat they were told of."""

from __future__ import annotations

import typer

from openmosprom_cli.cli.common import JsonOption, WorkspaceOption, attach, console, escape, load_season, print_json


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
    console.print(f"[bold]Publication {report.number}[/] of allocation run {report.run_id}: "
                  f"{report.committed} seat{'s' if report.committed != 1 else ''} announced and kept from now on.")
    if report.changes:
        for what, people in report.changes:
            console.print(f"  {people}: {escape(what)}")
    else:
        console.print("  Nothing changed for anyone since the last publication.")
    console.print(f"For the mini-app: [bold]{escape(str(report.notifications_path))}[/] and "
                  f"[bold]{escape(str(report.changes_path))}[/]")
    if report.pending_changes:
        console.print(f"[yellow]note:[/] {report.pending_changes} seat(s) freed since the last assign are not "
                      "given yet; run [bold]openmosprom assign[/], then publish again.", soft_wrap=True)


def register(app: typer.Typer) -> None:
    attach(app, "publish", publish)
