"""``openmosprom audit``: re-derive the current allocation from its stored inputs and seed, and check every rule.

Besides the rules (:mod:`~openmosprom_cli.allocation.checks`), after
publication the audit checks the chain: each run kept exactly the seats the
logged changes before it had committed (:mod:`~openmosprom_cli.allocation.chain`),
and closed exactly the tours frozen on the date it stored, so it gives the
same answer on any later day. ``--all`` does that for every run of the season.

It also lists, apart from violations:

- documented exceptions: seats an organizer gave against a rule, with the
  reason (``move --override``);
- what needs the organizer's attention: people who keep a seat although their
  data changed since (a passport cleared at a passport site, more guests than
  the seat was given for). Their seat stays; nobody is given extra places
  automatically.

After a privacy purge the snapshot holds age verdicts instead of some birth
dates. The audit then checks it against the fingerprint the last purge
recorded, checks that the purges account for every erased birth date, and
re-derives the result from it: the verdicts keep every decision, so the
result must still be the one stored, whose fingerprint never changes.

Once prizes are drawn, it audits the current draw too (:mod:`openmosprom_cli.prizes.audit`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openmosprom_cli.allocation.attention import Attention, kept_seats_needing_attention
from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.allocation.chain import (
    DocumentedException,
    closed_mismatch,
    held_mismatch,
    overrides,
    replay,
    taken_off_mismatch,
)
from openmosprom_cli.allocation.checks import Excused, Violation, check_result
from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.allocation.policy import audit_policy, policy_record
from openmosprom_cli.allocation.snapshots import PurgeRecord
from openmosprom_cli.allocation.stored import FORMAT_COLUMNS, StoredResult, StoredRun, load_result, stored_run
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.prizes.audit import PrizeAudit, audit_prizes
from openmosprom_cli.prizes.exclusions import read_exclusions
from openmosprom_cli.progress import stage, tracked
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.changes import load_changes
from openmosprom_cli.store.runs import load_runs

CHECKS = (
    "inputs fingerprint",
    "result fingerprint",
    "capacity",
    "eligibility",
    "placed at most once",
    "placements match choices",
    "kept seats",
    "closed tours",
    "priority order",
    "no justified envy",
    "waitlists in priority order",
    "result equals the re-derived one",
    "chain of runs",
    "priority policy",
)


@dataclass(frozen=True)
class AuditCertificate:
    run_id: int
    created_at: str
    seed: str
    inputs_fingerprint: str          # of the inputs as allocated
    result_fingerprint: str
    people: int
    placements: int
    checks: tuple[str, ...]
    violations: tuple[Violation, ...]
    purges: tuple[PurgeRecord, ...] = ()
    snapshot_fingerprint: str = ""   # what the snapshot was checked against: the last purge's, else the inputs'
    kind: str = "fresh"              # fresh | incremental | from_scratch
    kept: int = 0                    # seats the run kept (commitments)
    exceptions: tuple[DocumentedException, ...] = ()
    attention: tuple[Attention, ...] = ()
    runs_checked: tuple[int, ...] = ()      # with --all, every run; else the current one
    prizes: PrizeAudit | None = None        # the prize draw's audit, once there is one; its violations are above
    ok: bool = field(init=False)            # no violation: what scripts read first

    def __post_init__(self) -> None:
        object.__setattr__(self, "ok", not self.violations)


def audit_current(season: Season, *, all_runs: bool = False) -> AuditCertificate:
    """Audit the season's current run (and, with ``all_runs``, every run before it and the chain between them)."""
    with collector_paused(), season.reader() as conn:
        allocation = current_allocation(conn)
        if allocation is None:
            raise MissingInputError(_("there is no allocation to audit"), hint=_("Run `openmosprom assign` first."))
        changes = load_changes(conn)
        excused = overrides(changes)
        earlier = _earlier_runs(conn, allocation.run_id, excused, changes) if all_runs else []
        with stage(_("Checking the seats kept and the priority policy")):
            attention = kept_seats_needing_attention(conn, allocation.commitments)
            policy = _policy_violations(conn, allocation.stored.run.inputs)
        with stage(_("Checking the prize draw")):
            prizes = audit_prizes(conn, all_draws=all_runs, exclusions=tuple(read_exclusions(season).reasons))
    run, stored = allocation.stored.run, allocation.stored.result
    # Re-deriving the run still makes thousands of records (seats, their holders'): see allocation/bulk.py.
    with collector_paused(), stage(_("Checking allocation run {run}").format(run=run.run_id)):
        certificate = audit_run(run, stored, excused, changes)
    violations = [*(v for _, found in earlier for v in found), *certificate.violations, *policy,
                  *(prizes.violations if prizes else ())]
    exceptions = tuple(DocumentedException(rid, tour, why) for (rid, tour), why in sorted(excused.items())
                       if (rid, tour) in {(p.registrant_id, p.tour_id) for p in allocation.placements})
    return AuditCertificate(
        certificate.run_id, certificate.created_at, certificate.seed, certificate.inputs_fingerprint,
        certificate.result_fingerprint, certificate.people, certificate.placements, CHECKS, tuple(violations),
        certificate.purges, certificate.snapshot_fingerprint, run.kind, certificate.kept, exceptions, attention,
        (*(run_id for run_id, _ in earlier), run.run_id), prizes)


def _earlier_runs(conn: sqlite3.Connection, current: int, excused: Excused, changes) -> list[tuple[int, list]]:
    audited = []
    for row in tracked(load_runs(conn), _("Checking the earlier runs")):
        if row.run_id == current:
            continue
        run = stored_run(row)
        found = audit_run(run, load_result(conn, run.run_id, run.format), excused, changes).violations
        audited.append((run.run_id, [Violation(v.check, Msg("run {run}: {message}", run=run.run_id, message=v.message),
                                               v.registrant_id, v.tour_id) for v in found]))
    return audited


def audit_run(run: StoredRun, stored: StoredResult, excused: Excused | None = None,
              changes=None) -> AuditCertificate:
    violations: list[Violation] = []
    if not run.has_inputs:
        violations.append(Violation("inputs fingerprint", Msg("the run has no stored inputs to re-derive it from")))
        return _certificate(run, stored, violations, 0)
    try:
        inputs = run.allocation_input()
    except (KeyError, TypeError, ValueError) as exc:
        violations.append(Violation("inputs fingerprint", Msg("the stored inputs cannot be read ({reason})",
                                                              reason=repr(exc))))
        return _certificate(run, stored, violations, 0)
    violations.extend(_check_snapshot(run))
    if stored.fingerprint() != run.result_fingerprint:
        violations.append(Violation("result fingerprint",
                                    Msg("the stored result has fingerprint {actual}, not the recorded {recorded}: it "
                                        "changed after the run", actual=stored.fingerprint(),
                                        recorded=run.result_fingerprint)))
    if changes is not None and run.kind != "from_scratch":
        violations += [Violation("chain of runs", message) for message in
                       held_mismatch(inputs, replay(changes, run.last_change))]
    if changes is not None and run.format >= FORMAT_COLUMNS:   # runs of release 0.2 and before had no such rule
        violations += [Violation("chain of runs", message) for message in
                       taken_off_mismatch(inputs, changes, run.last_change)]
    violations += [Violation("closed tours", message) for message in closed_mismatch(inputs)]
    violations.extend(check_result(inputs, run.seed, stored, excused))
    return _certificate(run, stored, violations, len(inputs.held))


def _policy_violations(conn: sqlite3.Connection, inputs: Mapping[str, Any]) -> list[Violation]:
    """The priority policy's scores re-derived from what the run stored, and its facts from the history."""
    record = policy_record(inputs)
    if record is None:
        return []
    from openmosprom_cli.history.priority import facts_for_audit  # the history only for a run that used it

    return [Violation("priority policy", problem) for problem in audit_policy(inputs, facts_for_audit(conn, record))]


def _check_snapshot(run: StoredRun) -> list[Violation]:
    check = "inputs fingerprint"
    violations = []
    actual = run.stored_inputs_fingerprint()
    if actual != run.snapshot_fingerprint:
        violations.append(Violation(check, Msg(
            "the stored inputs have fingerprint {actual}, not the {recorded} recorded by the purge of {purged}: they "
            "changed after it", actual=actual, recorded=run.snapshot_fingerprint, purged=run.purges[-1].purged_at)
            if run.purges else Msg("the stored inputs have fingerprint {actual}, not the {recorded} recorded: they "
                                   "changed after the run", actual=actual, recorded=run.snapshot_fingerprint)))
    erased = run.erased_ids()
    recorded = sum(p.people for p in run.purges)
    if len(erased) != recorded:
        violations.append(Violation(check, ngettext(
            "{count} birth date in the stored inputs is erased ({ids}), but the purges record {recorded}",
            "{count} birth dates in the stored inputs are erased (e.g. {ids}), but the purges record {recorded}",
            len(erased)).format(count=len(erased), ids=", ".join(sorted(erased)[:5]) or Msg("none"),
                                recorded=recorded), sorted(erased)[0] if erased else None))
    return violations


def _certificate(run: StoredRun, stored: StoredResult, violations: list[Violation], kept: int) -> AuditCertificate:
    return AuditCertificate(run.run_id, run.created_at, run.seed, run.inputs_fingerprint, run.result_fingerprint,
                            stored.people, len(stored.placements), CHECKS, tuple(violations), run.purges,
                            run.snapshot_fingerprint, run.kind, kept, runs_checked=(run.run_id,))
