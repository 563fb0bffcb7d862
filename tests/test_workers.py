"""Work in a second process beside the command's own (workers.py): real forks, in fresh interpreters.

Each case runs in its own ``python -c`` process, which has no other thread
(the test runner's may have some), so the fork is really taken; no case
depends on timing: the processes say through files when they are where the
test wants them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from openmosprom_cli.errors import EX_TEMPFAIL

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

PRELUDE = """
import os, sys, threading, pathlib
from openmosprom_cli.workers import work_beside, WorkFailed
from openmosprom_cli.errors import CannotCreateError, OpenMospromError
here = pathlib.Path(sys.argv[1])

def say_pid(name):
    # Whole or not at all: the test reads the pid as soon as the file is there.
    (here / (name + ".part")).write_text(str(os.getpid()))
    os.replace(here / (name + ".part"), here / name)
"""


def run(code: str, folder: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code), str(folder)], capture_output=True,
                          text=True, timeout=300, **kwargs)


def wait_for(path: Path) -> str:
    """The file's text once it is there (bounded only so that a broken test cannot hang the run)."""
    deadline = time.monotonic() + 300
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)
    return path.read_text()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_work_runs_in_another_process_while_the_block_runs(tmp_path):
    result = run("""
        def work():
            (here / "work").write_text(str(os.getpid()))
        with work_beside(work, what="x", label="x"):
            (here / "block").write_text(str(os.getpid()))
        assert (here / "work").exists()      # done by the time the block's wait ends
        print(os.getpid())
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    parent = int(result.stdout)
    assert int((tmp_path / "block").read_text()) == parent
    assert int((tmp_path / "work").read_text()) != parent


def test_the_childs_error_is_raised_in_the_parent_whole(tmp_path):
    result = run("""
        def work():
            raise CannotCreateError("cannot write p.xlsx: disk full", hint="Free some space.")
        try:
            with work_beside(work, what="x", label="x"):
                pass
        except CannotCreateError as exc:
            print(exc.message, "|", exc.hint, "|", exc.exit_code)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cannot write p.xlsx: disk full | Free some space. | 73"


def test_an_error_that_cannot_be_carried_back_comes_with_the_childs_traceback(tmp_path):
    result = run("""
        class Odd(Exception):
            def __init__(self, a, b):
                super().__init__(a)
                self.lock = threading.Lock()      # cannot be pickled
        def work():
            raise Odd("went wrong in the child", 2)
        try:
            with work_beside(work, what="x", label="x"):
                pass
        except WorkFailed as exc:
            print(exc)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "went wrong in the child" in result.stdout and "Traceback" in result.stdout


def test_a_killed_child_is_a_temporary_failure_that_names_the_work(tmp_path):
    result = run("""
        import signal
        def work():
            os.kill(os.getpid(), signal.SIGKILL)
        try:
            with work_beside(work, what="participants.xlsx", label="x"):
                pass
        except OpenMospromError as exc:
            print(exc.exit_code, exc.message)
    """, tmp_path, env={**os.environ, "OPENMOSPROM_LANG": "en"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == str(EX_TEMPFAIL)
    assert "participants.xlsx" in result.stdout and f"signal {int(signal.SIGKILL)}" in result.stdout


def test_a_block_that_fails_stops_the_child_and_its_error_wins(tmp_path):
    result = run("""
        import select
        stay, _ = os.pipe()
        def work():
            say_pid("child")
            select.select([stay], [], [])          # forever
        try:
            with work_beside(work, what="x", label="x"):
                while not (here / "child").exists():
                    pass
                raise ValueError("the block failed")
        except ValueError as exc:
            print(exc)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "the block failed"
    assert not alive(int((tmp_path / "child").read_text()))     # killed and reaped


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_dies_with_a_killed_parent(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", PRELUDE + textwrap.dedent("""
        import select
        stay, _ = os.pipe()
        def work():
            say_pid("child")
            select.select([stay], [], [])
        with work_beside(work, what="x", label="x"):
            select.select([stay], [], [])
    """), str(tmp_path)])
    try:
        child = int(wait_for(tmp_path / "child"))
        assert alive(child)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 300
    while alive(child):
        assert time.monotonic() < deadline, "the child outlived its killed parent"
        time.sleep(0.01)


def test_with_another_thread_running_the_work_runs_here_after_the_block(tmp_path):
    result = run("""
        import threading
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        order = []
        try:
            with work_beside(lambda: order.append(("work", os.getpid())), what="x", label="x"):
                order.append(("block", os.getpid()))
        finally:
            stop.set()
        print(order == [("block", os.getpid()), ("work", os.getpid())])
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_work_not_worth_a_process_runs_here(tmp_path):
    result = run("""
        pids = []
        with work_beside(lambda: pids.append(os.getpid()), what="x", label="x", worth_it=False):
            pass
        print(pids == [os.getpid()])
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_child_passes_no_crash_test_checkpoint(tmp_path):
    """A crash test stops the command's own process; the child must not pause where the parent would."""
    marker = tmp_path / "paused"
    result = run("""
        from openmosprom_cli.checkpoints import checkpoint
        with work_beside(lambda: checkpoint("file.written"), what="x", label="x"):
            pass
        print("done")
    """, tmp_path, env={**os.environ, "OPENMOSPROM_TEST_PAUSE_AT": "file.written",
                        "OPENMOSPROM_TEST_PAUSE_FILE": str(marker)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done" and not marker.exists()
