"""Commands of the slots stage: generate, list, export and import the season's tours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from openmosprom_cli.cli.changes import render_seat_changes
from openmosprom_cli.cli.common import (
    FIXED,
    ID,
    NUMBER,
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
from openmosprom_cli.i18n import _, ngettext, weekday


def _shares_text(measure: str) -> str:
    """What the tours were shared by (a code of tours/selection.py), in words."""
    return {"capacity": _("shares by capacity"), "weights": _("shares by weights"),
            "site weights": _("shares by site weights")}.get(measure, measure)


def generate(
    tours: Annotated[int | None, typer.Option("--tours", min=1, help=_("How many tours (default: season.toml)."))] = None,
    date_from: Annotated[str | None, typer.Option("--from", metavar=_("DATE"), help=_("First day, DD.MM.YYYY or ISO (default: the window's start)."))] = None,
    date_to: Annotated[str | None, typer.Option("--to", metavar=_("DATE"), help=_("Last day, DD.MM.YYYY or ISO (default: the window's end)."))] = None,
    min_per_site: Annotated[int | None, typer.Option("--min-per-site", min=0, help=_("At least this many tours per site (default: season.toml)."))] = None,
    seed: Annotated[int | None, typer.Option("--seed", help=_("Tie-breaking seed (default: season.toml)."))] = None,
    weights: Annotated[Path | None, typer.Option("--weights", metavar=_("FILE"), help=_("A .csv or .xlsx of site_id/Код площадки and weight/Вес that replaces capacity as the measure of demand."))] = None,
    allow_fewer: Annotated[bool, typer.Option("--allow-fewer", help=_("Store fewer tours, with a warning, when not enough can be found."))] = False,
    force: Annotated[bool, typer.Option("--force", help=_("Regenerate even though an allocation exists (it must then be rerun)."))] = False,
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
    console.print(ngettext(
        "Chose [bold]{chosen}[/] of {requested} tours from {usable} usable candidate ({candidates} in all), "
        "{start}–{end}, {shares}, seed {seed}.",
        "Chose [bold]{chosen}[/] of {requested} tours from {usable} usable candidates ({candidates} in all), "
        "{start}–{end}, {shares}, seed {seed}.", result.usable).format(
        chosen=len(result.tours), requested=result.requested, usable=result.usable, candidates=result.candidates,
        start=f"{params.window_start:%d.%m.%Y}", end=f"{params.window_end:%d.%m.%Y}",
        shares=_shares_text(result.measure), seed=escape(str(params.seed))))
    _print_site_counts(result.per_site, report.sites, result.tours)
    _print_day_counts(result.per_day)
    for warning in report.warnings:
        console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(warning))), soft_wrap=True)
    if report.replaced:
        console.print(ngettext("Replaced the {count} tour stored before.", "Replaced the {count} tours stored before.",
                               report.replaced).format(count=report.replaced))
    console.print(_("Next: [bold]openmosprom slots export tours.xlsx[/] to publish or edit them."))


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
        console.print(_("No tours yet. Generate them with [bold]openmosprom slots generate[/]."))
        return
    table = new_table(title=ngettext("{count} tour", "{count} tours", len(listing.tours)).format(
        count=len(listing.tours)))
    table.add_column(_("Tour ID"), kind=ID, priority=9)
    table.add_column(_("Site"), priority=5)   # the tour's ID names the site already
    table.add_column(_("Date"), kind=FIXED, priority=8)
    table.add_column(_("Start"), kind=FIXED, priority=8)
    table.add_column(_("Min"), kind=NUMBER, priority=4)
    table.add_column(_("Seats"), kind=NUMBER, priority=6)
    for t in listing.tours:
        site = listing.sites.get(t.site_id)
        table.add_row(escape(t.tour_id), escape(site.name if site else t.site_id),
                      f"{t.date:%d.%m} {weekday(t.date)}", f"{t.start:%H:%M}", str(t.duration_min),
                      str(t.capacity))
    console.print(table)
    _print_site_counts(listing.per_site, listing.sites, listing.tours)
    _print_day_counts(listing.per_day)


def export(
    out: Annotated[Path, typer.Argument(help=_("OUT.xlsx or OUT.csv (semicolon-separated, UTF-8)."), metavar=_("OUT"))],
    workspace: WorkspaceOption = None,
) -> None:
    """Write the tours for publishing in the VK mini-app and for editing, with Russian column names.

    Example: openmosprom slots export tours.xlsx
    """
    from openmosprom_cli.tours.exchange import export_tours

    path = export_tours(load_season(workspace), out)
    console.print(_("Wrote {file}. After editing it, take it back with [bold]openmosprom slots import {name}[/].").format(
        file=escape(str(path)), name=escape(path.name)))


def import_command(
    file: Annotated[Path, typer.Argument(help=_("An edited export (.xlsx or .csv)."), metavar=_("FILE"))],
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
        console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(note))), soft_wrap=True)
    for tour_id in report.missing:
        console.print(_("[yellow]warning:[/] {tour} is not in the file; it stays "
                        "(to cancel it: openmosprom slots cancel {tour} --reason …)").format(tour=escape(tour_id)),
                      soft_wrap=True)
    if not report.has_changes:
        console.print(ngettext("No changes: the {count} tour is as stored.", "No changes: the {count} tours are as stored.",
                               report.total).format(count=report.total))
        return
    for tour_id in report.removed:
        console.print(_("[red]removed[/] {tour}").format(tour=escape(tour_id)))
    for tour_id, what in report.retimed:
        console.print(_("[cyan]moved[/]   {tour}: {what}").format(tour=escape(tour_id), what=escape(str(what))))
    for tour_id, what in report.changed:
        console.print(_("[yellow]changed[/] {tour}: {what}").format(tour=escape(tour_id), what=escape(str(what))))
    for tour_id in report.added:
        console.print(_("[green]added[/]   {tour}").format(tour=escape(tour_id)))
    render_seat_changes(report.seats_freed)
    console.print(ngettext(
        "{removed} removed, {moved} moved, {changed} changed, {added} added, {unchanged} unchanged; the season now "
        "has {total} tour.",
        "{removed} removed, {moved} moved, {changed} changed, {added} added, {unchanged} unchanged; the season now "
        "has {total} tours.", report.total).format(
        removed=len(report.removed), moved=len(report.retimed), changed=len(report.changed), added=len(report.added),
        unchanged=report.unchanged, total=report.total))


def cancel_command(
    tour: Annotated[str, typer.Argument(help=_("The tour's ID, as `openmosprom slots list` shows it."), metavar=_("TOUR"))],
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
    console.print(_("Cancelled [bold]{tour}[/].").format(tour=escape(report.tour.tour_id)))
    render_seat_changes(report.seats_freed)
    console.print(_("Next: [bold]openmosprom assign[/] gives their seats again, then [bold]openmosprom publish[/]."))


def add_command(
    site: Annotated[str, typer.Argument(help=_("The site's code, as `openmosprom schedules list` shows it."), metavar=_("SITE"))],
    date: Annotated[str, typer.Argument(help=_("The day: DD.MM.YYYY or ISO."), metavar=_("DATE"))],
    start: Annotated[str, typer.Argument(help=_("The start time: HH:MM."), metavar=_("START"))],
    capacity: Annotated[int, typer.Option("--capacity", min=1, help=_("How many visitors the tour takes."))],
    duration: Annotated[int | None, typer.Option("--duration", min=1, help=_("Minutes (default: the site's usual duration)."))] = None,
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
    console.print(ngettext(
        "Added [bold]{tour}[/]: {date} {start}, {minutes} min, {seats} seat. Next: [bold]openmosprom assign[/].",
        "Added [bold]{tour}[/]: {date} {start}, {minutes} min, {seats} seats. Next: [bold]openmosprom assign[/].",
        tour.capacity).format(tour=escape(tour.tour_id), date=f"{tour.date:%d.%m.%Y}", start=f"{tour.start:%H:%M}",
                              minutes=tour.duration_min, seats=tour.capacity))


def _required(name: str):
    raise typer.BadParameter(_("{name} is required").format(name=name))


def _print_site_counts(per_site: Mapping[str, int], sites, tours) -> None:
    seats: dict[str, int] = {}
    for t in tours:
        seats[t.site_id] = seats.get(t.site_id, 0) + t.capacity
    table = new_table(title=_("Tours per site"))
    table.add_column(_("Site"), kind=ID, priority=9)
    table.add_column(_("Name"), priority=5)
    table.add_column(_("Tours"), kind=NUMBER, priority=8)
    table.add_column(_("Seats"), kind=NUMBER, priority=7)
    for site_id, n in per_site.items():
        site = sites.get(site_id)
        table.add_row(escape(site_id), escape(site.name if site else ""), str(n), str(seats.get(site_id, 0)))
    console.print(table)


def _print_day_counts(per_day: Mapping[dt.date, int]) -> None:
    table = new_table(title=_("Tours per day"))
    table.add_column(_("Date"), kind=FIXED, priority=9)
    table.add_column(_("Day"), kind=FIXED, priority=5)
    table.add_column(_("Tours"), kind=NUMBER, priority=8)
    for day, n in per_day.items():
        table.add_row(f"{day:%d.%m.%Y}", weekday(day), str(n))
    console.print(table)


def register(app: typer.Typer) -> None:
    attach(slots_app, "generate", generate)
    attach(slots_app, "list", list_command)
    attach(slots_app, "export", export)
    attach(slots_app, "import", import_command)
    attach(slots_app, "cancel", cancel_command)
    attach(slots_app, "add", add_command)
