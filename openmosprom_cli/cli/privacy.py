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
from openmosprom_cli.i18n import _, language, ngettext, render


def purge(
    before: Annotated[str | None, typer.Option("--before", help=_("Erase data of people whose tours all ended before this date (DD.MM.YYYY). Default: today."))] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("Do not ask for confirmation."))] = False,
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
        typer.confirm(_("Erase passports, citizenship and birth dates of people whose tours ended before {day}? "
                        "This cannot be undone").format(day=f"{cutoff:%d.%m.%Y}"), abort=True)
    report = purge_personal_data(season, cutoff)
    console.print(ngettext(
        "Erased personal data of [bold]{people}[/] person whose tours ended before {day}: {passports} passports, "
        "{citizenships} citizenships, {birth_dates} birth dates.",
        "Erased personal data of [bold]{people}[/] people whose tours ended before {day}: {passports} passports, "
        "{citizenships} citizenships, {birth_dates} birth dates.", report.people).format(
        people=report.people, day=f"{report.before:%d.%m.%Y}", passports=report.passports,
        citizenships=report.citizenships, birth_dates=report.birth_dates))
    if report.runs_scrubbed:
        console.print(ngettext(
            "Scrubbed the same fields from {count} stored allocation snapshot; birth dates there are replaced by "
            "whether each person met the minimum age of the tours they listed, so [bold]openmosprom audit[/] still "
            "re-derives the allocation.",
            "Scrubbed the same fields from {count} stored allocation snapshots; birth dates there are replaced by "
            "whether each person met the minimum age of the tours they listed, so [bold]openmosprom audit[/] still "
            "re-derives the allocation.", report.runs_scrubbed).format(count=report.runs_scrubbed), soft_wrap=True)
    if report.snapshot_fingerprint:
        console.print(_("The current allocation's inputs fingerprint after the purge: {fingerprint}").format(
            fingerprint=report.snapshot_fingerprint))
    for path in report.files_removed:
        console.print(_("Removed {file}").format(file=escape(str(path))))
    if report.history_removed:
        console.print(ngettext(
            "Removed the history of {count} earlier season beyond the last {keep} ({section} keep_seasons).",
            "Removed the history of {count} earlier seasons beyond the last {keep} ({section} keep_seasons).",
            len(report.history_removed)).format(count=len(report.history_removed),
                                                keep=season.settings.history_keep_seasons,
                                                section=escape("[history]")))
    if report.waiting:
        console.print(ngettext("[dim]{count} person still has tours ahead; their data was kept.[/]",
                               "[dim]{count} people still have tours ahead; their data was kept.[/]",
                               report.waiting).format(count=report.waiting))
    if report.still_holding:
        console.print(ngettext(
            "[yellow]{count} file in the season folder still holds personal data[/] (remove it when it is no "
            "longer needed):",
            "[yellow]{count} files in the season folder still hold personal data[/] (remove them when they are no "
            "longer needed):", len(report.still_holding)).format(count=len(report.still_holding)))
        for held in report.still_holding:
            console.print(f"  {escape(str(held.path))}: {escape(render(held.holds, language()))}",  # not a message
                          soft_wrap=True)


def register(app: typer.Typer) -> None:
    attach(privacy_app, "purge", purge)
