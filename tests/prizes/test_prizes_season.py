"""Prizes in a season, through the command line: the draw and its record, exclusions, hand-outs, the redraw,
prizes.xlsx, explain and the audit (with a tampered award)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import openpyxl
import pytest

from openmosprom_cli.changes.people import cancel_registrants
from openmosprom_cli.store.prizes import load_awards, load_current_draw, load_draws
from tests.changes.scenario import E1, PEOPLE, Z1
from tests.prizes.fixtures import EXPECTED, write_registrants_csv


def awards(season) -> dict[str, str]:
    with season.reader() as conn:
        draw = load_current_draw(conn)
        assert draw is not None
        return {a.registrant_id: a.item_id for a in load_awards(conn, draw.draw_id)}


def test_the_draw_prints_its_seed_and_fingerprints_and_stores_the_run(cli, prize_season):
    result = cli("prizes", "draw", "--seed", "77", "-w", prize_season.path)
    assert result.exit_code == 0, result.output
    assert "Prize draw 1" in result.output and "seed 77" in result.output
    assert "Inputs fingerprint: " in result.output and "Result fingerprint: " in result.output
    assert awards(prize_season) == EXPECTED
    data = json.loads(cli("prizes", "draw", "--json", "-w", prize_season.path).output)
    assert data["seed"] == "2026" and data["contestants"] == 10 and data["winners"] == 10
    assert [(i["item_id"], i["given"], i["stock"]) for i in data["items"]] == [("speaker", 2, 2), ("termos", 3, 3),
                                                                            ("book", 5, 10)]
    with prize_season.reader() as conn:
        assert [d.seed for d in load_draws(conn)] == ["77", "2026"]
    listed = cli("prizes", "list", "--json", "-w", prize_season.path)
    assert [(line["item"]["item_id"], line["given"]) for line in json.loads(listed.output)] == [
        ("speaker", 2), ("termos", 3), ("book", 5)]


def test_the_draw_needs_a_catalogue(cli, season):
    result = cli("prizes", "draw", "-w", season.path)
    assert result.exit_code == 66 and "no prize catalogue" in result.output


def test_preferences_from_the_export_come_first_and_unknown_names_are_reported(cli, prize_season, tmp_path):
    path = write_registrants_csv(tmp_path / "prizes.csv", [
        ("9001", "Участник 9001", "книга о промышленности москвы"),
        ("9006", "Участник 9006", "Фен; Термос"),
        ("9007", "Участник 9007", "«Термос»"),
    ])
    imported = cli("registrants", "import", path, "-w", prize_season.path)
    assert imported.exit_code == 0, imported.output
    assert "3 people: preferred prizes set" in imported.output
    result = cli("prizes", "draw", "-w", prize_season.path)
    assert result.exit_code == 0, result.output
    assert "«Фен» (1)" in result.output
    got = awards(prize_season)
    # 9001 takes a book; the second speaker goes to 9003 (the top 3); the thermoses: 9004, 9005, then 9006's.
    assert got["9001"] == "book" and got["9002"] == "speaker" and got["9003"] == "speaker"
    assert (got["9004"], got["9005"], got["9006"], got["9007"]) == ("termos", "termos", "termos", "book")


def test_registrants_show_gives_the_prizes_a_person_prefers(cli, prize_season, tmp_path):
    cli("registrants", "import", write_registrants_csv(tmp_path / "p.csv", [("9006", "Участник 9006", "Фен; Термос")]),
        "-w", prize_season.path)
    shown = cli("registrants", "show", "9006", "-w", prize_season.path)
    assert shown.exit_code == 0 and "Prizes preferred" in shown.output and "Фен, Термос" in shown.output
    data = json.loads(cli("registrants", "show", "9006", "--json", "-w", prize_season.path).output)
    assert data["prizes"] == ["Фен", "Термос"] and data["id"] == "9006"
    assert json.loads(cli("registrants", "show", "9001", "--json", "-w", prize_season.path).output)["prizes"] == []


def test_an_export_without_the_prizes_column_keeps_the_preferences_and_an_empty_cell_clears_them(cli, prize_season,
                                                                                                  tmp_path):
    cli("registrants", "import", write_registrants_csv(tmp_path / "a.csv", [("9002", "Участник 9002", "Термос")]),
        "-w", prize_season.path)
    again = write_registrants_csv(tmp_path / "b.csv", [("9002", "Участник 9002")], header=("ID VK", "ФИО"))
    assert "preferred prizes" not in cli("registrants", "import", again, "-w", prize_season.path).output
    cli("prizes", "draw", "-w", prize_season.path)
    assert awards(prize_season)["9002"] == "termos"
    cleared = cli("registrants", "import", write_registrants_csv(tmp_path / "c.csv", [("9002", "Участник 9002", "")]),
                  "-w", prize_season.path)
    assert "1 person: preferred prizes cleared" in cleared.output


def test_the_same_id_twice_with_other_prizes_is_rejected_naming_the_rows(cli, prize_season, tmp_path):
    path = write_registrants_csv(tmp_path / "d.csv", [("9006", "Участник 9006", "Термос"),
                                                      ("9006", "Участник 9006", "Книга о промышленности Москвы")])
    result = cli("registrants", "import", path, "-w", prize_season.path)
    assert result.exit_code == 65
    assert "d.csv › row 2 › ID VK: ID '9006' also appears on row 3 with different data" in result.output


def test_excluded_people_are_left_out_and_ranks_are_counted_after_them(cli, prize_season):
    result = cli("prizes", "exclude", "9002", "9099", "--reason", "сотрудник", "-w", prize_season.path)
    assert result.exit_code == 0, result.output
    path = prize_season.path / "prizes-excluded.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "9002;сотрудник" in path.read_text(encoding="utf-8-sig")
    drawn = cli("prizes", "draw", "-w", prize_season.path)
    assert "1 excluded" in drawn.output and "1 ID(s) of prizes-excluded.csv are not registrants" in drawn.output
    got = awards(prize_season)
    # Without 9002, 9003 is second and gets the second speaker; the thermoses reach down to 9006.
    assert "9002" not in got and got["9003"] == "speaker" and got["9004"] == "termos"
    assert got["9006"] == "termos" and got["9007"] == "book"
    assert cli("audit", "-w", prize_season.path).exit_code == 0
    cli("prizes", "exclude", "9002", "--remove", "-w", prize_season.path)
    assert "9002" not in path.read_text(encoding="utf-8-sig")


def test_a_hand_made_exclusions_file_readable_by_others_is_read_with_a_warning(cli, prize_season):
    path = prize_season.path / "prizes-excluded.csv"
    path.write_text("ID VK\n9001\n", encoding="utf-8")
    os.chmod(path, 0o644)
    result = cli("prizes", "draw", "-w", prize_season.path)
    assert "can be read by others on this machine" in result.output and "chmod 600" in result.output
    assert "9001" not in awards(prize_season)


def test_the_cancelled_keep_their_prize_unless_the_season_says_otherwise(cli, prize_season):
    cancel_registrants(prize_season, ["9001"], reason="заболел")
    cli("prizes", "draw", "-w", prize_season.path)
    assert awards(prize_season)["9001"] == "speaker"
    toml = prize_season.settings_path
    toml.write_text(toml.read_text(encoding="utf-8").replace("exclude_cancelled = false", "exclude_cancelled = true"),
                    encoding="utf-8")
    result = cli("prizes", "draw", "-w", prize_season.path)
    assert "1 cancelled" in result.output
    assert "9001" not in awards(prize_season)
    assert cli("audit", "-w", prize_season.path).exit_code == 0


def test_handed_records_a_hand_out_and_needs_the_item_when_there_are_several(cli, prize_season):
    cli("prizes", "draw", "-w", prize_season.path)
    assert cli("prizes", "handed", "9001", "-w", prize_season.path).exit_code == 0
    listed = cli("prizes", "list", "--json", "-w", prize_season.path)
    assert json.loads(listed.output)[0]["handed"] == 1
    undone = cli("prizes", "handed", "9001", "--undo", "-w", prize_season.path)
    assert "no longer recorded" in undone.output
    nothing = cli("prizes", "handed", "9999", "-w", prize_season.path)
    assert nothing.exit_code == 65 and "is not a registrant" in nothing.output
    wrong = cli("prizes", "handed", "9001", "--item", "book", "-w", prize_season.path)
    assert wrong.exit_code == 65 and "is not a prize 9001 won" in wrong.output


def test_a_prize_handed_over_is_kept_by_the_next_draw(cli, prize_season):
    cli("prizes", "draw", "-w", prize_season.path)
    cli("prizes", "handed", "9003", "-w", prize_season.path)
    cli("prizes", "handed", "9001", "-w", prize_season.path)
    cli("prizes", "exclude", "9001", "-w", prize_season.path)
    result = cli("prizes", "draw", "-w", prize_season.path)
    assert "1 prize(s) were handed over to people no longer in the draw" in result.output
    got = awards(prize_season)
    # 9003 keeps the thermos handed over, though the top 3 now reaches them; 9001's speaker is gone with them,
    # so only one is left: for 9002. 9004, in the top 3, takes a thermos.
    assert got["9003"] == "termos" and got["9002"] == "speaker" and got["9004"] == "termos"
    assert list(got.values()).count("speaker") == 1
    assert cli("audit", "-w", prize_season.path).exit_code == 0


def test_a_redraw_gives_unclaimed_prizes_to_the_next_in_order(cli, prize_season, monkeypatch):
    cli("prizes", "draw", "-w", prize_season.path)
    cli("prizes", "handed", "9002", "-w", prize_season.path)
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2026-12-16")
    future = cli("prizes", "redraw", "--unclaimed", "--after", "20.12.2026", "-w", prize_season.path)
    assert future.exit_code == 65 and "is after today" in future.output
    assert cli("prizes", "redraw", "--after", "15.12.2026", "-w", prize_season.path).exit_code == 2
    result = cli("prizes", "redraw", "--unclaimed", "--after", "15.12.2026", "-w", prize_season.path)
    assert result.exit_code == 0, result.output
    assert "Redraw of unclaimed prizes 2, based on draw 1" in result.output
    got = awards(prize_season)
    # 9001 (E1, 14.12) never collected: their speaker is given again, but nobody else in the top 3 has room.
    # 9005 and 9006 visit Z1 on 17.12, after the date: they keep theirs. 9007, 9009 and 9010 had no seat: their
    # books go to … nobody left who qualifies and has room, so they stay in stock.
    assert "9001" not in got and got["9002"] == "speaker"
    assert got["9005"] == "termos" and got["9006"] == "book"
    assert {"9007", "9009", "9010"}.isdisjoint(got)
    assert cli("audit", "--all", "-w", prize_season.path).exit_code == 0
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2026-12-31")
    cli("prizes", "handed", "9005", "-w", prize_season.path)
    assert cli("prizes", "redraw", "--unclaimed", "--after", "30.12.2026", "-w", prize_season.path).exit_code == 0


def test_a_redraw_takes_the_next_in_order_who_qualifies(cli, season, tmp_path, monkeypatch):
    from tests.prizes.fixtures import drawable

    drawable(season, tmp_path, rows=(("Термос", "termos", 2, None, 50, None),))
    cli("prizes", "draw", "-w", season.path)
    assert awards(season) == {"9001": "termos", "9002": "termos"}
    cli("prizes", "handed", "9002", "-w", season.path)
    monkeypatch.setenv("OPENMOSPROM_TODAY", "2026-12-16")
    result = cli("prizes", "redraw", "--unclaimed", "--after", "15.12.2026", "--json", "-w", season.path)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["kind"], report["based_on"], report["kept"], report["forfeited"]) == ("redraw", 1, 1, 1)
    # 9001 did not collect on their tour (14.12): the thermos goes to 9003, the next with 50 points or more.
    assert awards(season) == {"9002": "termos", "9003": "termos"}
    story = " ".join(cli("explain", "9001", "-w", season.path).output.split())
    assert "Lost a prize that was not collected in time (redraw)" in story
    assert cli("audit", "--all", "-w", season.path).exit_code == 0
    again = cli("prizes", "redraw", "--unclaimed", "--after", "14.12.2026", "-w", season.path)
    assert "Nothing to give again" in again.output


def test_explain_tells_the_rank_the_tier_and_what_was_taken_before(cli, prize_season):
    cli("prizes", "draw", "-w", prize_season.path)
    result = cli("explain", "9003", "-w", prize_season.path)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Rank 3 of 10 (80 points" in text
    assert "Tier: Умная колонка с голосовым помощником" in text
    assert "Умная колонка с голосовым помощником: 2 of 2 taken before their turn, 0 left" in text
    assert "Won «Термос» as the best item they qualified for; where: на экскурсии: Фабрика «Эстет», 15.12.2026" in text
    outsider = cli("prizes", "exclude", "9010", "-w", prize_season.path)
    assert outsider.exit_code == 0
    cli("prizes", "draw", "-w", prize_season.path)
    assert "Not in the draw: listed in prizes-excluded.csv" in cli("explain", "9010", "-w", prize_season.path).output
    data = json.loads(cli("explain", "9003", "--json", "-w", prize_season.path).output)
    assert data["prize"]["rank"] == 3 and data["prize"]["won"][0]["item_id"] == "termos"


def audit_violations(cli, season) -> list[tuple[str, str]]:
    result = cli("audit", "--json", "-w", season.path)
    assert result.exit_code == 1, result.output
    return [(v["check"], v["message"]) for v in json.loads(result.output)["violations"]]


def test_the_audit_catches_a_changed_award(cli, prize_season):
    cli("prizes", "draw", "-w", prize_season.path)
    assert cli("audit", "-w", prize_season.path).exit_code == 0
    with sqlite3.connect(prize_season.path / "season.db") as conn:
        conn.execute("UPDATE prize_awards SET item_id = 'speaker' WHERE registrant_id = '9010'")
    found = audit_violations(cli, prize_season)
    checks = {check for check, _ in found}
    assert {"prize result fingerprint", "prize stock", "prize tiers", "no justified envy of prizes",
            "prizes equal the re-derived ones"} <= checks
    assert ("prize stock", "'Умная колонка с голосовым помощником': 3 given, 2 in stock") in found
    assert any(m.startswith("9010 (rank 10, 10 points) does not qualify") for _, m in found)
    shown = " ".join(cli("audit", "-w", prize_season.path).output.split())
    assert "5 violations" in shown and "3 given, 2 in stock" in shown


def test_the_audit_catches_changed_inputs_and_an_excluded_winner(cli, prize_season):
    cli("prizes", "draw", "-w", prize_season.path)
    with sqlite3.connect(prize_season.path / "season.db") as conn:
        (text,) = conn.execute("SELECT inputs FROM prize_draws").fetchone()
        snapshot = json.loads(text)
        snapshot["excluded"] = [["9001", "excluded"]]
        snapshot["contestants"] = [c for c in snapshot["contestants"] if c["id"] != "9001"]
        conn.execute("UPDATE prize_draws SET inputs = ?", (json.dumps(snapshot, ensure_ascii=False),))
    found = audit_violations(cli, prize_season)
    assert "prize inputs fingerprint" in {check for check, _ in found}
    assert ("prize exclusions", "9001 is excluded but won 'speaker'") in found


def test_prizes_export_lists_winners_where_they_collect_the_packing_list_and_the_pickup(cli, prize_season):
    toml = prize_season.settings_path
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'pickup = "Уточняется: организаторы сообщат дополнительно"', 'pickup = "Москва, ул. Тверская, 1, каб. 5"'),
        encoding="utf-8")
    cli("prizes", "draw", "-w", prize_season.path)
    cli("prizes", "handed", "9007", "-w", prize_season.path)
    result = cli("prizes", "export", "-w", prize_season.path)
    assert result.exit_code == 0, result.output
    path = prize_season.path / "prizes.xlsx"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Призы", "Победители", "Упаковка", "Пункт выдачи"]
    items = [r for r in book["Призы"].iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert items[0][:7] == (1, "Умная колонка с голосовым помощником", "speaker", 2, 2, 0, 0)
    assert items[2][:7] == (3, "Книга о промышленности Москвы", "book", 10, 5, 1, 5)
    winners = list(book["Победители"].iter_rows(values_only=True))[1:]
    by_id = {r[2]: r for r in winners}
    phone = next(p.phone for p in PEOPLE if p.id == "9001")
    assert by_id["9001"][:5] == ("Умная колонка с голосовым помощником", 1, "9001", "Участник 9001", phone)
    assert by_id["9001"][6].startswith("на экскурсии: Фабрика «Эстет», 14.12.2026") and by_id["9001"][7] == E1.tour_id
    assert by_id["9007"][6] == "пункт выдачи: Москва, ул. Тверская, 1, каб. 5" and by_id["9007"][8] == "да"
    packing = [r for r in book["Упаковка"].iter_rows(values_only=True) if r[3]][1:]
    assert ("Фабрика «Эстет»", "14.12.2026 10:00", E1.tour_id, "Умная колонка с голосовым помощником", 2) in packing
    assert ("Технопарк «ЗИЛ»", "17.12.2026 12:00", Z1.tour_id, "Термос", 1) in packing
    assert ("Пункт выдачи", "Москва, ул. Тверская, 1, каб. 5", None, "Книга о промышленности Москвы", 3) in packing
    pickup = [r for r in book["Пункт выдачи"].iter_rows(values_only=True) if r[0] and str(r[0]).isdigit()]
    assert sorted(r[0] for r in pickup) == ["9007", "9009", "9010"]


def test_a_second_draw_after_publication_asks_before_taking_prizes(cli, prize_season):
    cli("prizes", "draw", "-w", prize_season.path)
    assert cli("publish", "-w", prize_season.path).exit_code == 0
    cli("prizes", "exclude", "9001", "-w", prize_season.path)
    refused = cli("prizes", "draw", "-w", prize_season.path)
    assert refused.exit_code == 1 and "9001: loses speaker" in refused.output
    assert awards(prize_season)["9001"] == "speaker"
    assert cli("prizes", "draw", "--yes", "-w", prize_season.path).exit_code == 0
    assert "9001" not in awards(prize_season)


@pytest.mark.parametrize("exclude_cancelled", [False, True])
def test_the_audit_lists_winners_left_out_since_the_draw(cli, prize_season, exclude_cancelled):
    if exclude_cancelled:
        toml = prize_season.settings_path
        toml.write_text(toml.read_text(encoding="utf-8").replace("exclude_cancelled = false",
                                                                  "exclude_cancelled = true"), encoding="utf-8")
    assert cli("prizes", "draw", "-w", prize_season.path).exit_code == 0
    cli("prizes", "exclude", "9002", "-w", prize_season.path)
    cancel_registrants(prize_season, ["9003"], reason="не придёт")
    result = cli("audit", "-w", prize_season.path)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "needs your attention: 9002 won a prize but is in prizes-excluded.csv since the draw" in text
    assert ("9003 won a prize but cancelled since the draw" in text) == exclude_cancelled
