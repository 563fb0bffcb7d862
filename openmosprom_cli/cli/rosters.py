"""Commands of the rosters stage: ``rosters export`` (``rosters email`` lives in cli/mail.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmosprom_cli.cli.common import (
    FIXED,
    ID,
    NUMBER,
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
from openmosprom_cli.i18n import _, ngettext


def _export_status(status: str) -> str:
    """A roster compared with the previous export (rosters/export.py SiteExport.status), in words."""
    return {"new": _("new"), "changed": _("changed"), "unchanged": _("unchanged")}.get(status, status)


def export(
    out: Annotated[Path | None, typer.Option(
        "--out", help=_("Folder for the files. Default: rosters/ in the season folder."), show_default=False)] = None,
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

    table = new_table(title=_("Rosters of allocation run {run} (seed {seed})").format(run=report.run_id,
                                                                                   seed=escape(report.seed)))
    table.add_column(_("File"), kind=ID, priority=9)
    table.add_column(_("Site"), priority=6)
    table.add_column(_("Tours"), kind=NUMBER, priority=7)
    # People are the registrants on the site's tours; Seats count their guests too.
    table.add_column(_("People"), kind=NUMBER, priority=8)
    table.add_column(_("Seats"), kind=NUMBER, priority=8)
    table.add_column(_("Standby"), kind=NUMBER, priority=4)
    table.add_column(_("Waiting"), kind=NUMBER, priority=3)
    table.add_column(_("vs last"), kind=FIXED, priority=5)
    table.add_column(_("Access"), kind=FIXED, priority=2)
    for s in report.sites:
        table.add_row(escape(s.path.name), escape(s.site_name), str(s.tours),
                      str(s.visitors), str(s.seats_taken), str(s.standby), str(s.waitlisted), _export_status(s.status),
                      _("owner") if s.private else _("all"))
    console.print(table)
    console.print(ngettext("Participants: [bold]{file}[/] ({count} person, owner only)",
                           "Participants: [bold]{file}[/] ({count} people, owner only)", report.people).format(
        file=escape(str(report.participants_path)), count=report.people))
    if report.removed_sites:
        console.print(_("Sites no longer in the season, roster records dropped: {sites}").format(
            sites=escape(", ".join(report.removed_sites))))
    if report.removed_files:
        console.print(_("Removed the previous export's files not written again: {files}").format(
            files=escape(", ".join(p.name for p in report.removed_files))))
    console.print(_("Written to {folder}").format(folder=escape(str(report.out_dir))))


def register(app: typer.Typer) -> None:
    attach(rosters_app, "export", export)
