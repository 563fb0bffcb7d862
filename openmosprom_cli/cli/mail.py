"""Commands of emailing rosters: ``rosters email`` and ``outbox list``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    JsonOption,
    WorkspaceOption,
    attach,
    console,
    err_console,
    escape,
    load_season,
    new_table,
    print_json,
)
from openmosprom_cli.cli.groups import outbox_app, rosters_app
from openmosprom_cli.errors import EX_DATAERR

if TYPE_CHECKING:
    from openmosprom_cli.mail.outbox import BatchItem, BatchResult

OUTCOME_STYLE = {
    "sent": "green", "draft written": "cyan", "up to date": "dim", "failed": "bold red",
    "unknown, not sent": "yellow", "no roster email": "red", "no visitors, not sent": "dim",
}
STATE_STYLE = {"draft": "cyan", "sending": "yellow", "sent": "green", "failed": "bold red", "unknown": "bold yellow"}


def _confirmer(yes: bool):
    def confirm(reason: str, items: Sequence[BatchItem]) -> bool:
        sites = ", ".join(item.site_id for item in items)
        if reason == "resend":
            if yes:
                return True
            return typer.confirm(f"Send again {len(items)} message(s) that were already sent or may have "
                                 f"arrived ({sites})?", default=False)
        err_console.print(f"[yellow]{len(items)} message(s) were interrupted mid-delivery and may or may not "
                          f"have arrived: {escape(sites)}.[/]")
        if not sys.stdin.isatty():
            err_console.print("[dim]Not sending them again; use --resend to do so.[/]")
            return False
        return typer.confirm("Send them again?", default=False)

    return confirm


def email(
    site: Annotated[list[str] | None, typer.Option("--site", help="Only this site (repeat for several). Default: every site with an exported roster.")] = None,
    send: Annotated[bool, typer.Option("--send", help="Deliver over SMTP ([smtp] in season.toml; password in $OPENMOSPROM_SMTP_PASSWORD). Without it, only .eml files are written.")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="Also send again messages already sent or left unknown by an interrupted run (asks first).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before sending again with --resend.")] = False,
    test_to: Annotated[str | None, typer.Option("--test-to", metavar="ADDRESS", help="With --send: send every message to this one address instead of the factories, marked as a test.")] = None,
    include_empty: Annotated[bool, typer.Option("--include-empty", help="Also tell factories that never got a roster and have no visitors, with a short notice and no list.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Email every factory its roster: a dry run writing .eml files by default, delivery with --send.

    Every message is written to <season>/outbox/ first, so you can open it in a
    mail client. With --send each message is delivered once: a rerun sends only
    what was not delivered yet, and a changed roster is sent as an update that
    lists who was added, removed or moved and which times changed. Sending a
    factory its roster publishes its seats: no later assign takes them. A
    factory that was never sent a roster and has no visitors gets nothing unless
    --include-empty; one that was sent a roster and now has none always gets the
    update. Exit status 75 when the server is
    unreachable or the connection breaks (rerun later), 65 when it rejects the
    login or TLS, or refuses a factory's address.

    Example: openmosprom rosters email --send --test-to me@example.org
    """
    from openmosprom_cli.errors import BadDataError, Location
    from openmosprom_cli.io.values import ValueProblem, parse_email
    from openmosprom_cli.mail.outbox import email_rosters

    if test_to is not None:
        try:
            test_to = parse_email(test_to)
        except ValueProblem as exc:
            raise BadDataError.at(Location("--test-to"), str(exc)) from None
    season = load_season(workspace)
    result = email_rosters(season, site_ids=site or (), send=send, resend=resend, test_to=test_to or None,
                           include_empty=include_empty,
                           confirm=_confirmer(yes))
    _render_batch(result, season.path)
    if result.count("failed"):
        # A permanent refusal means a bad address or message: bad data, whatever else was delivered.
        raise typer.Exit(EX_DATAERR)


def _render_batch(result: BatchResult, season_path) -> None:
    if not result.items:
        console.print("No roster has been exported yet: run [bold]openmosprom rosters export[/] first.")
        return
    title = ("Sent to " + result.test_to + " (test)") if result.test_to else ("Sent" if result.sent else "Dry run")
    table = new_table(title=title, title_justify="left")
    for column in ("Recipient", "Site", "Tours", "Visitors", "Attachment", "Outcome"):
        table.add_column(column, justify="right" if column == "Visitors" else "left")
    for item in result.items:
        outcome = item.outcome + (" (update)" if item.kind == "update" and item.outcome != "up to date" else "")
        if item.added or item.removed:
            outcome += f" +{item.added} −{item.removed}"
        if item.error:
            outcome += f"\n{item.error}"
        style = OUTCOME_STYLE.get(item.outcome, "")
        table.add_row(escape("\n".join(item.recipients) or "—"), escape(f"{item.site_id}\n{item.site_name}"),
                      escape("\n".join(item.tours)), str(item.visitors), escape(item.attachment),
                      f"[{style}]{escape(outcome)}[/]" if style else escape(outcome))
    console.print(table)
    written = [item.eml_path for item in result.items if item.eml_path and item.outcome != "up to date"]
    if written and not result.test_to:
        folder = written[0].parent
        console.print(f"Messages are in [bold]{escape(str(folder))}[/] (open a .eml file in a mail client).")
    if not result.sent:
        console.print("Nothing was sent. Add [bold]--send[/] to deliver, or [bold]--send --test-to YOUR@ADDRESS[/] "
                      "to try it on yourself first.")
    else:
        counts = {o: result.count(o) for o in ("sent", "failed", "up to date", "unknown, not sent")}
        console.print(", ".join(f"{n} {o}" for o, n in counts.items() if n) or "Nothing to send.")


def list_messages(json_output: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """Every roster email and its state: draft, sending, sent, failed (with the server's answer) or unknown.

    Unknown means a run was interrupted while delivering it: the factory may or
    may not have received it. Send it again with
    openmosprom rosters email --send --resend --site ID.

    Example: openmosprom outbox list --json
    """
    from openmosprom_cli.mail.outbox import list_outbox

    entries = list_outbox(load_season(workspace))
    if json_output:
        print_json(entries)
        return
    if not entries:
        console.print("The outbox is empty. [bold]openmosprom rosters email[/] writes the messages.")
        return
    table = new_table(title="Outbox", title_justify="left")
    for column in ("Site", "State", "Kind", "Recipients", "When", "Server's answer"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        style = STATE_STYLE.get(entry.state, "")
        when = (entry.sent_at if entry.state == "sent" else entry.updated_at) or ""
        table.add_row(escape(entry.site_id), f"[{style}]{entry.state}[/]", entry.kind,
                      escape("\n".join(entry.recipients)), escape(when.replace("T", " ")[:16]),
                      escape(entry.error))
    console.print(table)
    unknown = sorted({entry.site_id for entry in entries if entry.state == "unknown"})
    if unknown:
        console.print(f"[yellow]unknown[/]: a run was interrupted while delivering; the factory may or may not have "
                      f"it. To send again: [bold]openmosprom rosters email --send --resend "
                      f"{escape(' '.join(f'--site {s}' for s in unknown))}[/]")


def register(app: typer.Typer) -> None:
    attach(rosters_app, "email", email)
    attach(outbox_app, "list", list_messages)
