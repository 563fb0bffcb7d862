"""An export is one set: staged and swapped in, recorded by sha256; the previous export's leftovers are removed."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.io.files import TEMP_SUFFIX
from openmosprom_cli.models import Site
from openmosprom_cli.rosters import export, files
from openmosprom_cli.rosters.export import export_rosters
from openmosprom_cli.season.folder import open_season
from tests.fork_fixtures import copy_to_fork_in, run_counting_forks
from tests.rosters.test_rosters import roster_rows
from tests.rosters_fixtures import seed, tour


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_site_file_is_recorded_with_its_sha256(allocated):
    report = export_rosters(allocated)
    recorded = roster_rows(allocated)
    assert {s.site_id: sha256(s.path) for s in report.sites} == {k: r["sha256"] for k, r in recorded.items()}


def test_the_files_are_written_in_an_owner_only_staging_folder_inside_the_output_folder(allocated, monkeypatch):
    seen = []
    real = export.write_workbook

    def watch(path, sheets, **kwargs):
        folder = path.parent
        seen.append((folder.parent, folder.name, stat.S_IMODE(folder.stat().st_mode), path.exists()))
        return real(path, sheets, **kwargs)

    monkeypatch.setattr(export, "write_workbook", watch)
    export_rosters(allocated)
    out = (allocated.path / "rosters").resolve()
    assert len(seen) == 6 and {(parent, mode) for parent, _, mode, _ in seen} == {(out, 0o700)}
    assert all(name.startswith(files.STAGING_PREFIX) and name.endswith(TEMP_SUFFIX) for _, name, _, _ in seen)
    assert sorted(p.name for p in out.iterdir()) == [
        "estet.xlsx", "il.xlsx", "khr.xlsx", "kond.xlsx", "mol.xlsx", "participants.xlsx"]


def test_a_failure_while_swapping_in_leaves_the_records_as_before(allocated, monkeypatch):
    """The files moved before the failure are new, their records old: exactly what email then refuses."""
    export_rosters(allocated)
    before = roster_rows(allocated)
    with allocated.transaction() as conn:
        conn.execute("UPDATE registrants SET full_name = 'Другое Имя' WHERE id = '101'")   # at estet
    real, moved = os.replace, []

    def fail_at_the_second(src, dst):
        if files.STAGING_PREFIX in str(src) and not str(src).endswith(TEMP_SUFFIX):
            if moved:
                raise OSError(28, "No space left on device")
            moved.append(dst)
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", fail_at_the_second)
    with pytest.raises(CannotCreateError, match="No space left") as info:
        export_rosters(allocated)
    monkeypatch.undo()
    assert "openmosprom rosters export" in info.value.hint
    assert roster_rows(allocated) == before
    estet = allocated.path / "rosters" / "estet.xlsx"
    assert moved == [estet.resolve()] and sha256(estet) != before["estet"]["sha256"]
    assert not list((allocated.path / "rosters").glob(f"*{TEMP_SUFFIX}"))


def test_a_staging_folder_left_by_a_killed_export_is_removed_and_a_live_ones_is_kept(allocated):
    out = allocated.path / "rosters"
    out.mkdir()
    dead = out / f"{files.STAGING_PREFIX}999999999.abc{TEMP_SUFFIX}"
    live = out / f"{files.STAGING_PREFIX}{os.getppid()}.abc{TEMP_SUFFIX}"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "estet.xlsx").write_bytes(b"half an export")
    export_rosters(allocated)
    assert not dead.exists() and live.exists()


def test_the_previous_exports_files_that_this_one_did_not_write_are_removed(season, tmp_path):
    """Two IDs that differ in case: "estet" is written as «estet (2).xlsx» until "Estet" goes."""
    seed(season, sites=[Site("Estet", "Эстет 1"), Site("estet", "Эстет 2"), Site("zil", "ЗИЛ")],
         tours=[tour("t1", "Estet", 14, 11), tour("t2", "estet", 15, 11), tour("t3", "zil", 16, 11)], people=[])
    out = season.path / "rosters"
    first = {s.site_id: s.path.name for s in export_rosters(season).sites}
    assert first == {"Estet": "Estet.xlsx", "estet": "estet (2).xlsx", "zil": "zil.xlsx"}
    (out / "notes.xlsx").write_bytes(b"the organizer's own file")
    elsewhere = export_rosters(season, tmp_path / "elsewhere")                  # recorded outside rosters/
    assert {s.path.parent for s in elsewhere.sites} == {(tmp_path / "elsewhere").resolve()}
    assert (out / "zil.xlsx").exists()                                         # not in the output folder: kept
    export_rosters(season)
    with season.transaction() as conn:
        conn.execute("DELETE FROM tours WHERE site_id = 'Estet'")
        conn.execute("DELETE FROM sites WHERE site_id = 'Estet'")
    report = export_rosters(season)
    assert {s.site_id: s.path.name for s in report.sites} == {"estet": "estet.xlsx", "zil": "zil.xlsx"}
    assert sorted(p.name for p in report.removed_files) == ["Estet.xlsx", "estet (2).xlsx"]
    assert sorted(p.name for p in out.iterdir()) == ["estet.xlsx", "notes.xlsx", "participants.xlsx", "zil.xlsx"]


def test_a_recorded_file_replaced_by_a_link_is_not_followed(season, tmp_path):
    seed(season, sites=[Site("a", "А"), Site("b", "Б")], tours=[tour("t1", "a", 14, 11), tour("t2", "b", 15, 11)],
         people=[])
    out = season.path / "rosters"
    export_rosters(season)
    precious = tmp_path / "precious.xlsx"
    precious.write_bytes(b"not the tool's")
    (out / "b.xlsx").unlink()
    (out / "b.xlsx").symlink_to(precious)
    with season.transaction() as conn:
        conn.execute("DELETE FROM tours WHERE site_id = 'b'")
        conn.execute("DELETE FROM sites WHERE site_id = 'b'")
    assert export_rosters(season).removed_files == ()
    assert precious.read_bytes() == b"not the tool's"


def test_a_large_export_writes_the_participants_list_in_a_second_process_with_the_same_bytes(allocated, tmp_path):
    """From PEOPLE_WORTH_A_PROCESS people on, participants.xlsx is written by a forked child (workers.py);
    the files and records are those of an export in one process."""
    copy = copy_to_fork_in(allocated.path, tmp_path)
    export_rosters(allocated)    # the fixture's nine people: one process
    forks, printed = run_counting_forks("from openmosprom_cli.rosters import export\n"
                                        "workers.PEOPLE_WORTH_A_PROCESS = 1\n"
                                        "print(export.export_rosters(season).people)", copy)
    assert (forks, printed) == (1, "9")
    one, two = allocated.path / "rosters", copy / "rosters"
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())
    assert {p.name: sha256(p) for p in two.iterdir()} == {p.name: sha256(p) for p in one.iterdir()}
    assert stat.S_IMODE((two / "participants.xlsx").stat().st_mode) == 0o600
    assert {k: r["sha256"] for k, r in roster_rows(allocated).items()} == {
        k: r["sha256"] for k, r in roster_rows(open_season(copy)).items()}
