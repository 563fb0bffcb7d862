"""A seat an organizer took away stays taken: no later run gives that tour back to the same person."""

from __future__ import annotations

from openmosprom_cli.allocation.audit import audit_current
from openmosprom_cli.allocation.chain import taken_off
from openmosprom_cli.allocation.explain import explain
from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.changes.people import move_registrant, unassign_registrant
from openmosprom_cli.store.changes import ChangeRow
from tests.allocation.tamper import forge_head
from tests.changes.scenario import E1, Z1, seats


def test_an_unassigned_seat_goes_to_the_next_in_line_not_back_to_its_holder(published):
    unassign_registrant(published, "9004", reason="asked by phone")
    report = run_assignment(published)
    now = seats(published)
    assert ("9004", E1.tour_id) not in now
    # 9005 to 9007 keep what they were told or wait for more than one seat; 9010 is next for E1's single seat.
    assert ("9010", E1.tour_id) in now
    assert dict(report.unplaced_by_reason).get("taken_off") == 1
    told = explain(published, "9004")
    assert [o.code for o in told.choices] == ["taken_off"]
    assert told.seats == ()


def test_a_person_moved_off_a_tour_is_not_put_back_on_it(published):
    move_registrant(published, "9005", E1.tour_id, reason="wants E1", override=True)
    assert ("9005", Z1.tour_id) not in seats(published)
    run_assignment(published)
    now = seats(published)
    assert ("9005", E1.tour_id) in now and ("9005", Z1.tour_id) not in now


def test_seating_the_person_there_again_lifts_it():
    def change(change_id, kind, cause=""):
        return ChangeRow(change_id, "2026-11-30T10:00:00", kind, "9004", E1.tour_id, 1, 1, "why",
                         {"cause": cause} if cause else {})

    present = {"9004"}, {E1.tour_id}
    unseated = [change(1, "unseat", "unassigned")]
    assert taken_off(unseated, 1, *present) == {("9004", E1.tour_id)}
    assert taken_off(unseated, 0, *present) == set()
    assert taken_off([*unseated, change(2, "seat")], 2, *present) == set()
    assert taken_off([change(1, "unseat", "tour_cancelled")], 1, *present) == set(), "not an organizer's decision"
    assert taken_off(unseated, 1, {"9004"}, set()) == set(), "a tour gone since keeps nobody off"


def test_the_audit_names_a_run_that_forgot_whom_it_had_to_keep_off(published):
    unassign_registrant(published, "9004", reason="asked by phone")
    run_assignment(published)
    assert audit_current(published).violations == ()
    forge_head(published, lambda head: head.pop("taken_off"))
    found = [str(v.message) for v in audit_current(published).violations if v.check == "chain of runs"]
    assert found == [f"9004 was taken off {E1.tour_id}, but the run did not keep them off it"]


def test_unassign_then_assign_from_the_command_line(published, cli):
    folder = published.path
    assert cli("unassign", "9004", "--reason", "asked by phone", "-w", folder).exit_code == 0
    assert cli("assign", "-w", folder).exit_code == 0
    explained = cli("explain", "9004", "-w", folder)
    assert "taken off this tour by the organizers" in explained.output
    assert cli("unassign", "9004", "--reason", "again", "-w", folder).exit_code == 65
