"""Long steps say how far they are to whoever listens: a bar on a terminal's stderr, nothing anywhere else."""

from __future__ import annotations

import io

from openmosprom_cli import progress
from openmosprom_cli.allocation.audit import audit_current
from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.cli.progress import TerminalProgress
from tests.changes.scenario import stock


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.open = 0

    def start(self, label: str, total: int | None) -> None:
        self.open += 1
        self.events.append(("start", label))

    def advance(self, steps: int) -> None:
        self.events.append(("advance", steps))

    def finish(self) -> None:
        self.open -= 1
        self.events.append(("finish", None))


def started(recorder: Recorder) -> list[object]:
    return [label for kind, label in recorder.events if kind == "start"]


def test_assign_and_audit_report_their_stages_and_close_each(season):
    stock(season)
    recorder = Recorder()
    with progress.reporting(recorder):
        run_assignment(season)
        audit_current(season, all_runs=True)
    assert started(recorder)[:3] == ["Reading the season", "Giving out the seats", "Storing the run"]
    assert "Checking allocation run 1" in started(recorder)
    assert recorder.open == 0


def test_nobody_listens_unless_a_reporter_is_installed(season):
    stock(season)
    recorder = Recorder()
    with progress.reporting(recorder):
        pass
    run_assignment(season)
    assert recorder.events == []


def test_tracked_items_advance_one_step_each_and_a_failing_stage_still_closes():
    recorder = Recorder()
    with progress.reporting(recorder):
        assert list(progress.tracked(["a", "b", "c"], "Sending")) == ["a", "b", "c"]
        try:
            with progress.stage("Failing"):
                raise KeyError("x")
        except KeyError:
            pass
    assert recorder.events[:5] == [("start", "Sending"), ("advance", 1), ("advance", 1), ("advance", 1),
                                   ("finish", None)]
    assert recorder.events[-2:] == [("start", "Failing"), ("finish", None)]
    assert recorder.open == 0


def test_the_terminal_bar_draws_the_stage_and_clears_it():
    stream = io.StringIO()
    bar = TerminalProgress(stream, force_terminal=True)
    bar.start("Giving out the seats", 4)
    bar.start("Storing the run", None)       # a stage inside another
    bar.advance(1)
    bar.finish()
    bar.advance(2)
    bar.finish()
    drawn = stream.getvalue()
    assert "Giving out the seats" in drawn
    assert bar._bar is None, "the last stage's end stops the bar"


def test_a_command_whose_stderr_is_not_a_terminal_prints_no_bar(season, cli):
    stock(season)
    result = cli("assign", "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "Giving out the seats" not in result.output
    assert progress._reporter.get() is None


def test_on_a_real_terminal_assign_draws_its_stages_on_stderr_only(season):
    import os
    import pty
    import subprocess
    import sys
    import threading

    stock(season)
    controller, terminal = pty.openpty()
    drawn = bytearray()

    def read_the_terminal() -> None:
        # Read as it is drawn, so a slow run never fills the terminal's buffer and blocks.
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:       # the other end is closed and everything was read
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=read_the_terminal)
    reader.start()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    try:
        done = subprocess.run([sys.executable, "-m", "openmosprom_cli", "assign", "-w", str(season.path)],
                              stdout=subprocess.PIPE, stderr=terminal, env=env, timeout=600, check=False)
    finally:
        os.close(terminal)
        reader.join()
        os.close(controller)
    assert done.returncode == 0, done.stdout
    assert b"Giving out the seats" in drawn
    assert b"Giving out the seats" not in done.stdout


def test_registrant_import_reports_reading_and_saving(season, tmp_path):
    from openmosprom_cli.registrants.importer import import_registrants
    from openmosprom_cli.store.sites import save_site
    from openmosprom_cli.store.tours import replace_tours
    from tests.registrants.test_registrants import GOOD_ROWS, HEADER, SITES, TOURS, write_csv

    with season.transaction() as conn:
        for site in SITES:
            save_site(conn, site)
        replace_tours(conn, TOURS)
    recorder = Recorder()
    with progress.reporting(recorder):
        import_registrants(season, write_csv(tmp_path / "export.csv", [HEADER, *GOOD_ROWS]))
    assert started(recorder) == ["Reading and checking export.csv", "Saving the registrants"]
    assert recorder.open == 0


def test_rosters_export_reports_each_sites_roster_and_the_participants(season):
    from openmosprom_cli.rosters.export import export_rosters

    stock(season)
    run_assignment(season)
    recorder = Recorder()
    with progress.reporting(recorder):
        report = export_rosters(season)
    assert started(recorder) == ["Writing the sites' rosters", "Writing participants.xlsx"]
    assert recorder.events.count(("advance", 1)) == len(report.sites)
    assert recorder.open == 0
