"""One piece of independent work in a second process, beside the command's own, where a core is spare.

``rosters export`` writes the organizers' participants list (a large
workbook, about half of the step at 50,000 people) while the sites' rosters
are written; the two share no state but what was loaded before. A forked
child inherits everything loaded so far (no pickling of 200,000 records, no
second start of the interpreter) and only writes its file; the parent waits
for it before it commits, and raises whatever the child raised.

The child is forked only where that is safe and useful: where ``os.fork``
exists (not on Windows), while this process runs no other thread (a thread's
locks would be copied held, e.g. a progress bar's), and when the caller says
the work is large enough. Otherwise the work runs here, after the block, and
everything behaves as if there were one process.

The child never touches the season's database (a SQLite connection must not
cross a fork), reports no progress, passes no crash-test checkpoints (a crash
test stops and kills the command's own process), ignores Ctrl-C (the parent
is interrupted and kills it), dies with the parent where Linux allows
(``PR_SET_PDEATHSIG``), and leaves by ``os._exit``: it runs no clean-up of the
parent's (``finally`` blocks, atexit, buffered output) twice.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator

from openmosprom_cli import progress
from openmosprom_cli.checkpoints import PAUSE_AT_ENV
from openmosprom_cli.errors import TemporaryFailure
from openmosprom_cli.i18n import _


class WorkFailed(RuntimeError):
    """The second process failed with an error that could not be carried back whole; holds its traceback."""


# From this many people on, a step's largest file is worth a second process: below it the whole step takes a
# fraction of a second, and one process is simpler to follow and to stop.
PEOPLE_WORTH_A_PROCESS = 10_000


def worth_a_process(people: int) -> bool:
    return people >= PEOPLE_WORTH_A_PROCESS


def can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


@contextlib.contextmanager
def work_beside(work: Callable[[], object], *, what: str, label: str, worth_it: bool = True) -> Iterator[None]:
    """Run ``work`` in a forked child while the block runs; after the block, wait for it and raise its error.

    ``what`` names the work in a message if the child is killed; ``label`` is
    the progress stage shown while the block waits for it. Without a fork (see
    the module's docstring), ``work`` runs here when the block ends without an
    error.
    """
    if not (worth_it and can_fork()):
        yield
        work()
        return
    reading, writing = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:       # the child
        os.close(reading)
        _run_child(work, writing)
    os.close(writing)
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        os.close(reading)
        _reap(pid)
        raise
    with progress.stage(label), os.fdopen(reading, "rb") as pipe:
        report = pipe.read()
        status = _reap(pid)
    if report:
        raise _carried(report)
    if status != 0:
        reason = (_("signal {number}").format(number=-status) if status < 0
                  else _("exit status {number}").format(number=status))
        raise TemporaryFailure(_("the second process writing {what} stopped ({reason})").format(
            what=what, reason=reason), hint=_("Run the command again."))


def _run_child(work: Callable[[], object], writing: int) -> None:
    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with_parent()
        os.environ.pop(PAUSE_AT_ENV, None)
        with progress.reporting(None):
            work()
    except BaseException as exc:  # everything goes back to the parent, which decides
        status = 1
        with contextlib.suppress(BaseException):
            _write_all(writing, _pickled(exc))
    finally:
        os._exit(status)


def _die_with_parent() -> None:
    """Linux kills this child when its parent dies (a killed export must not leave a writer behind)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:     # the parent died before the request was in place
        os._exit(1)


def _pickled(exc: BaseException) -> bytes:
    try:
        payload = pickle.dumps(exc)
        pickle.loads(payload)
        return payload
    except Exception:
        text = "".join(traceback.format_exception(exc))
        return pickle.dumps(WorkFailed(text))


def _carried(report: bytes) -> BaseException:
    try:
        exc = pickle.loads(report)
    except Exception:
        return WorkFailed(repr(report[:200]))
    return exc if isinstance(exc, BaseException) else WorkFailed(repr(exc))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _reap(pid: int) -> int:
    """Wait for the child; its exit status, or minus the signal that ended it."""
    _, raw = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(raw)
