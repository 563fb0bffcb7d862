"""A server that answers one line at a time, never finishing, must not hold the season forever.

Each read succeeds well within ``timeout_s``, so only the overall deadline of a
step (connection set-up, one message) ends the session. ``timeout_s`` is long
here, so the test does not depend on how fast this machine is: nothing but the
deadline can end the command.
"""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from openmosprom_cli.mail import smtp as smtp_module
from openmosprom_cli.mail.listing import list_outbox
from tests.mail_fixtures import configure_smtp, populate

DRIP_EVERY_S = 0.2


class DrippingServer:
    """Plain SMTP on 127.0.0.1 that drips an endless multi-line answer at ``drip_at`` ("greeting" or "data")."""

    def __init__(self, drip_at: str):
        self.drip_at = drip_at
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received_data = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DrippingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.listener.close()
        self.thread.join(timeout=30)

    def _serve(self) -> None:
        with self.listener:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):      # the client cuts the connection: what we expect
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        if self.drip_at == "greeting":
            self._drip(conn, b"220-still saying hello\r\n")
            return
        conn.sendall(b"220 ready\r\n")
        reader = conn.makefile("rb")
        while not self.stop.is_set():
            line = reader.readline()
            if not line:
                return
            verb = line.split()[0].upper() if line.split() else b""
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 dripping.test\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                while reader.readline() not in (b".\r\n", b""):
                    pass
                self.received_data.set()
                self._drip(conn, b"250-still thinking\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    def _drip(self, conn: socket.socket, line: bytes) -> None:
        while not self.stop.wait(DRIP_EVERY_S):
            conn.sendall(line)


def _send_within(cli, season, seconds: float):
    """`rosters email --send` in a thread: a hang fails the test instead of stopping the suite."""
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(cli("rosters", "email", "--send", "-w", season.path)),
                              daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"rosters email --send was still running after {seconds} s"
    return outcome[0]


@pytest.fixture
def short_deadline(monkeypatch):
    """A step may take 0.1 × timeout_s (3 s here) instead of 4 ×, so the test is quick."""
    monkeypatch.setattr(smtp_module, "STEP_DEADLINE_FACTOR", 0.1)


def test_a_greeting_that_never_ends_stops_at_the_deadline_and_sends_nothing(cli, season, short_deadline):
    populate(season, 3)
    with DrippingServer("greeting") as server:
        ready = configure_smtp(season, server.port, timeout_s=30)
        result = _send_within(cli, ready, 120)
    assert result.exit_code == 75, result.output
    assert "too slowly" in result.output and "nothing was sent" in result.output
    assert {e.state for e in list_outbox(ready)} == {"draft"}
    # The season lock is free again: another writer gets in at once.
    assert cli("rosters", "email", "-w", ready.path).exit_code == 0


def test_an_answer_to_data_that_never_ends_leaves_that_message_unknown(cli, season, short_deadline):
    populate(season, 3)
    with DrippingServer("data") as server:
        ready = configure_smtp(season, server.port, timeout_s=30)
        result = _send_within(cli, ready, 120)
        assert server.received_data.is_set()
    assert result.exit_code == 75, result.output
    assert "too slowly" in result.output and "may or may not have arrived" in result.output
    assert {e.site_id: e.state for e in list_outbox(ready)} == {
        "estet": "unknown", "kristall": "draft", "mosmetro": "draft"}


def test_the_deadline_grows_with_the_size_of_the_message(season):
    batch = smtp_module.SmtpBatch(configure_smtp(season, 2525, timeout_s=10))
    assert batch._step_deadline() == 40
    assert batch._step_deadline(1_000_000) == 40 + 100
