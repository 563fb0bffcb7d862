"""Allocation runs in a real season: storing, replacing, explaining, and the assign / explain commands."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from openmosprom_cli.allocation.explain import explain
from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.priority import lottery_number
from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.allocation.stored import current_run, load_result
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.models import OUTCOME_TEXT, Holding, Registrant, Site, Tour
from openmosprom_cli.store.changes import add_change, add_commitment
from openmosprom_cli.store.registrants import upsert_registrants
from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours

ZIL_1 = Tour("zil-1211-1000", "zil", dt.date(2026, 12, 11), dt.time(10), 90, 3)
ZIL_2 = Tour("zil-1212-1000", "zil", dt.date(2026, 12, 12), dt.time(10), 90, 2)
KB = Tour("kb-1211-1100", "kb", dt.date(2026, 12, 11), dt.time(11), 90, 2)
PEOPLE = [
    Registrant("1", "Иванов Иван", score=10, birth_date=dt.date(2000, 1, 1), choices=(KB.tour_id, "zil"),
               passport="4510 123456", citizenship="РФ", registered_at=dt.datetime(2026, 11, 1, 10)),
    Registrant("2", "Петров Пётр", score=10, birth_date=dt.date(2013, 1, 1), choices=("zil",),
               registered_at=dt.datetime(2026, 11, 1, 11)),
    Registrant("3", "Сидоров Олег", score=5, birth_date=dt.date(1990, 1, 1), choices=(ZIL_1.tour_id, "zil"),
               companions=2),
    Registrant("4", "Кузнецова Анна", score=5, choices=(KB.tour_id, ZIL_1.tour_id, "nope")),
    Registrant("5", "Орлов Никита", score=1, birth_date=dt.date(1990, 1, 1),
               choices=(ZIL_1.tour_id, ZIL_2.tour_id), companions=1),
    Registrant("6", "Смирнова Ольга", score=1, birth_date=dt.date(1990, 1, 1),
               choices=(ZIL_1.tour_id, ZIL_2.tour_id)),
]


def fill(season, people=PEOPLE, tours=(ZIL_1, ZIL_2, KB)):
    with season.transaction() as conn:
        save_site(conn, Site("zil", "ЗИЛ", min_age=14))
        save_site(conn, Site("kb", "КБ", passport_required=True, citizens_only=True))
        replace_tours(conn, list(tours))
        upsert_registrants(conn, people, now="2026-11-20T00:00:00")


def test_a_run_stores_placements_waitlists_and_an_outcome_for_everyone(season):
    fill(season)
    report = run_assignment(season, seed="7")
    with season.reader() as conn:
        run = current_run(conn)
        stored = load_result(conn, run.run_id)
    waitlist_rows = [(tour_id, position, rid) for tour_id, ids in stored.waitlists.items()
                     for position, rid in enumerate(ids, 1)]
    assert run.run_id == report.run_id and run.seed == "7"
    held = {p.registrant_id: (p.tour_id, p.choice_rank, p.seats) for p in stored.placements}
    assert held["1"] == (KB.tour_id, 1, 1)
    assert held["3"] == (ZIL_1.tour_id, 1, 3)
    assert "2" not in held and "4" not in held
    assert set(stored.outcomes) == {p.id for p in PEOPLE}
    priority, rows = stored.outcomes["4"]
    assert rows == [
        {"rank": 1, "choice": KB.tour_id, "tour_id": KB.tour_id, "code": "no_passport"},
        {"rank": 2, "choice": ZIL_1.tour_id, "tour_id": ZIL_1.tour_id, "code": "no_birth_date"},
        {"rank": 3, "choice": "nope", "tour_id": None, "code": "unknown_choice"},
    ]
    assert all(o["code"] in OUTCOME_TEXT for _, rows in stored.outcomes.values() for o in rows)
    assert sorted(p for p, _ in stored.outcomes.values()) == list(range(1, len(PEOPLE) + 1))
    assert stored.outcomes["1"][1][1]["code"] == "not_reached"
    # 5 and 6 tie on score and time: the lottery decides who chooses first and gets ZIL_2
    # (ZIL_1 is full); the other no longer fits and waits on both tours.
    first, second = sorted(["5", "6"], key=lambda rid: lottery_number("7", rid))
    assert held[first][0] == ZIL_2.tour_id and second not in held
    assert sorted(tuple(r) for r in waitlist_rows) == [
        (ZIL_1.tour_id, 1, first), (ZIL_1.tour_id, 2, second), (ZIL_2.tour_id, 1, second)]
    assert stored.fingerprint() == run.result_fingerprint == report.result_fingerprint
    inputs = AllocationInput.from_json(run.inputs)
    assert inputs.fingerprint() == run.inputs_fingerprint
    assert allocate(inputs, seed="7").fingerprint() == run.result_fingerprint
    assert "4510" not in json.dumps(dict(run.inputs))  # the snapshot keeps only "has a passport"


def test_the_summary_counts_seats_choices_and_reasons(season):
    fill(season)
    report = run_assignment(season, seed="7")
    assert (report.registrants, report.seats_offered) == (6, 7)
    assert report.placed == sum(n for _, n in report.by_choice)
    assert report.seats_filled == sum(s.filled for s in report.by_site) == sum(d.filled for d in report.by_day)
    assert {s.key: s.offered for s in report.by_site} == {"kb": 2, "zil": 5}
    assert [d.key for d in report.by_day] == ["2026-12-11", "2026-12-12"]
    reasons = dict(report.unplaced_by_reason)
    assert reasons["below_min_age"] == 1 and reasons["no_passport"] == 1 and reasons["full"] == 1
    assert report.unplaced == sum(reasons.values())
    with season.reader() as conn:
        assert current_run(conn).summary == report.to_json()


def test_a_seat_kept_from_before_counts_its_holder_as_placed_even_if_it_answers_no_choice(season):
    fill(season)
    with season.transaction() as conn:
        # An organizer seated 4 on ZIL_2, which they did not choose (and would not get: no birth date).
        change = add_change(conn, at="2026-11-30T10:00:00", kind="seat", registrant_id="4", tour_id=ZIL_2.tour_id,
                            seats=1, choice_rank=0, reason="guest of the factory")
        add_commitment(conn, Holding("4", ZIL_2.tour_id, 1, 0), change_id=change)
    report = run_assignment(season, seed="7")
    with season.reader() as conn:
        stored = load_result(conn, report.run_id)
    assert ("4", ZIL_2.tour_id, 0) in {(p.registrant_id, p.tour_id, p.choice_rank) for p in stored.placements}
    assert report.kept == 1 and report.placed == len({p.registrant_id for p in stored.placements})
    reasons = dict(report.unplaced_by_reason)
    assert "no_passport" not in reasons and report.unplaced == sum(reasons.values()) == 6 - report.placed


def test_a_new_run_replaces_the_current_result_and_keeps_history(season):
    fill(season)
    first = run_assignment(season, seed="1")
    second = run_assignment(season, seed="1")
    with season.reader() as conn:
        currents = conn.execute("SELECT run_id FROM allocation_runs WHERE is_current = 1").fetchall()
        runs = conn.execute("SELECT count(*) FROM allocation_runs").fetchone()[0]
    assert [r[0] for r in currents] == [second.run_id] and second.run_id == first.run_id + 1 and runs == 2
    assert first.result_fingerprint == second.result_fingerprint  # same inputs, same seed


def test_the_seed_comes_from_season_toml_unless_given(season):
    fill(season)
    assert run_assignment(season).seed == str(season.settings.allocation_seed)
    assert run_assignment(season, seed="abc").seed == "abc"


def test_assign_refuses_without_tours_or_registrants(season):
    with pytest.raises(MissingInputError, match="no tours"):
        run_assignment(season)
    fill(season, people=[])
    with pytest.raises(MissingInputError, match="no registrants"):
        run_assignment(season)
    with season.reader() as conn:
        assert current_run(conn) is None


def test_explain_gives_priority_keys_and_each_choice(season):
    fill(season)
    run_assignment(season, seed="7")
    e = explain(season, "4")
    assert (e.full_name, e.score, e.people) == ("Кузнецова Анна", 5.0, 6)
    # After the two with score 10; 3 and 4 tie on score and (missing) time, so the lottery orders them.
    assert e.priority == (3 if lottery_number("7", "4") < lottery_number("7", "3") else 4)
    assert e.lottery == lottery_number("7", "4") and e.registered_at is None
    assert [c.code for c in e.choices] == ["no_passport", "no_birth_date", "unknown_choice"]
    assert e.tours == () and e.waitlists == ()
    with pytest.raises(MissingInputError, match="'999' is not a registrant of this season"):
        explain(season, "999")


def test_registrants_who_change_after_a_run_do_not_change_its_record(season):
    fill(season)
    report = run_assignment(season, seed="7")
    changed = [Registrant("4", "Кузнецова Анна", score=99, choices=(ZIL_1.tour_id,))]
    with season.transaction() as conn:
        upsert_registrants(conn, changed, now="2026-11-21T00:00:00")
        run = current_run(conn)
        stored = load_result(conn, run.run_id)
    assert AllocationInput.from_json(run.inputs).fingerprint() == report.inputs_fingerprint
    assert stored.fingerprint() == report.result_fingerprint


# -- the commands ---------------------------------------------------------------------------

def test_assign_command_prints_the_summary_seed_and_fingerprints(season, cli):
    fill(season)
    result = cli("assign", "--seed", "42", "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "seed 42" in result.output
    assert "Seats per site" in result.output and "Seats per day" in result.output
    assert "got their 1st choice" in result.output
    with season.reader() as conn:
        run = current_run(conn)
    assert run.inputs_fingerprint in result.output and run.result_fingerprint in result.output


def test_assign_json_is_the_stored_summary(season, cli):
    fill(season)
    result = cli("assign", "--json", "-w", season.path)
    assert result.exit_code == 0
    data = json.loads(result.output)
    with season.reader() as conn:
        assert data == current_run(conn).summary
    assert data["seed"] == str(season.settings.allocation_seed)
    assert sum(r["people"] for r in data["by_choice"]) == data["placed"]


def test_assign_command_refuses_an_empty_season(season, cli):
    result = cli("assign", "-w", season.path)
    assert result.exit_code == 66
    assert "no tours" in result.output and "Traceback" not in result.output


def test_explain_command(season, cli):
    fill(season)
    cli("assign", "--seed", "7", "-w", season.path)
    result = cli("explain", "3", "-w", season.path)
    assert result.exit_code == 0
    assert "Сидоров Олег" in result.output and "of 6" in result.output
    assert "placed" in result.output and "lottery number" in result.output
    data = json.loads(cli("explain", "3", "--json", "-w", season.path).output)
    assert data["tours"] == [ZIL_1.tour_id] and data["choices"][0]["code"] == "placed"
    missing = cli("explain", "nobody", "-w", season.path)
    assert missing.exit_code == 66 and "nobody" in missing.output


def test_explain_of_someone_who_registered_after_the_run_says_so(season, cli):
    fill(season)
    run_assignment(season, seed="7")
    with season.transaction() as conn:
        upsert_registrants(conn, [Registrant("late", "Поздний Павел", score=1)], now="2026-11-21T00:00:00")
    result = cli("explain", "late", "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "registered after it" in result.output and "No tour." in result.output
