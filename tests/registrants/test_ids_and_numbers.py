"""One VK account is one person, whatever the spelling of its ID; numbers past any sense are refused at their cell."""

from __future__ import annotations

import pytest

from openmosprom_cli.registrants.cells import parse_registrant_id
from openmosprom_cli.store.registrants import load_registrants
from tests.registrants.test_registrants import DEFAULTS, TEMPLATE_HEADER, TEMPLATE_ROW, write_csv
from tests.schedules.test_schedules import SITE, factory_book
from tests.season_digest import season_digest


def row(**values) -> str:
    return TEMPLATE_ROW.format(**{**DEFAULTS, **values})


@pytest.mark.parametrize("spelling", ["9000001", "09000001", "９０００００１", "id9000001", "ID9000001",
                                      "https://vk.com/id9000001", "vk.com/id9000001/", "http://m.vk.com/id9000001",
                                      9000001, 9000001.0])
def test_every_spelling_of_an_id_is_the_same_number(spelling):
    assert parse_registrant_id(spelling) == "9000001"


@pytest.mark.parametrize("spelling", ["vk.com/durov", "durov", "id", "0", "-5", "1" * 20, "9000001a"])
def test_what_is_not_a_number_is_refused_with_the_forms_that_are(spelling):
    with pytest.raises(ValueError, match="is not a VK ID"):
        parse_registrant_id(spelling)


def test_spellings_of_one_id_in_one_export_are_one_person(published, cli, tmp_path):
    path = write_csv(tmp_path / "ids.csv", [TEMPLATE_HEADER, row(id="09000001"), row(id="https://vk.com/id9000001")])
    result = cli("registrants", "import", path, "-w", published.path)
    assert result.exit_code == 0, result.output
    with published.reader() as conn:
        assert [p.id for p in load_registrants(conn)] == ["9000001"]
    # and on the command line
    shown = cli("registrants", "show", "id9000001", "-w", published.path)
    assert shown.exit_code == 0 and "9000001" in shown.output


def test_a_short_name_is_refused_at_its_cell(published, cli, tmp_path):
    path = write_csv(tmp_path / "ids.csv", [TEMPLATE_HEADER, row(id="vk.com/durov")])
    result = cli("registrants", "import", path, "-w", published.path)
    assert result.exit_code == 65
    assert "ids.csv › row 2 › ID VK: 'vk.com/durov' is not a VK ID" in result.output


@pytest.mark.parametrize("column,value", [("score", "9" * 400), ("score", "1" * 20), ("companions", "9" * 5000),
                                          ("companions", "99999999999999999999")])
def test_numbers_past_any_sense_are_refused_at_their_cell_and_change_nothing(published, cli, tmp_path, column, value):
    path = write_csv(tmp_path / "n.csv", [TEMPLATE_HEADER, row(**{column: value})])
    before = season_digest(published.path)
    result = cli("registrants", "import", path, "-w", published.path)
    assert result.exit_code == 65, result.output
    header = {"score": "Баллы", "companions": "Гостей"}[column]
    assert f"n.csv › row 2 › {header}:" in result.output and "Traceback" not in result.output
    assert season_digest(published.path) == before


@pytest.mark.parametrize("field,value", [("Минимальный возраст", "9" * 5000), ("Максимум экскурсий в день", 10**20),
                                         ("Срок подачи списков, дней", 1_000_000)])
def test_huge_site_numbers_are_refused_with_their_cell(season, cli, tmp_path, field, value):
    path = factory_book(tmp_path / "a.xlsx", site={**SITE, field: value})
    result = cli("schedules", "import", path, "-w", season.path)
    assert result.exit_code == 65, result.output
    assert "a.xlsx › Площадка › row" in result.output and field in result.output


def test_a_huge_group_size_is_refused_with_its_cell(season, cli, tmp_path):
    path = factory_book(tmp_path / "a.xlsx", rows=[("11.12.2026", "10:00", "1" * 30)])
    result = cli("schedules", "import", path, "-w", season.path)
    assert result.exit_code == 65
    assert "Размер группы" in result.output and "Traceback" not in result.output
