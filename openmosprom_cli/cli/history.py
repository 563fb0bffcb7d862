"""Commands for earlier seasons: ``history import`` and ``history list``."""

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
from openmosprom_cli.cli.groups import history_app


def import_(
    folders: Annotated[list[Path], typer.Argument(help="Earlier season folders (each holds season.toml and "
                                                       "season.db); they are only read.", metavar="FOLDERS...")],
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
        again = " (replacing its earlier import)" if s.replaced else ""
        console.print(f"Season {s.window_start:%d.%m.%Y}–{s.window_end:%d.%m.%Y} from {escape(s.source)}{again}: "
                      f"{s.people} people applied, {s.placed} placed, {s.attended} came, {s.missed} missed a tour.")
        for warning in s.warnings:
            console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)


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
        table = new_table(title="Earlier seasons", title_justify="left")
        for name in ("season", "tours", "from", "people", "attendance", "imported", "intact"):
            table.add_column(name)
        for s in history.seasons:
            tours = (f"{s.first_tour:%d.%m}–{s.last_tour:%d.%m.%Y}" if s.first_tour and s.last_tour else "–")
            table.add_row(f"{s.window_start:%d.%m.%Y}–{s.window_end:%d.%m.%Y}", tours, escape(s.source),
                          str(s.people), "yes" if s.attendance else "no", escape(s.imported_at[:16].replace("T", " ")),
                          "yes" if s.intact else "[red]NO[/]")
        console.print(table)
        if not history.seasons:
            console.print("No earlier season imported yet: [bold]openmosprom history import FOLDER[/].")
        for problem in history.problems:
            console.print(f"[bold red]tampered:[/] {escape(problem)}", soft_wrap=True)
    if not history.intact:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    attach(history_app, "import", import_)
    attach(history_app, "list", list_)


# -- the priority policy, as assign and explain show it ---------------------------------------------------------

def adjustment_text(adjustment) -> str:
    """One adjustment of the priority policy, in words."""
    from openmosprom_cli.allocation.policy import NEVER_PLACED, NEWCOMER, NO_SHOW, NO_SHOW_LAST

    seasons = f"{adjustment.seasons} season{'s' if adjustment.seasons != 1 else ''}"
    return {
        NO_SHOW: f"{adjustment.points:+g} for a no-show in {seasons} of the recent ones",
        NO_SHOW_LAST: f"{adjustment.points:+g}: after everyone else, for a no-show in {seasons} of the recent ones",
        NEWCOMER: f"{adjustment.points:+g} newcomer bonus (never placed before)",
        NEVER_PLACED: f"{adjustment.points:+g} for {seasons} applied in without a seat",
    }.get(adjustment.kind, f"{adjustment.points:+g} ({adjustment.kind})")


def render_policy(summary) -> None:
    """What ``assign`` prints when the priority policy is on."""
    s = summary.settings
    if s["no_show_penalty"] == "last":
        penalty = f"a no-show in the last {s['no_show_seasons']} season(s) places a person after everyone else"
    else:
        penalty = f"{s['no_show_points']:g} points off per no-show season among the last {s['no_show_seasons']}"
    console.print(f"[bold]Priority policy[/] ({escape('[priority]')} in season.toml): {penalty}; newcomer bonus "
                  f"{s['newcomer_bonus']:g}; {s['never_placed_bonus']:g} per earlier season applied in without a "
                  "seat.", soft_wrap=True)
    seasons = len(summary.seasons)
    console.print(f"  History: {seasons} earlier season(s)" + (f" ({escape(', '.join(summary.seasons))})"
                                                               if seasons else ": none imported, so it changes "
                                                                               "nothing but the newcomer bonus")
                  + f". Scores adjusted: {summary.adjusted} ({summary.penalised} no-show penalties, "
                  f"{summary.newcomers} newcomer bonuses, {summary.never_placed} never-placed bonuses).",
                  soft_wrap=True)
