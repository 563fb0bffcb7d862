"""Emailing rosters against a real SMTP server (aiosmtpd on 127.0.0.1): delivery, exactly once, faults."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import ssl
import threading
from email.header import decode_header, make_header

import pytest

from openmosprom_cli.mail.listing import list_outbox
from openmosprom_cli.mail.outbox import email_rosters, write_outbox_drafts
from tests.mail_fixtures import (
    SITES,
    Recorder,
    SmtpServer,
    configure_smtp,
    export_roster,
    free_port,
    make_tls_files,
    outbox_rows,
    populate,
    rejecting_authenticator,
    set_lock_timeout,
    visitors_for,
)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def rosters(season):
    return populate(season, 3)


@pytest.fixture
def ready(season, smtp, rosters):
    return configure_smtp(season, smtp.port)


def _send(cli, season, *args, **kwargs):
    return cli("rosters", "email", "--send", "-w", season.path, *args, **kwargs)


def _by_site(messages):
    return {m.message["X-Openmosprom-Site"]: m for m in messages}


def test_the_dry_run_writes_eml_files_and_sends_nothing(cli, ready, smtp, rosters):
    result = cli("rosters", "email", "-w", ready.path)
    assert result.exit_code == 0, result.output
    assert "Dry run" in result.output and "Nothing was sent" in result.output
    assert smtp.messages == []
    files = sorted((ready.path / "outbox").glob("*.eml"))
    assert len(files) == 3
    rows = outbox_rows(ready)
    assert {r["state"] for r in rows} == {"draft"}
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        row = next(r for r in rows if r["message_id"] == message["Message-ID"])
        assert row["eml_path"] == f"outbox/{path.name}"   # relative to the season folder
        assert path.stat().st_mode & 0o777 == 0o600   # the attachment holds personal data
        attachment = next(message.iter_attachments())
        assert attachment.get_content() == rosters[row["site_id"]].read_bytes()
    # A second dry run keeps each draft's Message-ID: the preview is the message that will be sent.
    cli("rosters", "email", "-w", ready.path)
    assert [r["message_id"] for r in outbox_rows(ready)] == [r["message_id"] for r in rows]


def test_send_delivers_one_message_per_factory_and_a_rerun_sends_nothing(cli, ready, smtp, rosters):
    result = _send(cli, ready)
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 3
    rows = {r["site_id"]: r for r in outbox_rows(ready)}
    received = _by_site(smtp.messages)
    for site_id, name, emails in SITES[:3]:
        got = received[site_id]
        message = got.message
        assert got.rcpt_tos == list(emails)
        assert got.mail_from == "excursions@example.org"
        assert message["Subject"] == f"«Открой#Моспром»: список посетителей — {name}"
        body = message.get_body(("plain",)).get_content()
        assert "Здравствуйте!" in body and name in body and "14.12.2026 (пн), 10:00" in body
        attachment = next(message.iter_attachments())
        assert attachment.get_content() == rosters[site_id].read_bytes()
        assert attachment.get_filename() == f"Список_{name.replace(' ', '_')}.xlsx"
        assert message["Message-ID"] == rows[site_id]["message_id"]
        assert rows[site_id]["state"] == "sent" and rows[site_id]["sent_at"]
        assert message["X-Openmosprom-Roster-Fingerprint"].strip() == rows[site_id]["fingerprint"]

    again = _send(cli, ready)
    assert again.exit_code == 0, again.output
    assert len(smtp.messages) == 3
    assert "3 up to date" in again.output


def test_a_changed_roster_sends_exactly_one_update_naming_who_changed(cli, ready, smtp):
    _send(cli, ready)
    visitors = visitors_for(1)
    removed = visitors.pop(0)
    visitors.append({"id": "1999", "name": "Новикова Вера", "tour_id": visitors[0]["tour_id"], "companions": 0})
    export_roster(ready, "kristall", visitors)

    result = _send(cli, ready)
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 4
    update = smtp.messages[-1].message
    assert update["X-Openmosprom-Site"] == "kristall"
    assert update["Subject"].startswith("Обновлённый список — ")
    body = update.get_body(("plain",)).get_content()
    assert "Новикова Вера" in body[body.index("Добавлены:"):]
    assert removed["name"] in body[body.index("Исключены:"):]
    kinds = [(r["site_id"], r["kind"], r["state"]) for r in outbox_rows(ready)]
    assert kinds.count(("kristall", "update", "sent")) == 1
    assert _send(cli, ready).exit_code == 0 and len(smtp.messages) == 4


def test_a_draft_superseded_by_a_newer_roster_is_never_sent(cli, ready, smtp):
    cli("rosters", "email", "-w", ready.path)
    old_draft = next(r for r in outbox_rows(ready) if r["site_id"] == "kristall")
    newer = visitors_for(1, count=4)
    export_roster(ready, "kristall", newer)

    assert _send(cli, ready).exit_code == 0
    assert len(smtp.messages) == 3
    kristall = _by_site(smtp.messages)["kristall"].message
    assert kristall["Message-ID"] != old_draft["message_id"]
    assert not kristall["Subject"].startswith("Обновлённый")   # nothing was sent before: still the first roster
    assert old_draft["message_id"] not in {r["message_id"] for r in outbox_rows(ready)}
    assert not (ready.path / old_draft["eml_path"]).exists()
    assert len(list((ready.path / "outbox").glob("*.eml"))) == 3


def test_a_roster_changed_back_is_sent_again_as_an_update(cli, ready, smtp):
    original = visitors_for(0)
    _send(cli, ready, "--site", "estet")
    export_roster(ready, "estet", original[:2])
    _send(cli, ready, "--site", "estet")
    export_roster(ready, "estet", original)
    result = _send(cli, ready, "--site", "estet")
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 3
    last = smtp.messages[-1].message
    body = last.get_body(("plain",)).get_content()
    assert last["Subject"].startswith("Обновлённый список") and original[2]["name"] in body[body.index("Добавлены:"):]
    assert len({m.message["Message-ID"] for m in smtp.messages}) == 3


def test_a_connection_dropped_after_three_messages_stops_and_the_rerun_sends_exactly_the_rest(cli, season):
    populate(season, 5)
    with SmtpServer(Recorder(drop_after=3)) as flaky:
        ready = configure_smtp(season, flaky.port)
        result = _send(cli, ready)
        assert result.exit_code == 75, result.output
        assert "3 messages sent in this run are recorded" in result.output
        first = list(flaky.messages)
    assert len(first) == 3
    states = {r["site_id"]: r["state"] for r in outbox_rows(ready)}
    assert sorted(states.values()) == ["draft", "draft", "sent", "sent", "sent"]

    with SmtpServer() as healthy:
        ready = configure_smtp(ready, healthy.port)
        result = _send(cli, ready)
        assert result.exit_code == 0, result.output
        second = list(healthy.messages)
    assert len(second) == 2
    ids = [m.message["Message-ID"] for m in first + second]
    assert len(set(ids)) == 5
    assert {m.message["X-Openmosprom-Site"] for m in first + second} == {s[0] for s in SITES}
    assert {r["state"] for r in outbox_rows(ready)} == {"sent"}


def test_a_refused_recipient_fails_that_message_only(cli, season):
    populate(season, 3)
    with SmtpServer(Recorder(refuse={"depo@factory.example"})) as server:
        ready = configure_smtp(season, server.port)
        result = _send(cli, ready)
        assert result.exit_code == 65, result.output
        assert {m.message["X-Openmosprom-Site"] for m in server.messages} == {"estet", "kristall"}
    rows = {r["site_id"]: r for r in outbox_rows(ready)}
    assert rows["mosmetro"]["state"] == "failed"
    assert "550" in rows["mosmetro"]["error"] and "no such mailbox" in rows["mosmetro"]["error"]
    assert rows["estet"]["state"] == rows["kristall"]["state"] == "sent"

    listed = cli("outbox", "list", "--json", "-w", ready.path)
    states = {e["site_id"]: (e["state"], e["error"]) for e in json.loads(listed.output)}
    assert states["mosmetro"][0] == "failed" and "no such mailbox" in states["mosmetro"][1]


def test_one_refused_address_of_two_still_delivers_to_the_other(cli, season):
    populate(season, 2)
    with SmtpServer(Recorder(refuse={"guard@kristall.example"})) as server:
        ready = configure_smtp(season, server.port)
        assert _send(cli, ready).exit_code == 0
        kristall = _by_site(server.messages)["kristall"]
    assert kristall.rcpt_tos == ["kristall@factory.example"]
    row = next(r for r in outbox_rows(ready) if r["site_id"] == "kristall")
    assert row["state"] == "sent" and "guard@kristall.example: 550" in row["error"]


def test_a_server_that_is_down_exits_75_and_marks_nothing_sent(cli, season, rosters):
    ready = configure_smtp(season, free_port())
    result = _send(cli, ready)
    assert result.exit_code == 75, result.output
    assert "cannot reach the SMTP server" in result.output and "nothing was sent" in result.output
    assert {r["state"] for r in outbox_rows(ready)} == {"draft"}


def test_a_server_busy_at_data_stops_the_batch_and_the_message_stays_a_draft(cli, season, rosters):
    with SmtpServer(Recorder(data_answers={1: "451 4.3.0 mailbox busy, try again later"})) as server:
        ready = configure_smtp(season, server.port)
        result = _send(cli, ready)
        assert result.exit_code == 75, result.output
        assert "451" in result.output and "it was not delivered" in result.output
        assert len(server.messages) == 1
    states = [(r["site_id"], r["state"]) for r in outbox_rows(ready)]
    assert states == [("estet", "sent"), ("kristall", "draft"), ("mosmetro", "draft")]


def test_a_message_refused_at_data_fails_and_the_batch_goes_on(cli, season, rosters):
    with SmtpServer(Recorder(data_answers={0: "554 5.6.0 attachment type not allowed"})) as server:
        ready = configure_smtp(season, server.port)
        result = _send(cli, ready)
        assert result.exit_code == 65, result.output
        assert [m.message["X-Openmosprom-Site"] for m in server.messages] == ["kristall", "mosmetro"]
    rows = {r["site_id"]: r for r in outbox_rows(ready)}
    assert rows["estet"]["state"] == "failed" and rows["estet"]["error"] == "554 5.6.0 attachment type not allowed"
    assert rows["kristall"]["state"] == rows["mosmetro"]["state"] == "sent"


def test_a_timeout_during_data_leaves_the_message_unknown(cli, season, rosters):
    with SmtpServer(Recorder(stall_at=0)) as server:
        ready = configure_smtp(season, server.port, timeout_s=0.5)
        result = _send(cli, ready)
        assert result.exit_code == 75, result.output
        assert "timed out" in result.output and "may or may not have arrived" in result.output
    assert {e.site_id: e.state for e in list_outbox(ready)} == {
        "estet": "unknown", "kristall": "draft", "mosmetro": "draft"}


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_a_certificate_the_season_trusts(cli, season, rosters, tmp_path, security):
    ca, cert, key = make_tls_files(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tls = {"tls_context": context, "require_starttls": True} if security == "starttls" else {"ssl_context": context}
    with SmtpServer(**tls) as server:
        untrusted = configure_smtp(season, server.port, security=security)
        refused = _send(cli, untrusted)
        assert refused.exit_code == 65, refused.output
        assert "certificate" in refused.output and "ca_file" in refused.output
        assert server.messages == []

        trusted = configure_smtp(season, server.port, security=security, ca_file=str(ca))
        result = _send(cli, trusted)
        assert result.exit_code == 0, result.output
        assert len(server.messages) == 3
    assert {r["state"] for r in outbox_rows(trusted)} == {"sent"}


@pytest.mark.parametrize("password,debug", [("s3cret-pass", False), ("s3cret-Пароль-42", False),
                                             ("s3cret-pass", True)])
def test_the_password_never_appears_in_output(cli, season, rosters, password, debug):
    secrets = [password, base64.b64encode(password.encode()).decode(),
               base64.b64encode(f"\0robot\0{password}".encode()).decode()]
    with SmtpServer(authenticator=rejecting_authenticator, auth_require_tls=False) as server:
        ready = configure_smtp(season, server.port, user="robot")
        # --debug prints the traceback too; what it says must be scrubbed as well.
        result = cli(*(["--debug"] if debug else []), "rosters", "email", "--send", "-w", ready.path,
                     env={"OPENMOSPROM_SMTP_PASSWORD": password})
        assert result.exit_code == 65, result.output
        output = result.output
        if debug:
            assert "Traceback" in output
        assert server.messages == []
    assert "rejected the login" in output and "535" in output
    for secret in secrets:
        assert secret not in output
    listed = cli("outbox", "list", "--json", "-w", ready.path).output
    assert password not in listed


def test_a_trial_send_goes_to_one_address_and_leaves_the_factories_messages_unsent(cli, ready, smtp):
    result = _send(cli, ready, "--test-to", "me@example.org")
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 3
    assert all(m.rcpt_tos == ["me@example.org"] for m in smtp.messages)
    assert all(m.message["Subject"].startswith("[ТЕСТ]") for m in smtp.messages)
    rows = outbox_rows(ready)
    assert {(r["kind"], r["state"]) for r in rows} == {("test", "sent"), ("new", "draft")}

    real = _send(cli, ready)
    assert real.exit_code == 0, real.output
    factories = smtp.messages[3:]
    assert len(factories) == 3 and all(m.rcpt_tos != ["me@example.org"] for m in factories)
    assert "[ТЕСТ]" not in factories[0].message["Subject"]


def test_resend_asks_first_and_sends_again_only_when_confirmed(cli, ready, smtp):
    _send(cli, ready)
    declined = _send(cli, ready, "--resend", "--site", "estet", input="n\n")
    assert "Send again 1 message that" in declined.output
    assert len(smtp.messages) == 3

    confirmed = _send(cli, ready, "--resend", "--site", "estet", "--yes")
    assert confirmed.exit_code == 0, confirmed.output
    assert len(smtp.messages) == 4
    assert smtp.messages[-1].message["X-Openmosprom-Site"] == "estet"


def test_a_deliberate_resend_is_a_new_message_that_refers_to_the_first_delivery(cli, ready, smtp):
    _send(cli, ready)
    first = _by_site(smtp.messages)["estet"].message
    again = _send(cli, ready, "--resend", "--site", "estet", "--yes")
    assert again.exit_code == 0, again.output
    resent = smtp.messages[-1].message
    # A new Message-ID, or a receiver that has the first one would drop the resend as a duplicate.
    assert resent["Message-ID"] != first["Message-ID"]
    assert resent["In-Reply-To"] == first["Message-ID"] and resent["References"] == first["Message-ID"]
    assert resent.get_body(("plain",)).get_content() == first.get_body(("plain",)).get_content()
    # A second resend refers to the first delivery as well, not to the resend before it.
    _send(cli, ready, "--resend", "--site", "estet", "--yes")
    third = smtp.messages[-1].message
    assert len({first["Message-ID"], resent["Message-ID"], third["Message-ID"]}) == 3
    assert third["References"] == first["Message-ID"]
    estet = [r for r in outbox_rows(ready) if r["site_id"] == "estet"]
    assert [(r["message_id"], r["state"]) for r in estet] == [
        (m["Message-ID"], "sent") for m in (first, resent, third)]
    # The roster is up to date: a plain run sends nothing more, and keeps every delivery on record.
    assert _send(cli, ready).exit_code == 0 and len(smtp.messages) == 5
    assert len([r for r in outbox_rows(ready) if r["site_id"] == "estet"]) == 3


def test_a_resend_interrupted_mid_delivery_goes_again_with_its_own_message_id(cli, ready, smtp):
    _send(cli, ready, "--site", "estet")
    first = smtp.messages[0].message["Message-ID"]
    preview = cli("rosters", "email", "--resend", "--site", "estet", "-w", ready.path)   # the resend's draft
    assert preview.exit_code == 0, preview.output
    assert len(smtp.messages) == 1
    with ready.transaction() as conn:
        conn.execute("UPDATE outbox SET state = 'sending' WHERE site_id = 'estet' AND state = 'draft'")
    interrupted = next(r for r in outbox_rows(ready) if r["state"] == "sending")["message_id"]
    assert interrupted != first
    assert {e.message_id: e.state for e in list_outbox(ready)}[interrupted] == "unknown"

    again = _send(cli, ready, "--resend", "--yes", "--site", "estet")
    assert again.exit_code == 0, again.output
    resent = smtp.messages[-1].message
    # Its outcome was unknown: the factory may have it, so it goes as the same message, still referring to the first.
    assert resent["Message-ID"] == interrupted and resent["References"] == first
    assert {r["message_id"]: r["state"] for r in outbox_rows(ready)} == {first: "sent", interrupted: "sent"}


def test_a_refused_resend_leaves_the_first_delivery_recorded_as_sent(cli, ready, smtp):
    _send(cli, ready, "--site", "estet")
    smtp.recorder.refuse.add("estet@factory.example")
    refused = _send(cli, ready, "--resend", "--yes", "--site", "estet")
    assert refused.exit_code == 65, refused.output
    states = [(r["state"], r["error"]) for r in outbox_rows(ready)]
    assert states[0] == ("sent", "") and states[1][0] == "failed" and "no such mailbox" in states[1][1]


def test_from_names_the_organizer_when_the_sender_has_no_name_of_its_own(cli, ready, smtp):
    def from_header(received):
        # Decoded as mail clients do (RFC 2047: whitespace between encoded words is not text).
        wire = email.message_from_bytes(received.content, policy=email.policy.compat32)["From"]
        return str(make_header(decode_header(wire)))

    _send(cli, ready, "--site", "estet")   # season.toml: sender = "excursions@example.org"
    assert from_header(smtp.messages[0]) == "Оргкомитет «Открой#Моспром» <excursions@example.org>"
    assert smtp.messages[0].mail_from == "excursions@example.org"
    named = configure_smtp(ready, smtp.port, sender="Экскурсии «Моспром» <excursions@example.org>")
    _send(cli, named, "--site", "kristall")
    assert from_header(smtp.messages[-1]) == "Экскурсии «Моспром» <excursions@example.org>"


def test_a_template_error_names_the_file_the_line_and_the_placeholder(cli, ready, smtp):
    template = ready.path / "roster_email.txt"
    template.write_text("Тема: Список — $site_name\n\nДобрый день!\nАдрес: $site_adress\n", encoding="utf-8")
    result = _send(cli, ready)
    assert result.exit_code == 65
    output = " ".join(result.output.split())   # the line may be wrapped on screen
    assert "roster_email.txt › row 4: unknown placeholder $site_adress (did you mean $site_address?)" in output
    assert "known: $attachment_name, $changes" in output and "problem(s)" not in output
    assert smtp.messages == [] and not (ready.path / "outbox").exists()


def test_site_selection_and_unknown_sites(cli, ready, smtp):
    result = _send(cli, ready, "--site", "kristall")
    assert result.exit_code == 0
    assert [m.message["X-Openmosprom-Site"] for m in smtp.messages] == ["kristall"]
    bad = _send(cli, ready, "--site", "nowhere", "--site", "elsewhere")
    assert bad.exit_code == 65
    assert "nowhere" in bad.output and "elsewhere" in bad.output


def test_a_message_left_sending_is_unknown_and_not_sent_again_without_resend(cli, ready, smtp):
    write_outbox_drafts(ready)
    with ready.transaction() as conn:
        conn.execute("UPDATE outbox SET state = 'sending' WHERE site_id = 'estet'")
    listed = {e.site_id: e.state for e in list_outbox(ready)}
    assert listed["estet"] == "unknown"

    result = _send(cli, ready)
    assert result.exit_code == 0, result.output
    assert "unknown, not sent" in result.output and "--resend" in result.output
    assert sorted(m.message["X-Openmosprom-Site"] for m in smtp.messages) == ["kristall", "mosmetro"]
    unknown_id = next(r["message_id"] for r in outbox_rows(ready) if r["site_id"] == "estet")
    estet = _send(cli, ready, "--resend", "--yes", "--site", "estet")
    assert estet.exit_code == 0
    assert smtp.messages[-1].message["X-Openmosprom-Site"] == "estet"
    assert len(smtp.messages) == 3
    # The factory may have it already: sent again as the same message, which a mailbox can tell is a duplicate.
    assert smtp.messages[-1].message["Message-ID"] == unknown_id
    assert smtp.messages[-1].message["References"] is None


def test_a_row_held_by_a_live_run_shows_as_sending(ready):
    write_outbox_drafts(ready)
    with ready.transaction() as conn:
        conn.execute("UPDATE outbox SET state = 'sending' WHERE site_id = 'estet'")
    held, release = threading.Event(), threading.Event()

    def hold():
        with ready.lock():
            held.set()
            release.wait(120)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(120)
        assert {e.site_id: e.state for e in list_outbox(ready)}["estet"] == "sending"
    finally:
        release.set()
        holder.join()
    assert {e.site_id: e.state for e in list_outbox(ready)}["estet"] == "unknown"


def test_a_second_run_during_a_batch_exits_75_and_nothing_is_sent_twice(cli, season, rosters):
    gate = threading.Event()
    with SmtpServer(Recorder(data_gate=gate)) as slow:
        ready = set_lock_timeout(configure_smtp(season, slow.port), 0.2)
        outcome = {}
        batch = threading.Thread(target=lambda: outcome.setdefault("result", email_rosters(ready, send=True)))
        batch.start()
        try:
            # The batch is in the middle of its first message, holding the season, until the gate opens.
            assert slow.recorder.data_started.wait(120)
            second = _send(cli, ready)
        finally:
            gate.set()
            batch.join()
    assert second.exit_code == 75, second.output
    assert "in use by another run" in second.output
    assert [i.outcome for i in outcome["result"].items] == ["sent", "sent", "sent"]
    ids = [m.message["Message-ID"] for m in slow.messages]
    assert len(ids) == 3 == len(set(ids))


def test_write_outbox_drafts_returns_the_files_for_the_demo(ready, smtp):
    paths = write_outbox_drafts(ready)
    assert sorted(p.name for p in paths) == sorted(p.name for p in (ready.path / "outbox").glob("*.eml"))
    assert len(paths) == 3 and smtp.messages == []


def test_outbox_list_shows_every_state(cli, ready, smtp):
    empty = cli("outbox", "list", "-w", ready.path)
    assert "outbox is empty" in empty.output
    _send(cli, ready, "--site", "estet")
    cli("rosters", "email", "-w", ready.path)
    listed = cli("outbox", "list", "-w", ready.path)
    assert listed.exit_code == 0
    assert "sent" in listed.output and "draft" in listed.output
    entries = json.loads(cli("outbox", "list", "--json", "-w", ready.path).output)
    assert sorted((e["site_id"], e["state"]) for e in entries) == [
        ("estet", "sent"), ("kristall", "draft"), ("mosmetro", "draft")]


def test_what_cannot_be_sent_is_refused_before_anything_is_recorded(cli, ready, smtp, rosters):
    rosters["kristall"].unlink()
    missing = _send(cli, ready)
    assert missing.exit_code == 66 and "kristall.xlsx" in missing.output and "rosters export" in missing.output
    assert not (ready.path / "outbox").exists()

    export_roster(ready, "kristall", visitors_for(1))
    no_send = cli("rosters", "email", "--test-to", "me@example.org", "-w", ready.path)
    assert no_send.exit_code == 65 and "--send" in no_send.output
    bad_address = _send(cli, ready, "--test-to", "not an address")
    assert bad_address.exit_code == 65 and "not an email address" in bad_address.output

    no_sender = configure_smtp(ready, smtp.port, sender="")
    refused = _send(cli, no_sender)
    assert refused.exit_code == 65 and "[smtp] sender" in refused.output
    assert outbox_rows(ready) == [] and smtp.messages == []


def test_a_roster_that_is_not_the_recorded_export_is_refused_and_nothing_is_sent(cli, ready, smtp, rosters):
    """As an interrupted export leaves it: a newer workbook under the older export's record."""
    rosters["kristall"].write_bytes(rosters["kristall"].read_bytes() + b"\0")
    for args in ((), ("--send",), ("--send", "--test-to", "me@example.org")):
        refused = cli("rosters", "email", *args, "-w", ready.path)
        assert refused.exit_code == 65, refused.output
        assert "kristall" in refused.output and "estet" not in refused.output
        assert "openmosprom rosters export" in refused.output
    assert smtp.messages == [] and outbox_rows(ready) == [] and not (ready.path / "outbox").exists()
    only_estet = _send(cli, ready, "--site", "estet")          # the other sites' files are their exports
    assert only_estet.exit_code == 0 and [m.message["X-Openmosprom-Site"] for m in smtp.messages] == ["estet"]


def test_a_roster_exported_by_an_earlier_release_must_be_exported_again(cli, ready, smtp):
    with ready.transaction() as conn:
        conn.execute("UPDATE roster_exports SET sha256 = '' WHERE site_id = 'mosmetro'")
    refused = _send(cli, ready)
    assert refused.exit_code == 65 and "mosmetro" in refused.output and "earlier release" in refused.output
    assert "openmosprom rosters export" in refused.output and smtp.messages == []


def test_sending_reports_one_step_per_factory_to_the_progress_bar(ready, smtp):
    from openmosprom_cli import progress
    from tests.test_progress import Recorder, started

    recorder = Recorder()
    with progress.reporting(recorder):
        result = email_rosters(ready, send=True)
    delivered = result.count("sent")
    assert delivered == len(smtp.messages) > 0
    assert started(recorder) == ["Sending the rosters"]
    assert recorder.events.count(("advance", 1)) == delivered and recorder.open == 0


def test_a_batch_reads_the_allocation_once_and_commits_every_sent_sites_seats(season, monkeypatch):
    from openmosprom_cli.allocation import current
    from openmosprom_cli.allocation.runs import run_assignment
    from openmosprom_cli.rosters.export import export_rosters
    from openmosprom_cli.store.changes import load_commitments, load_publications
    from tests.changes.scenario import stock

    stock(season)
    run_assignment(season)                     # not published: each roster sent publishes its site's seats
    export_rosters(season)
    reads = []
    read = current.current_allocation
    monkeypatch.setattr(current, "current_allocation", lambda conn: reads.append(1) or read(conn))
    with SmtpServer() as server:
        result = email_rosters(configure_smtp(season, server.port), send=True)
        sent = sorted(m.message["X-Openmosprom-Site"] for m in server.messages)
    assert len(sent) >= 2 and sent == sorted(i.site_id for i in result.items if i.outcome == "sent")
    assert len(reads) == 1
    with season.reader() as conn:
        seats = {(p.registrant_id, p.tour_id) for p in read(conn).placements}
        kept = {(c.registrant_id, c.tour_id) for c in load_commitments(conn)}
        published = sorted(p.site_id for p in load_publications(conn) if p.kind == "email")
    assert kept == seats and published == sent
