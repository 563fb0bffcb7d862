"""Commands of the schedules stage: ``schedules template``, ``schedules import``, ``schedules list``."""

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
from openmosprom_cli.cli.groups import schedules_app
from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.i18n import _, ngettext, weekday

MAX_DETAIL_LINES = 20


def template(
    out: Annotated[Path, typer.Argument(help=_("The workbook to write (.xlsx)."), metavar=_("OUT"), show_default=False)],
    site_id: Annotated[str | None, typer.Option("--site-id", help=_("Pre-fill the site's code, e.g. estet."))] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite OUT if it exists."))] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Write a blank schedule workbook for a factory to fill in, with the season's dates pre-filled.

    Example: openmosprom schedules template estet.xlsx --site-id estet
    """
    from openmosprom_cli.schedules.template import write_template

    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter(_("the template must be an .xlsx file"), param_hint="OUT")
    if out.exists() and not force:
        raise CannotCreateError(_("{file} already exists").format(file=out), hint=_("Use --force to overwrite it."))
    season = load_season(workspace)
    path = write_template(out, season.settings, site_id)
    console.print(_("Wrote the template [bold]{file}[/]. Send it to the factory; import the filled file with "
                    "[bold]openmosprom schedules import {name}[/].").format(file=escape(str(path)),
                                                                            name=escape(path.name)))


def _site_status(site) -> str:
    return _("new") if site.is_new else (_("changed") if site.changed else _("unchanged"))


def import_(
    paths: Annotated[list[Path], typer.Argument(help=_("Workbooks, or folders of .xlsx workbooks."), metavar=_("PATHS..."), show_default=False)],
    workspace: WorkspaceOption = None,
) -> None:
    """Import factories' schedule workbooks: all are checked first, then imported all-or-nothing.

    Re-importing a site replaces its schedule; the command prints what changed.

    Example: openmosprom schedules import schedules/
    """
    from openmosprom_cli.schedules.importer import import_schedules

    report = import_schedules(load_season(workspace), paths)
    count = len(report.files)
    table = new_table(title=ngettext("Imported {count} workbook", "Imported {count} workbooks", count).format(
        count=count))
    table.add_column(_("Site"), kind=ID, priority=9)
    table.add_column(_("Name"), priority=8)
    table.add_column(_("Tours"), kind=NUMBER, priority=7)
    table.add_column(_("Added"), kind=NUMBER, priority=4)
    table.add_column(_("Removed"), kind=NUMBER, priority=4)
    table.add_column(_("Changed"), kind=NUMBER, priority=4)
    table.add_column(_("Status"), kind=FIXED, priority=6)
    for site in report.sites:
        table.add_row(escape(site.site_id), escape(site.name), str(site.candidates),
                      str(len(site.tours.added)), str(len(site.tours.removed)), str(len(site.tours.changed)),
                      _site_status(site))
    console.print(table)
    for warning in report.warnings:
        console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(warning))), soft_wrap=True)
    details = []
    for site in report.sites:
        if site.is_new:
            continue
        details += [f"{site.site_id}: {change}" for change in site.site_changes]
        details += [f"+ {tour_id}" for tour_id in site.tours.added]
        details += [f"- {tour_id}" for tour_id in site.tours.removed]
        details += [f"~ {line}" for line in site.tours.details]
    for line in details[:MAX_DETAIL_LINES]:
        console.print(f"  {escape(line)}", soft_wrap=True)  # not a message
    if len(details) > MAX_DETAIL_LINES:
        more = len(details) - MAX_DETAIL_LINES
        console.print(ngettext("  … and {count} more change", "  … and {count} more changes", more).format(count=more))
    if not report.has_changes:
        console.print(_("Nothing changed: the season already had these schedules."))
    elif report.tours_already_generated:
        console.print(_("[yellow]The season's tours were generated before this import; "
                        "run [bold]openmosprom slots generate[/] again to follow the new schedules.[/]"))
    else:
        console.print(_("Next: [bold]openmosprom slots generate[/]"))


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
        console.print(_("No schedules yet. Import them with [bold]openmosprom schedules import FOLDER[/]."))
        return
    for schedule in schedules:
        site = schedule.site
        limits = [f"{site.min_age}+"]
        if site.passport_required:
            limits.append(_("passport"))
        if site.citizens_only:
            limits.append(_("citizens only"))
        table = new_table(title=f"{escape(site.site_id)}: {escape(site.name)} ({', '.join(limits)})",  # not a message
                          title_justify="left")
        table.add_column(_("Tour"), kind=ID, priority=9)
        table.add_column(_("Date"), kind=FIXED, priority=8)
        table.add_column(_("Start"), kind=FIXED, priority=8)
        table.add_column(_("Min"), kind=NUMBER, priority=5)
        table.add_column(_("Group"), kind=NUMBER, priority=7)
        table.add_column(_("Note"), priority=4)
        table.add_column(_("Override"), kind=FIXED, priority=6)
        for c in schedule.candidates:
            override = _("pin") if c.pin else (_("exclude") if c.exclude else "")
            table.add_row(c.tour_id, f"{weekday(c.date)} {c.date:%d.%m}", f"{c.start:%H:%M}", str(c.duration_min),
                          str(c.capacity), escape(c.note), override)
        console.print(table)
    total = sum(len(s.candidates) for s in schedules)
    console.print(_("{sites}, {candidates}.").format(
        sites=ngettext("{count} site", "{count} sites", len(schedules)).format(count=len(schedules)),
        candidates=ngettext("{count} candidate tour", "{count} candidate tours", total).format(count=total)))


def register(app: typer.Typer) -> None:
    attach(schedules_app, "template", template)
    attach(schedules_app, "import", import_)
    attach(schedules_app, "list", list_)
