"""Commands for duplicate accounts: ``registrants duplicates`` and ``registrants merge``."""

from __future__ import annotations

from typing import Annotated

import typer

from openmosprom_cli.cli.changes import render_seat_changes
from openmosprom_cli.cli.common import (
    JsonOption,
    ReasonOption,
    WorkspaceOption,
    attach,
    console,
    escape,
    load_season,
    print_json,
)
from openmosprom_cli.cli.groups import registrants_app
from openmosprom_cli.i18n import _, ngettext


def evidence_text(kind: str) -> str:
    """What duplicate accounts share (a kind of registrants/duplicates.py), in words."""
    return {"phone": _("phone"), "email": _("email"), "name and birth date": _("name and birth date")}.get(kind, kind)


def duplicates(json_: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """List accounts that may be one person: they share a phone, an email, or a full name with a birth date.

    Each cluster shows the evidence, masked, and the account to keep (the
    highest score). Shared phones or emails alone are families as often as
    duplicates: decide, then merge with registrants merge.

    Example: openmosprom registrants duplicates
    """
    from openmosprom_cli.changes.merges import find_duplicates

    clusters = find_duplicates(load_season(workspace))
    if json_:
        print_json(list(clusters))
        return
    if not clusters:
        console.print(_("No accounts share a phone, an email, or a full name with a birth date."))
        return
    console.print(ngettext("{count} cluster of accounts that may be one person:",
                           "{count} clusters of accounts that may be one person:", len(clusters)).format(
        count=len(clusters)))
    for cluster in clusters:
        console.print(_("[bold]{ids}[/] — keep {keep} (highest score)").format(ids=escape(", ".join(cluster.ids)),
                                                                             keep=escape(cluster.keep)))
        for e in cluster.evidence:
            # The name and birth date are personal data in the clear: only that they match is said.
            shown = f" {escape(e.shown)}" if e.kind != "name and birth date" else ""
            console.print(_("  same {kind}{shown}: {ids}").format(kind=evidence_text(e.kind), shown=shown,
                                                                  ids=escape(", ".join(e.ids))), soft_wrap=True)
        for group in cluster.strict:
            console.print(_("  [yellow]phone, full name and birth date all match[/]: {ids}").format(
                ids=escape(", ".join(group))))
        console.print(_("  merge: {command}").format(
            command=f"[bold]openmosprom registrants merge {escape(' '.join(cluster.ids))} --keep "
                    f"{escape(cluster.keep)} --reason \"...\"[/]"), soft_wrap=True)


def merge(
    ids: Annotated[list[str], typer.Argument(help=_("VK IDs of the accounts of one person."), metavar=_("ID..."))],
    keep: Annotated[str, typer.Option("--keep", metavar=_("ID"), help=_("The account that stays; the others are merged into it."), show_default=False)],
    reason: ReasonOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Merge duplicate accounts of one person: they take part once, as the kept account, in seats and prizes.

    The other accounts are cancelled with the reason «дубликат»: their seats and
    commitments end, no allocation places them again and no prize draw includes
    them. An unknown or already merged ID stops it (exit 65).

    Example: openmosprom registrants merge 123456 654321 --keep 123456 --reason "same person, two phones"
    """
    from openmosprom_cli.changes.merges import merge_accounts

    report = merge_accounts(load_season(workspace), ids, keep=keep, reason=reason)
    if as_json:
        print_json(report)
        return
    shared = ", ".join(evidence_text(kind) for kind in report.evidence) or _("nothing the duplicates check looks at")
    console.print(_("Merged {dropped} into {kept} (they share: {shared}).").format(
        dropped=escape(", ".join(report.dropped)), kept=escape(report.kept_id), shared=escape(shared)))
    render_seat_changes(report.seats_freed)
    if report.seats_freed:
        console.print(_("To give a freed seat to the kept account: [bold]openmosprom move {id} TOUR --reason "
                        "\"...\"[/]; or [bold]openmosprom assign[/] gives it by priority.").format(
            id=escape(report.kept_id)), soft_wrap=True)


def register(app: typer.Typer) -> None:
    attach(registrants_app, "duplicates", duplicates)
    attach(registrants_app, "merge", merge)
