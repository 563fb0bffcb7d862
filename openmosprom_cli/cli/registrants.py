"""Commands of the registrants stage: ``registrants import``, ``registrants list``, ``registrants show``."""

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
    jsonable,
    load_season,
    new_table,
    print_json,
)
from openmosprom_cli.cli.groups import registrants_app

MAX_REJECTED_SHOWN = 20
FIELD_NAMES = {"full_name": "name", "phone": "phone", "email": "email", "birth_date": "birth date",
               "score": "score", "registered_at": "registration time", "choices": "choices",
               "companions": "guests", "passport": "passport", "citizenship": "citizenship",
               "prizes": "preferred prizes"}


def parse_mappings(items: list[str]) -> dict[str, str]:
    """``"Source column=field"`` options as a dict; the last ``=`` splits, since headers may contain one."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise typer.BadParameter(f"{item!r} is not of the form \"Source column=field\"", param_hint="--map")
        mapping[source.strip()] = target.strip()
    return mapping


def import_(
    file: Annotated[Path, typer.Argument(help="The mini-app's export: .csv or .xlsx.", show_default=False)],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help='Read a column under another name: "Source column=field" (e.g. "Очки=score"). Repeatable.',
        show_default=False)] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Import the valid rows; write the rejected ones to rejected-<file>.xlsx.")] = False,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="Text encoding of a CSV, e.g. cp1251 for one saved by Excel. Default: UTF-8.",
        show_default=False)] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Import or re-import the people registered in the VK mini-app.

    People are updated by ID and added; nobody is deleted. Any invalid row stops
    the import (exit 65, nothing changed) unless --skip-invalid is given.

    Example: openmosprom registrants import export.csv --skip-invalid
    """
    from openmosprom_cli.registrants.importer import import_registrants

    mapping = parse_mappings(map_ or [])
    report = import_registrants(load_season(workspace), file, mapping=mapping, skip_invalid=skip_invalid,
                                encoding=encoding)
    console.print(f"Read {report.rows_read} row{'s' if report.rows_read != 1 else ''} "
                  f"from [bold]{escape(report.file)}[/]: "
                  f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged.")
    for change in report.field_changes:
        people = f"{change.people} {'person' if change.people == 1 else 'people'}"
        console.print(f"  {people}: {FIELD_NAMES.get(change.field, change.field)} {change.kind}")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    for item in report.attention:
        # The ID and tour only: the cause names the rule, never the person's data.
        console.print(f"  [yellow]needs your attention[/]: {escape(item.registrant_id)} keeps "
                      f"{escape(item.tour_id)}, {escape(item.what)}", soft_wrap=True)
    if report.attention:
        console.print("  Their seats stay; `openmosprom move` or `openmosprom unassign` with a reason, if they "
                      "should not.", soft_wrap=True)
    for merge in report.merged:
        console.print(f"Merged duplicate account(s) {escape(', '.join(merge.dropped))} into {escape(merge.kept_id)} "
                      "([duplicates] auto_merge: phone, full name and birth date match).", soft_wrap=True)
    if report.not_in_file:
        console.print(f"{report.not_in_file} registered earlier but not in this file: kept as they were.")
    if report.rejected:
        count = len(report.rejected)
        console.print(f"[yellow]{count} row{'s' if count != 1 else ''} rejected[/]; with their reasons in "
                      f"[bold]{escape(str(report.rejected_path))}[/]:")
        for rejected in report.rejected[:MAX_REJECTED_SHOWN]:
            console.print(f"  row {rejected.row}: {escape('; '.join(map(str, rejected.reasons)))}", soft_wrap=True)
        if count > MAX_REJECTED_SHOWN:
            console.print(f"  … and {count - MAX_REJECTED_SHOWN} more")
    console.print("Next: [bold]openmosprom assign[/]")


def list_(json_output: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """List the registrants, highest score first. The table leaves out passports; --json has every field.

    Example: openmosprom registrants list --json
    """
    from openmosprom_cli.registrants.listing import list_registrants

    registrants = list_registrants(load_season(workspace))
    if json_output:
        print_json(registrants)
        return
    if not registrants:
        console.print("No registrants yet. Import the mini-app's export with "
                      "[bold]openmosprom registrants import FILE[/].")
        return
    ordered = sorted(registrants, key=lambda r: (-r.score, r.registered_at is None, r.registered_at or 0, r.id))
    table = new_table(title=f"{len(registrants)} registrant{'s' if len(registrants) != 1 else ''}")
    table.add_column("ID", no_wrap=True)
    table.add_column("Name")
    table.add_column("Score", justify="right")
    table.add_column("Registered", no_wrap=True)
    table.add_column("Choices")
    table.add_column("Guests", justify="right")
    for r in ordered:
        table.add_row(escape(r.id), escape(r.full_name), f"{r.score:g}",
                      f"{r.registered_at:%d.%m.%Y %H:%M:%S}" if r.registered_at else "",
                      escape(", ".join(r.choices)), str(r.companions))
    console.print(table)


def show(
    registrant_id: Annotated[str, typer.Argument(metavar="ID", help="The person's VK ID.", show_default=False)],
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one registrant with every field. An unknown ID exits 66.

    Example: openmosprom registrants show 1133932
    """
    from openmosprom_cli.registrants.listing import show_registrant

    registrant = show_registrant(load_season(workspace), registrant_id)
    if json_output:
        print_json(registrant)
        return
    data = jsonable(registrant)
    table = new_table(show_header=False, title=f"Registrant {escape(registrant.id)}", title_justify="left")
    table.add_column("Field", style="bold")
    table.add_column("Value")
    labels = {"id": "ID VK", "full_name": "Name", "phone": "Phone", "email": "Email", "birth_date": "Birth date",
              "score": "Score", "registered_at": "Registered", "choices": "Choices", "companions": "Guests",
              "passport": "Passport", "citizenship": "Citizenship"}
    shown = {**data, "choices": ", ".join(registrant.choices), "score": f"{registrant.score:g}",
             "birth_date": f"{registrant.birth_date:%d.%m.%Y}" if registrant.birth_date else "",
             "registered_at": f"{registrant.registered_at:%d.%m.%Y %H:%M:%S}" if registrant.registered_at else ""}
    for key, label in labels.items():
        table.add_row(label, escape(str(shown[key])))
    console.print(table)


def register(app: typer.Typer) -> None:
    attach(registrants_app, "import", import_)
    attach(registrants_app, "list", list_)
    attach(registrants_app, "show", show)
