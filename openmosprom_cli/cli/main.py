"""Entry point: ``openmosprom`` and ``python -m openmosprom_cli``."""

from __future__ import annotations

import os
import traceback
from typing import Annotated

import click
import typer
from typer.core import TyperGroup

from openmosprom_cli import __version__
from openmosprom_cli.cli.common import debug_enabled, err_console, render_error
from openmosprom_cli.errors import EX_INTERRUPTED, EX_SOFTWARE, OpenMospromError


class ErrorReportingGroup(TyperGroup):
    """Turns the project's errors into a message and a sysexits status, at the edge only."""

    def invoke(self, ctx: click.Context):
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
            err_console.print("[bold red]interrupted[/]")
            raise typer.Exit(EX_INTERRUPTED) from None
        except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
            if debug_enabled():
                traceback.print_exc()
            err_console.print(
                f"[bold red]internal error:[/] {error.__class__.__name__}: {error}\n"
                "[dim]hint:[/] rerun with --debug for the traceback, and please report it."
            )
            raise typer.Exit(EX_SOFTWARE) from None


app = typer.Typer(
    cls=ErrorReportingGroup,
    name="openmosprom",
    help="Plan «Открой#Моспром» factory excursions: schedules → tours → registrants → seats → rosters → email.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"openmosprom {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Plan «Открой#Моспром» factory excursions from the factories' spreadsheets to the rosters they receive.

    Start with [bold]openmosprom demo[/] to see the whole pipeline on sample data.
    """
    if debug:
        os.environ["OPENMOSPROM_DEBUG"] = "1"


def _register() -> None:
    from openmosprom_cli.cli import (
        allocation,
        changes,
        duplicates,
        mail,
        privacy,
        prizes,
        publication,
        registrants,
        rosters,
        schedules,
        season,
        slots,
    )
    from openmosprom_cli.cli.groups import GROUPS

    for name, group in GROUPS.items():
        app.add_typer(group, name=name)
    for module in (season, schedules, slots, registrants, changes, allocation, publication, rosters, mail,
                   privacy, duplicates, prizes):
        module.register(app)


_register()


def run() -> None:
    app()


if __name__ == "__main__":
    run()
