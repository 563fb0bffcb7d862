"""Addresses with Cyrillic domains or local parts, odd spellings and duplicates, from import to the wire."""

from __future__ import annotations

import dataclasses
import json

import pytest

from openmosprom_cli.store.sites import load_sites, save_site
from tests.mail_fixtures import SmtpServer, configure_smtp, outbox_rows, populate
from tests.schedules.test_schedules_import import book
from tests.season_digest import season_digest

PUNYCODE_DOMAIN = "xn--80aegj1b.xn--p1ai"          # завод.рф


def _addresses(season, **by_site: tuple[str, ...]):
    with season.transaction() as conn:
        sites = load_sites(conn)
        for site_id, emails in by_site.items():
            save_site(conn, dataclasses.replace(sites[site_id], roster_emails=emails))


def _send(cli, season):
    return cli("rosters", "email", "--send", "-w", season.path)


# -- at import ----------------------------------------------------------------------

def test_import_keeps_cyrillic_domains_and_writes_each_address_once(cli, season, tmp_path):
    site = {"Код": "estet", "Название": "Эстет",
            "Email для списков": "lists@завод.рф; Lists@ЗАВОД.РФ, списки@завод.рф;lists@завод.рф"}
    result = cli("schedules", "import", book(tmp_path / "estet.xlsx", site=site), "-w", season.path)
    assert result.exit_code == 0, result.output
    (listed,) = json.loads(cli("schedules", "list", "--json", "-w", season.path).output)
    assert listed["site"]["roster_emails"] == ["lists@завод.рф", "списки@завод.рф"]


@pytest.mark.parametrize("address", ["a<b>@example.ru", "lists@@завод.рф", "a..b@example.ru", "lists@factory.test",
                                     "Завод <lists@example.ru>"])
def test_import_refuses_what_is_not_one_address_naming_the_cell(cli, season, tmp_path, address):
    before = season_digest(season.path)
    site = {"Код": "estet", "Название": "Эстет", "Email для списков": address}
    result = cli("schedules", "import", book(tmp_path / "estet.xlsx", site=site), "-w", season.path)
    assert result.exit_code == 65, result.output
    assert "estet.xlsx" in result.output and "Email для списков" in result.output
    assert "is not an email address" in result.output
    assert season_digest(season.path) == before


# -- on the wire --------------------------------------------------------------------

def test_a_cyrillic_domain_goes_out_as_punycode_and_a_cyrillic_name_fails_alone(cli, season):
    """The server offers no SMTPUTF8: списки@ cannot be carried, but that stops only its own message."""
    populate(season, 3)
    _addresses(season, estet=("lists@завод.рф",), kristall=("списки@завод.рф",))
    with SmtpServer(enable_SMTPUTF8=False) as server:
        ready = configure_smtp(season, server.port)
        result = _send(cli, ready)
        assert result.exit_code == 65, result.output
        sent = {m.message["X-Openmosprom-Site"]: m for m in server.messages}
    assert set(sent) == {"estet", "mosmetro"}
    assert sent["estet"].rcpt_tos == [f"lists@{PUNYCODE_DOMAIN}"]
    assert sent["estet"].message["To"] == f"lists@{PUNYCODE_DOMAIN}"
    rows = {r["site_id"]: r for r in outbox_rows(ready)}
    assert rows["kristall"]["state"] == "failed" and "SMTPUTF8" in rows["kristall"]["error"]
    assert rows["estet"]["state"] == rows["mosmetro"]["state"] == "sent"


def test_a_cyrillic_name_is_delivered_where_the_server_offers_smtputf8(cli, season):
    populate(season, 2)
    _addresses(season, kristall=("списки@завод.рф", "guard@kristall.example"))
    with SmtpServer(enable_SMTPUTF8=True) as server:
        ready = configure_smtp(season, server.port)
        result = _send(cli, ready)
        assert result.exit_code == 0, result.output
        sent = {m.message["X-Openmosprom-Site"]: m for m in server.messages}
    assert sent["kristall"].rcpt_tos == [f"списки@{PUNYCODE_DOMAIN}", "guard@kristall.example"]
    assert f"To: списки@{PUNYCODE_DOMAIN}, guard@kristall.example".encode() in sent["kristall"].content
    assert sent["estet"].rcpt_tos == ["estet@factory.example"]


def test_the_same_mailbox_spelled_twice_receives_one_copy(cli, season):
    """A season from an earlier release may hold both spellings."""
    populate(season, 1)
    _addresses(season, estet=("estet@factory.example", "Estet@Factory.Example"))
    with SmtpServer() as server:
        ready = configure_smtp(season, server.port)
        assert _send(cli, ready).exit_code == 0
        (message,) = server.messages
    assert message.rcpt_tos == ["estet@factory.example"]


def test_a_sender_with_a_cyrillic_domain_is_sent_as_punycode(cli, season):
    populate(season, 1)
    with SmtpServer() as server:
        ready = configure_smtp(season, server.port, sender="Открой Моспром <robot@завод.рф>")
        assert _send(cli, ready).exit_code == 0
        (message,) = server.messages
    assert message.mail_from == f"robot@{PUNYCODE_DOMAIN}"
    assert message.message["From"].addresses[0].display_name == "Открой Моспром"


def test_a_sender_that_needs_smtputf8_is_refused_before_anything_is_sent(cli, season):
    populate(season, 2)
    with SmtpServer(enable_SMTPUTF8=False) as server:
        ready = configure_smtp(season, server.port, sender="робот@завод.рф")
        result = _send(cli, ready)
        assert server.messages == []
    assert result.exit_code == 65, result.output
    assert "SMTPUTF8" in result.output and "nothing was sent" in result.output
    assert {r["state"] for r in outbox_rows(ready)} == {"draft"}


@pytest.mark.parametrize("sender", ["a<b>@example.ru", "robot@@example.ru"])
def test_a_sender_that_is_not_an_address_is_bad_data(cli, season, sender):
    populate(season, 1)
    ready = configure_smtp(season, 2525, sender=sender)
    result = cli("rosters", "email", "-w", ready.path)
    assert result.exit_code == 65, result.output
    assert "[smtp] sender" in result.output and "is not an email address" in result.output


def _reply_to(season, address: str):
    text = season.settings_path.read_text(encoding="utf-8")
    season.settings_path.write_text(text.replace('email = "excursions@example.org"', f'email = "{address}"', 1),
                                    encoding="utf-8")


@pytest.mark.parametrize("offered", [True, False])
def test_a_reply_to_that_needs_smtputf8_asks_for_it_or_fails_naming_it(cli, season, offered):
    """The organizers' address (Reply-To) makes the headers UTF-8 even where sender and recipients are ASCII."""
    populate(season, 1)
    _reply_to(season, "оргкомитет@завод.рф")
    with SmtpServer(enable_SMTPUTF8=offered) as server:
        ready = configure_smtp(season, server.port)
        result = _send(cli, ready)
        messages = list(server.messages)
    if offered:
        assert result.exit_code == 0, result.output
        (message,) = messages
        assert "SMTPUTF8" in message.mail_options
        assert f"<оргкомитет@{PUNYCODE_DOMAIN}>" in message.content.decode("utf-8")
    else:
        assert result.exit_code == 65, result.output
        assert messages == []
        (row,) = outbox_rows(ready)
        assert row["state"] == "failed" and "Reply-To" in row["error"] and "SMTPUTF8" in row["error"]
