"""What a command says when it is given something it does not know."""

from __future__ import annotations


def test_explain_of_an_id_never_imported_says_it_is_not_a_registrant_of_this_season(cli, allocated):
    result = cli("explain", "999", "-w", allocated.path)
    assert result.exit_code == 66
    assert "'999' is not a registrant of this season" in result.output
    assert "allocation run" not in result.output
    assert "registrants list" in result.output        # the hint: where to check the ID


def test_an_unknown_encoding_of_the_registrants_export_is_a_usage_error_naming_the_known_ones(cli, season, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("ID VK;ФИО\n1;Иван Иванов\n", encoding="utf-8")
    result = cli("registrants", "import", export, "--encoding", "win-1251x", "-w", season.path)
    assert result.exit_code == 2
    assert "cp1251" in result.output
