"""Commands of the slots stage: generate, list, export and import the season's tours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from openmosprom_cli.cli.changes import render_seat_changes
from openmosprom_cli.cli.common import (
    EncodingOption,
    JsonOption,
    ReasonOption,
    WorkspaceOption,
    attach,
    console,
    date_option,
    escape,
    load_season,
    new_table,
    print_json,
    time_option,
)
from openmosprom_cli.cli.groups import slots_app

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def generate(
    tours: Annotated[int | None, typer.Option("--tours", min=1, help="How many tours (default: season.toml).")] = None,
    date_from: Annotated[str | None, typer.Option("--from", metavar="DATE", help="First day, DD.MM.YYYY or ISO (default: the window's start).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", metavar="DATE", help="Last day, DD.MM.YYYY or ISO (default: the window's end).")] = None,
    min_per_site: Annotated[int | None, typer.Option("--min-per-site", min=0, help="At least this many tours per site (default: season.toml).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Tie-breaking seed (default: season.toml).")] = None,
    weights: Annotated[Path | None, typer.Option("--weights", metavar="FILE", help="A .csv or .xlsx of site_id/Код площадки and weight/Вес that replaces capacity as the measure of demand.")] = None,
    allow_fewer: Annotated[bool, typer.Option("--allow-fewer", help="Store fewer tours, with a warning, when not enough can be found.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Regenerate even though an allocation exists (it must then be rerun).")] = False,
    encoding: EncodingOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Choose the season's tours from the factories' candidates and store them, replacing earlier ones.

    Every site gets its minimum, the rest are shared in proportion to seats offered (or weights), each site's tours go on different days first, and the daily load is kept even. Pinned candidates are always chosen, excluded ones never. The same inputs and seed always give the same tours.

    Example: openmosprom slots generate --tours 36 --from 11.12.2026 --to 22.12.2026
    """
    from openmosprom_cli.tours.generate import generate_season_tours

    start, end = date_option(date_from), date_option(date_to)
    season = load_season(workspace)
    report = generate_season_tours(season, tours=tours, date_from=start, date_to=end, min_per_site=min_per_site,
                                   seed=seed, weights_file=weights, allow_fewer=allow_fewer, force=force,
                                   encoding=encoding)
    result, params = report.result, report.params
    console.print(f"Chose [bold]{len(result.tours)}[/] of {result.requested} tours from {result.usable} usable "
                  f"candidates ({result.candidates} in all), {params.window_start:%d.%m.%Y}–"
                  f"{params.window_end:%d.%m.%Y}, shares by {result.measure}, seed {escape(str(params.seed))}.")
    _print_site_counts(result.per_site, report.sites, result.tours)
    _print_day_counts(result.per_day)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    if report.replaced:
        console.print(f"Replaced the {report.replaced} tours stored before.")
    console.print("Next: [bold]openmosprom slots export tours.xlsx[/] to publish or edit them.")


def list_command(json_output: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """Show the season's tours with how many each site and each day has.

    Example: openmosprom slots list --json
    """
    from openmosprom_cli.tours.listing import list_tours

    listing = list_tours(load_season(workspace))
    if json_output:
        print_json(listing)
        return
    if not listing.tours:
        console.print("No tours yet. Generate them with [bold]openmosprom slots generate[/].")
        return
    table = new_table(title=f"{len(listing.tours)} tours")
    for header in ("Tour ID", "Site", "Date", "Start", "Min", "Seats"):
        table.add_column(header, justify="right" if header in ("Min", "Seats") else "left")
    for t in listing.tours:
        site = listing.sites.get(t.site_id)
        table.add_row(escape(t.tour_id), escape(site.name if site else t.site_id),
                      f"{t.date:%d.%m} {WEEKDAYS[t.date.weekday()]}", f"{t.start:%H:%M}", str(t.duration_min),
                      str(t.capacity))
    console.print(table)
    _print_site_counts(listing.per_site, listing.sites, listing.tours)
    _print_day_counts(listing.per_day)


def export(
    out: Annotated[Path, typer.Argument(help="OUT.xlsx or OUT.csv (semicolon-separated, UTF-8).", metavar="OUT")],
    workspace: WorkspaceOption = None,
) -> None:
    """Write the tours for publishing in the VK mini-app and for editing, with Russian column names.

    Example: openmosprom slots export tours.xlsx
    """
    from openmosprom_cli.tours.exchange import export_tours

    path = export_tours(load_season(workspace), out)
    console.print(f"Wrote {escape(str(path))}. After editing it, take it back with "
                  f"[bold]openmosprom slots import {escape(path.name)}[/].")


def import_command(
    file: Annotated[Path, typer.Argument(help="An edited export (.xlsx or .csv).", metavar="FILE")],
    reason: ReasonOption = None,
    encoding: EncodingOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Take an edited tour export back: capacity, duration, date and start may change, and rows may be added.

    A tour moved to another date or time keeps its ID, and its visitors keep their seats. A capacity cut below the seats taken frees the seats of the lowest-priority parties. A row with an empty ID and a site adds a late tour. Before publication a deleted row removes its tour; after it, a tour missing from the file stays (cancel one with `openmosprom slots cancel`). After publication, taking anyone's seat needs --reason. Address, age, passport and notes come from the factories' workbooks: edits there are reported as not taken. Nothing changes unless the whole file is valid.

    Example: openmosprom slots import tours.xlsx --reason "the factory has a smaller room"
    """
    from openmosprom_cli.tours.edits import import_tours

    report = import_tours(load_season(workspace), file, reason=reason, encoding=encoding)
    for note in (*report.warnings, *report.ignored):
        console.print(f"[yellow]warning:[/] {escape(note)}", soft_wrap=True)
    for tour_id in report.missing:
        console.print(f"[yellow]warning:[/] {escape(tour_id)} is not in the file; it stays "
                      f"(to cancel it: openmosprom slots cancel {escape(tour_id)} --reason …)", soft_wrap=True)
    if not report.has_changes:
        console.print(f"No changes: the {report.total} tours are as stored.")
        return
    for tour_id in report.removed:
        console.print(f"[red]removed[/] {escape(tour_id)}")
    for tour_id, what in report.retimed:
        console.print(f"[cyan]moved[/]   {escape(tour_id)}: {escape(what)}")
    for tour_id, what in report.changed:
        console.print(f"[yellow]changed[/] {escape(tour_id)}: {escape(what)}")
    for tour_id in report.added:
        console.print(f"[green]added[/]   {escape(tour_id)}")
    render_seat_changes(report.seats_freed)
    console.print(f"{len(report.removed)} removed, {len(report.retimed)} moved, {len(report.changed)} changed, "
                  f"{len(report.added)} added, {report.unchanged} unchanged; the season now has {report.total} "
                  "tours.")


def cancel_command(
    tour: Annotated[str, typer.Argument(help="The tour's ID, as `openmosprom slots list` shows it.", metavar="TOUR")],
    reason: ReasonOption = None,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Cancel a tour: its visitors lose their seats and go back to the next assign, by their priority.

    Works until the tour starts. The next `openmosprom publish` tells its visitors, and the next `openmosprom rosters email --send` the factory.

    Example: openmosprom slots cancel estet-1214-1100 --reason "the workshop is closed for repairs"
    """
    from openmosprom_cli.changes.tours import cancel_season_tour

    report = cancel_season_tour(load_season(workspace), tour, reason=reason)
    if json_output:
        print_json(report)
        return
    console.print(f"Cancelled [bold]{escape(report.tour.tour_id)}[/].")
    render_seat_changes(report.seats_freed)
    console.print("Next: [bold]openmosprom assign[/] gives their seats again, then [bold]openmosprom publish[/].")


def add_command(
    site: Annotated[str, typer.Argument(help="The site's code, as `openmosprom schedules list` shows it.", metavar="SITE")],
    date: Annotated[str, typer.Argument(help="The day: DD.MM.YYYY or ISO.", metavar="DATE")],
    start: Annotated[str, typer.Argument(help="The start time: HH:MM.", metavar="START")],
    capacity: Annotated[int, typer.Option("--capacity", min=1, help="How many visitors the tour takes.")],
    duration: Annotated[int | None, typer.Option("--duration", min=1, help="Minutes (default: the site's usual duration).")] = None,
    reason: ReasonOption = None,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a late tour at a known site; the next assign fills it by priority.

    Its ID is <site>-<MMDD>-<HHMM>, with a suffix if a tour of the season ever had that ID.

    Example: openmosprom slots add estet 18.12.2026 15:00 --capacity 20 --reason "a second group offered"
    """
    from openmosprom_cli.changes.tours import add_season_tour

    tour = add_season_tour(load_season(workspace), site, date_option(date) or _required("DATE"),
                           time_option(start), capacity=capacity, duration_min=duration, reason=reason)
    if json_output:
        print_json(tour)
        return
    console.print(f"Added [bold]{escape(tour.tour_id)}[/]: {tour.date:%d.%m.%Y} {tour.start:%H:%M}, "
                  f"{tour.duration_min} min, {tour.capacity} seats. Next: [bold]openmosprom assign[/].")


def _required(name: str):
    raise typer.BadParameter(f"{name} is required")


def _print_site_counts(per_site: Mapping[str, int], sites, tours) -> None:
    seats: dict[str, int] = {}
    for t in tours:
        seats[t.site_id] = seats.get(t.site_id, 0) + t.capacity
    table = new_table(title="Tours per site")
    table.add_column("Site")
    table.add_column("Name")
    table.add_column("Tours", justify="right")
    table.add_column("Seats", justify="right")
    for site_id, n in per_site.items():
        site = sites.get(site_id)
        table.add_row(escape(site_id), escape(site.name if site else ""), str(n), str(seats.get(site_id, 0)))
    console.print(table)


def _print_day_counts(per_day: Mapping[dt.date, int]) -> None:
    table = new_table(title="Tours per day")
    table.add_column("Date")
    table.add_column("Day")
    table.add_column("Tours", justify="right")
    for day, n in per_day.items():
        table.add_row(f"{day:%d.%m.%Y}", WEEKDAYS[day.weekday()], str(n))
    console.print(table)


def register(app: typer.Typer) -> None:
    attach(slots_app, "generate", generate)
    attach(slots_app, "list", list_command)
    attach(slots_app, "export", export)
    attach(slots_app, "import", import_command)
    attach(slots_app, "cancel", cancel_command)
    attach(slots_app, "add", add_command)
