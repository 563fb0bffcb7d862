"""Commands of the prize stage: ``prizes template``, ``import``, ``list``, ``draw``, ``redraw``, ``handed``,
``exclude`` and ``export``; and the prize parts of ``explain`` and ``audit``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    JsonOption,
    WorkspaceOption,
    attach,
    console,
    date_option,
    err_console,
    escape,
    load_season,
    new_table,
    print_json,
)
from openmosprom_cli.cli.groups import prizes_app

if TYPE_CHECKING:
    from openmosprom_cli.prizes.audit import PrizeAudit
    from openmosprom_cli.prizes.runs import DrawReport
    from openmosprom_cli.prizes.story import PrizeStory

HOW = {"preferred": "their own preference", "best": "the best item they qualified for", "held": "kept from before"}


def template(
    file: Annotated[Path, typer.Argument(help="Where to write the blank catalogue (.xlsx).", show_default=False)],
) -> None:
    """Write a blank prize catalogue to fill in: one row per item, best first, with its stock and who qualifies.

    Example: openmosprom prizes template prizes-catalogue.xlsx
    """
    from openmosprom_cli.prizes.catalogue import write_template

    path = write_template(file)
    console.print(f"Wrote [bold]{escape(str(path))}[/]. Fill in the stock and who qualifies, then "
                  f"[bold]openmosprom prizes import {escape(path.name)}[/].")


def import_(
    file: Annotated[Path, typer.Argument(help="The filled-in catalogue: .xlsx or .csv.", show_default=False)],
    workspace: WorkspaceOption = None,
) -> None:
    """Import the prize catalogue, replacing the one before; all or nothing.

    Every problem is named with its file, sheet, row and column, and nothing
    changes (exit 65).

    Example: openmosprom prizes import prizes-catalogue.xlsx
    """
    from openmosprom_cli.prizes.catalogue import import_catalogue

    report = import_catalogue(load_season(workspace), file)
    console.print(f"Imported {len(report.items)} prizes ({report.units} in stock) from [bold]{escape(report.file)}[/].")
    first = not report.removed and not report.changed and len(report.added) == len(report.items)
    for label, names in (("added", report.added), ("removed", report.removed), ("changed", report.changed)):
        if names and not first:
            console.print(f"  {label}: {escape(', '.join(names))}", soft_wrap=True)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    console.print("Next: [bold]openmosprom prizes draw[/]")


def list_(json_: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """List the catalogue, best first, with what the current draw gave of each item and what is left.

    Example: openmosprom prizes list
    """
    from openmosprom_cli.prizes.catalogue import catalogue_lines

    lines = catalogue_lines(load_season(workspace))
    if json_:
        print_json(list(lines))
        return
    if not lines:
        console.print("No prize catalogue yet: [bold]openmosprom prizes template FILE[/], then "
                      "[bold]openmosprom prizes import FILE[/].")
        return
    table = new_table(title="Prize catalogue, best first")
    for name, justify in (("#", "right"), ("prize", "left"), ("code", "left"), ("stock", "right"),
                          ("who qualifies", "left"), ("won", "right"), ("handed", "right"), ("left", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for line in lines:
        item = line.item
        table.add_row(str(item.rank), escape(item.name), escape(item.item_id if item.item_id != item.name else ""),
                      str(item.stock), escape(item.who),
                      "–" if line.given is None else str(line.given), "–" if line.handed is None else str(line.handed),
                      "–" if line.given is None else str(item.stock - line.given))
    console.print(table)


def render_draw(report: DrawReport) -> None:
    what = "Redraw of unclaimed prizes" if report.kind == "redraw" else "Prize draw"
    based = f", based on draw {report.based_on}" if report.based_on else ""
    console.print(f"[bold]{what} {report.draw_id}[/]{based} — seed [bold]{escape(report.seed)}[/]")
    excluded = ", ".join(f"{people} {why}" for why, people in report.excluded) or "none"
    console.print(f"Contestants: {report.contestants} (left out: {excluded}).")
    if report.kept:
        console.print(f"Kept from before: {report.kept} prize(s) (handed over, or standing).")
    if report.forfeited:
        console.print(f"Not collected in time, given again: prizes of {report.forfeited} winner(s).")
    table = new_table(title="Prizes", title_justify="left")
    for name, justify in (("prize", "left"), ("stock", "right"), ("won", "right"), ("by preference", "right"),
                          ("left", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for item in report.items:
        table.add_row(escape(item.name), str(item.stock), str(item.given), str(item.preferred), str(item.left))
    console.print(table)
    console.print(f"Winners: {report.winners}; prizes won: {report.given}.")
    if report.unknown_preferences:
        shown = ", ".join(f"«{name}» ({people})" for name, people in report.unknown_preferences[:5])
        console.print(f"[yellow]warning:[/] «Призы» that name no prize of the catalogue, left out: {escape(shown)}"
                      f"{' …' if len(report.unknown_preferences) > 5 else ''}", soft_wrap=True)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    console.print(f"Inputs fingerprint: {report.inputs_fingerprint}")
    console.print(f"Result fingerprint: {report.result_fingerprint}")
    console.print("Anyone can rerun it with the same seed; check it with [bold]openmosprom audit[/]. Next: "
                  "[bold]openmosprom prizes export[/], [bold]openmosprom rosters export[/], "
                  "[bold]openmosprom publish[/].")


def draw(
    seed: Annotated[str | None, typer.Option("--seed", help="Lottery seed (default: the allocation seed of season.toml, the lottery published with the seats).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Go ahead even if winners who may have been told would lose or change their prize.")] = False,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Draw the prizes by activity points and store the draw with its seed and fingerprints.

    In the order of the ranking each winner takes their best preferred prize
    still in stock (the «Призы» of the registrants' export), else the best prize
    they qualify for. The ranking is the activity points as imported, then
    registration time, then the seeded lottery, then the ID, counted after the
    exclusions (prizes-excluded.csv, merged duplicate accounts, and with
    exclude_cancelled (season.toml) the cancelled). Prizes already handed over are
    kept. A new draw after a publication that would take or change a prize
    someone holds asks first.

    Example: openmosprom prizes draw --seed 2026
    """
    from openmosprom_cli.prizes.runs import run_draw

    def confirm(losses) -> bool:
        err_console.print(f"[yellow]This draw would take or change the prizes of {len(losses)} winner(s) of the "
                          "current draw, who may have been told.[/]")
        for loss in losses[:20]:
            instead = f", gets {', '.join(loss.instead)} instead" if loss.instead else ""
            err_console.print(f"  {escape(loss.registrant_id)}: loses {escape(loss.item_id)}{escape(instead)}")
        if yes:
            return True
        if not sys.stdin.isatty():
            err_console.print("[dim]Not asking without a terminal; pass --yes to go ahead.[/]")
            return False
        return typer.confirm("Go ahead?", default=False)

    report = run_draw(load_season(workspace), seed=seed, confirm=confirm)
    if json_:
        print_json(report)
    else:
        render_draw(report)


def redraw(
    unclaimed: Annotated[bool, typer.Option("--unclaimed", help="Give again the prizes nobody collected (the only kind of redraw).")] = False,
    after: Annotated[str | None, typer.Option("--after", metavar="DATE", help="The last day to collect (DD.MM.YYYY); not after today. A winner whose tour comes later keeps their prize.", show_default=False)] = None,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Give the prizes nobody collected by DATE to the next in the ranking, as a new stored draw.

    The ranking and the seed stay those of the current draw; the winners who did
    not collect lose their prize, and everyone else keeps theirs.

    Example: openmosprom prizes redraw --unclaimed --after 25.12.2026
    """
    from openmosprom_cli.prizes.runs import run_redraw

    if not unclaimed:
        raise typer.BadParameter("say --unclaimed: a redraw gives again only the prizes nobody collected",
                                 param_hint="--unclaimed")
    day = date_option(after)
    if day is None:
        raise typer.BadParameter("give the last day to collect, DD.MM.YYYY", param_hint="--after")
    report = run_redraw(load_season(workspace), day)
    if report is None:
        console.print("Nothing to give again: every prize was collected, or its collection is still ahead.")
        return
    if json_:
        print_json(report)
    else:
        render_draw(report)


def handed(
    registrant_id: Annotated[str, typer.Argument(help="The winner's VK ID.", metavar="ID", show_default=False)],
    item: Annotated[str | None, typer.Option("--item", metavar="PRIZE", help="Which prize, by its code or name, when they won several.", show_default=False)] = None,
    undo: Annotated[bool, typer.Option("--undo", help="Take back a hand-out recorded by mistake.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record that a winner collected their prize; a redraw never gives it again.

    Example: openmosprom prizes handed 123456 --item termos
    """
    from openmosprom_cli.prizes.runs import mark_handed

    done = mark_handed(load_season(workspace), registrant_id, item, undo=undo)
    verb = "no longer recorded as handed over to" if done.undone else "handed over to"
    console.print(f"«{escape(done.name)}» {verb} {escape(done.registrant_id)}.")


def exclude(
    ids: Annotated[list[str], typer.Argument(help="VK IDs of people never in the draw (staff, relatives).", metavar="ID...")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why, kept in the file.")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="Take these IDs out of the file instead.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Keep people out of the prize draw: their IDs go in prizes-excluded.csv, owner-only, in the season folder.

    Example: openmosprom prizes exclude 123456 --reason "организатор"
    """
    from openmosprom_cli.prizes.exclusions import EXCLUSIONS_FILE, update_exclusions

    season = load_season(workspace)
    result = update_exclusions(season, () if remove else ids, ids if remove else (), reason=reason)
    console.print(f"{EXCLUSIONS_FILE}: {len(result.reasons)} ID(s) excluded from the prize draw. The next "
                  "[bold]openmosprom prizes draw[/] leaves them out.")


def export(
    file: Annotated[Path | None, typer.Argument(help="Where to write it (default: prizes.xlsx in the season folder).", show_default=False)] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write prizes.xlsx for the organizers: winners, where they collect, the packing list and the stock left.

    Per item its winners with their phones and where they collect it, and the
    stock left; the packing list per site and tour; the winners without a seat,
    for the pick-up point (pickup in season.toml).

    Example: openmosprom prizes export
    """
    from openmosprom_cli.prizes.export import export_prizes

    report = export_prizes(load_season(workspace), file)
    console.print(f"Wrote [bold]{escape(str(report.path))}[/] (draw {report.draw_id}): {report.winners} winner(s); "
                  f"{report.at_tours} prize(s) handed on tours, {report.at_pickup} at the pick-up point; "
                  f"{report.handed} handed over so far.")
    tours = [line for line in report.packing if line.tour_id]
    if tours:
        console.print("Packing list per tour:")
        for line in tours:
            console.print(f"  {escape(line.when)} {escape(line.site)}: {escape(line.item)} × {line.count}")


# -- the prize parts of explain and audit ------------------------------------------------------------

def render_prize_story(story: PrizeStory | None) -> None:
    if story is None:
        return
    what = "redraw" if story.kind == "redraw" else "draw"
    console.print(f"[bold]Prizes[/] — {what} {story.draw_id}, seed {escape(story.seed)}")
    if story.left_out:
        console.print(f"  Not in the draw: {escape(story.left_out)}.")
    else:
        console.print(f"  Rank {story.rank} of {story.contestants} ({story.score:g} points; ties by registration "
                      "time, then the lottery)")
        console.print(f"  Tier: {escape(story.tier) if story.tier else 'qualified for no prize'}")
        if story.preferences:
            console.print(f"  Preferred: {escape('; '.join(story.preferences))}", soft_wrap=True)
        for item in story.items:
            qualified = "" if item.qualified else " — does not qualify"
            preferred = f" (preference {item.preferred})" if item.preferred else ""
            console.print(f"  {escape(item.name)}{preferred}: {item.taken_before} of {item.stock} taken before "
                          f"their turn, {item.left} left{qualified}", soft_wrap=True)
    if story.forfeited:
        console.print("  Lost a prize that was not collected in time (redraw).")
    for won in story.won:
        handed = f"; handed over {won.handed[:10]}" if won.handed else ""
        console.print(f"  [green]Won[/] «{escape(won.name)}» as {HOW.get(won.how, won.how)}; where: "
                      f"{escape(won.where)}{handed}", soft_wrap=True)
    if not story.won and not story.left_out:
        console.print("  Won no prize.")


def render_prize_audit(audit: PrizeAudit | None) -> None:
    if audit is None:
        return
    what = "redraw" if audit.kind == "redraw" else "draw"
    console.print(f"[bold]Prize {what} {audit.draw_id}[/] ({escape(audit.created_at)}), seed {escape(audit.seed)}")
    console.print(f"  inputs fingerprint: {audit.inputs_fingerprint}")
    console.print(f"  result fingerprint: {audit.result_fingerprint}")
    console.print(f"  {audit.contestants} contestants, {audit.awards} prizes won; checked: "
                  f"{', '.join(audit.checks)}", soft_wrap=True)
    for note in audit.attention:
        console.print(f"  [yellow]needs your attention[/]: {escape(note)}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    for name, command in (("template", template), ("import", import_), ("list", list_), ("exclude", exclude),
                          ("draw", draw), ("handed", handed), ("redraw", redraw), ("export", export)):
        attach(prizes_app, name, command)
