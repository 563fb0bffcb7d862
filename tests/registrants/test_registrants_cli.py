"""The registrants commands through the CLI: import, list, show, their output and exit statuses."""

from __future__ import annotations

import json

import openpyxl

from openmosprom_cli import i18n
from openmosprom_cli.registrants.listing import list_registrants
from tests.registrants.test_registrants import GOOD_ROWS, HEADER, write_csv


def test_import_then_list_and_show(cli, tmp_path, published):
    path = write_csv(tmp_path / "export.csv", [HEADER, *GOOD_ROWS])
    result = cli("registrants", "import", path, "-w", published.path)
    assert result.exit_code == 0, result.output
    assert "Read 3 rows from export.csv: 3 added, 0 updated, 0 unchanged." in result.output

    listed = cli("registrants", "list", "-w", published.path)
    assert listed.exit_code == 0
    assert "Иванова" in listed.output and "20.11.2026 10:15:30" in listed.output
    assert "4510" not in listed.output, "the table never shows passports"
    assert listed.output.index("101") < listed.output.index("102") < listed.output.index("103"), "by score"

    data = json.loads(cli("registrants", "list", "--json", "-w", published.path).output)
    assert [d["id"] for d in data] == ["101", "102", "103"]
    assert data[1]["passport"] == "4510 123456" and data[0]["choices"] == ["estet", "ilyushin-1214-1100"]
    assert data[0]["birth_date"] == "1990-03-05" and data[0]["registered_at"] == "2026-11-20T10:15:30"

    shown = cli("registrants", "show", "102", "-w", published.path)
    assert shown.exit_code == 0 and "Петров Олег" in shown.output and "14.07.2010" in shown.output
    one = json.loads(cli("registrants", "show", "101", "--json", "-w", published.path).output)
    assert one["phone"] == "+79161234567" and one["companions"] == 1


def test_show_unknown_id_exits_66(cli, published):
    result = cli("registrants", "show", "12345", "-w", published.path)
    assert result.exit_code == 66
    assert "no registrant with ID '12345'" in result.output


def test_invalid_rows_exit_65_naming_each_and_change_nothing(cli, tmp_path, published):
    rows = [HEADER, *GOOD_ROWS, GOOD_ROWS[0].replace("101", "104").replace("+7 916 123-45-67", "12-34")]
    result = cli("registrants", "import", write_csv(tmp_path / "export.csv", rows), "-w", published.path)
    assert result.exit_code == 65
    assert "export.csv › row 5 › Телефон: '12-34' is not a Russian phone number" in result.output
    assert "--skip-invalid" in result.output and "Traceback" not in result.output
    assert list_registrants(published) == []


def test_skip_invalid_reports_rejected_rows_and_where_they_are(cli, tmp_path, published):
    rows = [HEADER, *GOOD_ROWS, GOOD_ROWS[0].replace("101", "104").replace(";1;;РФ", ";7;;РФ")]
    result = cli("registrants", "import", write_csv(tmp_path / "export.csv", rows), "--skip-invalid",
                 "-w", published.path)
    assert result.exit_code == 0, result.output
    assert "1 row rejected" in result.output and "rejected-export.xlsx" in result.output
    assert "row 5: Гостей: 7 guests is more than the 2 allowed" in result.output
    assert (published.path / "rejected-export.xlsx").exists()


def test_map_and_encoding_options(cli, tmp_path, published):
    path = write_csv(tmp_path / "excel.csv", ["VK;ФИО;Очки;Выбор 1", "7;Анна Иванова;12;estet"], encoding="cp1251")
    result = cli("registrants", "import", path, "--map", "VK=id", "--map", "Очки=score", "-w", published.path)
    assert result.exit_code == 65 and "--encoding cp1251" in result.output
    result = cli("registrants", "import", path, "--map", "VK=id", "--map", "Очки=score", "--encoding", "cp1251",
                 "-w", published.path)
    assert result.exit_code == 0, result.output
    [person] = list_registrants(published)
    assert (person.id, person.full_name, person.score) == ("7", "Анна Иванова", 12)


def test_malformed_map_is_a_usage_error(cli, tmp_path, published):
    path = write_csv(tmp_path / "e.csv", [HEADER, *GOOD_ROWS])
    result = cli("registrants", "import", path, "--map", "no equals sign", "-w", published.path)
    assert result.exit_code == 2 and "Invalid value for --map" in result.output


def test_reimport_prints_counts(cli, tmp_path, published):
    cli("registrants", "import", write_csv(tmp_path / "e.csv", [HEADER, *GOOD_ROWS[:2]]), "-w", published.path)
    later = [HEADER, GOOD_ROWS[0].replace(";120;", ";130;"), GOOD_ROWS[2]]
    result = cli("registrants", "import", write_csv(tmp_path / "e.csv", later), "-w", published.path)
    assert "1 added, 1 updated, 0 unchanged" in result.output
    assert "1 registered earlier but not in this file: kept" in result.output


def test_missing_file_exits_66(cli, tmp_path, published):
    result = cli("registrants", "import", tmp_path / "nope.csv", "-w", published.path)
    assert result.exit_code == 66


# -- one ID on several rows ---------------------------------------------------------------

def test_rows_repeating_an_id_with_the_same_data_are_merged_and_said_so(cli, tmp_path, published):
    rows = [HEADER, *GOOD_ROWS, GOOD_ROWS[1], GOOD_ROWS[1].replace("Петров Олег", " Петров  Олег ")]
    result = cli("registrants", "import", write_csv(tmp_path / "export.csv", rows), "-w", published.path)
    assert result.exit_code == 0, result.output
    assert "3 added" in result.output
    assert ("export.csv: rows repeating an ID with the same data were merged into one: ID '102' (rows 3, 5, 6)"
            in " ".join(result.output.split()))
    assert [r.id for r in list_registrants(published)] == ["101", "102", "103"]


def test_rows_repeating_an_id_with_other_data_are_refused_naming_the_columns_that_differ(cli, tmp_path, published):
    other = GOOD_ROWS[1].replace("89161234568", "89161234569").replace(";40;", ";41;")
    rows = [HEADER, *GOOD_ROWS, other]
    result = cli("registrants", "import", write_csv(tmp_path / "export.csv", rows), "-w", published.path)
    assert result.exit_code == 65
    shown = " ".join(result.output.split())
    assert "export.csv › row 3 › ID VK: ID '102' also appears on row 5 with different data: Телефон, Баллы" in shown
    assert "export.csv › row 5 › ID VK: ID '102' also appears on row 3 with different data: Телефон, Баллы" in shown
    assert list_registrants(published) == []


def test_a_row_it_could_not_read_is_never_the_same_as_another(cli, tmp_path, published):
    rows = [HEADER, *GOOD_ROWS, GOOD_ROWS[1].replace("14.07.2010", "31.02.2010")]
    result = cli("registrants", "import", write_csv(tmp_path / "export.csv", rows), "--skip-invalid",
                 "-w", published.path)
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert "row 5: Дата рождения: '31.02.2010' is not a real date; ID VK: ID '102' also appears on row 3 with " \
           "different data: Дата рождения" in shown
    assert [r.id for r in list_registrants(published)] == ["101", "103"]


# -- reasons in Russian, whatever the interface's language ---------------------------------------

def test_the_rejected_file_gives_its_reasons_in_russian_in_an_english_interface(cli, tmp_path, published):
    rows = [HEADER, *GOOD_ROWS, GOOD_ROWS[0].replace("101", "104").replace("+7 916 123-45-67", "12-34")
            .replace(";estet;", ";nowhere;")]
    result = cli("registrants", "import", write_csv(tmp_path / "export.csv", rows), "--skip-invalid",
                 "-w", published.path)
    assert result.exit_code == 0, result.output
    assert "row 5: Телефон: '12-34' is not a Russian phone number" in " ".join(result.output.split())
    sheet = openpyxl.load_workbook(published.path / "rejected-export.xlsx").active
    [header, row] = sheet.iter_rows(values_only=True)
    assert header[:2] == ("Строка", "Причины") and row[0] == 5
    assert row[1].splitlines() == [
        "Телефон: '12-34' — не российский номер телефона: после +7 должно быть 10 цифр",
        "Выбор 1: 'nowhere' — не экскурсия и не площадка этого сезона"]


def test_an_unreadable_cell_without_a_header_is_named_by_its_column_in_russian(cli, tmp_path, published):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    for line in GOOD_ROWS:
        sheet.append(line.split(";"))
    sheet["M2"] = "=1/0"  # a formula Excel never calculated: no saved result, beyond the last header
    workbook.save(tmp_path / "export.xlsx")
    result = cli("registrants", "import", tmp_path / "export.xlsx", "--skip-invalid", "-w", published.path)
    assert result.exit_code == 0, result.output
    assert "row 2: column M: formula =1/0 has no saved result" in " ".join(result.output.split())
    rejected = openpyxl.load_workbook(published.path / "rejected-export.xlsx").active
    reasons = [row[1] for row in rejected.iter_rows(min_row=2, values_only=True)]
    assert reasons == ["столбец M: у формулы =1/0 нет сохранённого результата; откройте файл в Excel или "
                       "LibreOffice, дайте ему пересчитать и сохраните заново"]


def test_a_russian_interface_shows_the_problems_in_russian(cli, tmp_path, published):
    rows = [HEADER, *GOOD_ROWS, GOOD_ROWS[0].replace("101", "104").replace("+7 916 123-45-67", "12-34")]
    result = cli("--lang", "ru", "registrants", "import", write_csv(tmp_path / "export.csv", rows),
                 "-w", published.path)
    assert result.exit_code == 65
    assert ("export.csv › строка 5 › Телефон: '12-34' — не российский номер телефона: после +7 должно быть 10 цифр"
            in " ".join(result.output.split()))


def test_a_good_import_makes_no_message_for_its_cells(tmp_path, published, monkeypatch):
    rows = [HEADER, *(GOOD_ROWS[i % 3].replace(f"10{i % 3 + 1};", f"{1000 + i};", 1) for i in range(600))]
    path = write_csv(tmp_path / "export.csv", rows)
    made = []
    original = i18n.Msg.__new__
    monkeypatch.setattr(i18n.Msg, "__new__", lambda cls, *args, **kwargs: made.append(args) or original(cls, *args,
                                                                                                   **kwargs))
    from openmosprom_cli.registrants.importer import import_registrants

    report = import_registrants(published, path)
    assert report.added == 600 and not report.rejected
    assert made == [("the registrant columns",)], "only the file's own words, never one per cell"


# -- an unknown encoding ----------------------------------------------------------------------------

def test_an_unknown_encoding_is_a_usage_error_naming_the_known_ones(cli, tmp_path, published):
    path = write_csv(tmp_path / "export.csv", [HEADER, *GOOD_ROWS])
    result = cli("registrants", "import", path, "--encoding", "win-1251x", "-w", published.path)
    assert result.exit_code == 2
    assert "'win-1251x' is not a known encoding; use one of utf-8, utf-8-sig, utf-16, cp1251, koi8-r" in \
        " ".join(result.output.split())
    assert list_registrants(published) == []


def test_skip_invalid_with_not_one_valid_row_is_an_error_not_an_empty_import(cli, tmp_path, published):
    """The export of another season (its choices name tours this one does not have): every row is rejected, so
    --skip-invalid would import nothing and point on to `assign` as if all went well. It exits 65 instead, naming
    the rows, and writes nothing."""
    rows = [HEADER, *(row.replace(";estet;ilyushin-1214-1100;", ";nowhere;nowhere-1214-1100;")
                      .replace(";ESTET-1211-1000;", ";nowhere-1211-1000;").replace(";molniya;", ";elsewhere;")
                      for row in GOOD_ROWS)]
    result = cli("registrants", "import", write_csv(tmp_path / "export.csv", rows), "--skip-invalid",
                 "-w", published.path)
    assert result.exit_code == 65, result.output
    assert "nothing was imported" in result.output and "is not a tour or site of this season" in result.output
    assert "Is it this season's export?" in result.output and "Next:" not in result.output
    assert list_registrants(published) == [] and not (published.path / "rejected-export.xlsx").exists()
