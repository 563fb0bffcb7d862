"""After publication: no seat that was told is lost except by the rules, and what changed is said exactly."""

from __future__ import annotations

import csv
import io
import re

import pytest

from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.changes.people import cancel_registrants, move_registrant
from openmosprom_cli.errors import BadDataError
from openmosprom_cli.publication.publish import publish
from tests.changes.scenario import E1, E2, FIRST_SEATS, K1, Z1, seats
from tests.season_digest import season_digest


def waitlists(season) -> dict[str, list[str]]:
    with season.reader() as conn:
        return current_allocation(conn).waitlists


def changes_of(report) -> list[tuple[str, str, str]]:
    text = report.changes_path.read_bytes().decode("utf-8-sig")
    return sorted((r["ID VK"], r["Что изменилось"], r["ID экскурсии"])
                  for r in csv.DictReader(io.StringIO(text), delimiter=";"))


def test_the_first_allocation_is_as_worked_out(published):
    assert seats(published) == FIRST_SEATS
    # Those waiting at E1 who hold a seat elsewhere (9005, 9006) were told of it, so they wait no more.
    assert waitlists(published) == {E1.tour_id: ["9007", "9010"], E2.tour_id: ["9007"]}


def test_assign_again_after_publication_keeps_every_seat_that_was_told(published):
    before = seats(published)
    report = run_assignment(published)
    assert report.kind == "incremental" and report.kept == len(FIRST_SEATS)
    assert seats(published) == before


def test_a_cancelled_seat_goes_to_the_next_who_fits_and_a_party_that_does_not_keeps_its_place(published):
    report = cancel_registrants(published, ["9001"], reason="заболела")
    assert [(c.registrant_id, c.tour_id, c.was_committed) for c in report.seats_freed] == [("9001", E1.tour_id, True)]
    assert ("9001", E1.tour_id) not in seats(published)
    # 9007 (a party of 2) is next in line for E1 but does not fit in one seat: 9010 gets it; 9007 keeps its place.
    run_assignment(published)
    assert seats(published) == FIRST_SEATS - {("9001", E1.tour_id)} | {("9010", E1.tour_id)}
    assert waitlists(published)[E1.tour_id] == ["9007"]
    assert "9001" not in {rid for ids in waitlists(published).values() for rid in ids}
    second = publish(published)
    assert changes_of(second) == [("9001", "место отменено", E1.tour_id), ("9010", "место выделено", E1.tour_id)]


def test_a_cancelled_person_is_never_placed_again_unless_reinstated(published, cli):
    assert cli("registrants", "cancel", "9007", "--reason", "не сможет", "-w", published.path).exit_code == 0
    assert cli("registrants", "cancel", "9002", "--reason", "уезжает", "-w", published.path).exit_code == 0
    run_assignment(published)
    # E1 has one seat: 9007 is gone from every list, so 9010, the next in line, gets it.
    assert ("9010", E1.tour_id) in seats(published) and not any(rid == "9007" for rid, _ in seats(published))
    result = cli("registrants", "reinstate", "9007", "--reason", "передумал", "-w", published.path)
    assert result.exit_code == 0, result.output
    run_assignment(published)
    assert waitlists(published)[E1.tour_id] == ["9007"]


def test_cancellations_need_a_reason_and_an_unknown_id_changes_nothing(published, cli):
    before = season_digest(published.path)
    result = cli("registrants", "cancel", "9001", "-w", published.path)
    assert result.exit_code == 65 and "--reason" in result.output
    result = cli("registrants", "cancel", "9001", "nobody", "--reason", "x", "-w", published.path)
    assert result.exit_code == 65 and "'nobody' is not a registrant" in result.output
    assert season_digest(published.path) == before


def test_a_move_that_breaks_a_rule_is_refused_naming_it_and_changes_nothing(published):
    before = season_digest(published.path)
    with pytest.raises(BadDataError, match="no passport number"):
        move_registrant(published, "9009", K1.tour_id, reason="просьба завода")
    with pytest.raises(BadDataError, match="the tour is full"):
        move_registrant(published, "9010", E1.tour_id, reason="просьба")
    assert season_digest(published.path) == before
    report = move_registrant(published, "9009", K1.tour_id, reason="паспорт принесёт на проходную", override=True)
    assert "no passport number" in report.override
    assert ("9009", K1.tour_id) in seats(published)
    # Every later allocation keeps it.
    run_assignment(published)
    assert ("9009", K1.tour_id) in seats(published)


def test_a_move_takes_the_person_off_their_seat_and_the_freed_seat_is_given(published):
    move_registrant(published, "9004", E2.tour_id, reason="просила другой день", override=True)
    assert ("9004", E1.tour_id) not in seats(published) and ("9004", E2.tour_id) in seats(published)
    run_assignment(published)
    assert ("9010", E1.tour_id) in seats(published)
    report = publish(published)
    assert changes_of(report) == [("9004", "перенос на другую экскурсию", E2.tour_id),
                                  ("9010", "место выделено", E1.tour_id)]


def test_a_frozen_tour_gets_nobody_new_by_itself_but_an_organizer_may_fill_it(published, monkeypatch):
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2026-12-12")        # E1's list is frozen from 11.12
    cancel_registrants(published, ["9004"], reason="не придёт")
    run_assignment(published)
    assert not any(tour == E1.tour_id and rid in ("9007", "9010") for rid, tour in seats(published))
    with pytest.raises(BadDataError, match="frozen") as refused:
        move_registrant(published, "9010", E1.tour_id, reason="позвонили, придёт")
    assert "--after-deadline" in refused.value.hint
    move_registrant(published, "9010", E1.tour_id, reason="позвонили, придёт", after_deadline=True)
    assert ("9010", E1.tour_id) in seats(published)


def test_after_the_start_nothing_changes_a_tour(published, monkeypatch):
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2026-12-15")        # E1 took place on the 14th
    with pytest.raises(BadDataError, match="already started"):
        move_registrant(published, "9010", E1.tour_id, reason="x", override=True, after_deadline=True)
    from openmosprom_cli.changes.tours import cancel_season_tour

    with pytest.raises(BadDataError, match="already started"):
        cancel_season_tour(published, E1.tour_id, reason="x")


def test_a_cancelled_tour_sends_its_visitors_back_by_priority(published, cli):
    result = cli("slots", "cancel", Z1.tour_id, "--reason", "ремонт цеха", "-w", published.path)
    assert result.exit_code == 0, result.output
    assert not any(tour == Z1.tour_id for _, tour in seats(published))
    run_assignment(published)
    report = publish(published)
    assert changes_of(report) == [("9005", "место отменено", Z1.tour_id), ("9006", "место отменено", Z1.tour_id)]
    reasons = report.changes_path.read_bytes().decode("utf-8-sig")
    assert "экскурсия отменена: ремонт цеха" in reasons


# -- the audit over the chain of runs ----------------------------------------------------------------

def test_the_audit_passes_over_the_chain_of_runs_and_lists_exceptions_and_attention(published, cli, tmp_path):
    cancel_registrants(published, ["9001"], reason="заболела")
    run_assignment(published)
    publish(published)
    move_registrant(published, "9009", K1.tour_id, reason="паспорт принесёт на проходную", override=True)
    run_assignment(published)
    # 9008's passport is cleared by a later export: the seat stays, the organizer is told.
    (tmp_path / "later.csv").write_text("ID VK;ФИО;Паспорт\n9008;Участник 9008;\n", encoding="utf-8")
    imported = cli("registrants", "import", tmp_path / "later.csv", "-w", published.path)
    assert imported.exit_code == 0, imported.output
    assert "needs your attention: 9008 keeps kristall-1216-1100, no longer eligible" in imported.output
    assert ("9008", K1.tour_id) in seats(published)
    explained = cli("explain", "9008", "-w", published.path)
    assert "data changed; needs the organizer's attention on kristall-1216-1100" in explained.output
    assert "import of later.csv" in explained.output
    result = cli("audit", "--all", "-w", published.path)
    assert result.exit_code == 0, result.output
    assert "every run checked: 1, 2, 3" in result.output
    assert "documented exception" in result.output and "9009 on kristall-1216-1100" in result.output
    assert "needs your attention" in result.output and "9008 keeps kristall-1216-1100" in result.output
    assert "no passport number" in result.output


def test_more_guests_in_a_later_export_keep_the_seat_as_given_and_are_flagged_once(published, cli, tmp_path):
    run_assignment(published)
    publish(published)
    (seat,) = [s for s in seats(published) if s[0] == "9002"]
    later = tmp_path / "later.csv"
    later.write_text("ID VK;ФИО;Гостей\n9002;Участник 9002;2\n", encoding="utf-8")
    first = cli("registrants", "import", later, "-w", published.path)
    assert first.exit_code == 0, first.output
    assert f"9002 keeps {seat[1]}, now a party of 3; the seat was given for 1" in first.output
    again = cli("registrants", "import", later, "-w", published.path)
    assert "needs your attention" not in again.output          # nothing changed this time
    assert cli("assign", "-w", published.path).exit_code == 0
    assert seat in seats(published)
    with published.reader() as conn:
        flagged = conn.execute("SELECT registrant_id, tour_id FROM changes WHERE kind = 'data_changed'").fetchall()
    assert [tuple(r) for r in flagged] == [seat]


def test_the_audit_names_a_tampered_step_of_the_chain(published, cli):
    cancel_registrants(published, ["9001"], reason="заболела")
    run_assignment(published)
    with published.transaction() as conn:
        conn.execute("UPDATE changes SET seats = 5 WHERE kind = 'commit' AND registrant_id = '9002'")
    result = cli("audit", "--all", "-w", published.path)
    assert result.exit_code == 1
    assert "[chain of runs] 9002's seat on estet-1214-1000 was kept for 1, committed for 5" in result.output


def test_the_first_publication_tells_the_waitlist_places_that_stand_after_it(season, cli):
    """9003, 9005 and 9006 wait for E1 too, but the seats they are told of end their waiting: 9007 is first."""
    from openmosprom_cli.allocation.explain import explain
    from tests.changes.scenario import stock

    stock(season)
    run_assignment(season)
    assert dict(explain(season, "9007").waitlists)[E1.tour_id] == 4, "before anyone is told"
    report = publish(season)
    text = report.notifications_path.read_bytes().decode("utf-8-sig")
    told = {r["ID VK"]: r for r in csv.DictReader(io.StringIO(text), delimiter=";")}
    assert told["9007"]["Место в листе ожидания"] == "1" and told["9010"]["Место в листе ожидания"] == "2"
    assert dict(explain(season, "9007").waitlists)[E1.tour_id] == 1
    assert dict(explain(season, "9010").waitlists) == {E1.tour_id: 2}


def test_one_waitlist_position_everywhere(published, cli):
    from openmosprom_cli.allocation.explain import explain

    cancel_registrants(published, ["9005"], reason="уехал")      # 9005 held Z1; it frees nothing at E1
    report = publish(published)
    text = report.notifications_path.read_bytes().decode("utf-8-sig")
    told = {r["ID VK"]: r for r in csv.DictReader(io.StringIO(text), delimiter=";")}
    assert told["9007"]["Место в листе ожидания"] == "1" and told["9010"]["Место в листе ожидания"] == "2"
    assert dict(explain(published, "9010").waitlists) == {E1.tour_id: 2}
    assert "Waitlist of estet-1214-1000: position 2" in cli("explain", "9010", "-w", published.path).output
    assert told["9005"]["Результат"] == "отказ"


def test_a_capacity_cut_after_publication_unseats_the_lowest_priority_parties_first(published):
    from openmosprom_cli.changes.tours import change_capacity

    with published.transaction() as conn:
        freed = change_capacity(conn, current_allocation(conn), E1, 1, reason="ремонт цеха")
    # E1 held 9001, 9002 and 9004 (priority 1, 2 and 4): the last two go, the first keeps the one seat left.
    assert sorted(c.registrant_id for c in freed) == ["9002", "9004"]
    assert {rid for rid, tour_id in seats(published) if tour_id == E1.tour_id} == {"9001"}
    report = publish(published)
    assert ("9004", "место отменено", E1.tour_id) in changes_of(report)


def test_explain_says_why_each_held_seat_is_kept(published, cli):
    """Told at the publication, sent to the factory in its roster, or placed by an organizer: each in words of
    the interface's language, with its day."""
    from openmosprom_cli.publication.publish import commit_placements
    from openmosprom_cli.store.changes import COMMITTED_BY_ROSTER

    cancel_registrants(published, ["9001"], reason="заболела")
    run_assignment(published)        # 9010 gets 9001's seat on E1; nobody is told yet
    with published.transaction() as conn:
        allocation = current_allocation(conn)
        given = [p for p in allocation.placements if (p.registrant_id, p.tour_id) == ("9010", E1.tour_id)]
        assert commit_placements(conn, allocation, given, by=COMMITTED_BY_ROSTER + "estet") == 1
    move_registrant(published, "9009", K1.tour_id, reason="паспорт принесёт на проходную", override=True)
    day = r"\d\d\.\d\d\.20\d\d"

    def kept(rid: str, tour_id: str, language: str = "en") -> str:
        shown = cli("--lang", language, "explain", rid, "-w", published.path, env={"COLUMNS": "200"})
        assert shown.exit_code == 0, shown.output
        line = next(line for line in shown.output.splitlines() if tour_id in line and line.startswith(("Tour", "Экс")))
        return re.sub(day, "DAY", line)

    announced = next((rid, tour_id) for rid, tour_id in sorted(FIRST_SEATS) if rid not in ("9001", "9009"))
    assert kept(*announced).endswith("kept, announced at the publication of DAY")
    assert kept("9010", E1.tour_id).endswith("kept, the roster was sent to estet on DAY")
    assert kept("9009", K1.tour_id).endswith("kept, placed by an organizer on DAY: паспорт принесёт на проходную")
    assert kept(*announced, language="ru").endswith("закреплено, объявлено при публикации DAY")
    assert kept("9010", E1.tour_id, language="ru").endswith("закреплено, список отправлен площадке estet DAY")
    assert kept("9009", K1.tour_id, language="ru").endswith(
        "закреплено, место дал организатор DAY: паспорт принесёт на проходную")


def test_a_late_tour_is_filled_by_the_next_assign_and_a_wrong_site_is_named_in_the_interface_s_language(published,
                                                                                                          cli):
    """``slots add`` after publication: the next ``assign`` seats whoever chose the site and found no room; a site
    the season does not have is refused, named as the help names it, and nothing changes."""
    from openmosprom_cli.store.registrants import upsert_registrants
    from tests.changes.scenario import person

    with published.transaction() as conn:
        upsert_registrants(conn, [person("9011", 5, "estet")], now="2026-11-30T11:00:00")   # E1 and E2 are full
    added = cli("slots", "add", "estet", "18.12.2026", "15:00", "--capacity", "2", "--reason", "вторая группа",
                "-w", published.path)
    assert added.exit_code == 0, added.output
    assert cli("assign", "-w", published.path).exit_code == 0
    assert ("9011", "estet-1218-1500") in seats(published)
    assert seats(published) >= FIRST_SEATS, "every seat that was told is kept"

    before = season_digest(published.path)
    for language, site in (("en", "SITE › nosuch"), ("ru", "ПЛОЩАДКА › nosuch")):
        refused = cli("--lang", language, "slots", "add", "nosuch", "18.12.2026", "17:00", "--capacity", "2",
                      "--reason", "x", "-w", published.path)
        assert refused.exit_code == 65 and site in refused.output, refused.output
    assert season_digest(published.path) == before
