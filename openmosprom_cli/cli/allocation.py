"""Commands of the allocation stage: ``assign``, ``explain``, ``audit``."""

from __future__ import annotations

import datetime as dt
import sys
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
from openmosprom_cli.cli.history import adjustment_text, render_policy
from openmosprom_cli.cli.prizes import render_prize_audit, render_prize_story

if TYPE_CHECKING:
    from rich.table import Table

    from openmosprom_cli.allocation.audit import AuditCertificate
    from openmosprom_cli.allocation.explain import Explanation
    from openmosprom_cli.allocation.runs import AssignmentReport, SeatCount

ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}


def reason_text(code: str) -> str:
    if code == "no_choices":
        return "listed no choices"
    from openmosprom_cli.models import OUTCOME_TEXT

    return OUTCOME_TEXT.get(code, (code, code))[0]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _seat_table(title: str, first: str, rows: tuple[SeatCount, ...]) -> Table:
    table = new_table(title=title, title_justify="left")
    table.add_column(first)
    for name in ("tours", "offered", "filled", "filled %"):
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(escape(row.label), str(row.tours), str(row.offered), str(row.filled),
                      _percent(row.filled, row.offered))
    return table


def render_assignment(report: AssignmentReport) -> None:
    """The Rich summary of an allocation run; the demo prints it too."""
    kind = {"incremental": f" ({report.kept} announced seats kept; what was left given)",
            "from_scratch": " (from scratch)"}.get(report.kind, "")
    console.print(f"[bold]Allocation run {report.run_id}[/]{kind} — seed [bold]{escape(report.seed)}[/]")
    if report.policy is not None:
        render_policy(report.policy)
    console.print(_seat_table("Seats per site", "site", report.by_site))
    console.print(_seat_table("Seats per day", "day", report.by_day))
    console.print(f"Seats: {report.seats_filled} of {report.seats_offered} filled "
                  f"({_percent(report.seats_filled, report.seats_offered)}).")
    console.print(f"People: {report.placed} of {report.registrants} placed.")
    for rank, people in report.by_choice:
        console.print(f"  got their {ORDINALS.get(rank, f'{rank}th')} choice: {people} "
                      f"({_percent(people, report.registrants)})")
    console.print(f"Unplaced: {report.unplaced} ({_percent(report.unplaced, report.registrants)}); "
                  f"{report.waitlisted} people are on a waitlist.")
    for code, people in report.unplaced_by_reason:
        console.print(f"  {people}: {escape(reason_text(code))}")
    console.print(f"Inputs fingerprint: {report.inputs_fingerprint}")
    console.print(f"Result fingerprint: {report.result_fingerprint}")
    console.print("Anyone can rerun the draw with the same seed: "
                  f"[bold]openmosprom assign --seed {escape(report.seed)}[/]; check it with [bold]openmosprom audit[/].")


def assign(
    seed: Annotated[str | None, typer.Option("--seed", help="Lottery seed (default: [allocation] seed in season.toml).")] = None,
    from_scratch: Annotated[bool, typer.Option("--from-scratch", help="After publication: allocate as if nobody had been told. Says how many people who were told would lose or change their seat, and asks first.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --from-scratch: do not ask.")] = False,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Give out the seats by activity score (serial dictatorship) and store the result as a new run.

    Priority: score, then registration time, then a lottery drawn from the
    seed and the person's ID, then the ID. In that order everyone gets their
    first choice that they are eligible for and that has room for their party.
    After publication every seat that was announced is kept, and only what is
    left (freed seats, late tours) is given, in the same order, to everyone
    else; a tour whose list is frozen (its deadline has come) gets nobody new.

    Example: openmosprom assign --seed 2026
    """
    from openmosprom_cli.allocation.runs import run_assignment

    def confirm(losses) -> bool:
        changed = sum(1 for loss in losses if loss.new_tours)
        err_console.print(f"[yellow]A fresh allocation would take the seats of {len(losses) - changed} people who "
                          f"were told, and change the seats of {changed} more.[/]")
        for loss in losses[:20]:
            instead = f", gets {', '.join(loss.new_tours)} instead" if loss.new_tours else ""
            err_console.print(f"  {escape(loss.registrant_id)}: loses {escape(loss.tour_id)}{escape(instead)}")
        if len(losses) > 20:
            err_console.print(f"  … and {len(losses) - 20} more")
        if yes:
            return True
        if not sys.stdin.isatty():
            err_console.print("[dim]Not asking without a terminal; pass --yes to go ahead.[/]")
            return False
        return typer.confirm("Go ahead?", default=False)

    report = run_assignment(load_season(workspace), seed=seed, from_scratch=from_scratch, confirm=confirm)
    if json_output:
        print_json(report.to_json())
    else:
        render_assignment(report)


def render_explanation(e: Explanation) -> None:
    name = f" {escape(e.full_name)}" if e.full_name else ""
    console.print(f"[bold]{escape(e.registrant_id)}[/]{name} — allocation run {e.run_id}, seed {escape(e.seed)}")
    if e.cancelled:
        console.print(f"[red]Cancelled[/]: {escape(e.cancelled)}. No allocation places them unless reinstated.")
    if e.priority is None:
        console.print(f"Not part of allocation run {e.run_id}: they registered after it, and the next "
                      "[bold]openmosprom assign[/] considers them.")
    else:
        console.print(f"Priority: {e.priority} of {e.people} (1 chooses first), ordered by")
        console.print(f"  score {e.score:g}, highest first")
        if e.adjustments:
            console.print(f"    by the priority policy: {e.base_score:g} as imported, "
                          + "; ".join(adjustment_text(a) for a in e.adjustments), soft_wrap=True)
        console.print(f"  registered {e.registered_at:%d.%m.%Y %H:%M:%S}, earliest first" if e.registered_at
                      else "  registration time unknown: after everyone with the same score")
        console.print(f"  lottery number {e.lottery} (from the seed and the ID), lowest first; then the ID")
        table = new_table(title="Choices", title_justify="left")
        for name in ("#", "choice", "tour", "outcome"):
            table.add_column(name)
        for c in e.choices:
            style = "green" if c.code in ("placed", "held") else ""
            text = reason_text(c.code) + (" (birth date erased; verdict kept)"
                                          if e.birth_date_erased and c.code == "below_min_age" else "")
            table.add_row(str(c.rank), escape(c.choice), escape(c.tour_id or "–"),
                          f"[{style}]{escape(text)}[/]" if style else escape(text))
        console.print(table)
    if e.age_verdicts is not None:
        kept = ", ".join(f"{tour_id} {'met' if ok else 'below'}" for tour_id, ok in e.age_verdicts) or "none needed"
        console.print(f"Birth date erased by a personal-data purge; the minimum-age verdicts kept: {escape(kept)}",
                      soft_wrap=True)
    if e.seats:
        for seat in e.seats:
            why = f": kept, {seat.kept_because}" if seat.kept_because else ": given by this run, not announced yet"
            console.print(f"Tour: {escape(seat.tour_id)} ({seat.seats} seat{'s' if seat.seats != 1 else ''})"
                          f"{escape(why)}", soft_wrap=True)
            if seat.exception:
                console.print(f"  [yellow]documented exception[/]: {escape(seat.exception)}", soft_wrap=True)
    else:
        console.print("No tour.")
    for tour_id, position in e.waitlists:
        console.print(f"Waitlist of {escape(tour_id)}: position {position}")
    for change in e.changes:
        if change.kind == "commit":
            continue
        what = CHANGE_TEXT.get(change.kind, change.kind)
        cause = f" ({escape(change.cause)})" if change.cause else ""
        tour = f" {escape(change.tour_id)}" if change.tour_id else ""
        console.print(f"  {escape(change.at[:16].replace('T', ' '))}: {what}{tour}{cause} — {escape(change.reason)}",
                      soft_wrap=True)
    render_prize_story(e.prize)


CHANGE_TEXT = {"seat": "placed on", "unseat": "lost the seat on", "cancel": "cancelled", "reinstate": "reinstated",
               "data_changed": "data changed; needs the organizer's attention on",
               "merge": "merged away as a duplicate"}


def explain(
    registrant_id: Annotated[str, typer.Argument(help="The person's VK ID.")],
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one person's priority position and, for each choice, what happened and why.

    Example: openmosprom explain 123456789
    """
    from openmosprom_cli.allocation.explain import explain as explain_result

    explanation = explain_result(load_season(workspace), registrant_id)
    if json_output:
        print_json(explanation)
    else:
        render_explanation(explanation)


def _day(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso[:10]):%d.%m.%Y}"


def render_certificate(c: AuditCertificate) -> None:
    console.print(f"[bold]Audit of allocation run {c.run_id}[/] ({escape(c.created_at)})")
    console.print(f"  seed:               {escape(c.seed)}")
    console.print(f"  inputs fingerprint: {c.inputs_fingerprint}" + (" (as allocated)" if c.purges else ""))
    for p in c.purges:
        console.print(f"  personal data purged on {_day(p.purged_at)} (tours ended before {_day(p.before)}): "
                      f"birth dates of {p.people} people replaced by their age verdicts", soft_wrap=True)
        console.print(f"    inputs fingerprint after the purge: {p.inputs_fingerprint}")
    console.print(f"  result fingerprint: {c.result_fingerprint}")
    if c.kept:
        console.print(f"  {c.kept} seats kept from before (announced or placed by an organizer); the chain of "
                      "changes since the publication checked", soft_wrap=True)
    if len(c.runs_checked) > 1:
        console.print(f"  every run checked: {', '.join(map(str, c.runs_checked))}")
    console.print(f"  {c.people} people, {c.placements} placements; checked: {', '.join(c.checks)}", soft_wrap=True)
    for e in c.exceptions:
        console.print(f"  [yellow]documented exception[/]: {escape(e.registrant_id)} on {escape(e.tour_id)}: "
                      f"{escape(e.why)}", soft_wrap=True)
    for a in c.attention:
        console.print(f"  [yellow]needs your attention[/]: {escape(a.registrant_id)} keeps {escape(a.tour_id)}, "
                      f"{escape(a.what)}", soft_wrap=True)
    render_prize_audit(c.prizes)
    if c.ok:
        console.print("[bold green]OK[/]: the stored result is the one the rule gives for these inputs and seed.")
        if c.purges:
            console.print("  The inputs were checked against the fingerprint recorded by the last purge and the "
                          "result re-derived from them: the age verdicts keep every decision the birth dates made.",
                          soft_wrap=True)
        return
    console.print(f"[bold red]{len(c.violations)} violation(s)[/]:")
    for v in c.violations:
        console.print(f"  {escape(f'[{v.check}]')} {escape(v.message)}", soft_wrap=True)


def audit(
    all_runs: Annotated[bool, typer.Option("--all", help="Check every run of the season and the chain of changes between them, not only the current run.")] = False,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Re-derive the current allocation from its stored inputs and seed, and check every rule.

    Checks capacity, eligibility, that nobody is placed twice, priority with
    no justified envy, waitlist order, and that the stored result equals the
    re-derived one. After publication it also checks that the run kept exactly
    the seats that were announced or placed by an organizer, and closed the
    tours frozen on its date. Seats an organizer gave against a rule are listed
    as documented exceptions, and kept seats whose holder's data changed since
    as needing your attention. Exits 0 when everything holds, 1 on any
    violation.

    Example: openmosprom audit --all
    """
    from openmosprom_cli.allocation.audit import audit_current

    certificate = audit_current(load_season(workspace), all_runs=all_runs)
    if json_output:
        print_json(certificate)
    else:
        render_certificate(certificate)
    if not certificate.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    attach(app, "assign", assign)
    attach(app, "explain", explain)
    attach(app, "audit", audit)
