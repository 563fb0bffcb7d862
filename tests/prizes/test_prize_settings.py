"""``[prizes]`` and ``[duplicates]`` in season.toml: their defaults in a new season, and bad values named."""

from __future__ import annotations

import pytest

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.settings import load_settings, render_settings


def test_a_new_season_writes_the_defaults(tmp_path):
    path = tmp_path / "season.toml"
    path.write_text(render_settings(2026), encoding="utf-8")
    settings = load_settings(path)
    assert (settings.prizes.exclude_cancelled, settings.prizes.max_per_person) == (False, 1)
    assert settings.prizes.pickup and settings.auto_merge_duplicates is False
    assert "prizes-excluded.csv" in path.read_text(encoding="utf-8"), "the exclusions are named, not listed"


@pytest.mark.parametrize("text,where,message", [
    ('[prizes]\nmax_per_person = 0\n', "[prizes] max_per_person", "must be at least 1"),
    ('[prizes]\nexclude_cancelled = "yes"\n', "[prizes] exclude_cancelled", "is not true or false"),
    ('[prizes]\npickup = 5\n', "[prizes] pickup", "is not text"),
    ('[duplicates]\nauto_merge = 1\n', "[duplicates] auto_merge", "is not true or false"),
])
def test_a_bad_value_is_named_by_its_key(tmp_path, text, where, message):
    path = tmp_path / "season.toml"
    path.write_text("[season]\nyear = 2026\n" + text, encoding="utf-8")
    with pytest.raises(BadDataError) as caught:
        load_settings(path)
    assert str(caught.value.problems[0].location) == f"season.toml › {where}"
    assert message in caught.value.message
