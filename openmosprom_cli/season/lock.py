"""The season's run lock: one command at a time changes a season.

A ``flock`` on ``.season.lock`` in the season folder, which records the
holder's pid so that a waiting command can say who holds it. The kernel drops
the lock when its holder dies, however it dies, so a killed run never leaves
the season locked. Re-entrant within one thread, so a locked batch (an email
run that commits message by message) can still open transactions.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from openmosprom_cli.errors import CannotCreateError, SeasonBusyError
from openmosprom_cli.i18n import _

LOCK_FILE = ".season.lock"
_POLL_S = 0.05

_held: dict[tuple[str, int], int] = {}
_held_guard = threading.Lock()


@contextlib.contextmanager
def season_lock(folder: Path, timeout_s: float, *, on_acquire=None) -> Iterator[None]:
    """Hold the lock of the season in ``folder``, waiting up to ``timeout_s`` for another run.

    ``on_acquire`` runs once the lock is taken by the outermost holder: the
    moment when nothing else can be writing in the season folder.
    Raises :class:`SeasonBusyError` (exit 75) naming the holder's pid.
    """
    key = (str((Path(folder) / LOCK_FILE).resolve()), threading.get_ident())
    with _held_guard:
        depth = _held.get(key, 0)
        if depth:
            _held[key] = depth + 1
    if depth:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    path = Path(folder) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise CannotCreateError(_("cannot create the lock file {path}: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None
    try:
        _acquire(fd, path, timeout_s)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        with _held_guard:
            _held[key] = 1
        try:
            if on_acquire is not None:
                on_acquire()
            yield
        finally:
            with _held_guard:
                _held.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise SeasonBusyError(
                    _("the season is in use by another run (pid {pid}); waited {seconds} s").format(
                        pid=lock_owner(path), seconds=f"{timeout_s:g}"),
                    hint=_("Wait for it to finish, or raise [limits] lock_timeout_s in season.toml."),
                ) from None
            time.sleep(_POLL_S)


def lock_owner(lock_file: Path) -> str:
    try:
        return lock_file.read_text(encoding="ascii").strip() or "unknown"
    except OSError:
        return "unknown"


def run_in_progress(folder: Path) -> bool:
    """Whether some run holds the season's lock right now (a shared probe that never waits)."""
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the descriptor also drops the probe's lock
    return False
