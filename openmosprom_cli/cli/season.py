"""Commands that create a season: ``init`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmosprom_cli.cli.common import attach, console, escape
from openmosprom_cli.i18n import _, ngettext


def init(
    directory: Annotated[Path, typer.Argument(help=_("Folder for the new season."), metavar=_("[FOLDER]"), show_default=True)] = Path("."),
    year: Annotated[int | None, typer.Option("--year", help=_("Season year (default: the coming December)."))] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Replace an existing season's settings and state."))] = False,
) -> None:
    """Create a season folder with season.toml (settings) and season.db (state).

    Example: openmosprom init season-2026 --year 2026
    """
    from openmosprom_cli.season.folder import init_season

    season = init_season(directory, year=year, force=force)
    s = season.settings
    console.print(_("Created the {year} season in [bold]{folder}[/]").format(year=s.year, folder=escape(str(season.path))))
    console.print(ngettext("  window {start}–{end}, {tours} tour, at least {least} per site",
                           "  window {start}–{end}, {tours} tours, at least {least} per site", s.tours).format(
        start=f"{s.window_start:%d.%m.%Y}", end=f"{s.window_end:%d.%m.%Y}", tours=s.tours, least=s.min_per_site))
    console.print(_("Next: edit {settings}, then [bold]openmosprom schedules template[/] for the factories.").format(
        settings=escape(str(season.settings_path))))


def demo(
    directory: Annotated[Path, typer.Argument(help=_("Folder for the demo season."), metavar=_("[FOLDER]"))] = Path("demo-season"),
    force: Annotated[bool, typer.Option("--force", help=_("Replace an earlier demo season in that folder."))] = False,
    people: Annotated[int, typer.Option("--people", min=1, help=_("How many synthetic registrants to generate."))] = 3000,
    seed: Annotated[int, typer.Option("--seed", help=_("Seed of the synthetic registrants."))] = 20231205,
) -> None:
    """Run the whole pipeline on sample data in a fresh season folder.

    Fourteen sample factory workbooks → 36 tours → a synthetic VK mini-app export (with a few
    invalid rows, imported with --skip-invalid) → allocation by score → a prize draw → publication →
    rosters → email drafts.

    Example: openmosprom demo ./demo-season --force
    """
    from openmosprom_cli.cli.allocation import render_assignment
    from openmosprom_cli.cli.prizes import render_draw
    from openmosprom_cli.demo.run import run_demo

    report = run_demo(directory, force=force, people=people, seed=seed)
    where = report.path
    schedules = report.schedules
    candidates = sum(site.candidates for site in schedules.sites)
    console.rule(_("[bold]1. Factories' schedules"))
    console.print(_("{workbooks} in {folder}: {sites}, {candidates}").format(
        workbooks=ngettext("{count} sample workbook", "{count} sample workbooks", len(report.schedule_files)).format(
            count=len(report.schedule_files)),
        folder=escape(str(where / "schedules")),
        sites=ngettext("{count} site", "{count} sites", len(schedules.sites)).format(count=len(schedules.sites)),
        candidates=ngettext("{count} candidate tour", "{count} candidate tours", candidates).format(count=candidates)))
    tours = report.tours.result
    console.rule(_("[bold]2. The season's tours"))
    sites_with_tours = sum(1 for n in tours.per_site.values() if n)
    console.print(_("{tours} across {sites}, {first}–{last}").format(
        tours=ngettext("{count} tour", "{count} tours", len(tours.tours)).format(count=len(tours.tours)),
        sites=ngettext("{count} site", "{count} sites", sites_with_tours).format(count=sites_with_tours),
        first=f"{min(tours.per_day):%d.%m}", last=f"{max(tours.per_day):%d.%m}"))
    for warning in report.tours.warnings:
        console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(warning))))
    reg = report.registrants
    console.rule(_("[bold]3. Registrants"))
    console.print(_("{rows} in {file}: {imported} imported, {rejected} rejected (imported with --skip-invalid)").format(
        rows=ngettext("{count} row", "{count} rows", reg.rows_read).format(count=reg.rows_read),
        file=escape(str(report.registrant_export)), imported=reg.imported, rejected=len(reg.rejected)))
    for rejected in reg.rejected:
        console.print(_("  row {row}: {reasons}").format(row=rejected.row,
                                                          reasons=escape("; ".join(map(str, rejected.reasons)))))
    if reg.rejected_path:
        console.print(_("  rejected rows with their reasons: {file}").format(file=escape(str(reg.rejected_path))))
    console.rule(_("[bold]4. Allocation by score"))
    render_assignment(report.assignment)
    console.rule(_("[bold]5. Prizes for the most active"))
    console.print(_("Catalogue: {file}").format(file=escape(str(report.prize_catalogue))))
    render_draw(report.prizes, next_steps=False)
    published = report.publication
    console.rule(_("[bold]6. Publication"))
    console.print(ngettext(
        "Publication {number}: {seats} seat announced and kept from now on; for the mini-app {notifications} and "
        "{changes}",
        "Publication {number}: {seats} seats announced and kept from now on; for the mini-app {notifications} and "
        "{changes}", published.committed).format(
        number=published.number, seats=published.committed, notifications=escape(str(published.notifications_path)),
        changes=escape(str(published.changes_path.name))))
    rosters = report.rosters
    console.rule(_("[bold]7. Rosters and email drafts"))
    console.print(ngettext("{count} site roster and participants.xlsx in {folder}",
                           "{count} site rosters and participants.xlsx in {folder}", len(rosters.sites)).format(
        count=len(rosters.sites), folder=escape(str(rosters.out_dir))))
    console.print(ngettext("{count} email draft (.eml, open it in a mail client) in {folder}",
                           "{count} email drafts (.eml, open them in a mail client) in {folder}",
                           len(report.outbox)).format(count=len(report.outbox), folder=escape(str(where / "outbox"))))
    console.rule()
    console.print(_("Try next: [bold]cd {folder}[/], then [bold]openmosprom explain ID[/], "
                    "[bold]openmosprom audit[/], [bold]openmosprom outbox list[/].").format(folder=escape(str(where))))


def register(app: typer.Typer) -> None:
    attach(app, "init", init)
    attach(app, "demo", demo)
