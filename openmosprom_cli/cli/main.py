"""Entry point: ``openmosprom`` and ``python -m openmosprom_cli``."""

from __future__ import annotations

import os
import traceback
from typing import Annotated

import click
import typer
from typer.core import TyperGroup

import openmosprom_cli
from openmosprom_cli.cli.common import debug_enabled, err_console, escape, render_error
from openmosprom_cli.cli.groups import USAGE_WORDS
from openmosprom_cli.errors import EX_INTERRUPTED, EX_SOFTWARE, OpenMospromError
from openmosprom_cli.i18n import LANG_OPTION, _, ngettext, set_language
from openmosprom_cli.season.interrupts import commits_so_far

# `--help` lists the commands in the order of the season's work.
COMMAND_ORDER = ("init", "demo", "schedules", "slots", "registrants", "assign", "explain", "audit", "prizes", "move",
                 "unassign", "publish", "rosters", "outbox", "attendance", "report", "history", "privacy")


class ErrorReportingGroup(TyperGroup):
    """Turns the project's errors into a message and a sysexits status, at the edge only."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: rank.get(name, len(rank)))

    def invoke(self, ctx: click.Context):
        commits_before = commits_so_far()
        try:
            return super().invoke(ctx)
        except OpenMospromError as error:
            if debug_enabled():
                traceback.print_exc()
            render_error(error)
            raise typer.Exit(error.exit_code) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, typer.Exit):
            raise
        except KeyboardInterrupt:
            saved = commits_so_far() - commits_before
            if saved:
                err_console.print(ngettext(
                    "[bold red]interrupted[/] after saving: the season keeps what this command had saved "
                    "({count} step); what came after was not done.",
                    "[bold red]interrupted[/] after saving: the season keeps what this command had saved "
                    "({count} steps); what came after was not done.", saved).format(count=saved))
            else:
                err_console.print(_("[bold red]interrupted[/] before saving anything: the season is unchanged."))
            raise typer.Exit(EX_INTERRUPTED) from None
        except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
            if debug_enabled():
                traceback.print_exc()
            err_console.print(
                _("[bold red]internal error:[/] {error}\n"
                  "[dim]hint:[/] rerun with --debug for the traceback, and please report it.").format(
                    error=escape(f"{error.__class__.__name__}: {error}"))
            )
            raise typer.Exit(EX_SOFTWARE) from None


app = typer.Typer(
    **USAGE_WORDS,
    cls=ErrorReportingGroup,
    name="openmosprom",
    help=_("Plan «Открой#Моспром» factory excursions: schedules → tours → registrants → seats → rosters → email."
           "\n\nStart with `openmosprom demo` to see the whole pipeline on sample data."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _language(value: str | None) -> None:
    # The help was made in the language read from the command line at start; this is for what follows.
    if value:
        set_language(value)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"openmosprom {openmosprom_cli.__version__}")  # not a message
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help=_("Show tracebacks for errors."))] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help=_("Print the version."))] = False,
    lang: Annotated[str | None, typer.Option(LANG_OPTION, metavar="en|ru", callback=_language, is_eager=True,
                                             help=_("The interface's language. Default: $OPENMOSPROM_LANG, "
                                                    "else the locale's (LANG)."))] = None,
) -> None:
    if debug:
        os.environ["OPENMOSPROM_DEBUG"] = "1"
    from openmosprom_cli.cli.progress import install_for_terminal

    install_for_terminal()


def _register() -> None:
    from openmosprom_cli.cli import (
        allocation,
        attendance,
        changes,
        duplicates,
        history,
        mail,
        privacy,
        prizes,
        publication,
        registrants,
        report,
        rosters,
        schedules,
        season,
        slots,
    )
    from openmosprom_cli.cli.groups import GROUPS

    for name, group in GROUPS.items():
        app.add_typer(group, name=name)
    for module in (season, schedules, slots, registrants, changes, allocation, publication, rosters, mail,
                   privacy, attendance, history, report, duplicates, prizes):
        module.register(app)


_register()


def run() -> None:
    app()


if __name__ == "__main__":
    run()
