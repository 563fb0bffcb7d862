"""What every command shares: the consoles, the workspace option, error rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openmosprom_cli.errors import BadDataError, OpenMospromError
from openmosprom_cli.i18n import _

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from openmosprom_cli.season.folder import Season


class _LazyConsole:
    """A Rich console made on first use: `--help` and `--version` never pay for importing Rich."""

    def __init__(self, **options: Any):
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console: Console = _LazyConsole(highlight=False, soft_wrap=True)  # type: ignore[assignment]
err_console: Console = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)  # type: ignore[assignment]


def attach(group: typer.Typer, name: str, function: Callable[..., Any]) -> None:
    """Register ``function`` as the command ``name`` of ``group``, its help (the docstring) in the interface's
    language (see openmosprom_cli/i18n.py; scripts/messages.py collects every command's docstring)."""
    group.command(name, help=_(inspect.cleandoc(function.__doc__ or "")))(function)


def escape(text: str) -> str:
    """Rich markup escaped, so that data is never read as markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def new_table(*args: Any, **kwargs: Any) -> Table:
    from rich.table import Table

    return Table(*args, **kwargs)

MAX_PROBLEMS_SHOWN = 50

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w",
        help="Season folder. Default: $OPENMOSPROM_WORKSPACE, else the current folder.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]


def _text_encoding(value: str | None) -> str | None:
    """``--encoding``: a text encoding Python knows; anything else is a usage error (exit 2) naming the choices."""
    if value is None:
        return None
    from openmosprom_cli.io.csv_text import text_encoding
    from openmosprom_cli.io.values import ValueProblem

    try:
        return text_encoding(value)
    except ValueProblem as exc:
        raise typer.BadParameter(str(exc)) from None


EncodingOption = Annotated[
    str | None,
    typer.Option("--encoding", callback=_text_encoding, show_default=False,
                 help="Text encoding of a CSV file, e.g. cp1251 for one saved by Excel on Russian Windows. "
                      "Default: UTF-8 (a UTF-16 file with a byte-order mark is recognised)."),
]


def date_option(value: str | None) -> dt.date | None:
    """A date given on the command line, DD.MM.YYYY or ISO; a bad one is a usage error (exit 2)."""
    if value is None:
        return None
    from openmosprom_cli.io.values import ValueProblem, parse_date

    try:
        return parse_date(value)
    except ValueProblem as exc:
        raise typer.BadParameter(str(exc)) from None


def time_option(value: str) -> dt.time:
    """A time given on the command line, HH:MM; a bad one is a usage error (exit 2)."""
    from openmosprom_cli.io.values import ValueProblem, parse_time

    try:
        return parse_time(value)
    except ValueProblem as exc:
        raise typer.BadParameter(str(exc)) from None


ReasonOption = Annotated[
    str | None,
    typer.Option("--reason", metavar="TEXT", show_default=False,
                 help="Why: kept with the change, shown by explain and audit, and told where it concerns someone."),
]


def load_season(workspace: Path | None) -> Season:
    from openmosprom_cli.season.folder import find_season

    season = find_season(workspace)
    if season.upgrade is not None:
        u = season.upgrade
        err_console.print(f"[yellow]note:[/] this season was made by an earlier release; its database was upgraded "
                          f"from schema version {u.from_version} to {u.to_version} "
                          f"({escape('; '.join(u.steps))}). The copy from before is {escape(str(u.backup))}.",
                          soft_wrap=True)
    return season


def print_json(record: Any) -> None:
    """``--json`` of every command: the core's record as a dictionary (see :func:`jsonable`)."""
    # Plain print: Rich would wrap long lines and break the JSON.
    typer.echo(json.dumps(jsonable(record), ensure_ascii=False, indent=2))


def jsonable(value: Any) -> Any:
    """The one JSON shape of every command: a record's fields by name, recursively.

    Dates are ISO (``2026-12-11``), times ``HH:MM``, moments ISO; paths are
    text; tuples are lists; mappings keep their keys as text.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A record may name derived values worth showing too (a candidate's tour ID) in ``json_extra``.
        names = [f.name for f in dataclasses.fields(value) if f.repr] + list(getattr(value, "json_extra", ()))
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def render_error(error: OpenMospromError) -> None:
    """One clear line on stderr (more for several data problems); never a traceback."""
    message = str(error.message)
    if isinstance(error, BadDataError) and len(error.problems) > 1:
        err_console.print(_("[bold red]error:[/] {message}").format(message=escape(message)))
        for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
            err_console.print(f"  {escape(str(problem))}", soft_wrap=True)
        if len(error.problems) > MAX_PROBLEMS_SHOWN:
            err_console.print(_("  … and {count} more").format(count=len(error.problems) - MAX_PROBLEMS_SHOWN))
    else:
        err_console.print(_("[bold red]error:[/] {message}").format(message=escape(message)), soft_wrap=True)
    if error.hint:
        err_console.print(_("[dim]hint:[/] {hint}").format(hint=escape(str(error.hint))), soft_wrap=True)


def debug_enabled() -> bool:
    return os.environ.get("OPENMOSPROM_DEBUG", "") not in ("", "0")
