"""A large sheet is read by two processes: the rows, problems and errors must be exactly one process's."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.io.xlsx import two_processes as workbook
from openmosprom_cli.io.xlsx.reader import WorkbookReader, open_workbook
from tests.io.test_workbook import rewrite_sheet, tables, written_by_openpyxl


@pytest.fixture
def copies(monkeypatch) -> list[object]:
    """Every sheet goes to two processes, however small; the outcomes the copies sent back are kept."""
    outcomes: list[object] = []

    class Recorded(workbook._Forked):
        def result(self):
            outcome = super().result()
            outcomes.append(outcome)
            return outcome

    monkeypatch.setattr(workbook, "_TWO_PROCESSES_MIN_BYTES", 0)
    monkeypatch.setattr(workbook, "_Forked", Recorded)
    return outcomes


def read(path: Path, *, one_process: bool = False) -> object:
    """Rows, problems and merged areas of every sheet, or the BadDataError's message."""
    limit = workbook._TWO_PROCESSES_MIN_BYTES
    if one_process:
        workbook._TWO_PROCESSES_MIN_BYTES = 1 << 62
    try:
        with open_workbook(path) as book:
            found = {}
            for sheet in book.sheet_names():
                problems: list = []
                rows = list(book.rows(sheet, problems=problems))
                found[sheet] = (rows, problems, book.merged_ranges(sheet))
            return found
    except BadDataError as error:
        return ("error", error.message, [str(p) for p in error.problems])
    finally:
        workbook._TWO_PROCESSES_MIN_BYTES = limit


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    return path


def edited(table: list[list[object]], change) -> bytes:
    return rewrite_sheet(written_by_openpyxl(table), change)


TABLE = [["ID VK", "ФИО", "Баллы"]] + [[str(1000 + i), f"Человек {i}", i % 7] for i in range(200)]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables)
def test_two_processes_read_what_one_reads(tmp_path, copies, table):
    path = write(tmp_path, written_by_openpyxl(table))
    assert read(path) == read(path, one_process=True)


def test_the_copy_really_reads_the_second_half(tmp_path, copies):
    path = write(tmp_path, written_by_openpyxl(TABLE))
    rows = read(path)["Данные"][0]
    assert rows == read(path, one_process=True)["Данные"][0]
    sent = [outcome for outcome in copies if outcome is not None]
    assert sent, "no copy sent its rows back"
    assert sent[-1].rows[-1] == (201, ("1199", "Человек 199", 199 % 7))
    assert 50 < len(sent[-1].rows) < 150  # about half


def test_problems_and_merged_cells_of_both_halves_are_kept_in_order(tmp_path, copies):
    def damage(xml: bytes) -> bytes:
        # An error cell near the top and one near the bottom; a merged area after the data.
        xml = xml.replace(b'<c r="C5" t="n"><v>3</v></c>', b'<c r="C5" t="e"><v>#DIV/0!</v></c>')
        xml = xml.replace(b'<c r="C198" t="n"><v>0</v></c>', b'<c r="C198" t="e"><v>#REF!</v></c>')
        return xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A199:B199"/></mergeCells>')

    path = write(tmp_path, edited(TABLE, damage))
    rows, problems, merged = read(path)["Данные"]
    assert [str(p.location) for p in problems] == ["book.xlsx › Данные › row 5 › column C",
                                                    "book.xlsx › Данные › row 198 › column C"]
    assert merged == ("A199:B199",)
    assert (rows, problems, merged) == read(path, one_process=True)["Данные"]
    assert any(outcome is not None for outcome in copies)


def test_an_error_in_either_half_is_the_one_process_error(tmp_path, copies):
    for row in (3, 190):
        def far(xml: bytes, row=row) -> bytes:
            return xml.replace(f'<c r="C{row}" t="n">'.encode(), f'<c r="ZZ{row}" t="n">'.encode())
        path = write(tmp_path, edited(TABLE, far))
        outcome = read(path)
        assert outcome[0] == "error" and f"row {row} › column ZZ" in outcome[1]
        assert outcome == read(path, one_process=True)


def test_one_row_repeated_across_the_cut_is_merged_as_one_process_merges_it(tmp_path, copies):
    def one_row(xml: bytes) -> bytes:
        # Every <row> says r="2": one process puts all their cells into row 2, later cells winning.
        xml = re.sub(rb'<row r="([3-9]|[1-9][0-9]+)"', b'<row r="2"', xml)
        return re.sub(rb'<c r="([A-Z]+)([3-9]|[1-9][0-9]+)"', rb'<c r="\g<1>2"', xml)

    path = write(tmp_path, edited(TABLE, one_row))
    rows = read(path)["Данные"][0]
    assert rows == [(1, ("ID VK", "ФИО", "Баллы")), (2, ("1199", "Человек 199", 199 % 7))]
    assert rows == read(path, one_process=True)["Данные"][0]


@pytest.mark.parametrize("failure", ["raises", "killed"])
def test_a_failed_copy_leaves_its_half_to_this_process(tmp_path, copies, monkeypatch, failure):
    def broken(rows, chunks):
        if failure == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError("the copy failed")

    path = write(tmp_path, written_by_openpyxl(TABLE))
    expected = read(path, one_process=True)
    monkeypatch.setattr(workbook, "_rows_of_copy", broken)
    assert read(path) == expected
    assert copies and all(outcome is None for outcome in copies)


def test_abandoned_rows_leave_no_process_behind(tmp_path, copies):
    path = write(tmp_path, written_by_openpyxl(TABLE))
    with open_workbook(path) as book:
        rows = book.rows("Данные")
        assert next(rows)[0] == 1
        rows.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_small_sheets_and_threaded_callers_stay_in_one_process(tmp_path, monkeypatch):
    forks: list[object] = []
    monkeypatch.setattr(workbook, "_Forked", lambda work: forks.append(work))
    path = write(tmp_path, written_by_openpyxl(TABLE))
    read(path)
    assert forks == []  # far below the size that pays for a second process

    monkeypatch.setattr(workbook, "_TWO_PROCESSES_MIN_BYTES", 0)
    monkeypatch.setattr(workbook.threading, "active_count", lambda: 2)
    read(path)
    assert forks == []


def test_the_copy_lets_go_of_the_parents_files_at_once(tmp_path):
    """A killed import must not leave the season locked by its copy, still reading for a second."""
    import fcntl
    import time

    held = open(tmp_path / ".season.lock", "w")
    fcntl.flock(held, fcntl.LOCK_EX)
    copy = workbook._Forked(lambda: time.sleep(5))
    try:
        held.close()  # as when the parent is killed: only the copy could still hold the lock
        deadline = time.monotonic() + 2
        with open(tmp_path / ".season.lock", "w") as other:
            while True:
                try:
                    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, "the copy kept the lock"
                    time.sleep(0.01)
    finally:
        copy.close()


def test_rows_without_numbers_are_counted_on_across_the_cut(tmp_path, copies):
    from tests.io.test_workbook import drop_references

    path = write(tmp_path, edited(TABLE, drop_references))
    rows = read(path)["Данные"][0]
    assert rows[-1] == (201, ("1199", "Человек 199", 199 % 7))
    assert rows == read(path, one_process=True)["Данные"][0]


def test_damaged_shared_strings_unused_by_the_sheet_are_no_error_either_way(tmp_path, copies, monkeypatch):
    def damaged(self):
        raise BadDataError("book.xlsx is damaged: xl/sharedStrings.xml inside it ...")

    monkeypatch.setattr(WorkbookReader, "_strings", damaged)
    path = write(tmp_path, written_by_openpyxl([[i, i * 2] for i in range(300)]))  # numbers only
    rows = read(path)["Данные"][0]
    assert len(rows) == 300 and rows == read(path, one_process=True)["Данные"][0]
