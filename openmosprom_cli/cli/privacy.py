"""Commands for personal data housekeeping."""

from __future__ import annotations

from typing import Annotated

import typer

from openmosprom_cli.cli.common import (
    WorkspaceOption,
    attach,
    console,
    date_option,
    escape,
    load_season,
)
from openmosprom_cli.cli.groups import privacy_app


def purge(
    before: Annotated[str | None, typer.Option("--before", help="Erase data of people whose tours all ended before this date (DD.MM.YYYY). Default: today.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Erase passport numbers, citizenship and birth dates of people whose tours are over.

    Names, scores and results are kept. Roster files and emails that carried the
    erased data are removed (the outbox keeps its record of what was sent to
    whom). Allocation snapshots keep only whether each person met the minimum
    age of the tours they listed, so the audit keeps working. Nothing changes
    unless every such file can be removed, no erased value is left in the
    database's free pages, and the files that still hold personal data are
    listed. A date after today is refused. The history of earlier seasons
    beyond keep_seasons (the history section of season.toml) is removed too.
    Russian law 152-FZ asks that personal data be kept no longer than its
    purpose needs.

    Example: openmosprom privacy purge --before 23.12.2026 --yes
    """
    from openmosprom_cli.privacy import purge_personal_data
    from openmosprom_cli.season.clock import today

    cutoff = date_option(before) or today()
    season = load_season(workspace)
    if not yes:
        typer.confirm(f"Erase passports, citizenship and birth dates of people whose tours ended before "
                      f"{cutoff:%d.%m.%Y}? This cannot be undone", abort=True)
    report = purge_personal_data(season, cutoff)
    console.print(f"Erased personal data of [bold]{report.people}[/] people whose tours ended before "
                  f"{report.before:%d.%m.%Y}: {report.passports} passports, {report.citizenships} citizenships, "
                  f"{report.birth_dates} birth dates.")
    if report.runs_scrubbed:
        console.print(f"Scrubbed the same fields from {report.runs_scrubbed} stored allocation snapshot(s); "
                      "birth dates there are replaced by whether each person met the minimum age of the tours "
                      "they listed, so [bold]openmosprom audit[/] still re-derives the allocation.", soft_wrap=True)
    if report.snapshot_fingerprint:
        console.print(f"The current allocation's inputs fingerprint after the purge: {report.snapshot_fingerprint}")
    for path in report.files_removed:
        console.print(f"Removed {escape(str(path))}")
    if report.history_removed:
        console.print(f"Removed the history of {len(report.history_removed)} earlier season(s) beyond the last "
                      f"{season.settings.history_keep_seasons} ({escape('[history]')} keep_seasons).")
    if report.waiting:
        console.print(f"[dim]{report.waiting} people still have tours ahead; their data was kept.[/]")
    if report.still_holding:
        console.print(f"[yellow]{len(report.still_holding)} file(s) in the season folder still hold personal data[/] "
                      "(remove them when they are no longer needed):")
        for held in report.still_holding:
            console.print(f"  {escape(str(held.path))}: {escape(held.holds)}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    attach(privacy_app, "purge", purge)
