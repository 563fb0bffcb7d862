"""Commands that create a season: ``init`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from openmosprom_cli.cli.common import console


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new season.", show_default=True)] = Path("."),
    year: Annotated[Optional[int], typer.Option("--year", help="Season year (default: the coming December).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing season's settings and state.")] = False,
) -> None:
    """Create a season folder with season.toml (settings) and season.db (state).

    Example: [bold]openmosprom init season-2026 --year 2026[/]
    """
    from openmosprom_cli.season import init_season

    season = init_season(directory, year=year, force=force)
    s = season.settings
    console.print(f"Created the {s.year} season in [bold]{escape(str(season.path))}[/]")
    console.print(f"  window {s.window_start:%d.%m.%Y}–{s.window_end:%d.%m.%Y}, {s.tours} tours, "
                  f"at least {s.min_per_site} per site")
    console.print(f"Next: edit {escape(str(season.settings_path))}, then "
                  f"[bold]openmosprom schedules template[/] for the factories.")


def register(app: typer.Typer) -> None:
    app.command()(init)
