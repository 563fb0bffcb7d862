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
    load_season,
    print_json,
)
from openmosprom_cli.cli.groups import registrants_app


def duplicates(json_: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """List accounts that may be one person: they share a phone, an email, or a full name with a birth date.

    Each cluster shows the evidence, masked, and the account to keep (the
    highest score). Shared phones or emails alone are families as often as
    duplicates: decide, then merge with registrants merge.

    Example: openmosprom registrants duplicates
    """
    from rich.markup import escape

    from openmosprom_cli.changes.merges import find_duplicates

    clusters = find_duplicates(load_season(workspace))
    if json_:
        print_json(list(clusters))
        return
    if not clusters:
        console.print("No accounts share a phone, an email, or a full name with a birth date.")
        return
    console.print(f"{len(clusters)} cluster(s) of accounts that may be one person:")
    for cluster in clusters:
        console.print(f"[bold]{escape(', '.join(cluster.ids))}[/] — keep {escape(cluster.keep)} (highest score)")
        for e in cluster.evidence:
            console.print(f"  same {e.kind} {escape(e.shown) if e.kind != 'name and birth date' else ''}: "
                          f"{escape(', '.join(e.ids))}", soft_wrap=True)
        for group in cluster.strict:
            console.print(f"  [yellow]phone, full name and birth date all match[/]: {escape(', '.join(group))}")
        console.print(f"  merge: [bold]openmosprom registrants merge {' '.join(cluster.ids)} --keep {cluster.keep} "
                      "--reason \"...\"[/]", soft_wrap=True)


def merge(
    ids: Annotated[list[str], typer.Argument(help="VK IDs of the accounts of one person.", metavar="ID...")],
    keep: Annotated[str, typer.Option("--keep", metavar="ID", help="The account that stays; the others are merged into it.", show_default=False)],
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
    from rich.markup import escape

    from openmosprom_cli.changes.merges import merge_accounts

    report = merge_accounts(load_season(workspace), ids, keep=keep, reason=reason)
    if as_json:
        print_json(report)
        return
    shared = ", ".join(report.evidence) or "nothing the duplicates check looks at"
    console.print(f"Merged {escape(', '.join(report.dropped))} into {escape(report.kept_id)} "
                  f"(they share: {escape(shared)}).")
    render_seat_changes(report.seats_freed)
    if report.seats_freed:
        console.print(f"To give a freed seat to the kept account: [bold]openmosprom move {escape(report.kept_id)} "
                      "TOUR --reason \"...\"[/]; or [bold]openmosprom assign[/] gives it by priority.", soft_wrap=True)


def register(app: typer.Typer) -> None:
    attach(registrants_app, "duplicates", duplicates)
    attach(registrants_app, "merge", merge)
