"""The prize catalogue: its blank template, its import, and each bad input with its message and place."""

from __future__ import annotations

import openpyxl
import pytest

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.prizes.catalogue import EXAMPLE_ITEMS, import_catalogue, read_catalogue
from openmosprom_cli.settings import Settings
from openmosprom_cli.store.prizes import load_items
from tests.prizes.fixtures import HEADER, ROWS, write_catalogue

SETTINGS = Settings.defaults(2026)


def test_the_template_lists_the_announced_prizes_with_the_columns_the_import_reads(cli, tmp_path):
    result = cli("prizes", "template", tmp_path / "blank.xlsx")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "blank.xlsx")
    assert book.sheetnames == ["Инструкция", "Призы"]
    rows = list(book["Призы"].iter_rows(values_only=True))
    assert rows[0] == (*HEADER, "Примечание")
    assert [r[0] for r in rows[1:] if r[0]] == list(EXAMPLE_ITEMS)
    assert "первая строка — лучший приз" in " ".join(str(r[0]) for r in book["Инструкция"].iter_rows(values_only=True))
    # Left as it is, it cannot be imported: the stock and who qualifies are for the organizers to say.
    refused = cli("prizes", "import", tmp_path / "blank.xlsx", "-w", init(cli, tmp_path))
    assert refused.exit_code == 65
    assert "blank.xlsx › Призы › row 2 › Количество: is empty" in refused.output


def init(cli, tmp_path):
    folder = tmp_path / "season"
    assert cli("init", folder, "--year", "2026").exit_code == 0
    return folder


def test_rows_are_ranked_in_file_order_with_their_limits(tmp_path):
    items, warnings = read_catalogue(write_catalogue(tmp_path / "c.xlsx", title="Призы сезона 2026"), SETTINGS)
    assert warnings == ()
    assert [(i.rank, i.item_id, i.name, i.stock, i.top_n, i.min_score, i.min_age) for i in items] == [
        (1, "speaker", "Умная колонка с голосовым помощником", 2, 3, None, 0),
        (2, "termos", "Термос", 3, None, 50.0, 0),
        (3, "book", "Книга о промышленности Москвы", 10, None, 1.0, 14)]


def test_without_a_code_column_the_name_is_the_item_and_a_csv_works_too(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Приз;Количество;Первые N мест;Баллов не меньше\nТермос;5;;100\nШоппер;10;50;\n",
                    encoding="utf-8")
    items, _ = read_catalogue(path, SETTINGS)
    assert [(i.item_id, i.stock, i.top_n, i.min_score) for i in items] == [("Термос", 5, None, 100.0),
                                                                        ("Шоппер", 10, 50, None)]


def row(**changes):
    values = dict(zip(HEADER, ROWS[0], strict=True))
    values.update({k.replace("_", " "): v for k, v in changes.items()})
    return tuple(values[h] for h in HEADER)


BAD = [
    ("empty stock", [row(Количество=None)], "row 2 › Количество", "is empty"),
    ("negative stock", [row(Количество=-3)], "row 2 › Количество", "is less than 0"),
    ("stock in words", [row(Количество="много")], "row 2 › Количество", "'много' is not a whole number"),
    ("fractional stock", [row(Количество=2.5)], "row 2 › Количество", "2.5 is not a whole number"),
    ("nobody qualifies", [row(Первые_N_мест=None)], "row 2 › Первые N мест",
     "say who qualifies: fill «Первые N мест», «Баллов не меньше», or both"),
    ("top 0", [row(Первые_N_мест=0)], "row 2 › Первые N мест", "0 is not a positive whole number"),
    ("threshold in words", [row(Баллов_не_меньше="пятьсот")], "row 2 › Баллов не меньше",
     "'пятьсот' is not a number"),
    ("negative threshold", [row(Баллов_не_меньше=-1)], "row 2 › Баллов не меньше", "-1 is less than 0"),
    ("age past sense", [row(Минимальный_возраст=150)], "row 2 › Минимальный возраст", "150 is not a sensible age"),
    ("same name twice", [ROWS[0], row(Код="speaker2")], "row 3 › Приз",
     "'Умная колонка с голосовым помощником' is already the name or code of the prize on row 2"),
    ("same name in other case", [ROWS[1], ("ТЕРМОС ", "t2", 1, 1, None, None)], "row 3 › Приз",
     "is already the name or code of the prize on row 2"),
    ("same code twice", [ROWS[0], ("Термос", "SPEAKER", 1, 1, None, None)], "row 3 › Код",
     "'speaker' is already the name or code of the prize on row 2"),
    ("a code that is not one", [row(Код="колонка!")], "row 2 › Код", "'колонка!' is not a code"),
    ("no name", [(None, "x", 1, 1, None, None)], "row 2 › Приз", "is empty"),
    ("a direction override in the name", [("Термос\u202e", "x", 1, 1, None, None)], "row 2 › Приз",
     "contains the forbidden character U+202E"),
]


@pytest.mark.parametrize("case,rows,where,message", BAD, ids=[b[0] for b in BAD])
def test_each_bad_row_is_named_by_file_sheet_row_and_column(tmp_path, case, rows, where, message):
    with pytest.raises(BadDataError) as caught:
        read_catalogue(write_catalogue(tmp_path / "catalogue.xlsx", rows), SETTINGS)
    shown = [str(p) for p in caught.value.problems]
    assert any(s.startswith(f"catalogue.xlsx › Призы › {where}: ") and message in s for s in shown), shown


def test_every_problem_of_the_file_is_reported_at_once(tmp_path):
    rows = [row(Количество=None), row(Код="b", Первые_N_мест=0), ("Термос", "t", "x", None, None, None)]
    with pytest.raises(BadDataError) as caught:
        read_catalogue(write_catalogue(tmp_path / "catalogue.xlsx", rows), SETTINGS)
    assert [str(p.location) for p in caught.value.problems] == [
        "catalogue.xlsx › Призы › row 2 › Количество", "catalogue.xlsx › Призы › row 3 › Первые N мест",
        "catalogue.xlsx › Призы › row 4 › Количество", "catalogue.xlsx › Призы › row 4 › Первые N мест"]
    assert caught.value.message == "catalogue.xlsx: 4 problems found; nothing was imported"


@pytest.mark.parametrize("header,where,message", [
    (("Приз", "Код", "Первые N мест"), "catalogue.xlsx › Призы › row 1", "the required column 'Количество' is missing"),
    (("Приз", "Количесво", "Первые N мест"), "catalogue.xlsx › Призы › row 1 › Количесво",
     "did you mean «Количество»?"),
])
def test_a_bad_header_is_named_once(tmp_path, header, where, message):
    with pytest.raises(BadDataError) as caught:
        read_catalogue(write_catalogue(tmp_path / "catalogue.xlsx", [("Термос", 1, 5)], header=header), SETTINGS)
    assert any(str(p).startswith(where) and message in str(p) for p in caught.value.problems), caught.value.problems


def test_an_empty_catalogue_is_refused(tmp_path):
    with pytest.raises(BadDataError, match="the catalogue lists no prizes"):
        read_catalogue(write_catalogue(tmp_path / "catalogue.xlsx", []), SETTINGS)


def test_a_bad_catalogue_changes_nothing_and_exits_65(cli, season, tmp_path):
    assert cli("prizes", "import", write_catalogue(tmp_path / "good.xlsx"), "-w", season.path).exit_code == 0
    result = cli("prizes", "import", write_catalogue(tmp_path / "bad.xlsx", [row(Количество=-1)]), "-w", season.path)
    assert result.exit_code == 65
    assert "bad.xlsx › Призы › row 2 › Количество: -1 is less than 0; nothing was imported" in result.output
    with season.reader() as conn:
        assert [i.item_id for i in load_items(conn)] == ["speaker", "termos", "book"]


def test_a_reimport_says_what_changed_and_that_the_draw_used_the_old_catalogue(cli, prize_season, tmp_path):
    assert cli("prizes", "draw", "-w", prize_season.path).exit_code == 0
    rows = [ROWS[0], ("Термос", "termos", 5, None, 50, None), ("Сумка-шоппер", "bag", 20, None, 10, None)]
    report = import_catalogue(prize_season, write_catalogue(tmp_path / "v2.xlsx", rows))
    assert (report.added, report.removed, report.changed) == (("Сумка-шоппер",), ("Книга о промышленности Москвы",),
                                                              ("Термос",))
    assert any("the current draw (1) was made with the catalogue as it was" in w for w in report.warnings)
    listed = cli("prizes", "list", "-w", prize_season.path)
    assert listed.exit_code == 0 and "Сумка-шоппер" in listed.output
