"""The registrants commands through the CLI: import, list, show, their output and exit statuses."""

from __future__ import annotations

import json

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
