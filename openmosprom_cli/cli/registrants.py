"""Commands of the registrants stage: ``registrants import``, ``registrants list``, ``registrants show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmosprom_cli.cli.common import (
    FIXED,
    ID,
    IDS,
    NUMBER,
    EncodingOption,
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
from openmosprom_cli.i18n import _, ngettext

MAX_REJECTED_SHOWN = 20


def _field_name(field: str) -> str:
    """A registrant field's name (a key of registrants/fields), in words."""
    return {"full_name": _("name"), "phone": _("phone"), "email": _("email"), "birth_date": _("birth date"),
            "score": _("score"), "registered_at": _("registration time"), "choices": _("choices"),
            "companions": _("guests"), "passport": _("passport"), "citizenship": _("citizenship"),
            "prizes": _("preferred prizes")}.get(field, field)


def _change_kind(kind: str) -> str:
    """What an import did to a field (registrants/importer.py FieldChange.kind), in words."""
    return {"set": _("set"), "changed": _("changed"), "cleared": _("cleared")}.get(kind, kind)


def parse_mappings(items: list[str]) -> dict[str, str]:
    """``"Source column=field"`` options as a dict; the last ``=`` splits, since headers may contain one."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise typer.BadParameter(_("{item} is not of the form \"Source column=field\"").format(item=repr(item)),
                                     param_hint="--map")
        mapping[source.strip()] = target.strip()
    return mapping


def import_(
    file: Annotated[Path, typer.Argument(help=_("The mini-app's export: .csv or .xlsx."), metavar=_("FILE"), show_default=False)],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help=_('Read a column under another name: "Source column=field" (e.g. "Очки=score"). Repeatable.'),
        show_default=False)] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help=_("Import the valid rows; write the rejected ones to rejected-<file>.xlsx."))] = False,
    encoding: EncodingOption = None,
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
    console.print(ngettext(
        "Read {rows} row from [bold]{file}[/]: {added} added, {updated} updated, {unchanged} unchanged.",
        "Read {rows} rows from [bold]{file}[/]: {added} added, {updated} updated, {unchanged} unchanged.",
        report.rows_read).format(rows=report.rows_read, file=escape(report.file), added=report.added,
                                 updated=report.updated, unchanged=report.unchanged))
    for change in report.field_changes:
        console.print(ngettext("  {count} person: {field} {kind}", "  {count} people: {field} {kind}",
                               change.people).format(count=change.people, field=_field_name(change.field),
                                                     kind=_change_kind(change.kind)))
    for warning in report.warnings:
        console.print(_("[yellow]warning:[/] {warning}").format(warning=escape(str(warning))), soft_wrap=True)
    for item in report.attention:
        # The ID and tour only: the cause names the rule, never the person's data.
        console.print(_("  [yellow]needs your attention[/]: {id} keeps {tour}, {what}").format(
            id=escape(item.registrant_id), tour=escape(item.tour_id), what=escape(str(item.what))), soft_wrap=True)
    if report.attention:
        console.print(_("  Their seats stay; `openmosprom move` or `openmosprom unassign` with a reason, if they "
                        "should not."), soft_wrap=True)
    for merge in report.merged:
        console.print(ngettext(
            "Merged duplicate account {dropped} into {kept} ([duplicates] auto_merge: phone, full name and birth "
            "date match).",
            "Merged duplicate accounts {dropped} into {kept} ([duplicates] auto_merge: phone, full name and birth "
            "date match).", len(merge.dropped)).format(dropped=escape(", ".join(merge.dropped)),
                                                         kept=escape(merge.kept_id)), soft_wrap=True)
    if report.not_in_file:
        console.print(ngettext("{count} registered earlier but not in this file: kept as they were.",
                               "{count} registered earlier but not in this file: kept as they were.",
                               report.not_in_file).format(count=report.not_in_file))
    if report.rejected:
        count = len(report.rejected)
        console.print(ngettext("[yellow]{count} row rejected[/]; with their reasons in [bold]{file}[/]:",
                               "[yellow]{count} rows rejected[/]; with their reasons in [bold]{file}[/]:",
                               count).format(count=count, file=escape(str(report.rejected_path))))
        for rejected in report.rejected[:MAX_REJECTED_SHOWN]:
            console.print(_("  row {row}: {reasons}").format(
                row=rejected.row, reasons=escape("; ".join(map(str, rejected.reasons)))), soft_wrap=True)
        if count > MAX_REJECTED_SHOWN:
            console.print(_("  … and {count} more").format(count=count - MAX_REJECTED_SHOWN))
    console.print(_("Next: [bold]openmosprom assign[/]"))


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
        console.print(_("No registrants yet. Import the mini-app's export with "
                        "[bold]openmosprom registrants import FILE[/]."))
        return
    ordered = sorted(registrants, key=lambda r: (-r.score, r.registered_at is None, r.registered_at or 0, r.id))
    table = new_table(title=ngettext("{count} registrant", "{count} registrants", len(registrants)).format(
        count=len(registrants)))
    table.add_column(_("ID"), kind=ID, priority=9)
    table.add_column(_("Full name"), priority=8)
    table.add_column(_("Score"), kind=NUMBER, priority=7)
    table.add_column(_("Registered"), kind=FIXED, priority=5)
    table.add_column(_("Choices"), kind=IDS, priority=6)
    table.add_column(_("Guests"), kind=NUMBER, priority=4)
    for r in ordered:
        table.add_row(escape(r.id), escape(r.full_name), f"{r.score:g}",
                      f"{r.registered_at:%d.%m.%Y %H:%M:%S}" if r.registered_at else "",
                      escape(", ".join(r.choices)), str(r.companions))
    console.print(table)


def show(
    registrant_id: Annotated[str, typer.Argument(metavar=_("ID"), help=_("The person's VK ID."), show_default=False)],
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one registrant with every field, the prizes they prefer included. An unknown ID exits 66.

    Example: openmosprom registrants show 1133932
    """
    from openmosprom_cli.registrants.listing import show_registrant

    details = show_registrant(load_season(workspace), registrant_id)
    registrant = details.registrant
    data = {**jsonable(registrant), "prizes": list(details.prizes)}
    if json_output:
        print_json(data)
        return
    table = new_table(show_header=False, title=_("Registrant {id}").format(id=escape(registrant.id)),
                      title_justify="left")
    table.add_column(_("Field"), kind=FIXED, priority=9, style="bold")
    table.add_column(_("Value"), priority=8)
    labels = {"id": _("ID VK"), "full_name": _("Full name"), "phone": _("Phone"), "email": _("Email"),
              "birth_date": _("Birth date"), "score": _("Score"), "registered_at": _("Registered"),
              "choices": _("Choices"), "companions": _("Guests"), "passport": _("Passport"),
              "citizenship": _("Citizenship"), "prizes": _("Prizes preferred")}
    shown = {**data, "choices": ", ".join(registrant.choices), "prizes": ", ".join(details.prizes),
             "score": f"{registrant.score:g}",
             "birth_date": f"{registrant.birth_date:%d.%m.%Y}" if registrant.birth_date else "",
             "registered_at": f"{registrant.registered_at:%d.%m.%Y %H:%M:%S}" if registrant.registered_at else ""}
    for key, label in labels.items():
        table.add_row(label, escape(str(shown[key])))
    console.print(table)


def register(app: typer.Typer) -> None:
    attach(registrants_app, "import", import_)
    attach(registrants_app, "list", list_)
    attach(registrants_app, "show", show)
