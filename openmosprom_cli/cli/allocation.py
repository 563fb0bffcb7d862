"""Commands of the allocation stage: ``assign``, ``explain``, ``audit``."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from openmosprom_cli.cli.common import (
    FIXED,
    IDS,
    NUMBER,
    TEXT,
    FittedTable,
    JsonOption,
    WorkspaceOption,
    attach,
    console,
    day,
    err_console,
    escape,
    load_season,
    moment,
    new_table,
    percent,
    print_json,
)
from openmosprom_cli.cli.history import adjustment_text, render_policy
from openmosprom_cli.cli.prizes import render_prize_audit, render_prize_story
from openmosprom_cli.i18n import _, language, ngettext, render, weekday

if TYPE_CHECKING:
    from openmosprom_cli.allocation.audit import AuditCertificate
    from openmosprom_cli.allocation.explain import Explanation, HeldSeat
    from openmosprom_cli.allocation.runs import AssignmentReport, SeatCount


def reason_text(code: str) -> str:
    """What a choice gave a person (a code of models.OUTCOME_TEXT), in the interface's language."""
    if code == "no_choices":
        return _("listed no choices")
    from openmosprom_cli.models import OUTCOME_TEXT

    return render(OUTCOME_TEXT[code][0], language()) if code in OUTCOME_TEXT else code


def check_text(name: str) -> str:
    """An audit check's name (allocation/audit.py CHECKS, and a violation's check), in words."""
    return {
        "inputs fingerprint": _("inputs fingerprint"), "result fingerprint": _("result fingerprint"),
        "capacity": _("tour capacity"), "eligibility": _("eligibility"), "placed at most once": _("placed at most once"),
        "placements match choices": _("placements match choices"), "kept seats": _("kept seats"),
        "closed tours": _("closed tours"), "priority order": _("priority order"),
        "no justified envy": _("no justified envy"), "waitlists in priority order": _("waitlists in priority order"),
        "result equals the re-derived one": _("result equals the re-derived one"),
        "chain of runs": _("chain of runs"), "priority policy": _("priority policy"),
    }.get(name, name)


def cause_text(cause: str) -> str:
    """Why a seat ended (changes/seats.py, changes/merges.py), in words."""
    return {"cancelled": _("cancelled"), "tour_cancelled": _("the tour was cancelled"),
            "capacity_cut": _("the capacity was cut"), "unassigned": _("unassigned"), "moved": _("moved"),
            "merged": _("merged as a duplicate")}.get(cause, cause)


def change_text(kind: str) -> str:
    """A change in a person's story (store/changes kinds), in words."""
    return {"seat": _("placed on"), "unseat": _("lost the seat on"), "cancel": _("cancelled"),
            "reinstate": _("reinstated"), "data_changed": _("data changed; needs the organizer's attention on"),
            "merge": _("merged away as a duplicate")}.get(kind, kind)


def ordinal_choice(rank: int) -> str:
    return {1: _("  got their 1st choice: {people} ({share})"), 2: _("  got their 2nd choice: {people} ({share})"),
            3: _("  got their 3rd choice: {people} ({share})")}.get(
        rank, _("  got their {rank}th choice: {people} ({share})"))



def _seat_table(title: str, first: str, rows: tuple[SeatCount, ...], *, days: bool = False) -> FittedTable:
    table = new_table(title=title, title_justify="left")
    table.add_column(first, kind=FIXED if days else TEXT, priority=9)
    table.add_column(_("tours"), kind=NUMBER, priority=5)
    table.add_column(_("offered"), kind=NUMBER, priority=7)
    table.add_column(_("filled"), kind=NUMBER, priority=8)
    table.add_column(_("filled %"), kind=NUMBER, priority=6)
    for row in rows:
        label = f"{row.label} {weekday(dt.date.fromisoformat(row.key))}" if days else row.label
        table.add_row(escape(label), str(row.tours), str(row.offered), str(row.filled),
                      percent(row.filled, row.offered))
    return table


def render_assignment(report: AssignmentReport) -> None:
    """The Rich summary of an allocation run; the demo prints it too."""
    kind = {"incremental": ngettext(" ({count} announced seat kept; what was left given)",
                                    " ({count} announced seats kept; what was left given)", report.kept).format(
                                        count=report.kept),
            "from_scratch": _(" (from scratch)")}.get(report.kind, "")
    console.print(_("[bold]Allocation run {run}[/]{kind} — seed [bold]{seed}[/]").format(
        run=report.run_id, kind=kind, seed=escape(report.seed)))
    if report.policy is not None:
        render_policy(report.policy)
    console.print(_seat_table(_("Seats per site"), _("site"), report.by_site))
    console.print(_seat_table(_("Seats per day"), _("day"), report.by_day, days=True))
    console.print(_("Seats: {filled} of {offered} filled ({share}).").format(
        filled=report.seats_filled, offered=report.seats_offered,
        share=percent(report.seats_filled, report.seats_offered)))
    console.print(_("People: {placed} of {registrants} placed.").format(placed=report.placed,
                                                                       registrants=report.registrants))
    for rank, people in report.by_choice:
        console.print(ordinal_choice(rank).format(rank=rank, people=people,
                                                  share=percent(people, report.registrants)))
    console.print(ngettext("Unplaced: {unplaced} ({share}); {waitlisted} person is on a waitlist.",
                           "Unplaced: {unplaced} ({share}); {waitlisted} people are on a waitlist.",
                           report.waitlisted).format(unplaced=report.unplaced,
                                                     share=percent(report.unplaced, report.registrants),
                                                     waitlisted=report.waitlisted))
    for code, people in report.unplaced_by_reason:
        console.print(f"  {people}: {escape(reason_text(code))}")  # not a message
    console.print(_("Inputs fingerprint: {fingerprint}").format(fingerprint=report.inputs_fingerprint))
    console.print(_("Result fingerprint: {fingerprint}").format(fingerprint=report.result_fingerprint))
    console.print(_("Anyone can rerun the draw with the same seed: [bold]openmosprom assign --seed {seed}[/]; "
                    "check it with [bold]openmosprom audit[/].").format(seed=escape(report.seed)))


def assign(
    seed: Annotated[str | None, typer.Option("--seed", help=_("Lottery seed (default: [allocation] seed in season.toml)."))] = None,
    from_scratch: Annotated[bool, typer.Option("--from-scratch", help=_("After publication: allocate as if nobody had been told. Says how many people who were told would lose or change their seat, and asks first."))] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("With --from-scratch: do not ask."))] = False,
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
        err_console.print(_("[yellow]A fresh allocation would take the seats of {lose} people who were told, and "
                            "change the seats of {change} more.[/]").format(lose=len(losses) - changed,
                                                                          change=changed))
        for loss in losses[:20]:
            if loss.new_tours:
                err_console.print(_("  {id}: loses {tour}, gets {instead} instead").format(
                    id=escape(loss.registrant_id), tour=escape(loss.tour_id),
                    instead=escape(", ".join(loss.new_tours))))
            else:
                err_console.print(_("  {id}: loses {tour}").format(id=escape(loss.registrant_id),
                                                                   tour=escape(loss.tour_id)))
        if len(losses) > 20:
            err_console.print(_("  … and {count} more").format(count=len(losses) - 20))
        if yes:
            return True
        if not sys.stdin.isatty():
            err_console.print(_("[dim]Not asking without a terminal; pass --yes to go ahead.[/]"))
            return False
        return typer.confirm(_("Go ahead?"), default=False)

    report = run_assignment(load_season(workspace), seed=seed, from_scratch=from_scratch, confirm=confirm)
    if json_output:
        print_json(report.to_json())
    else:
        render_assignment(report)


def render_explanation(e: Explanation) -> None:
    name = f" {escape(e.full_name)}" if e.full_name else ""
    console.print(_("[bold]{id}[/]{name} — allocation run {run}, seed {seed}").format(
        id=escape(e.registrant_id), name=name, run=e.run_id, seed=escape(e.seed)))
    if e.cancelled:
        console.print(_("[red]Cancelled[/]: {reason}. No allocation places them unless reinstated.").format(
            reason=escape(str(e.cancelled))))
    if e.priority is None:
        console.print(_("Not part of allocation run {run}: they registered after it, and the next "
                        "[bold]openmosprom assign[/] considers them.").format(run=e.run_id))
    else:
        console.print(_("Priority: {position} of {people} (1 chooses first), ordered by").format(
            position=e.priority, people=e.people))
        console.print(_("  score {score}, highest first").format(score=f"{e.score:g}"))
        if e.adjustments:
            console.print(_("    by the priority policy: {base} as imported, {adjustments}").format(
                base=f"{e.base_score:g}", adjustments="; ".join(adjustment_text(a) for a in e.adjustments)),
                soft_wrap=True)
        console.print(_("  registered {moment}, earliest first").format(moment=f"{e.registered_at:%d.%m.%Y %H:%M:%S}")
                      if e.registered_at else _("  registration time unknown: after everyone with the same score"))
        console.print(_("  lottery number {number} (from the seed and the ID), lowest first; then the ID").format(
            number=e.lottery))
        table = new_table(title=_("Choices"), title_justify="left")
        table.add_column("#", kind=NUMBER, priority=9)
        # A site chosen, and the tour it came to under it: two IDs in one column leave the outcome room.
        table.add_column(_("choice → tour"), kind=IDS, priority=8)
        table.add_column(_("outcome"), priority=7)
        for c in e.choices:
            style = "green" if c.code in ("placed", "held") else ""
            text = reason_text(c.code)
            if e.birth_date_erased and c.code == "below_min_age":
                text = _("{outcome}\n(birth date erased; verdict kept)").format(outcome=text)
            chosen = escape(c.choice) if c.tour_id in (None, c.choice) else f"{escape(c.choice)} →\n{escape(c.tour_id)}"
            table.add_row(str(c.rank), chosen, f"[{style}]{escape(text)}[/]" if style else escape(text))
        console.print(table)
    if e.age_verdicts is not None:
        kept = ", ".join(_("{tour} met").format(tour=tour_id) if ok else _("{tour} below").format(tour=tour_id)
                         for tour_id, ok in e.age_verdicts) or _("none needed")
        console.print(_("Birth date erased by a personal-data purge; the minimum-age verdicts kept: {verdicts}").format(
            verdicts=escape(kept)), soft_wrap=True)
    if e.seats:
        for seat in e.seats:
            seats = ngettext("{count} seat", "{count} seats", seat.seats).format(count=seat.seats)
            if seat.kept:
                line = _("Tour: {tour} ({seats}): kept, {why}").format(
                    tour=escape(seat.tour_id), seats=seats, why=escape(_kept_because(seat)))
            else:
                line = _("Tour: {tour} ({seats}): given by this run, not announced yet").format(
                    tour=escape(seat.tour_id), seats=seats)
            console.print(line, soft_wrap=True)
            if seat.exception:
                console.print(_("  [yellow]documented exception[/]: {why}").format(why=escape(str(seat.exception))),
                              soft_wrap=True)
    else:
        console.print(_("No tour."))
    for tour_id, position in e.waitlists:
        console.print(_("Waitlist of {tour}: position {position}").format(tour=escape(tour_id), position=position))
    for change in e.changes:
        if change.kind == "commit":
            continue
        cause = f" ({escape(cause_text(change.cause))})" if change.cause else ""
        tour = f" {escape(change.tour_id)}" if change.tour_id else ""
        console.print(f"  {escape(moment(change.at))}: {change_text(change.kind)}{tour}{cause} — "  # not a message
                      f"{escape(change.reason)}", soft_wrap=True)
    render_prize_story(e.prize)


def explain(
    registrant_id: Annotated[str, typer.Argument(help=_("The person's VK ID."), metavar=_("ID"))],
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


def _kept_because(seat: HeldSeat) -> str:
    """Why a held seat is kept, as the changes log says, in the interface's language."""
    from openmosprom_cli.allocation.explain import KEPT_PLACED, KEPT_PUBLISHED, KEPT_ROSTER_SENT

    when = day(seat.kept_on)
    if seat.kept == KEPT_PUBLISHED:
        return _("announced at the publication of {day}").format(day=when)
    if seat.kept == KEPT_ROSTER_SENT:
        return _("the roster was sent to {site} on {day}").format(site=seat.kept_detail, day=when)
    if seat.kept == KEPT_PLACED:
        return _("placed by an organizer on {day}: {reason}").format(day=when, reason=seat.kept_detail)
    if seat.kept_on:
        return _("since {day} ({how})").format(day=when, how=seat.kept_detail)
    return _("why is not in the changes log")


def render_certificate(c: AuditCertificate) -> None:
    console.print(_("[bold]Audit of allocation run {run}[/] ({when})").format(run=c.run_id, when=escape(moment(c.created_at))))
    console.print(_("  seed:               {seed}").format(seed=escape(c.seed)))
    console.print((_("  inputs fingerprint: {fingerprint} (as allocated)") if c.purges
                   else _("  inputs fingerprint: {fingerprint}")).format(fingerprint=c.inputs_fingerprint))
    for p in c.purges:
        console.print(ngettext(
            "  personal data purged on {day} (tours ended before {before}): birth dates of {people} person replaced "
            "by their age verdicts",
            "  personal data purged on {day} (tours ended before {before}): birth dates of {people} people replaced "
            "by their age verdicts", p.people).format(day=day(p.purged_at), before=day(p.before), people=p.people),
            soft_wrap=True)
        console.print(_("    inputs fingerprint after the purge: {fingerprint}").format(
            fingerprint=p.inputs_fingerprint))
    console.print(_("  result fingerprint: {fingerprint}").format(fingerprint=c.result_fingerprint))
    if c.kept:
        console.print(ngettext(
            "  {count} seat kept from before (announced or placed by an organizer); the chain of changes since the "
            "publication checked",
            "  {count} seats kept from before (announced or placed by an organizer); the chain of changes since the "
            "publication checked", c.kept).format(count=c.kept), soft_wrap=True)
    if len(c.runs_checked) > 1:
        console.print(_("  every run checked: {runs}").format(runs=", ".join(map(str, c.runs_checked))))
    console.print(_("  {people} people, {placements} placements; checked: {checks}").format(
        people=c.people, placements=c.placements, checks=", ".join(check_text(check) for check in c.checks)),
        soft_wrap=True)
    for e in c.exceptions:
        console.print(_("  [yellow]documented exception[/]: {id} on {tour}: {why}").format(
            id=escape(e.registrant_id), tour=escape(e.tour_id), why=escape(str(e.why))), soft_wrap=True)
    for a in c.attention:
        console.print(_("  [yellow]needs your attention[/]: {id} keeps {tour}, {what}").format(
            id=escape(a.registrant_id), tour=escape(a.tour_id), what=escape(str(a.what))), soft_wrap=True)
    render_prize_audit(c.prizes)
    if c.ok:
        console.print(_("[bold green]OK[/]: the stored result is the one the rule gives for these inputs and seed."))
        if c.purges:
            console.print(_("  The inputs were checked against the fingerprint recorded by the last purge and the "
                            "result re-derived from them: the age verdicts keep every decision the birth dates made."),
                          soft_wrap=True)
        return
    console.print(ngettext("[bold red]{count} violation[/]:", "[bold red]{count} violations[/]:",
                           len(c.violations)).format(count=len(c.violations)))
    for v in c.violations:
        console.print(f"  {escape(f'[{check_text(v.check)}]')} {escape(str(v.message))}", soft_wrap=True)  # not a message


def audit(
    all_runs: Annotated[bool, typer.Option("--all", help=_("Check every run of the season and the chain of changes between them, not only the current run."))] = False,
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
