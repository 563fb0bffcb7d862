"""Commands of the schedules stage: ``schedules template``, ``schedules import``, ``schedules list``."""

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
from openmosprom_cli.cli.groups import schedules_app
from openmosprom_cli.errors import CannotCreateError

MAX_DETAIL_LINES = 20


def template(
    out: Annotated[Path, typer.Argument(help="The workbook to write (.xlsx).", show_default=False)],
    site_id: Annotated[str | None, typer.Option("--site-id", help="Pre-fill the site's code, e.g. estet.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Write a blank schedule workbook for a factory to fill in, with the season's dates pre-filled.

    Example: openmosprom schedules template estet.xlsx --site-id estet
    """
    from openmosprom_cli.schedules.template import write_template

    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter("the template must be an .xlsx file", param_hint="OUT")
    if out.exists() and not force:
        raise CannotCreateError(f"{out} already exists", hint="Use --force to overwrite it.")
    season = load_season(workspace)
    path = write_template(out, season.settings, site_id)
    console.print(f"Wrote the template [bold]{escape(str(path))}[/]. Send it to the factory; "
                  f"import the filled file with [bold]openmosprom schedules import {escape(path.name)}[/].")


def import_(
    paths: Annotated[list[Path], typer.Argument(help="Workbooks, or folders of .xlsx workbooks.", show_default=False)],
    workspace: WorkspaceOption = None,
) -> None:
    """Import factories' schedule workbooks: all are checked first, then imported all-or-nothing.

    Re-importing a site replaces its schedule; the command prints what changed.

    Example: openmosprom schedules import schedules/
    """
    from openmosprom_cli.schedules.importer import import_schedules

    report = import_schedules(load_season(workspace), paths)
    table = new_table(title=f"Imported {len(report.files)} workbook{'s' if len(report.files) != 1 else ''}")
    table.add_column("Site", no_wrap=True)
    table.add_column("Name")
    for column in ("Tours", "Added", "Removed", "Changed"):
        table.add_column(column, justify="right")
    table.add_column("Status")
    for site in report.sites:
        status = "new" if site.is_new else ("changed" if site.changed else "unchanged")
        table.add_row(escape(site.site_id), escape(site.name), str(site.candidates),
                      str(len(site.tours.added)), str(len(site.tours.removed)), str(len(site.tours.changed)), status)
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    details = []
    for site in report.sites:
        if site.is_new:
            continue
        details += [f"{site.site_id}: {change}" for change in site.site_changes]
        details += [f"+ {tour_id}" for tour_id in site.tours.added]
        details += [f"- {tour_id}" for tour_id in site.tours.removed]
        details += [f"~ {line}" for line in site.tours.details]
    for line in details[:MAX_DETAIL_LINES]:
        console.print(f"  {escape(line)}", soft_wrap=True)
    if len(details) > MAX_DETAIL_LINES:
        console.print(f"  … and {len(details) - MAX_DETAIL_LINES} more changes")
    if not report.has_changes:
        console.print("Nothing changed: the season already had these schedules.")
    elif report.tours_already_generated:
        console.print("[yellow]The season's tours were generated before this import; "
                      "run [bold]openmosprom slots generate[/] again to follow the new schedules.[/]")
    else:
        console.print("Next: [bold]openmosprom slots generate[/]")


def list_(json_output: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """List the sites and the candidate tours they offer.

    Example: openmosprom schedules list --json
    """
    from openmosprom_cli.schedules.importer import list_schedules

    schedules = list_schedules(load_season(workspace))
    if json_output:
        print_json(schedules)
        return
    if not schedules:
        console.print("No schedules yet. Import them with [bold]openmosprom schedules import FOLDER[/].")
        return
    for schedule in schedules:
        site = schedule.site
        limits = [f"{site.min_age}+"]
        if site.passport_required:
            limits.append("passport")
        if site.citizens_only:
            limits.append("citizens only")
        table = new_table(title=f"{escape(site.site_id)}: {escape(site.name)} ({', '.join(limits)})",
                      title_justify="left")
        table.add_column("Tour", no_wrap=True)
        table.add_column("Date", no_wrap=True)
        for column in ("Start", "Min", "Group"):
            table.add_column(column, justify="right")
        table.add_column("Note")
        table.add_column("Override")
        for c in schedule.candidates:
            override = "pin" if c.pin else ("exclude" if c.exclude else "")
            table.add_row(c.tour_id, f"{c.date:%a %d.%m}", f"{c.start:%H:%M}", str(c.duration_min),
                          str(c.capacity), escape(c.note), override)
        console.print(table)
    total = sum(len(s.candidates) for s in schedules)
    console.print(f"{len(schedules)} sites, {total} candidate tours.")


def register(app: typer.Typer) -> None:
    attach(schedules_app, "template", template)
    attach(schedules_app, "import", import_)
    attach(schedules_app, "list", list_)
