"""An email batch killed with SIGKILL mid-delivery: a real process, a real SMTP server, a real season.db."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from openmosprom_cli.io.files import TEMP_SUFFIX
from openmosprom_cli.mail.listing import list_outbox
from openmosprom_cli.season.folder import open_season
from tests.mail_fixtures import (
    Recorder,
    SmtpServer,
    configure_smtp,
    outbox_rows,
    populate,
)
from tests.paths import REPO

pytestmark = pytest.mark.slow


def test_a_batch_killed_mid_delivery_leaves_one_unknown_message_that_the_rerun_does_not_repeat(cli, season):
    populate(season, 3)
    with SmtpServer(Recorder(stall_at=1)) as stalling:
        ready = configure_smtp(season, stalling.port)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENMOSPROM_")}
        env["PYTHONPATH"] = str(REPO)
        process = subprocess.Popen(
            [sys.executable, "-m", "openmosprom_cli", "rosters", "email", "--send", "-w", str(ready.path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
        try:
            assert stalling.recorder.stalled.wait(300), process.communicate(timeout=5)
            in_flight = {r["site_id"]: r["state"] for r in outbox_rows(ready)}
            assert in_flight == {"estet": "sent", "kristall": "sending", "mosmetro": "draft"}
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(10)
        assert process.returncode == -signal.SIGKILL
        assert len(stalling.messages) == 1

    with sqlite3.connect(ready.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    season = open_season(ready.path)
    assert {e.site_id: e.state for e in list_outbox(season)} == {
        "estet": "sent", "kristall": "unknown", "mosmetro": "draft"}
    listed = cli("outbox", "list", "-w", season.path)
    assert "unknown" in listed.output and "--resend --site kristall" in listed.output

    with SmtpServer() as healthy:
        season = configure_smtp(season, healthy.port)
        rerun = cli("rosters", "email", "--send", "-w", season.path)
        assert rerun.exit_code == 0, rerun.output
        assert [m.message["X-Openmosprom-Site"] for m in healthy.messages] == ["mosmetro"]
        assert "kristall" in rerun.output and "--resend" in rerun.output

        resent = cli("rosters", "email", "--send", "--resend", "--yes", "--site", "kristall", "-w", season.path)
        assert resent.exit_code == 0, resent.output
        assert [m.message["X-Openmosprom-Site"] for m in healthy.messages] == ["mosmetro", "kristall"]
    assert {r["state"] for r in outbox_rows(season)} == {"sent"}
    assert not list(season.path.rglob(f"*{TEMP_SUFFIX}"))
