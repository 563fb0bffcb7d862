"""A large sheet read by two processes: the second half by a forked copy of this one.

Why: reading cells is CPU-bound Python, and a 100,000-row export has two cores
waiting. The rows, problems and errors are always exactly those of one process:
whenever the copy's half cannot be trusted to be what one process would have
read, it is read here instead.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, NoReturn

from openmosprom_cli.errors import BadDataError, Problem
from openmosprom_cli.io.xlsx.cells import MAX_CELL_PROBLEMS

if TYPE_CHECKING:
    from openmosprom_cli.io.xlsx.reader import WorkbookReader
    from openmosprom_cli.io.xlsx.sheet import SheetRows

# Below this a sheet reads in well under a second, and a second process would not pay for itself.
_TWO_PROCESSES_MIN_BYTES = 8 << 20


def second_process_pays(reader: WorkbookReader, part: str) -> bool:
    member = reader._member(part)
    # Linux only: elsewhere fork is unsafe (macOS) or missing (Windows). A threaded caller is never
    # forked, since another thread may hold a lock the copy would then wait for forever.
    return (member is not None and member.file_size >= _TWO_PROCESSES_MIN_BYTES and sys.platform.startswith("linux")
            and len(os.sched_getaffinity(0)) > 1 and threading.active_count() == 1)


def rows_in_two_processes(rows: SheetRows,
                          chunks: Iterable[tuple[bytes, bytes]]) -> Iterator[tuple[int, tuple[object, ...]]]:
    """The same rows as ``rows.rows_of(chunks)``, the second half of the sheet read by a forked copy of this process.

    The whole part is decompressed (within the zip-bomb caps) and checked first, then cut after a
    row a little past the middle. If the copy fails in any way, its first row goes on with our last
    one (a row number repeated across the cut), or it met rows without numbers (numbered after the
    row before them, which only we know), its half is read here: the rows, problems and errors are
    always exactly those of one process.
    """
    gathered = list(chunks)
    if not gathered:
        return
    prefix = gathered[0][0]
    row_end = b"</" + prefix + b"row>"
    first, second = _halves(gathered, row_end)
    try:
        rows.reader._strings()  # loaded here: the copy must not read the zip, whose file offset we share
    except BadDataError:
        second = []  # damaged: one process tells it when, and only if, a cell uses them
    if not second:
        yield from rows.rows_of(gathered)
        return
    copy = _Forked(partial(_rows_of_copy, rows, second))
    try:
        yield from rows.rows_of(first)
        outcome = copy.result()
    finally:
        copy.close()
    if not isinstance(outcome, _CopyOutcome) or outcome.counted_rows or (
            rows.values and outcome.first_row == rows.row_number):
        yield from rows.rows_of(second)
        return
    if rows.values:
        yield from rows.flush()
    yield from outcome.rows
    rows.problems.extend(outcome.problems[:max(0, MAX_CELL_PROBLEMS - len(rows.problems))])
    rows.merged.extend(outcome.merged)


# The copy also pickles its rows, and we unpickle them: giving it a little less than half keeps us from waiting.
_OUR_SHARE = 0.55


def _halves(chunks: list[tuple[bytes, bytes]],
            row_end: bytes) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """The chunks cut just after the first row end past our share; the second half is empty if there is none."""
    remaining = int(sum(len(chunk) for _, chunk in chunks) * _OUR_SHARE)
    for index, (prefix, chunk) in enumerate(chunks):
        if remaining < len(chunk):
            end = chunk.find(row_end, remaining)
            if end >= 0:
                end += len(row_end)
                return chunks[:index] + [(prefix, chunk[:end])], [(prefix, chunk[end:])] + chunks[index + 1:]
            remaining = 0  # not in this chunk: the first row end of the next one
        else:
            remaining -= len(chunk)
    return chunks, []


@dataclass(frozen=True)
class _CopyOutcome:
    rows: list[tuple[int, tuple[object, ...]]]
    problems: list[Problem]
    merged: list[str]
    first_row: int | None
    counted_rows: bool  # numbered from the copy's start, not from the rows before it


def _rows_of_copy(rows: SheetRows, chunks: list[tuple[bytes, bytes]]) -> _CopyOutcome:
    """Run in the forked copy: the rows of its half, read from a fresh start."""
    copy = rows.restarted()
    found = list(copy.rows_of(chunks))
    if copy.values:
        found.extend(copy.flush())
    return _CopyOutcome(found, copy.problems, copy.merged, copy.first_row, copy.counted_rows)


class _Forked:
    """``work()`` run in a forked copy of this process, its pickled result read back through a pipe.

    Why fork: the copy starts with everything already in memory (the sheet's XML, the shared
    strings), so only the result crosses over. Any failure (an exception in the copy, a copy that
    was killed, a fork that was refused) reads back as None, and the caller does the work itself.
    """

    def __init__(self, work: Callable[[], object]):
        self.pid: int | None = None
        self.read_end: int | None = None
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:
            _serve_in_copy(work, read_end, write_end)
        os.close(write_end)
        self.pid, self.read_end = pid, read_end

    def result(self) -> object | None:
        if self.read_end is None:
            return None
        with open(self.read_end, "rb", closefd=True) as stream:
            self.read_end = None
            data = stream.read()
        self._reap()
        try:
            return pickle.loads(data) if data else None
        except Exception:
            return None

    def close(self) -> None:
        """Stop the copy if it still runs (the rows were abandoned or failed) and free what it held."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()
        if self.read_end is not None:
            os.close(self.read_end)
            self.read_end = None

    def _reap(self) -> None:
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None


def _open_files_limit() -> int:
    limit = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else -1
    return limit if limit > 0 else 1 << 20  # -1: no limit reported; closerange is a single syscall anyway


def _serve_in_copy(work: Callable[[], object], read_end: int, write_end: int) -> NoReturn:
    try:
        # Everything the copy needs is in memory. Its copies of the parent's files are closed at once,
        # so that if the parent is killed, the season's lock (a flock, shared with the copy) goes with it.
        os.closerange(3, write_end)
        os.closerange(write_end + 1, _open_files_limit())
        gc.disable()  # the copy lives for one task; collecting would only copy the parent's memory pages
        try:
            payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            payload = b""
        with open(write_end, "wb", closefd=True) as stream:
            stream.write(payload)
    finally:
        os._exit(0)  # never the parent's cleanup: its transaction, its files, its atexit handlers
