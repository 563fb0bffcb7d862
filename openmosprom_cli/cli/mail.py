"""Commands of emailing rosters: ``rosters email`` and ``outbox list``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    FIXED,
    ID,
    IDS,
    NUMBER,
    JsonOption,
    WorkspaceOption,
    attach,
    console,
    err_console,
    escape,
    load_season,
    moment,
    new_table,
    print_json,
)
from openmosprom_cli.cli.groups import outbox_app, rosters_app
from openmosprom_cli.errors import EX_DATAERR
from openmosprom_cli.i18n import _, ngettext

if TYPE_CHECKING:
    from openmosprom_cli.mail.outbox import BatchItem, BatchResult

OUTCOME_STYLE = {
    "sent": "green", "draft written": "cyan", "up to date": "dim", "failed": "bold red",
    "unknown, not sent": "yellow", "no roster email": "red", "no visitors, not sent": "dim",
}
STATE_STYLE = {"draft": "cyan", "sending": "yellow", "sent": "green", "failed": "bold red", "unknown": "bold yellow"}


def _outcome(outcome: str) -> str:
    """What a batch did with a site's message (mail/outbox.py), in words."""
    return {"sent": _("sent"), "draft written": _("draft written"), "draft": _("draft"), "up to date": _("up to date"),
            "failed": _("failed"), "unknown, not sent": _("unknown, not sent"), "no roster email": _("no roster email"),
            "no visitors, not sent": _("no visitors, not sent")}.get(outcome, outcome)


def _state(state: str) -> str:
    """An outbox message's state (mail/outbox.py), in words."""
    return {"draft": _("draft"), "sending": _("sending"), "sent": _("sent"), "failed": _("failed"),
            "unknown": _("unknown")}.get(state, state)


def _kind(kind: str) -> str:
    """An outbox message's kind (mail/outbox.py), in words."""
    return {"new": _("new"), "update": _("update"), "test": _("test")}.get(kind, kind)


def _site_and_recipients(site_id: str, recipients: Sequence[str]) -> str:
    return "\n".join([f"[bold]{escape(site_id)}[/]", *(escape(address) for address in recipients or ("—",))])


def _confirmer(yes: bool):
    def confirm(reason: str, items: Sequence[BatchItem]) -> bool:
        sites = ", ".join(item.site_id for item in items)
        if reason == "resend":
            if yes:
                return True
            return typer.confirm(ngettext(
                "Send again {count} message that was already sent or may have arrived ({sites})?",
                "Send again {count} messages that were already sent or may have arrived ({sites})?",
                len(items)).format(count=len(items), sites=sites), default=False)
        err_console.print(ngettext(
            "[yellow]{count} message was interrupted mid-delivery and may or may not have arrived: {sites}.[/]",
            "[yellow]{count} messages were interrupted mid-delivery and may or may not have arrived: {sites}.[/]",
            len(items)).format(count=len(items), sites=escape(sites)))
        if not sys.stdin.isatty():
            err_console.print(_("[dim]Not sending them again; use --resend to do so.[/]"))
            return False
        return typer.confirm(_("Send them again?"), default=False)

    return confirm


def email(
    site: Annotated[list[str] | None, typer.Option("--site", help=_("Only this site (repeat for several). Default: every site with an exported roster."))] = None,
    send: Annotated[bool, typer.Option("--send", help=_("Deliver over SMTP ([smtp] in season.toml; password in $OPENMOSPROM_SMTP_PASSWORD). Without it, only .eml files are written."))] = False,
    resend: Annotated[bool, typer.Option("--resend", help=_("Also send again messages already sent or left unknown by an interrupted run (asks first)."))] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("Do not ask before sending again with --resend."))] = False,
    test_to: Annotated[str | None, typer.Option("--test-to", metavar=_("ADDRESS"), help=_("With --send: send every message to this one address instead of the factories, marked as a test."))] = None,
    include_empty: Annotated[bool, typer.Option("--include-empty", help=_("Also tell factories that never got a roster and have no visitors, with a short notice and no list."))] = False,
    template_copy: Annotated[bool, typer.Option("--template-copy", help=_("Only write the season's own copy of the email's text (roster_email.txt in the season folder) to edit; every later email of the season uses it. Never overwrites one."))] = False,
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
    login or TLS, or refuses a factory's address. --template-copy writes the
    season's own copy of the email's text to edit, and sends nothing.

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
    if template_copy:
        from openmosprom_cli.mail.template import write_season_template

        written = write_season_template(season.path)
        console.print(_("Wrote {file}. Edit it: every later email of this season uses it (its first line is "
                        "«Тема: …»).").format(file=escape(str(written))))
        return
    result = email_rosters(season, site_ids=site or (), send=send, resend=resend, test_to=test_to or None,
                           include_empty=include_empty,
                           confirm=_confirmer(yes))
    _render_batch(result, season.path)
    if result.count("failed"):
        # A permanent refusal means a bad address or message: bad data, whatever else was delivered.
        raise typer.Exit(EX_DATAERR)


def _render_batch(result: BatchResult, season_path) -> None:
    if not result.items:
        console.print(_("No roster has been exported yet: run [bold]openmosprom rosters export[/] first."))
        return
    if result.test_to:
        title = _("Sent to {address} (test)").format(address=escape(result.test_to))
    else:
        title = _("Sent") if result.sent else _("Dry run")
    table = new_table(title=title, title_justify="left")
    # The site's ID and its addresses in one column: neither is ever cut, and it leaves room in 80 columns.
    table.add_column(_("Site and recipients"), kind=IDS, priority=9)
    table.add_column(_("Name"), priority=4)
    table.add_column(_("Tours"), kind=FIXED, priority=6)
    # Seats, guests included: what the factory prepares for (rosters export counts People apart).
    table.add_column(_("Seats"), kind=NUMBER, priority=7)
    table.add_column(_("Attachment"), kind=ID, priority=3)
    table.add_column(_("Outcome"), priority=8)
    for item in result.items:
        outcome = _outcome(item.outcome)
        if item.kind == "update" and item.outcome != "up to date":
            outcome = _("{outcome} (update)").format(outcome=outcome)
        if item.added or item.removed:
            outcome += f" +{item.added} −{item.removed}"
        if item.error:
            outcome += f"\n{item.error}"
        style = OUTCOME_STYLE.get(item.outcome, "")
        table.add_row(_site_and_recipients(item.site_id, item.recipients), escape(item.site_name),
                      escape("\n".join(item.tours)), str(item.visitors), escape(item.attachment),
                      f"[{style}]{escape(outcome)}[/]" if style else escape(outcome))
    console.print(table)
    written = [item.eml_path for item in result.items if item.eml_path and item.outcome != "up to date"]
    if written and not result.test_to:
        folder = written[0].parent
        console.print(_("Messages are in [bold]{folder}[/] (open a .eml file in a mail client).").format(
            folder=escape(str(folder))))
    if not result.sent:
        console.print(_("Nothing was sent. Add [bold]--send[/] to deliver, or [bold]--send --test-to YOUR@ADDRESS[/] "
                        "to try it on yourself first."))
    else:
        counts = {o: result.count(o) for o in ("sent", "failed", "up to date", "unknown, not sent")}
        console.print(", ".join(f"{n} {_outcome(o)}" for o, n in counts.items() if n) or _("Nothing to send."))


def list_messages(json_output: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """Every roster email and its state: draft, sending, sent, failed (with the server's answer) or unknown.

    Unknown means a run was interrupted while delivering it: the factory may or
    may not have received it. Send it again with
    openmosprom rosters email --send --resend --site ID.

    Example: openmosprom outbox list --json
    """
    from openmosprom_cli.mail.listing import list_outbox

    entries = list_outbox(load_season(workspace))
    if json_output:
        print_json(entries)
        return
    if not entries:
        console.print(_("The outbox is empty. [bold]openmosprom rosters email[/] writes the messages."))
        return
    table = new_table(title=_("Outbox"), title_justify="left")
    table.add_column(_("Site and recipients"), kind=IDS, priority=9)
    table.add_column(_("State"), kind=FIXED, priority=8)
    table.add_column(_("Kind"), kind=FIXED, priority=5)
    table.add_column(_("When"), kind=FIXED, priority=7)
    table.add_column(_("Server's answer"), priority=6)
    for entry in entries:
        style = STATE_STYLE.get(entry.state, "")
        when = (entry.sent_at if entry.state == "sent" else entry.updated_at) or ""
        table.add_row(_site_and_recipients(entry.site_id, entry.recipients),
                      f"[{style}]{escape(_state(entry.state))}[/]", escape(_kind(entry.kind)),
                      escape(moment(when)) if when else "", escape(entry.error))
    console.print(table)
    unknown = sorted({entry.site_id for entry in entries if entry.state == "unknown"})
    if unknown:
        console.print(_("[yellow]unknown[/]: a run was interrupted while delivering; the factory may or may not have "
                        "it. To send again: [bold]openmosprom rosters email --send --resend {sites}[/]").format(
            sites=escape(" ".join(f"--site {s}" for s in unknown))))


def register(app: typer.Typer) -> None:
    attach(rosters_app, "email", email)
    attach(outbox_app, "list", list_messages)
