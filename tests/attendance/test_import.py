"""``attendance import`` and ``attendance list``: returned rosters matched whatever their order, every problem at its
cell, re-imports replacing a tour's marks, and cancelled people never no-shows."""

from __future__ import annotations

import json

import openpyxl
import pytest

from openmosprom_cli.attendance.importer import import_attendance, list_attendance
from openmosprom_cli.changes.people import cancel_registrants
from openmosprom_cli.errors import BadDataError
from openmosprom_cli.rosters.export import export_rosters
from openmosprom_cli.store.attendance import load_marks
from tests.attendance.returned import return_roster, write_csv
from tests.changes.scenario import E1, E2, K1, Z1, allocate_and_publish
from tests.season_digest import season_digest


@pytest.fixture
def exported(season):
    """The scenario's season, published, its rosters exported: E1 9001 9002 9004; E2 9003 (+1); K1 9008; Z1 9005,
    9006 (+2)."""
    allocate_and_publish(season)
    export_rosters(season)
    return season


def roster(season, site: str):
    return season.path / "rosters" / f"{site}.xlsx"


def name(rid: str) -> str:
    return f"Участник {rid}"


def statuses(season) -> dict[tuple[str, str], str]:
    return {(s.registrant_id, s.tour_id): s.status for s in list_attendance(season).seats}


def test_a_returned_roster_with_shuffled_rows_and_sheets_is_matched_by_its_codes(exported, tmp_path):
    marks = {name("9001"): "+", name("9002"): "нет", name("9004"): "✓", name("9003"): "х"}
    returned = return_roster(roster(exported, "estet"), tmp_path / "back" / "estet.xlsx", marks,
                             guests={name("9003"): 1}, seed=7)
    # The factory sorted its rows: the order differs from the roster sent.
    book = openpyxl.load_workbook(returned)
    assert book.sheetnames[0] == "Резерв"
    report = import_attendance(exported, [returned])
    assert sorted(t.tour_id for t in report.tours) == sorted([E1.tour_id, E2.tour_id])
    assert statuses(exported) == {
        ("9001", E1.tour_id): "present", ("9002", E1.tour_id): "absent", ("9004", E1.tour_id): "present",
        ("9003", E2.tour_id): "present", ("9008", K1.tour_id): "unknown", ("9005", Z1.tour_id): "unknown",
        ("9006", Z1.tour_id): "unknown"}
    guests = {(m.registrant_id, m.guests) for m in _marks(exported)}
    assert ("9003", 1) in guests
    assert report.rows == 4 and report.replaced == ()


def _marks(season):
    with season.reader() as conn:
        return load_marks(conn)


def test_every_row_of_every_sheet_in_any_order_gives_the_same_marks(exported, tmp_path):
    marks = {name("9001"): "да", name("9002"): "-", name("9004"): None, name("9003"): "1"}
    first = return_roster(roster(exported, "estet"), tmp_path / "a" / "estet.xlsx", marks, seed=1,
                          reverse_sheets=False)
    second = return_roster(roster(exported, "estet"), tmp_path / "b" / "estet.xlsx", marks, seed=99)
    import_attendance(exported, [first])
    one = statuses(exported)
    import_attendance(exported, [second])
    assert statuses(exported) == one


def test_a_re_import_replaces_that_tours_marks_and_no_other(exported, tmp_path):
    import_attendance(exported, [return_roster(roster(exported, "estet"), tmp_path / "1" / "estet.xlsx",
                                               {name("9001"): "+", name("9002"): "+", name("9003"): "-"})])
    import_attendance(exported, [return_roster(roster(exported, "zil"), tmp_path / "1" / "zil.xlsx",
                                               {name("9005"): "+"})])
    corrected = write_csv(tmp_path / "fix.csv", ["ID VK;ID экскурсии;Отметка", f"9001;{E1.tour_id};нет"])
    report = import_attendance(exported, [corrected])
    assert report.replaced == (E1.tour_id,)
    now = statuses(exported)
    assert now[("9001", E1.tour_id)] == "absent"
    assert now[("9002", E1.tour_id)] == "unknown", "E1's earlier marks are gone with the re-import"
    assert now[("9003", E2.tour_id)] == "absent" and now[("9005", Z1.tour_id)] == "present", "other tours kept"


def test_unmarked_absent_reads_a_tour_with_any_mark_as_complete(exported, tmp_path):
    back = return_roster(roster(exported, "estet"), tmp_path / "estet.xlsx", {name("9001"): "+"})
    report = import_attendance(exported, [back], unmarked_absent=True)
    now = statuses(exported)
    assert now[("9001", E1.tour_id)] == "present"
    assert now[("9002", E1.tour_id)] == now[("9004", E1.tour_id)] == "absent"
    assert now[("9003", E2.tour_id)] == "unknown", "E2 has no mark at all: not returned complete"
    assert report.inferred_absent == 2
    assert {s.registrant_id for s in list_attendance(exported).seats if s.inferred} == {"9002", "9004"}


def test_without_the_flag_an_unmarked_row_is_unknown_not_absent(exported, tmp_path):
    import_attendance(exported, [return_roster(roster(exported, "estet"), tmp_path / "e.xlsx", {name("9001"): "+"})])
    assert statuses(exported)[("9002", E1.tour_id)] == "unknown"


def test_cancelled_people_and_cancelled_tours_are_never_no_shows(exported, tmp_path):
    from openmosprom_cli.changes.tours import cancel_season_tour

    cancel_registrants(exported, ["9002"], reason="заболел")
    cancel_season_tour(exported, K1.tour_id, reason="карантин на заводе")
    back = return_roster(roster(exported, "estet"), tmp_path / "estet.xlsx",
                         {name("9001"): "+", name("9002"): "нет", name("9004"): "нет"})
    k1 = return_roster(roster(exported, "kristall"), tmp_path / "kristall.xlsx", {name("9008"): "нет"})
    import_attendance(exported, [back, k1], unmarked_absent=True)
    listing = list_attendance(exported)
    by_pair = {(s.registrant_id, s.tour_id): s for s in listing.seats}
    assert by_pair[("9002", E1.tour_id)].status == "excused" and not by_pair[("9002", E1.tour_id)].listed
    assert by_pair[("9008", K1.tour_id)].status == "excused"
    assert by_pair[("9004", E1.tour_id)].status == "absent"
    assert listing.totals.no_shows == 1
    k1_line = next(t for t in listing.tours if t.tour_id == K1.tour_id)
    assert k1_line.cancelled and k1_line.counts.no_shows == 0


def test_a_csv_of_vk_ids_needs_no_tour_for_someone_with_one_seat(exported, tmp_path):
    path = write_csv(tmp_path / "checkin.csv", ["ID VK,Отметка,Пришло гостей", "9005,присутствовал,0",
                                                "https://vk.com/id9006,не пришёл,", "9008,✓,"])
    import_attendance(exported, [path])
    now = statuses(exported)
    assert (now[("9005", Z1.tour_id)], now[("9006", Z1.tour_id)], now[("9008", K1.tour_id)]) == \
        ("present", "absent", "present")


def test_every_problem_is_named_at_its_cell_and_nothing_changes(exported, tmp_path):
    back = return_roster(roster(exported, "estet"), tmp_path / "estet.xlsx",
                         {name("9001"): "может быть", name("9002"): "+"}, guests={name("9002"): "двое"})
    book = openpyxl.load_workbook(back)
    sheet = book["14.12 10.00"]
    code_column = next(c.column for c in sheet[13] if c.value == "Код")
    sheet.cell(14, code_column, "ZZZZZZ")       # a code nobody has
    book.save(back)
    checkin = write_csv(tmp_path / "list.csv", ["ID VK;Отметка", "9009;+", "12345;+", "9001;?"])
    before = season_digest(exported.path)
    with pytest.raises(BadDataError) as caught:
        import_attendance(exported, [back, checkin])
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith("estet.xlsx › 14.12 10.00 › row") and "Отметка о посещении: 'может быть' is not a "
               "check-in mark" in p for p in problems), problems
    assert any("› Пришло гостей: 'двое' is not a whole number" in p for p in problems), problems
    assert any("estet.xlsx › 14.12 10.00 › row 14 › Код: ZZZZZZ is not the code of anyone" in p for p in problems)
    assert "list.csv › row 2 › ID VK: holds no seat; say which tour in an «ID экскурсии» column" in problems
    assert "list.csv › row 3 › ID VK: '12345' is not a registrant of this season" in problems
    assert season_digest(exported.path) == before


def test_a_row_marked_twice_differently_is_refused(exported, tmp_path):
    path = write_csv(tmp_path / "twice.csv", ["ID VK;Отметка", "9005;+", "9005;-"])
    with pytest.raises(BadDataError, match="the same person and tour as twice.csv › row 2, marked differently"):
        import_attendance(exported, [path])


def test_a_prize_handed_column_is_read_and_kept_for_the_prizes(exported, tmp_path):
    back = return_roster(roster(exported, "estet"), tmp_path / "estet.xlsx", {name("9001"): "+", name("9002"): "+"},
                         prizes={name("9001"): "да", name("9002"): "нет"})
    report = import_attendance(exported, [back])
    assert report.prizes_marked == 2
    assert {m.registrant_id: m.prize_handed for m in _marks(exported)} == {"9001": True, "9002": False}
    assert {s.registrant_id: s.prize_handed for s in list_attendance(exported).seats
            if s.tour_id == E1.tour_id} == {"9001": True, "9002": False, "9004": None}


def test_a_workbook_that_says_nothing_of_who_came_is_refused(exported, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Площадка", "Комментарий"])
    book.active.append(["Эстет", "всё прошло хорошо"])
    book.save(tmp_path / "note.xlsx")
    with pytest.raises(BadDataError, match="note.xlsx: no sheet has a «Код» or «ID VK» column"):
        import_attendance(exported, [tmp_path / "note.xlsx"])


def test_the_commands(exported, tmp_path, cli):
    back = return_roster(roster(exported, "estet"), tmp_path / "estet.xlsx", {name("9001"): "+", name("9002"): "-"})
    result = cli("attendance", "import", back, "-w", exported.path)
    assert result.exit_code == 0, result.output
    assert "Read 4 rows from 1 file: the marks of 2 tours stored." in result.output
    listed = json.loads(cli("attendance", "list", "--json", "-w", exported.path).output)
    e1 = next(t for t in listed["tours"] if t["tour_id"] == E1.tour_id)
    assert (e1["counts"]["present"], e1["counts"]["no_shows"], e1["counts"]["unknown"], e1["returned"]) == \
        (1, 1, 1, True)
    assert listed["totals"]["seats_held"] == 7
    bad = write_csv(tmp_path / "bad.csv", ["ID VK;Отметка", "9005;возможно"])
    failed = cli("attendance", "import", bad, "-w", exported.path)
    assert failed.exit_code == 65 and "bad.csv › row 2 › Отметка: 'возможно' is not a check-in mark" in failed.output
    people = cli("attendance", "list", "--people", "-w", exported.path)
    assert people.exit_code == 0 and "9002" in people.output and "Участник" not in people.output
    # In 80 columns, in Russian: the counts stay, the note of a roster not returned goes under its tour's ID.
    narrow = cli("--lang", "ru", "attendance", "list", "-w", exported.path, env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    table = [line for line in narrow.output.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and all(len(line) <= 80 for line in table), narrow.output
    assert "пришли" in narrow.output and "неявки" in narrow.output and "не вернули" in narrow.output


def test_a_sheet_of_marks_whose_code_column_was_deleted_is_refused_not_skipped(exported, tmp_path):
    back = return_roster(roster(exported, "estet"), tmp_path / "estet.xlsx", {name("9001"): "+"})
    book = openpyxl.load_workbook(back)
    sheet = book["14.12 10.00"]
    sheet.delete_cols(next(c.column for c in sheet[13] if c.value == "Код"))
    book.save(back)
    with pytest.raises(BadDataError, match="estet.xlsx › 14.12 10.00 › row 13: has neither a «Код» nor an «ID VK»"):
        import_attendance(exported, [back])
