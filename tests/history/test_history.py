"""``history import``: an earlier season's facts per VK ID, read without touching it; sealed, aged out, and an edited
history refused or reported."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from openmosprom_cli.errors import BadDataError, MissingInputError
from openmosprom_cli.history.seasons import import_history, read_history
from openmosprom_cli.privacy import purge_personal_data
from openmosprom_cli.season.folder import open_season
from tests.history.seasons import DECEMBER_FACTS, december, next_season, with_window
from tests.paths import TESTS


def folder_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the folder with its bytes and modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def facts(season, key: str) -> dict[str, tuple[int, int, int, int]]:
    with season.reader() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(
            "SELECT registrant_id, placed, attended, missed, cancelled_in_time FROM history_facts "
            "WHERE season_key = ?", (key,))}


@pytest.fixture
def earlier(tmp_path):
    return december(tmp_path / "december")


def test_the_facts_of_each_vk_id_and_nothing_else(earlier, tmp_path):
    later = next_season(tmp_path / "next")
    [imported] = import_history(later, [earlier.path])
    assert imported.season_key == "2026-12-11/2026-12-22"
    assert (imported.people, imported.placed, imported.attended, imported.missed) == (10, 8, 4, 2)
    assert imported.attendance and not imported.replaced
    assert facts(later, imported.season_key) == DECEMBER_FACTS
    # No name, phone or email of the other season reached this one's history.
    with later.reader() as conn:
        stored = [tuple(r) for table in ("history_facts", "history_seasons")
                  for r in conn.execute(f"SELECT * FROM {table}")]
    text = json.dumps(stored, ensure_ascii=False)
    assert "Участник" not in text and "+7916" not in text and "mail.test" not in text


def test_the_earlier_season_is_left_exactly_as_it_was(earlier, tmp_path):
    before = folder_state(earlier.path)
    import_history(next_season(tmp_path / "next"), [earlier.path])
    assert folder_state(earlier.path) == before, "no file changed, none added (no -wal, -shm or lock)"


def test_a_season_whose_log_still_holds_changes_is_read_from_a_copy(earlier, tmp_path):
    writer = sqlite3.connect(earlier.db_path)
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("INSERT INTO attendance_marks (tour_id, registrant_id, mark) VALUES ('kristall-1216-1100', "
                       "'9008', 'present')")
        writer.commit()
        assert Path(f"{earlier.db_path}-wal").stat().st_size > 0
        before = folder_state(earlier.path)
        later = next_season(tmp_path / "next")
        [imported] = import_history(later, [earlier.path])
        assert folder_state(earlier.path) == before
    finally:
        writer.close()
    assert facts(later, imported.season_key)["9008"] == (1, 1, 0, 0), "the committed change in the log is read"


def test_a_season_made_by_release_0_1_0_is_read_without_being_upgraded(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(TESTS / "data" / "seasons" / "release-0.1.0", old)
    before = folder_state(old)
    [imported] = import_history(next_season(tmp_path / "next"), [old])
    assert imported.people > 0 and not imported.attendance
    assert folder_state(old) == before


def test_importing_a_season_again_replaces_it(earlier, tmp_path):
    later = next_season(tmp_path / "next")
    import_history(later, [earlier.path])
    [again] = import_history(later, [earlier.path])
    assert again.replaced
    assert len(read_history(later).seasons) == 1


def test_only_an_earlier_season_folder_is_history(earlier, tmp_path):
    later = next_season(tmp_path / "next")
    with pytest.raises(BadDataError, match="is this season itself"):
        import_history(later, [later.path])
    with pytest.raises(BadDataError, match="not before this season's"):
        import_history(earlier, [later.path])
    with pytest.raises(MissingInputError, match="no season in"):
        import_history(later, [tmp_path])
    with pytest.raises(BadDataError, match="the same season is named twice"):
        import_history(later, [earlier.path, earlier.path])


# -- a history edited after its import ---------------------------------------------------------------------

def test_an_edited_history_is_reported_and_refused_by_the_policy(earlier, tmp_path, cli):
    later = next_season(tmp_path / "next", priority="enabled = true\nno_show_points = 100")
    import_history(later, [earlier.path])
    assert cli("history", "list", "-w", later.path).exit_code == 0
    with sqlite3.connect(later.db_path) as conn:    # someone forgives 9002's no-show by hand
        conn.execute("UPDATE history_facts SET missed = 0 WHERE registrant_id = '9002'")
    listed = cli("history", "list", "-w", later.path)
    assert listed.exit_code == 1
    assert "tampered: the facts of season 2026-12-11/2026-12-22 no longer match their digest" in listed.output
    assigned = cli("assign", "-w", later.path)
    assert assigned.exit_code == 65
    assert "the history of earlier seasons was changed after it was imported" in assigned.output
    # Importing the season again restores it.
    import_history(later, [earlier.path])
    assert read_history(later).intact and cli("assign", "-w", later.path).exit_code == 0


def test_a_season_removed_by_hand_is_noticed(earlier, tmp_path):
    november = with_window(december(tmp_path / "november"), "2026-11-11", "2026-11-22")
    later = next_season(tmp_path / "next")
    import_history(later, [earlier.path, november.path])
    with sqlite3.connect(later.db_path) as conn:
        conn.execute("DELETE FROM history_facts WHERE season_key LIKE '2026-11%'")
        conn.execute("DELETE FROM history_seasons WHERE season_key LIKE '2026-11%'")
    history = read_history(later)
    assert not history.intact
    assert history.problems == ("seasons were added to or removed from the history by hand",)


def test_privacy_purge_ages_out_seasons_beyond_keep_seasons(earlier, tmp_path, cli):
    november = with_window(december(tmp_path / "november"), "2026-11-11", "2026-11-22")
    later = next_season(tmp_path / "next")
    text = later.settings_path.read_text(encoding="utf-8").replace("keep_seasons = 12", "keep_seasons = 1")
    later.settings_path.write_text(text, encoding="utf-8")
    later = open_season(later.path)
    result = cli("history", "import", november.path, earlier.path, "-w", later.path)
    assert result.exit_code == 0, result.output
    assert "Season 11.11.2026–22.11.2026 from november: 10 people applied" in result.output
    report = purge_personal_data(later)
    assert report.history_removed == ("2026-11-11/2026-11-22",)
    history = read_history(later)
    assert [s.season_key for s in history.seasons] == ["2026-12-11/2026-12-22"] and history.intact
    with later.reader() as conn:
        assert conn.execute("SELECT count(*) FROM history_facts WHERE season_key LIKE '2026-11%'").fetchone()[0] == 0


def test_the_history_commands_print_json(earlier, tmp_path, cli):
    later = next_season(tmp_path / "next")
    imported = json.loads(cli("history", "import", earlier.path, "--json", "-w", later.path).output)
    assert imported[0]["season_key"] == "2026-12-11/2026-12-22" and imported[0]["missed"] == 2
    listed = json.loads(cli("history", "list", "--json", "-w", later.path).output)
    assert listed["intact"] and listed["seasons"][0]["people"] == 10
    assert not os.path.exists(f"{earlier.db_path}-shm")
