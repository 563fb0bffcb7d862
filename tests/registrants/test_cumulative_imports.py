"""Later exports never erase: a missing column keeps what is stored, an empty cell clears it, and the report says so."""

from __future__ import annotations

import datetime as dt

from openmosprom_cli.registrants.importer import FieldChange, import_registrants
from openmosprom_cli.store.registrants import load_registrant
from tests.registrants.test_registrants import GOOD_ROWS, HEADER, write_csv


def person(season, registrant_id):
    with season.reader() as conn:
        return load_registrant(conn, registrant_id)


def test_a_later_export_with_fewer_columns_keeps_what_it_does_not_mention(published, tmp_path):
    import_registrants(published, write_csv(tmp_path / "full.csv", [HEADER, *GOOD_ROWS]))
    before = person(published, "102")
    assert before.passport == "4510 123456" and before.citizenship == "Россия"

    report = import_registrants(published, write_csv(tmp_path / "short.csv", [
        "ID VK;ФИО;Выбор 1", "102;Петров Олег Иванович;molniya"]))

    after = person(published, "102")
    assert after.full_name == "Петров Олег Иванович" and after.choices == ("molniya",)
    assert (after.passport, after.citizenship, after.phone, after.birth_date, after.score, after.companions) == (
        before.passport, before.citizenship, before.phone, before.birth_date, before.score, before.companions)
    assert after.registered_at == before.registered_at
    assert report.updated == 1
    assert set(report.field_changes) == {FieldChange("full_name", "changed", 1), FieldChange("choices", "changed", 1)}
    # The people this file does not mention stay.
    assert person(published, "101") is not None and report.not_in_file == 2


def test_an_empty_cell_in_a_column_that_is_there_clears_the_value_and_is_counted(published, tmp_path):
    import_registrants(published, write_csv(tmp_path / "full.csv", [HEADER, *GOOD_ROWS]))
    report = import_registrants(published, write_csv(tmp_path / "again.csv", [
        "ID VK;ФИО;Паспорт;Email",
        "102;Петров Олег;;oleg@mail.ru",
        "101;Иванова Анна Сергеевна;;anna@mail.ru"]))
    assert person(published, "102").passport == "" and person(published, "102").email == "oleg@mail.ru"
    assert report.field_changes == (FieldChange("email", "set", 1), FieldChange("passport", "cleared", 1))


def test_the_command_says_which_fields_changed_for_how_many(published, tmp_path, cli):
    cli("registrants", "import", write_csv(tmp_path / "full.csv", [HEADER, *GOOD_ROWS]), "-w", published.path)
    result = cli("registrants", "import", write_csv(tmp_path / "again.csv", [
        "ID VK;ФИО;Паспорт;Баллы", "102;Петров Олег;;45", "101;Иванова Анна Сергеевна;;130",
        "103;Сидоров Пётр;;0"]), "-w", published.path)
    assert result.exit_code == 0, result.output
    assert "2 people: score changed" in result.output
    assert "1 person: passport cleared" in result.output
    # Nothing but what the file gives: the birth date of 102 is kept.
    assert person(published, "102").birth_date == dt.date(2010, 7, 14)


def test_an_export_of_surnames_and_first_names_only_keeps_the_stored_patronymic(published, tmp_path):
    import_registrants(published, write_csv(tmp_path / "full.csv", [HEADER, *GOOD_ROWS]))
    assert person(published, "101").full_name == "Иванова Анна Сергеевна"
    report = import_registrants(published, write_csv(tmp_path / "parts.csv", [
        "ID VK;Фамилия;Имя", "101;Иванова;Анна", "102;Петрова;Ольга"]))
    assert person(published, "101").full_name == "Иванова Анна Сергеевна", "the file says nothing of patronymics"
    assert person(published, "102").full_name == "Петрова Ольга", "a name that really changed is changed"
    assert report.field_changes == (FieldChange("full_name", "changed", 1),)
    # With the «Отчество» column there, an empty cell does clear it.
    import_registrants(published, write_csv(tmp_path / "all.csv", [
        "ID VK;Фамилия;Имя;Отчество", "101;Иванова;Анна;"]))
    assert person(published, "101").full_name == "Иванова Анна"
