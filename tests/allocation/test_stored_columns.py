"""A run's columns: they hold exactly the result and the inputs that the JSON forms held, and read back the same."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmosprom_cli.allocation.audit import audit_current
from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.reference import allocate_reference
from openmosprom_cli.allocation.result_columns import ResultColumns, result_fingerprint
from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.allocation.snapshot_columns import SnapshotColumns
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.allocation.stored import current_run, load_result
from openmosprom_cli.models import Holding, Site
from openmosprom_cli.privacy import purge_personal_data
from openmosprom_cli.season.folder import open_season
from openmosprom_cli.store.changes import add_cancellation, add_change, add_commitment
from tests.allocation.test_allocation import instances, person, seeds, tour
from tests.allocation.test_allocation_runs import fill
from tests.paths import TESTS

RELEASE_0_1_0 = TESTS / "data" / "seasons" / "release-0.1.0"


def json_form(result) -> tuple[dict, dict]:
    """The result as runs of format 1 stored it: everyone's rows, and the waitlists."""
    outcomes = {a.id: (p + 1, [o.to_json() for o in rows]) for p, a, rows in result.iter_outcomes()}
    return outcomes, result.waitlists()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), seeds)
def test_the_columns_hold_the_result_the_reference_solver_gives_in_its_json_form(inputs, seed):
    fast, reference = allocate(inputs, seed=seed), allocate_reference(inputs, seed=seed)
    stored = ResultColumns.read(fast.columns().stored())
    outcomes, waitlists = json_form(reference)
    assert {rid: (p + 1, stored.outcome_rows(p)) for p, rid in enumerate(stored.people)} == outcomes
    assert stored.waitlists() == waitlists
    assert stored.fingerprint(fast.placements()) == reference.fingerprint()
    assert stored.legacy_fingerprint(fast.placements()) == result_fingerprint(reference.placements(), waitlists,
                                                                              outcomes)
    # The JSON form of format 1 gives the same columns back.
    again = ResultColumns.from_rows(outcomes, waitlists)
    assert again.legacy_fingerprint(fast.placements()) == stored.legacy_fingerprint(fast.placements())


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.randoms(use_true_random=False))
def test_the_stored_inputs_read_back_as_the_json_snapshot_does(inputs, rnd):
    erased, _ = inputs.with_birth_dates_erased({a.id for a in inputs.applicants if rnd.random() < 0.5})
    for version in (inputs, erased):
        columns = SnapshotColumns.read(SnapshotColumns.of(version).stored())
        assert columns.to_inputs() == AllocationInput.from_json(version.to_json())
        assert columns.fingerprint() == version.fingerprint()
        assert sorted(columns.erased_ids()) == sorted(a.id for a in version.applicants if a.birth_date_erased)
        as_read = {a.id: a for a in AllocationInput.from_json(version.to_json()).applicants}
        for a in version.applicants[:3]:
            assert columns.applicant(a.id) == as_read[a.id]
    assert SnapshotColumns.of(inputs).applicant("nobody") is None


def test_kept_seats_closed_tours_and_the_date_are_kept_in_the_stored_inputs():
    a, b = tour("zil", capacity=2), tour("zil", day=1)
    people = (person("1", a.tour_id, at=dt.datetime(2026, 11, 2, 9, 30, 0, 17)), person("2", "zil"))
    inputs = AllocationInput((a, b), (Site("zil", "ЗИЛ", min_age=14),), people, 1,
                             held=(Holding("1", a.tour_id, 1, 1),), closed=(b.tour_id,), today=dt.date(2026, 11, 30))
    columns = SnapshotColumns.read(SnapshotColumns.of(inputs).stored())
    assert columns.to_inputs() == AllocationInput.from_json(inputs.to_json())
    assert columns.applicant("1").registered_at == dt.datetime(2026, 11, 2, 9, 30, 0, 17)
    assert columns.to_inputs().held == inputs.held and columns.to_inputs().closed == (b.tour_id,)


def test_a_run_is_stored_as_columns_and_the_old_tables_are_gone(season):
    fill(season)
    report = run_assignment(season, seed="7")
    with season.reader() as conn:
        run = current_run(conn)
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        stored = load_result(conn, run.run_id, run.format)
    assert run.format == 2 and run.snapshot_text == ""
    assert "outcomes" not in tables and "waitlist" not in tables and "run_columns" in tables
    assert stored.fingerprint() == report.result_fingerprint
    assert run.stored_inputs_fingerprint() == report.inputs_fingerprint
    assert run.allocation_input().fingerprint() == report.inputs_fingerprint


def test_the_runs_of_release_0_1_0_are_converted_without_changing_a_row(tmp_path):
    folder = tmp_path / "season"
    shutil.copytree(RELEASE_0_1_0, folder)
    with sqlite3.connect(folder / "season.db") as conn:
        before_outcomes = {rid: (priority, json.loads(rows)) for rid, priority, rows in conn.execute(
            "SELECT registrant_id, priority, outcomes FROM outcomes")}
        before_waitlists: dict[str, list[str]] = {}
        for tour_id, rid in conn.execute("SELECT tour_id, registrant_id FROM waitlist ORDER BY tour_id, position"):
            before_waitlists.setdefault(tour_id, []).append(rid)
        (recorded,) = conn.execute("SELECT result_fingerprint FROM allocation_runs").fetchone()
    season = open_season(folder)
    with season.reader() as conn:
        run = current_run(conn)
        stored = load_result(conn, run.run_id, run.format)
    assert run.format == 1
    assert stored.outcomes == before_outcomes and stored.waitlists == before_waitlists
    assert stored.fingerprint() == recorded == run.result_fingerprint
    # The JSON snapshot stays as it was, and still hashes to what it recorded.
    assert run.stored_inputs_fingerprint() == run.inputs_fingerprint


def test_the_lines_now_leave_out_the_cancelled_and_the_committed_and_count_places_again(season):
    fill(season)
    run_assignment(season, seed="7")
    with season.transaction() as conn:
        allocation = current_allocation(conn)
        stored = allocation.stored.waitlists
        tour_id, line = max(stored.items(), key=lambda item: len(item[1]))
        first = line[0]
        change = add_change(conn, at="2026-11-30T10:00:00", kind="cancel", registrant_id=first, reason="test")
        add_cancellation(conn, first, reason="test", source="test", change_id=change)
        if len(line) > 1:
            commit = add_change(conn, at="2026-11-30T10:00:00", kind="commit", registrant_id=line[1],
                                tour_id=tour_id, seats=1, choice_rank=1)
            add_commitment(conn, Holding(line[1], tour_id, 1, 1), change_id=commit)
        now = current_allocation(conn)
    expected = {t: [rid for rid in ids if rid not in {first, *line[1:2]}] for t, ids in stored.items()}
    expected = {t: ids for t, ids in expected.items() if ids}
    assert now.waitlists == expected
    assert now.positions == {rid: {t: ids.index(rid) + 1 for t, ids in expected.items() if rid in ids}
                             for rid in {r for ids in expected.values() for r in ids}}
    for rid in {r for ids in stored.values() for r in ids}:
        assert now.positions_of(rid) == now.positions.get(rid, {})
    assert all(now.line(t) == ids == list(now.iter_line(t)) and now.waiting_count(t) == len(ids)
               for t, ids in expected.items())


def test_a_run_of_release_0_1_0_is_purged_in_its_json_form_and_still_audits_clean(tmp_path, monkeypatch):
    folder = tmp_path / "season"
    shutil.copytree(RELEASE_0_1_0, folder)
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2027-01-10")
    season = open_season(folder)
    report = purge_personal_data(season, dt.date(2027, 1, 10))
    assert report.runs_scrubbed == 1 and report.birth_dates > 0
    certificate = audit_current(season)
    assert certificate.ok, [v.message for v in certificate.violations]
    assert [p.people for p in certificate.purges] == [report.birth_dates]
    with season.reader() as conn:
        run = current_run(conn)
        (text,) = conn.execute("SELECT inputs FROM allocation_runs").fetchone()
    assert run.format == 1 and '"purges"' in text and '"age_ok"' in text
    assert run.stored_inputs_fingerprint() == certificate.purges[-1].inputs_fingerprint != run.inputs_fingerprint
