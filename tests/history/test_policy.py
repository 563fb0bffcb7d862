"""The priority policy from history: what it does to the order, that it is stored, shown, re-derived, and off by
default."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.allocation.audit import audit_current
from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.allocation.explain import explain
from openmosprom_cli.allocation.inputs import POLICY_KEY, AllocationInput, Applicant
from openmosprom_cli.allocation.policy import (
    NEVER_PLACED,
    NEWCOMER,
    NO_SHOW,
    PersonFacts,
    apply_policy,
    audit_policy,
    person_facts,
)
from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.history.seasons import import_history
from openmosprom_cli.settings import PrioritySettings
from tests.allocation.tamper import forge_head
from tests.changes.scenario import E1
from tests.history.seasons import NEWCOMER as NEWCOMER_9011
from tests.history.seasons import december, next_season


def seats(season) -> set[tuple[str, str]]:
    with season.reader() as conn:
        return {(p.registrant_id, p.tour_id) for p in current_allocation(conn).placements}


@pytest.fixture
def earlier(tmp_path):
    return december(tmp_path / "december")


# -- in a season ------------------------------------------------------------------------------------------------

def test_off_by_default_the_history_changes_nothing(earlier, tmp_path):
    later = next_season(tmp_path / "next")
    import_history(later, [earlier.path])
    report = run_assignment(later)
    assert report.policy is None
    with later.reader() as conn:
        inputs = current_allocation(conn).stored.run.inputs
    assert POLICY_KEY not in inputs
    # 9002 (90 points) takes E1 as ever.
    assert ("9002", E1.tour_id) in seats(later)


def test_a_no_show_penalty_moves_the_person_down_and_everything_is_kept_with_the_run(earlier, tmp_path, cli):
    later = next_season(tmp_path / "next", priority="enabled = true\nno_show_points = 1000\nno_show_seasons = 2")
    import_history(later, [earlier.path])
    assigned = cli("assign", "-w", later.path)
    assert assigned.exit_code == 0, assigned.output
    assert "Priority policy ([priority] in season.toml): 1000 points off per no-show season among the last 2" \
        in assigned.output
    assert "Scores adjusted: 2 (2 no-show penalties, 0 newcomer bonuses, 0 never-placed bonuses)" in assigned.output
    # 9002 missed in December: 90 - 1000. 9003 (a party of 2, 80 points) now fills E1 after 9001.
    assert ("9002", E1.tour_id) not in seats(later) and ("9003", E1.tour_id) in seats(later)
    told = explain(later, "9002")
    assert told.score == -910 and told.base_score == 90
    assert [(a.kind, a.points, a.seasons) for a in told.adjustments] == [(NO_SHOW, -1000, 1)]
    shown = cli("explain", "9002", "-w", later.path)
    assert "by the priority policy: 90 as imported, -1000 for a no-show in 1 season of the recent ones" \
        in " ".join(shown.output.split())
    certificate = audit_current(later)
    assert certificate.ok and "priority policy" in certificate.checks


def test_last_places_people_with_a_no_show_after_everyone_else_in_their_own_order(earlier, tmp_path):
    later = next_season(tmp_path / "next", priority='enabled = true\nno_show_penalty = "last"')
    import_history(later, [earlier.path])
    run_assignment(later)
    with later.reader() as conn:
        priorities = current_allocation(conn).priorities
    assert sorted(priorities, key=priorities.get)[-2:] == ["9002", "9005"]
    assert audit_current(later).ok


def test_bonuses_for_newcomers_and_for_those_never_placed(earlier, tmp_path):
    later = next_season(tmp_path / "next", priority="enabled = true\nnewcomer_bonus = 10\nnever_placed_bonus = 5",
                        newcomers=(NEWCOMER_9011,))
    import_history(later, [earlier.path])
    run_assignment(later)
    assert [(a.kind, a.points) for a in explain(later, "9011").adjustments] == [(NEWCOMER, 10)]
    assert [(a.kind, a.points) for a in explain(later, "9007").adjustments] == [(NEWCOMER, 10), (NEVER_PLACED, 5)]
    assert explain(later, "9001").adjustments == ()
    with later.reader() as conn:
        priorities = current_allocation(conn).priorities
    assert priorities["9011"] == 1, "95 + 10 chooses before 9001, who has 100 and no bonus"
    assert audit_current(later).ok


def test_the_audit_re_derives_the_policy_and_finds_a_forged_score(earlier, tmp_path):
    later = next_season(tmp_path / "next", priority="enabled = true\nno_show_points = 1000")
    import_history(later, [earlier.path])
    run_assignment(later)
    # The record is edited to forgive 9002, and the fingerprint is recomputed to hide it.
    forge_head(later, lambda head: head[POLICY_KEY]["facts"].__setitem__("9002", [1, 1, 0]))
    certificate = audit_current(later)
    problems = [v.message for v in certificate.violations if v.check == "priority policy"]
    assert any("1 score is not what the policy gives" in p and "9002" in p for p in problems), problems
    assert any("differ from the history of the seasons it names, for 1 person (9002)" in p for p in problems)


# -- the rule itself ----------------------------------------------------------------------------------------------

def test_a_no_show_counts_for_the_next_n_seasons_imported():
    seasons = ["2026-10", "2026-11", "2026-12"]
    rows = [("2026-10", "a", 1, 1), ("2026-11", "a", 0, 0), ("2026-12", "b", 1, 1), ("2026-11", "c", 1, 0)]
    found = person_facts(seasons, rows, no_show_seasons=2)
    assert found["a"] == PersonFacts(applied=2, placed=1, recent_no_shows=0), "October is three seasons back"
    assert found["b"] == PersonFacts(1, 1, 1)
    assert found["c"] == PersonFacts(1, 1, 0)
    assert person_facts(seasons, rows, no_show_seasons=3)["a"].recent_no_shows == 1


facts_strategy = st.builds(PersonFacts, st.integers(0, 4), st.integers(0, 3), st.integers(0, 2))
settings_strategy = st.builds(
    PrioritySettings, enabled=st.just(True), no_show_penalty=st.sampled_from(["points", "last"]),
    no_show_points=st.sampled_from([0.0, 5.0, 17.5, 1000.0]), no_show_seasons=st.integers(1, 3),
    newcomer_bonus=st.sampled_from([0.0, 3.0, 10.0]), never_placed_bonus=st.sampled_from([0.0, 2.5, 5.0]))


@given(people=st.lists(st.tuples(st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 1)), facts_strategy),
                       min_size=1, max_size=30),
       settings=settings_strategy)
def test_the_policy_as_stored_re_derives_and_a_changed_score_is_found(people, settings):
    applicants = [Applicant(str(i), score) for i, (score, _) in enumerate(people)]
    facts = {str(i): f for i, (_, f) in enumerate(people) if f != PersonFacts()}
    run = apply_policy(applicants, facts, settings, [("2026-12-11/2026-12-22", "d")])
    inputs = AllocationInput.build((), (), run.applicants, policy=run.record).to_json()
    assert audit_policy(inputs) == []
    if settings.no_show_penalty == "last":
        late = [a.score for a in run.applicants if facts.get(a.id, PersonFacts()).recent_no_shows]
        others = [a.score for a in run.applicants if not facts.get(a.id, PersonFacts()).recent_no_shows]
        if late and others:
            assert max(late) < min(others), "everyone with a recent no-show chooses after everyone else"
    # Someone the policy adjusted is given another score: the record no longer gives it. (An unadjusted score is
    # its own base: forging it is what the inputs fingerprint catches.)
    adjusted = sorted(run.record["base"])
    if adjusted:
        forged = next(a for a in inputs["applicants"] if a["id"] == adjusted[0])
        forged["score"] += 1
        assert any("1 score is not what the policy gives" in p for p in audit_policy(inputs))
