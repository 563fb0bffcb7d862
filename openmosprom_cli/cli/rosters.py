"""Commands of the rosters stage: ``rosters export`` (``rosters email`` lives in cli/mail.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmosprom_cli.cli.common import (
    JsonOption,
    WorkspaceOption,
    attach,
    console,
    escape,
    load_season,
    new_table,
    print_json,
)
from openmosprom_cli.cli.groups import rosters_app


def export(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the files. Default: rosters/ in the season folder.", show_default=False)] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write each factory's roster and the organizers' participants list.

    One workbook per site: a sheet per tour with that site's visitors only, a «Резерв» sheet with each
    tour's standby (the top of its waitlist, [rosters] standby_share of its capacity) and its cancelled
    tours, if any. A site whose tours were all cancelled keeps getting one once it had one.

    Each site gets only the fields it needs: birth dates at age-limited sites, passports where required.

    participants.xlsx lists everyone's result. Before `openmosprom publish` the rosters are a preview.

    Files with passports, birth dates or everyone's contacts are readable by their owner only.

    Example: openmosprom rosters export -w season-2026
    """
    from openmosprom_cli.rosters.export import export_rosters

    report = export_rosters(load_season(workspace), out)
    if json_output:
        print_json(report)
        return

    table = new_table(title=f"Rosters of allocation run {report.run_id} (seed {escape(report.seed)})")
    table.add_column("File", no_wrap=True)
    table.add_column("Site")
    table.add_column("Tours", justify="right")
    table.add_column("People", justify="right")
    table.add_column("Seats", justify="right")
    table.add_column("Standby", justify="right")
    table.add_column("Waiting", justify="right")
    table.add_column("vs last")
    table.add_column("Access")
    for s in report.sites:
        table.add_row(escape(s.path.name), escape(s.site_name), str(s.tours),
                      str(s.visitors), str(s.seats_taken), str(s.standby), str(s.waitlisted), s.status,
                      "owner" if s.private else "all")
    console.print(table)
    console.print(f"Participants: [bold]{escape(str(report.participants_path))}[/] "
                  f"({report.people} people, owner only)")
    if report.removed_sites:
        console.print(f"Sites no longer in the season, roster records dropped: "
                      f"{escape(', '.join(report.removed_sites))}")
    if report.removed_files:
        console.print(f"Removed the previous export's files not written again: "
                      f"{escape(', '.join(p.name for p in report.removed_files))}")
    console.print(f"Written to {escape(str(report.out_dir))}")


def register(app: typer.Typer) -> None:
    attach(rosters_app, "export", export)
