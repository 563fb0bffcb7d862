"""The command groups, defined once so that each stage's module can add its commands."""

from __future__ import annotations

from typing import Any

import click
import typer

from openmosprom_cli.i18n import _

# Click's own placeholders in every usage line, in the interface's language.
USAGE_WORDS: dict[str, Any] = {"options_metavar": _("[OPTIONS]"), "subcommand_metavar": _("COMMAND [ARGS]...")}

# An option's value is shown by its type's name: click says a path's through gettext ("path", "file",
# "directory", in the catalogue with its other words), but not these. Named here, as the help is made.
click.types.STRING.name, click.types.INT.name, click.types.FLOAT.name = _("text"), _("integer"), _("float")
click.types.IntRange.name, click.types.FloatRange.name = _("integer range"), _("float range")

schedules_app = typer.Typer(**USAGE_WORDS, help=_("Factories' availability: templates, import, listing."), no_args_is_help=True, rich_markup_mode=None)
slots_app = typer.Typer(**USAGE_WORDS, help=_("The season's tours: generate, list, export, import."), no_args_is_help=True, rich_markup_mode=None)
registrants_app = typer.Typer(**USAGE_WORDS, help=_("People registered in the VK mini-app."), no_args_is_help=True, rich_markup_mode=None)
rosters_app = typer.Typer(**USAGE_WORDS, help=_("Visitor lists for the factories: export and email."), no_args_is_help=True, rich_markup_mode=None)
outbox_app = typer.Typer(**USAGE_WORDS, help=_("Roster emails and their delivery state."), no_args_is_help=True, rich_markup_mode=None)
prizes_app = typer.Typer(**USAGE_WORDS, help=_("Prizes for the most active: the catalogue, the draw, hand-outs."), no_args_is_help=True,
                         rich_markup_mode=None)
attendance_app = typer.Typer(**USAGE_WORDS, help=_("Who came: the factories' returned rosters and check-in lists."), no_args_is_help=True,
                             rich_markup_mode=None)
history_app = typer.Typer(**USAGE_WORDS, help=_("Earlier seasons: who applied, got a seat, came or missed it, per VK ID."),
                          no_args_is_help=True, rich_markup_mode=None)
privacy_app = typer.Typer(**USAGE_WORDS, help=_("Personal data housekeeping (152-FZ)."), no_args_is_help=True, rich_markup_mode=None)

GROUPS = {
    "schedules": schedules_app,
    "slots": slots_app,
    "registrants": registrants_app,
    "rosters": rosters_app,
    "outbox": outbox_app,
    "prizes": prizes_app,
    "attendance": attendance_app,
    "history": history_app,
    "privacy": privacy_app,
}
