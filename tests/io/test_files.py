import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.io.files import (
    TEMP_SUFFIX,
    atomic_write_text,
    atomic_write_with,
    inside,
    remove_stray_temp_files,
    safe_file_name,
    safe_sheet_title,
    unique_name,
)


@pytest.mark.parametrize("name", ["../../x", "CON", "con.txt", "a" * 40, "[]:*?/\\", "..", "", "\u202eexe.xlsx"])
def test_unsafe_names_become_safe(tmp_path, name):
    safe = safe_file_name(name, suffix=".xlsx")
    assert "/" not in safe and "\\" not in safe and ".." not in safe.removesuffix(".xlsx")
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    assert inside(tmp_path, safe).parent == tmp_path.resolve()


@given(st.text(max_size=80))
def test_sheet_titles_are_valid_for_excel(title):
    safe = safe_sheet_title(title)
    assert 1 <= len(safe) <= 31
    assert not set(safe) & set("[]:*?/\\")
    assert not safe.startswith("'") and not safe.endswith("'")


def test_inside_refuses_escape(tmp_path):
    with pytest.raises(CannotCreateError):
        inside(tmp_path, "../outside.xlsx")


def test_unique_names_handle_collisions():
    taken = set()
    assert [unique_name(n, taken) for n in ("a", "A", "a")] == ["a", "A (2)", "a (3)"]


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old")

    def broken(path):
        path.write_text("half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        atomic_write_with(target, broken)
    assert target.read_text() == "old"
    assert not list(tmp_path.glob(f"*{TEMP_SUFFIX}"))


def test_private_files_are_owner_only(tmp_path):
    atomic_write_text(tmp_path / "p.txt", "passport", private=True)
    assert stat.S_IMODE(os.stat(tmp_path / "p.txt").st_mode) == 0o600


def test_stray_temp_files_are_removed(tmp_path):
    stray = tmp_path / f".roster.xlsx.abc{TEMP_SUFFIX}"
    stray.write_text("half")
    assert remove_stray_temp_files(tmp_path) == [stray]
    assert not stray.exists()
