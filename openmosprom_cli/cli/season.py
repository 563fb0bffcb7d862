"""Commands that create a season: ``init`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmosprom_cli.cli.common import attach, console, escape


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new season.", show_default=True)] = Path("."),
    year: Annotated[int | None, typer.Option("--year", help="Season year (default: the coming December).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing season's settings and state.")] = False,
) -> None:
    """Create a season folder with season.toml (settings) and season.db (state).

    Example: openmosprom init season-2026 --year 2026
    """
    from openmosprom_cli.season.folder import init_season

    season = init_season(directory, year=year, force=force)
    s = season.settings
    console.print(f"Created the {s.year} season in [bold]{escape(str(season.path))}[/]")
    console.print(f"  window {s.window_start:%d.%m.%Y}–{s.window_end:%d.%m.%Y}, {s.tours} tours, "
                  f"at least {s.min_per_site} per site")
    console.print(f"Next: edit {escape(str(season.settings_path))}, then "
                  f"[bold]openmosprom schedules template[/] for the factories.")


def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo season.")] = Path("demo-season"),
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier demo season in that folder.")] = False,
    people: Annotated[int, typer.Option("--people", min=1, help="How many synthetic registrants to generate.")] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic registrants.")] = 20231205,
) -> None:
    """Run the whole pipeline on sample data in a fresh season folder.

    Fourteen sample factory workbooks → 36 tours → a synthetic VK mini-app export (with a few
    invalid rows, imported with --skip-invalid) → allocation by score → rosters → email drafts.

    Example: openmosprom demo ./demo-season --force
    """
    from openmosprom_cli.cli.allocation import render_assignment
    from openmosprom_cli.demo.run import run_demo

    report = run_demo(directory, force=force, people=people, seed=seed)
    where = report.path
    schedules = report.schedules
    candidates = sum(site.candidates for site in schedules.sites)
    console.rule("[bold]1. Factories' schedules")
    console.print(f"{len(report.schedule_files)} sample workbooks in {escape(str(where / 'schedules'))}: "
                  f"{len(schedules.sites)} sites, {candidates} candidate tours")
    tours = report.tours.result
    console.rule("[bold]2. The season's tours")
    console.print(f"{len(tours.tours)} tours across {sum(1 for n in tours.per_site.values() if n)} sites, "
                  f"{min(tours.per_day):%d.%m}–{max(tours.per_day):%d.%m}")
    for warning in report.tours.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    reg = report.registrants
    console.rule("[bold]3. Registrants")
    console.print(f"{reg.rows_read} rows in {escape(str(report.registrant_export))}: {reg.imported} imported, "
                  f"{len(reg.rejected)} rejected (imported with --skip-invalid)")
    for rejected in reg.rejected:
        console.print(f"  row {rejected.row}: {escape('; '.join(rejected.reasons))}")
    if reg.rejected_path:
        console.print(f"  rejected rows with their reasons: {escape(str(reg.rejected_path))}")
    console.rule("[bold]4. Allocation by score")
    render_assignment(report.assignment)
    published = report.publication
    console.rule("[bold]5. Publication")
    console.print(f"Publication {published.number}: {published.committed} seats announced and kept from now on; "
                  f"for the mini-app {escape(str(published.notifications_path))} and "
                  f"{escape(str(published.changes_path.name))}")
    rosters = report.rosters
    console.rule("[bold]6. Rosters and email drafts")
    console.print(f"{len(rosters.sites)} site rosters and participants.xlsx in {escape(str(rosters.out_dir))}")
    console.print(f"{len(report.outbox)} email drafts (.eml, open them in a mail client) in "
                  f"{escape(str(where / 'outbox'))}")
    console.rule()
    console.print(f"Try next: [bold]cd {escape(str(where))}[/], then [bold]openmosprom explain ID[/], "
                  f"[bold]openmosprom audit[/], [bold]openmosprom outbox list[/].")


def register(app: typer.Typer) -> None:
    attach(app, "init", init)
    attach(app, "demo", demo)
