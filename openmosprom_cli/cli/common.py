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
from openmosprom_cli.i18n import RUSSIAN, _, language, render

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
    group.command(name, help=_(inspect.cleandoc(function.__doc__ or "")), options_metavar=_("[OPTIONS]"))(function)


def escape(text: str) -> str:
    """Rich markup escaped, so that data is never read as markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


# The kinds of a table's column. An ID is never shrunk (no_wrap, its full width), nor is a short fixed value
# (a date, a time) or a number; text wraps at spaces and folds a word longer than its column, never "…"; a list
# of IDs (or addresses) wraps between them but never inside one.
ID, FIXED, NUMBER, TEXT, IDS = "id", "fixed", "number", "text", "ids"


@dataclasses.dataclass(frozen=True)
class TableColumn:
    header: str
    kind: str = TEXT
    priority: int = 0       # in a console too narrow for every column, the lowest priority is left out first
    options: dict[str, Any] = dataclasses.field(default_factory=dict)   # more of Rich's column options


class FittedTable:
    """A table that fits its console: built at print time, for the console's width.

    When every column fits whole, Rich lays it out as usual. When not, text columns wrap (a word longer than
    its column folds); IDs, fixed values and numbers keep their full width; and if even that is too wide, the
    columns of lowest priority are left out, and a line under the table names them.
    """

    def __init__(self, *, title: str | None = None, **options: Any):
        self.title = title
        self.options = options
        self.columns: list[TableColumn] = []
        self.rows: list[tuple[str, ...]] = []
        self._measured: tuple[int, list[tuple[int, int]]] | None = None

    def add_column(self, header: str, *, kind: str = TEXT, priority: int = 0, **options: Any) -> None:
        self.columns.append(TableColumn(header, kind, priority, options))
        self._measured = None

    def add_row(self, *cells: str) -> None:
        self.rows.append(tuple(cells))

    def __rich_console__(self, console: Console, options: Any) -> Any:
        yield from self.renderables(options.max_width)

    def renderables(self, width: int) -> list[Any]:
        """The table laid out for ``width`` characters, and a note of the columns left out, if any."""
        from rich.text import Text

        shown = self._columns_that_fit(width)
        table = self._table(shown, width)
        left_out = [c.header for c in self.columns if c not in shown]
        if not left_out:
            return [table]
        note = _("Not shown at this width: {columns}.").format(columns=", ".join(left_out))
        return [table, Text(note, style="dim")]

    # -- layout ------------------------------------------------------------------------------------------------

    def _columns_that_fit(self, width: int) -> list[TableColumn]:
        shown = list(self.columns)
        while len(shown) > 1 and sum(self._least(c) for c in shown) + _overhead(len(shown)) > width:
            # the lowest priority goes first; of equal ones, the rightmost
            lowest = min(range(len(shown)), key=lambda i: (shown[i].priority, -i))
            del shown[lowest]
        return shown

    def _natural(self, column: TableColumn) -> int:
        return self._measures()[self.columns.index(column)][0]

    def _least(self, column: TableColumn) -> int:
        return self._measures()[self.columns.index(column)][1]

    def _measures(self) -> list[tuple[int, int]]:
        """Each column's (natural, least) width, measured once for the rows as they are.

        The least is whole for IDs, fixed values and numbers; for text its longest word, at most FOLD_AT (a
        longer word folds); for a list of IDs its longest item; a header counts by its longest word (it wraps).
        """
        if self._measured is not None and self._measured[0] == len(self.rows):
            return self._measured[1]
        from rich.cells import cell_len
        from rich.text import Text

        measures = []
        for index, column in enumerate(self.columns):
            natural = cell_len(column.header)
            least = max(cell_len(word) for word in column.header.split() or [""])
            longest_word = 1
            for row in self.rows:
                cell = str(row[index]) if index < len(row) else ""
                plain = Text.from_markup(cell).plain if "[" in cell else cell
                for line in plain.splitlines():
                    natural = max(natural, cell_len(line))
                    if column.kind in (TEXT, IDS):
                        longest_word = max([longest_word, *(cell_len(word) for word in line.split())])
                    else:
                        least = max(least, cell_len(line))
            if column.kind == TEXT:
                least = max(least, min(longest_word, FOLD_AT))
            elif column.kind == IDS:
                least = max(least, longest_word)
            measures.append((natural, least))
        self._measured = (len(self.rows), measures)
        return measures

    def _table(self, shown: list[TableColumn], width: int) -> Table:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.title, **self.options)
        natural = [self._natural(c) for c in shown]
        widths: list[int | None] = [None] * len(shown)
        if sum(natural) + _overhead(len(shown)) > width:
            least = [self._least(c) for c in shown]
            room = max(width - _overhead(len(shown)) - sum(least), 0)
            wanted = [n - m if c.kind in (TEXT, IDS) else 0 for c, n, m in zip(shown, natural, least, strict=True)]
            widths = [m + (room * w // sum(wanted) if sum(wanted) else 0) for m, w in zip(least, wanted, strict=True)]
        for column, fixed in zip(shown, widths, strict=True):
            options = {"no_wrap": column.kind not in (TEXT, IDS), "overflow": "fold",
                       "justify": "right" if column.kind == NUMBER else "left", **column.options}
            # A header may wrap at its spaces even over a column that never wraps.
            table.add_column(Text(column.header, no_wrap=False, overflow="fold"), width=fixed, **options)
        indexes = [self.columns.index(c) for c in shown]
        for row in self.rows:
            table.add_row(*(row[i] if i < len(row) else "" for i in indexes))
        return table


FOLD_AT = 16     # a text column is never made narrower than this for a long word: it folds


def _overhead(columns: int) -> int:
    """What a table with Rich's default box and padding adds to its columns' content: borders and spaces."""
    return 3 * columns + 1


def new_table(*, title: str | None = None, **options: Any) -> FittedTable:
    return FittedTable(title=title, **options)

MAX_PROBLEMS_SHOWN = 50

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w",
        help=_("Season folder. Default: $OPENMOSPROM_WORKSPACE, else the current folder or the nearest one above it "
               "that holds a season."),
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help=_("Print JSON for scripts instead of a table."))]


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
                 help=_("Text encoding of a CSV file, e.g. cp1251 for one saved by Excel on Russian Windows. "
                        "Default: UTF-8 (a UTF-16 file with a byte-order mark is recognised).")),
]


def moment(iso: str) -> str:
    """A stored moment (ISO, as the season keeps it) as people read it: day first, to the minute."""
    try:
        return f"{dt.datetime.fromisoformat(iso):%d.%m.%Y %H:%M}"
    except ValueError:
        return iso


def decimal(value: float, digits: int = 1) -> str:
    """A number with ``digits`` decimals, as the interface's language writes it: "8.2", or in Russian "8,2"."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language() == RUSSIAN else text


def percent(part: float, whole: float) -> str:
    """``part`` of ``whole`` in per cent with one decimal ("8.2%", in Russian "8,2 %"); a dash of nothing."""
    if not whole:
        return "–"
    return decimal(100 * part / whole) + ("\u00a0%" if language() == RUSSIAN else "%")


def day(iso: str) -> str:
    """A stored date or moment (ISO) as a day, day first."""
    try:
        return f"{dt.date.fromisoformat(iso[:10]):%d.%m.%Y}"
    except ValueError:
        return iso


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
    typer.Option("--reason", metavar=_("TEXT"), show_default=False,
                 help=_("Why: kept with the change, shown by explain and audit, and told where it concerns "
                        "someone.")),
]


def load_season(workspace: Path | None) -> Season:
    from openmosprom_cli.season.folder import find_season

    season = find_season(workspace)
    if season.upgrade is not None:
        u = season.upgrade
        err_console.print(_("[yellow]note:[/] this season was made by an earlier release; its database was upgraded "
                            "from schema version {old} to {new} ({steps}). The copy from before is {backup}.").format(
                              old=u.from_version, new=u.to_version, steps=escape("; ".join(render(step, language()) for step in u.steps)),
                              backup=escape(str(u.backup))), soft_wrap=True)
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
