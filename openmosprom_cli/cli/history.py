"""Commands for earlier seasons: ``history import`` and ``history list``."""

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
    moment,
    new_table,
    print_json,
)
from openmosprom_cli.cli.groups import history_app
from openmosprom_cli.i18n import _, ngettext


def import_(
    folders: Annotated[list[Path], typer.Argument(help=_("Earlier season folders (each holds season.toml and "
                                                         "season.db); they are only read."), metavar=_("FOLDERS..."))],
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Import what earlier seasons say about each VK ID, for the priority policy.

    Per VK ID only: that they applied, the tours they were placed on, attended
    and missed, and the seats they gave up in time, with the season's dates. No
    name, phone or other personal data is copied. The other season is read
    through a copy in memory: its files are never changed, locked or upgraded.
    Importing a season again replaces what was imported of it. privacy purge
    removes seasons beyond keep_seasons, in the history section of season.toml.

    Example: openmosprom history import ../season-2026-11 ../season-2026-10
    """
    from openmosprom_cli.history.seasons import import_history

    imported = import_history(load_season(workspace), folders)
    if as_json:
        print_json(imported)
        return
    for s in imported:
        text = (_("Season {start}–{end} from {source} (replacing its earlier import): {people} people applied, "
                  "{placed} placed, {came} came, {missed} missed a tour.") if s.replaced else
                _("Season {start}–{end} from {source}: {people} people applied, {placed} placed, {came} came, "
                  "{missed} missed a tour."))
        console.print(text.format(start=f"{s.window_start:%d.%m.%Y}", end=f"{s.window_end:%d.%m.%Y}",
                                  source=escape(s.source), people=s.people, placed=s.placed, came=s.attended,
                                  missed=s.missed))
        for warning in s.warnings:
            console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(warning))), soft_wrap=True)


def list_(
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show the imported seasons, each checked against the digest sealed at its import.

    A history changed after its import is reported here and refused by the
    priority policy; exits 1 when it is.

    Example: openmosprom history list
    """
    from openmosprom_cli.history.seasons import read_history

    history = read_history(load_season(workspace))
    if as_json:
        print_json(history)
    else:
        table = new_table(title=_("Earlier seasons"), title_justify="left")
        table.add_column(_("season"), kind=FIXED, priority=9)
        table.add_column(_("tours"), kind=FIXED, priority=6)
        table.add_column(_("from"), kind=ID, priority=5)
        table.add_column(_("people"), kind=NUMBER, priority=7)
        table.add_column(_("attendance"), kind=FIXED, priority=6)
        table.add_column(_("imported"), kind=FIXED, priority=4)
        table.add_column(_("intact"), kind=FIXED, priority=9)
        for s in history.seasons:
            tours = (f"{s.first_tour:%d.%m}–{s.last_tour:%d.%m.%Y}" if s.first_tour and s.last_tour else "–")
            table.add_row(f"{s.window_start:%d.%m.%Y}–{s.window_end:%d.%m.%Y}", tours, escape(s.source),
                          str(s.people), _("yes") if s.attendance else _("no"),
                          escape(moment(s.imported_at)), _("yes") if s.intact else _("[red]NO[/]"))
        console.print(table)
        if not history.seasons:
            console.print(_("No earlier season imported yet: [bold]openmosprom history import FOLDER[/]."))
        for problem in history.problems:
            console.print(_("[bold red]tampered:[/] {problem}").format(problem=escape(str(problem))), soft_wrap=True)
    if not history.intact:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    attach(history_app, "import", import_)
    attach(history_app, "list", list_)


# -- the priority policy, as assign and explain show it ---------------------------------------------------------

def adjustment_text(adjustment) -> str:
    """One adjustment of the priority policy, in words."""
    from openmosprom_cli.allocation.policy import NEVER_PLACED, NEWCOMER, NO_SHOW, NO_SHOW_LAST

    points = f"{adjustment.points:+g}"
    seasons = ngettext("{count} season", "{count} seasons", adjustment.seasons).format(count=adjustment.seasons)
    texts = {
        NO_SHOW: _("{points} for a no-show in {seasons} of the recent ones"),
        NO_SHOW_LAST: _("{points}: after everyone else, for a no-show in {seasons} of the recent ones"),
        NEWCOMER: _("{points} newcomer bonus (never placed before)"),
        NEVER_PLACED: _("{points} for {seasons} applied in without a seat"),
    }
    return texts.get(adjustment.kind, "{points} ({kind})").format(points=points, seasons=seasons,  # not a message
                                                                  kind=adjustment.kind)


def render_policy(summary) -> None:
    """What ``assign`` prints when the priority policy is on."""
    s = summary.settings
    if s["no_show_penalty"] == "last":
        penalty = ngettext("a no-show in the last {count} season places a person after everyone else",
                           "a no-show in the last {count} seasons places a person after everyone else",
                           s["no_show_seasons"]).format(count=s["no_show_seasons"])
    else:
        penalty = ngettext("{points} points off per no-show season among the last {count}",
                           "{points} points off per no-show season among the last {count}",
                           s["no_show_seasons"]).format(points=f"{s['no_show_points']:g}", count=s["no_show_seasons"])
    console.print(_("[bold]Priority policy[/] ({section} in season.toml): {penalty}; newcomer bonus {newcomer}; "
                    "{never_placed} per earlier season applied in without a seat.").format(
        section=escape("[priority]"), penalty=penalty, newcomer=f"{s['newcomer_bonus']:g}",
        never_placed=f"{s['never_placed_bonus']:g}"), soft_wrap=True)
    seasons = len(summary.seasons)
    used = (ngettext("  History: {count} earlier season ({seasons})", "  History: {count} earlier seasons ({seasons})",
                     seasons).format(count=seasons, seasons=escape(", ".join(summary.seasons)))
            if seasons else _("  History: 0 earlier seasons: none imported, so it changes nothing but the newcomer "
                              "bonus"))
    console.print(_("{history}. Scores adjusted: {adjusted} ({penalised} no-show penalties, {newcomers} newcomer "
                    "bonuses, {never_placed} never-placed bonuses).").format(
        history=used, adjusted=summary.adjusted, penalised=summary.penalised, newcomers=summary.newcomers,
        never_placed=summary.never_placed), soft_wrap=True)
