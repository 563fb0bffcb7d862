"""Commands of the prize stage: ``prizes template``, ``import``, ``list``, ``draw``, ``redraw``, ``handed``,
``exclude`` and ``export``; and the prize parts of ``explain`` and ``audit``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    ID,
    NUMBER,
    JsonOption,
    WorkspaceOption,
    attach,
    console,
    date_option,
    day,
    err_console,
    escape,
    load_season,
    moment,
    new_table,
    print_json,
)
from openmosprom_cli.cli.groups import prizes_app
from openmosprom_cli.i18n import _, ngettext

if TYPE_CHECKING:
    from openmosprom_cli.prizes.audit import PrizeAudit
    from openmosprom_cli.prizes.runs import DrawReport
    from openmosprom_cli.prizes.story import PrizeStory


def _how(how: str) -> str:
    """How a winner came by a prize (prizes/story.py WonPrize.how), in words."""
    return {"preferred": _("their own preference"), "best": _("the best item they qualified for"),
            "held": _("kept from before")}.get(how, how)


def _excluded_why(why: str) -> str:
    """Why people were left out of a draw (prizes/draw.py), in words."""
    return {"excluded": _("excluded"), "merged": _("merged"), "cancelled": _("cancelled")}.get(why, why)


def _left_out(text: str) -> str:
    """Why one person was not in the draw (prizes/story.py LEFT_OUT), in words."""
    return {"listed in prizes-excluded.csv": _("listed in prizes-excluded.csv"),
            "merged away as a duplicate account": _("merged away as a duplicate account"),
            "cancelled, and [prizes] exclude_cancelled is on": _("cancelled, and [prizes] exclude_cancelled is on"),
            }.get(str(text), str(text))


def _prize_check(name: str) -> str:
    """A prize audit check's name (prizes/audit.py CHECKS), in words."""
    return {"prize inputs fingerprint": _("prize inputs fingerprint"),
            "prize result fingerprint": _("prize result fingerprint"), "prize stock": _("prize stock"),
            "prize tiers": _("prize tiers"), "prizes per person": _("prizes per person"),
            "prize priority order": _("prize priority order"),
            "no justified envy of prizes": _("no justified envy of prizes"), "prize exclusions": _("prize exclusions"),
            "prizes equal the re-derived ones": _("prizes equal the re-derived ones"),
            "chain of prize draws": _("chain of prize draws")}.get(name, name)


def template(
    file: Annotated[Path, typer.Argument(help=_("Where to write the blank catalogue (.xlsx)."), metavar=_("FILE"), show_default=False)],
) -> None:
    """Write a blank prize catalogue to fill in: one row per item, best first, with its stock and who qualifies.

    Example: openmosprom prizes template prizes-catalogue.xlsx
    """
    from openmosprom_cli.prizes.catalogue import write_template

    path = write_template(file)
    console.print(_("Wrote [bold]{file}[/]. Fill in the stock and who qualifies, then "
                    "[bold]openmosprom prizes import {name}[/].").format(file=escape(str(path)), name=escape(path.name)))


def import_(
    file: Annotated[Path, typer.Argument(help=_("The filled-in catalogue: .xlsx or .csv."), metavar=_("FILE"), show_default=False)],
    workspace: WorkspaceOption = None,
) -> None:
    """Import the prize catalogue, replacing the one before; all or nothing.

    Every problem is named with its file, sheet, row and column, and nothing
    changes (exit 65).

    Example: openmosprom prizes import prizes-catalogue.xlsx
    """
    from openmosprom_cli.prizes.catalogue import import_catalogue

    report = import_catalogue(load_season(workspace), file)
    console.print(ngettext("Imported {count} prize ({units} in stock) from [bold]{file}[/].",
                           "Imported {count} prizes ({units} in stock) from [bold]{file}[/].", len(report.items)).format(
        count=len(report.items), units=report.units, file=escape(report.file)))
    first = not report.removed and not report.changed and len(report.added) == len(report.items)
    for label, names in ((_("  added: {names}"), report.added), (_("  removed: {names}"), report.removed),
                         (_("  changed: {names}"), report.changed)):
        if names and not first:
            console.print(label.format(names=escape(", ".join(names))), soft_wrap=True)
    for warning in report.warnings:
        console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(warning))), soft_wrap=True)
    console.print(_("Next: [bold]openmosprom prizes draw[/]"))


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
        console.print(_("No prize catalogue yet: [bold]openmosprom prizes template FILE[/], then "
                        "[bold]openmosprom prizes import FILE[/]."))
        return
    table = new_table(title=_("Prize catalogue, best first"))
    table.add_column("#", kind=NUMBER, priority=9)
    table.add_column(_("prize"), priority=9)
    table.add_column(_("code"), kind=ID, priority=5)
    table.add_column(_("stock"), kind=NUMBER, priority=8)
    table.add_column(_("who qualifies"), priority=6)
    table.add_column(_("won"), kind=NUMBER, priority=7)
    table.add_column(_("handed"), kind=NUMBER, priority=6)
    table.add_column(_("left"), kind=NUMBER, priority=7)
    for line in lines:
        item = line.item
        table.add_row(str(item.rank), escape(item.name), escape(item.item_id if item.item_id != item.name else ""),
                      str(item.stock), escape(item.who),
                      "–" if line.given is None else str(line.given), "–" if line.handed is None else str(line.handed),
                      "–" if line.given is None else str(item.stock - line.given))
    console.print(table)


def render_draw(report: DrawReport, *, next_steps: bool = True) -> None:
    what = _("Redraw of unclaimed prizes") if report.kind == "redraw" else _("Prize draw")
    based = _(", based on draw {draw}").format(draw=report.based_on) if report.based_on else ""
    console.print(_("[bold]{what} {draw}[/]{based} — seed [bold]{seed}[/]").format(
        what=what, draw=report.draw_id, based=based, seed=escape(report.seed)))
    excluded = ", ".join(f"{people} {_excluded_why(why)}" for why, people in report.excluded) or _("none")
    console.print(_("Contestants: {count} (left out: {excluded}).").format(count=report.contestants,
                                                                           excluded=escape(excluded)))
    if report.kept:
        console.print(ngettext("Kept from before: {count} prize (handed over, or standing).",
                               "Kept from before: {count} prizes (handed over, or standing).", report.kept).format(
            count=report.kept))
    if report.forfeited:
        console.print(ngettext("Not collected in time, given again: prizes of {count} winner.",
                               "Not collected in time, given again: prizes of {count} winners.",
                               report.forfeited).format(count=report.forfeited))
    table = new_table(title=_("Prizes"), title_justify="left")
    table.add_column(_("prize"), priority=9)
    table.add_column(_("stock"), kind=NUMBER, priority=7)
    table.add_column(_("won"), kind=NUMBER, priority=8)
    table.add_column(_("by preference"), kind=NUMBER, priority=5)
    table.add_column(_("left"), kind=NUMBER, priority=6)
    for item in report.items:
        table.add_row(escape(item.name), str(item.stock), str(item.given), str(item.preferred), str(item.left))
    console.print(table)
    console.print(_("Winners: {winners}; prizes won: {given}.").format(winners=report.winners, given=report.given))
    if report.unknown_preferences:
        shown = ", ".join(f"«{name}» ({people})" for name, people in report.unknown_preferences[:5])
        more = " …" if len(report.unknown_preferences) > 5 else ""
        console.print(_("[yellow]warning:[/] «Призы» that name no prize of the catalogue, left out: {names}").format(
            names=escape(shown) + more), soft_wrap=True)
    for warning in report.warnings:
        console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(warning))), soft_wrap=True)
    console.print(_("Inputs fingerprint: {fingerprint}").format(fingerprint=report.inputs_fingerprint))
    console.print(_("Result fingerprint: {fingerprint}").format(fingerprint=report.result_fingerprint))
    if next_steps:
        console.print(_("Anyone can rerun it with the same seed; check it with [bold]openmosprom audit[/]. Next: "
                        "[bold]openmosprom prizes export[/], [bold]openmosprom rosters export[/], "
                        "[bold]openmosprom publish[/]."))


def draw(
    seed: Annotated[str | None, typer.Option("--seed", help=_("Lottery seed (default: the allocation seed of season.toml, the lottery published with the seats)."))] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("Go ahead even if winners who may have been told would lose or change their prize."))] = False,
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
        err_console.print(ngettext(
            "[yellow]This draw would take or change the prizes of {count} winner of the current draw, who may have "
            "been told.[/]",
            "[yellow]This draw would take or change the prizes of {count} winners of the current draw, who may "
            "have been told.[/]", len(losses)).format(count=len(losses)))
        for loss in losses[:20]:
            if loss.instead:
                err_console.print(_("  {id}: loses {prize}, gets {instead} instead").format(
                    id=escape(loss.registrant_id), prize=escape(loss.item_id), instead=escape(", ".join(loss.instead))))
            else:
                err_console.print(_("  {id}: loses {prize}").format(id=escape(loss.registrant_id),
                                                                    prize=escape(loss.item_id)))
        if yes:
            return True
        if not sys.stdin.isatty():
            err_console.print(_("[dim]Not asking without a terminal; pass --yes to go ahead.[/]"))
            return False
        return typer.confirm(_("Go ahead?"), default=False)

    report = run_draw(load_season(workspace), seed=seed, confirm=confirm)
    if json_:
        print_json(report)
    else:
        render_draw(report)


def redraw(
    unclaimed: Annotated[bool, typer.Option("--unclaimed", help=_("Give again the prizes nobody collected (the only kind of redraw)."))] = False,
    after: Annotated[str | None, typer.Option("--after", metavar=_("DATE"), help=_("The last day to collect (DD.MM.YYYY); not after today. A winner whose tour comes later keeps their prize."), show_default=False)] = None,
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
        raise typer.BadParameter(_("say --unclaimed: a redraw gives again only the prizes nobody collected"),
                                 param_hint="--unclaimed")
    day = date_option(after)
    if day is None:
        raise typer.BadParameter(_("give the last day to collect, DD.MM.YYYY"), param_hint="--after")
    report = run_redraw(load_season(workspace), day)
    if report is None:
        console.print(_("Nothing to give again: every prize was collected, or its collection is still ahead."))
        return
    if json_:
        print_json(report)
    else:
        render_draw(report)


def handed(
    registrant_id: Annotated[str, typer.Argument(help=_("The winner's VK ID."), metavar=_("ID"), show_default=False)],
    item: Annotated[str | None, typer.Option("--item", metavar=_("PRIZE"), help=_("Which prize, by its code or name, when they won several."), show_default=False)] = None,
    undo: Annotated[bool, typer.Option("--undo", help=_("Take back a hand-out recorded by mistake."))] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record that a winner collected their prize; a redraw never gives it again.

    Example: openmosprom prizes handed 123456 --item termos
    """
    from openmosprom_cli.prizes.runs import mark_handed

    done = mark_handed(load_season(workspace), registrant_id, item, undo=undo)
    text = (_("«{prize}» no longer recorded as handed over to {id}.") if done.undone
            else _("«{prize}» handed over to {id}."))
    console.print(text.format(prize=escape(done.name), id=escape(done.registrant_id)))


def exclude(
    ids: Annotated[list[str], typer.Argument(help=_("VK IDs of people never in the draw (staff, relatives)."), metavar=_("ID..."))],
    reason: Annotated[str, typer.Option("--reason", metavar=_("TEXT"), help=_("Why, kept in the file."))] = "",
    remove: Annotated[bool, typer.Option("--remove", help=_("Take these IDs out of the file instead."))] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Keep people out of the prize draw: their IDs go in prizes-excluded.csv, owner-only, in the season folder.

    Example: openmosprom prizes exclude 123456 --reason "организатор"
    """
    from openmosprom_cli.prizes.exclusions import EXCLUSIONS_FILE, update_exclusions

    season = load_season(workspace)
    result = update_exclusions(season, () if remove else ids, ids if remove else (), reason=reason)
    console.print(ngettext("{file}: {count} ID excluded from the prize draw. The next "
                           "[bold]openmosprom prizes draw[/] leaves them out.",
                           "{file}: {count} IDs excluded from the prize draw. The next "
                           "[bold]openmosprom prizes draw[/] leaves them out.", len(result.reasons)).format(
        file=EXCLUSIONS_FILE, count=len(result.reasons)))


def export(
    file: Annotated[Path | None, typer.Argument(help=_("Where to write it (default: prizes.xlsx in the season folder)."), metavar=_("[FILE]"), show_default=False)] = None,
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
    console.print(_("Wrote [bold]{file}[/] (draw {draw}): {winners}; {at_tours} handed on tours, {at_pickup} at the "
                    "pick-up point; {handed} handed over so far.").format(
        file=escape(str(report.path)), draw=report.draw_id,
        winners=ngettext("{count} winner", "{count} winners", report.winners).format(count=report.winners),
        at_tours=ngettext("{count} prize", "{count} prizes", report.at_tours).format(count=report.at_tours),
        at_pickup=report.at_pickup, handed=report.handed))
    tours = [line for line in report.packing if line.tour_id]
    if tours:
        console.print(_("Packing list per tour:"))
        for line in tours:
            console.print(f"  {escape(line.when)} {escape(line.site)}: {escape(line.item)} × {line.count}")  # not a message


# -- the prize parts of explain and audit ------------------------------------------------------------

def render_prize_story(story: PrizeStory | None) -> None:
    if story is None:
        return
    what = _("redraw") if story.kind == "redraw" else _("draw")
    console.print(_("[bold]Prizes[/] — {what} {draw}, seed {seed}").format(what=what, draw=story.draw_id,
                                                                          seed=escape(story.seed)))
    if story.left_out:
        console.print(_("  Not in the draw: {why}.").format(why=escape(_left_out(story.left_out))))
    else:
        console.print(_("  Rank {rank} of {contestants} ({points} points; ties by registration time, then the "
                        "lottery)").format(rank=story.rank, contestants=story.contestants, points=f"{story.score:g}"))
        console.print(_("  Tier: {tier}").format(tier=escape(story.tier) if story.tier
                                                 else _("qualified for no prize")))
        if story.preferences:
            console.print(_("  Preferred: {prizes}").format(prizes=escape("; ".join(story.preferences))),
                          soft_wrap=True)
        for item in story.items:
            preferred = _(" (preference {place})").format(place=item.preferred) if item.preferred else ""
            text = (_("  {prize}{preferred}: {taken} of {stock} taken before their turn, {left} left") if item.qualified
                    else _("  {prize}{preferred}: {taken} of {stock} taken before their turn, {left} left — does not "
                           "qualify"))
            console.print(text.format(prize=escape(item.name), preferred=preferred, taken=item.taken_before,
                                      stock=item.stock, left=item.left), soft_wrap=True)
    if story.forfeited:
        console.print(_("  Lost a prize that was not collected in time (redraw)."))
    for won in story.won:
        text = _("  [green]Won[/] «{prize}» as {how}; where: {where}; handed over {day}") if won.handed else \
            _("  [green]Won[/] «{prize}» as {how}; where: {where}")
        console.print(text.format(prize=escape(won.name), how=_how(won.how), where=escape(won.where),
                                  day=day(won.handed)), soft_wrap=True)
    if not story.won and not story.left_out:
        console.print(_("  Won no prize."))


def render_prize_audit(audit: PrizeAudit | None) -> None:
    if audit is None:
        return
    what = _("Prize redraw") if audit.kind == "redraw" else _("Prize draw")
    console.print(_("[bold]{what} {draw}[/] ({when}), seed {seed}").format(
        what=what, draw=audit.draw_id, when=escape(moment(audit.created_at)), seed=escape(audit.seed)))
    console.print(_("  inputs fingerprint: {fingerprint}").format(fingerprint=audit.inputs_fingerprint))
    console.print(_("  result fingerprint: {fingerprint}").format(fingerprint=audit.result_fingerprint))
    console.print(_("  {contestants} contestants, {awards} prizes won; checked: {checks}").format(
        contestants=audit.contestants, awards=audit.awards,
        checks=", ".join(_prize_check(check) for check in audit.checks)), soft_wrap=True)
    for note in audit.attention:
        console.print(_("  [yellow]needs your attention[/]: {what}").format(what=escape(str(note))), soft_wrap=True)


def register(app: typer.Typer) -> None:
    for name, command in (("template", template), ("import", import_), ("list", list_), ("exclude", exclude),
                          ("draw", draw), ("handed", handed), ("redraw", redraw), ("export", export)):
        attach(prizes_app, name, command)
