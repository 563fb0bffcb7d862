import pytest

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.season.folder import open_season


def _edit(season, old, new):
    text = season.settings_path.read_text(encoding="utf-8")
    assert old in text
    season.settings_path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("old,new,fragment", [
    ('security = "none"', 'security = "tls"', "[smtp] security"),
    ("tours = 36", 'tours = "many"', "[slots] tours"),
    ("end = 2026-12-22", "end = 2026-12-01", "[window] end"),
])
def test_bad_settings_name_their_key(season, old, new, fragment):
    _edit(season, old, new)
    with pytest.raises(BadDataError) as info:
        open_season(season.path)
    assert "season.toml" in str(info.value) and fragment in str(info.value)


def test_settings_errors_reach_the_cli_as_exit_65(season, cli):
    _edit(season, "tours = 36", "tours = 0")
    result = cli("slots", "list", "-w", season.path)
    assert result.exit_code == 65
    assert "[slots] tours" in result.output


@pytest.mark.parametrize("old,new,fragment", [
    ("timeout_s = 30", "timeout_s = nan", "[smtp] timeout_s"),
    ("timeout_s = 30", "timeout_s = inf", "[smtp] timeout_s"),
    ("lock_timeout_s = 10", "lock_timeout_s = -inf", "[limits] lock_timeout_s"),
    ("year = 2026", "year = 99999", "[season] year"),
])
def test_numbers_that_are_not_sensible_settings_are_bad_data(season, cli, old, new, fragment):
    _edit(season, old, new)
    result = cli("slots", "list", "-w", season.path)
    assert result.exit_code == 65, result.output
    assert fragment in result.output


def test_season_toml_comments_follow_the_interface_and_its_settings_do_not(tmp_path):
    from openmosprom_cli.i18n import set_language
    from openmosprom_cli.settings import load_settings, render_settings

    english = render_settings(2026)
    set_language("ru")
    russian = render_settings(2026)
    assert "# Настройки одного сезона «Открой#Моспром»" in russian and "# Settings" not in russian
    assert "# Settings of one «Открой#Моспром» season" in english

    def settings_lines(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    assert settings_lines(russian) == settings_lines(english)
    (tmp_path / "en.toml").write_text(english, encoding="utf-8")
    (tmp_path / "ru.toml").write_text(russian, encoding="utf-8")
    assert load_settings(tmp_path / "ru.toml") == load_settings(tmp_path / "en.toml")
