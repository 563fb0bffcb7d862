"""The message's bytes, written by mail/wire.py: what a mail client reads of them is what the email package built.

The reference is the message as compose_message built it with the email package before (EmailMessage, its
header objects, set_content and add_attachment); its intended values are compared with what parsing our
bytes gives back: every header decoded as mail clients decode RFC 2047, the MIME layout, the parts' types,
parameters, file names and bytes.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import subprocess
import sys
from dataclasses import replace
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.io.values import split_name_and_address
from openmosprom_cli.mail import compose
from openmosprom_cli.mail.addresses import mail_address
from openmosprom_cli.mail.compose import (
    FINGERPRINT_HEADER,
    SITE_HEADER,
    TEST_HEADER,
    TEST_MARK,
    XLSX_TYPE,
    Visitor,
    attachment_name,
    compose_message,
    diff_visitors,
    render_letter,
)
from openmosprom_cli.mail.wire import MAX_LINE, Attachment, mailbox_field, message_bytes, unstructured_field
from openmosprom_cli.models import Site
from tests.mail.test_mail import NOW, SITE, VISITORS, _default_template, _letter, _settings
from tests.mail_fixtures import configure_smtp, populate

MESSAGE_ID = "<178000000000.4242.1234567890123456789.roster@example.org>"
EARLIER_ID = "<177000000000.4141.9876543210987654321.roster@example.org>"
XLSX_LINE = f"Content-Type: {'/'.join(XLSX_TYPE)}"   # 79 characters, one token: written as the email package did


def _as_the_email_package_built_it(letter, settings, template, *, test_to=None, repeats=""):
    """The message of the earlier compose_message, before its serialization: the values it meant."""
    empty = not letter.visitors and not letter.is_update
    subject, body = (compose._empty_notice(letter, settings) if empty
                     else render_letter(letter, settings, template, NOW.date()))
    if test_to:
        subject = f"{TEST_MARK} {subject}"
        body = ("Это тестовое письмо. Настоящее письмо получили бы: " + ", ".join(letter.site.roster_emails)
                + ".\n\n" + body)

    def address(display_name, text):
        username, _, domain = mail_address(text).text.rpartition("@")
        return Address(display_name=display_name, username=username, domain=domain)

    message = EmailMessage()
    message["From"] = address(compose.sender_name(settings), split_name_and_address(settings.smtp.sender)[1])
    message["To"] = ", ".join(mail_address(a).text for a in ([test_to] if test_to else letter.site.roster_emails))
    message["Reply-To"] = address(" ".join(settings.organizer_name.split()), settings.organizer_email)
    message["Subject"] = subject
    message["Date"] = format_datetime(NOW)
    message["Message-ID"] = MESSAGE_ID
    if repeats:
        message["In-Reply-To"] = repeats
        message["References"] = repeats
    message[SITE_HEADER] = letter.site.site_id
    message[FINGERPRINT_HEADER] = letter.fingerprint
    if test_to:
        message[TEST_HEADER] = "yes"
    message.set_content(body, cte="base64")
    if not empty:
        message.add_attachment(letter.roster_path.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                               filename=attachment_name(letter.site))
    return message


def _parts(message):
    """Each part: its header names in order, type, charset, disposition, file name, transfer encoding, bytes."""
    return [(list(part.keys()) if part is not message else None, part.get_content_type(), part.get_param("charset"),
             part.get_content_disposition(), part.get_filename(), part.get("Content-Transfer-Encoding"),
             None if part.is_multipart() else part.get_payload(decode=True)) for part in message.walk()]


def _top_headers(message):
    return [name for name in message if name.lower() not in ("content-type", "mime-version")]


def _as_read(raw: bytes) -> dict[str, str]:
    """The top headers as a mail client shows them (RFC 2047: the space between encoded words is no text)."""
    wire = email.message_from_string(raw.decode("utf-8"), policy=email.policy.compat32)
    return {name: _client_reading(value).strip() for name, value in wire.items()
            if name.lower() not in ("content-type", "mime-version", "content-transfer-encoding")}


def _client_reading(value: str) -> str:
    """Unfolded (RFC 5322 2.2.3), then its encoded words decoded (RFC 2047), as a mail client reads a header."""
    return str(make_header(decode_header(value.replace("\r\n ", " ").replace("\n ", " "))))


def _parsed(raw: bytes):
    """As the email package reads it; from text, so that an SMTPUTF8 message's UTF-8 addresses read as such."""
    return email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)


def _header_lines(raw: bytes) -> list[str]:
    """Every header line of every part (the text before each blank line that ends a header block)."""
    text = raw.decode("utf-8")
    lines, in_headers = [], True
    for line in text.split("\r\n"):
        if line.startswith("--=="):
            in_headers = not line.endswith("==--")
        elif not line:
            in_headers = False
        elif in_headers:
            lines.append(line)
    return lines


LONG_NAME = "Научно-производственное объединение «Московский завод точного машиностроения имени Ленина»"


def _cases(tmp_path):
    letter = _letter(tmp_path)
    after = (Visitor("1", "Иванов Иван", "kristall-1216-1500", 2), Visitor("4", "Кузнецова Анна", "kristall-1214-1000"))
    update = replace(letter, visitors=after, changes=diff_visitors(VISITORS, after))
    cyrillic = replace(letter, site=replace(SITE, roster_emails=("списки@завод.рф", "lists@завод.рф")))
    ascii_names = replace(_settings('Excursions, "Mosprom" Inc. <robot@example.org>'),
                          organizer_name="Open Mosprom (excursions)")
    return {
        "new": (letter, _settings(), {}),
        "trial resend": (letter, _settings(), {"test_to": "me@example.org", "repeats": EARLIER_ID}),
        "update": (update, _settings(), {}),
        "empty notice": (replace(letter, visitors=()), _settings(), {}),
        "cyrillic addresses": (cyrillic, _settings("Открой Моспром <robot@завод.рф>"), {}),
        "long names": (replace(letter, site=replace(SITE, name=LONG_NAME)), replace(
            _settings(), organizer_name=LONG_NAME), {}),
        "ascii names with specials": (letter, ascii_names, {}),
    }


@pytest.mark.parametrize("case", ["new", "trial resend", "update", "empty notice", "cyrillic addresses",
                                  "long names", "ascii names with specials"])
def test_a_mail_client_reads_what_the_email_package_built(tmp_path, case):
    letter, settings, options = _cases(tmp_path)[case]
    template = _default_template(tmp_path)
    ours = compose_message(letter, settings, template, message_id=MESSAGE_ID, now=NOW, **options)
    reference = _as_the_email_package_built_it(letter, settings, template, **options)

    assert _as_read(ours.data) == {name: str(value) for name, value in reference.items()
                                   if name.lower() not in ("content-type", "mime-version",
                                                           "content-transfer-encoding")}
    parsed = _parsed(ours.data)
    assert _top_headers(parsed) == _top_headers(reference)
    assert _parts(parsed) == _parts(reference)
    assert str(parsed["Subject"]) == ours.subject == str(reference["Subject"])
    # Every header line folds at 78 characters; the xlsx type alone is one token of 79.
    assert [line for line in _header_lines(ours.data) if len(line) > MAX_LINE] in ([], [XLSX_LINE])
    # 8-bit headers only where an address has no ASCII form.
    assert ours.smtputf8 == (case == "cyrillic addresses") == (not ours.data.isascii())


def test_a_space_beside_a_fold_survives_where_the_email_package_lost_it(tmp_path):
    """The email package folded this subject as «…нет —Завод…»: the space went between two encoded words."""
    letter = replace(_letter(tmp_path), visitors=())
    ours = compose_message(letter, _settings(), _default_template(tmp_path), message_id=MESSAGE_ID, now=NOW)
    expected = "«Открой#Моспром»: на экскурсии посетителей нет — Завод «Кристалл»"
    assert _as_read(ours.data)["Subject"] == expected == ours.subject
    assert str(email.message_from_bytes(ours.data, policy=email.policy.default)["Subject"]) == expected


def test_the_same_inputs_give_the_same_bytes_and_another_message_id_another_boundary(tmp_path):
    letter, template = _letter(tmp_path), _default_template(tmp_path)
    first = compose_message(letter, _settings(), template, message_id=MESSAGE_ID, now=NOW)
    again = compose_message(letter, _settings(), template, message_id=MESSAGE_ID, now=NOW)
    other = compose_message(letter, _settings(), template, message_id=EARLIER_ID, now=NOW)
    assert first.data == again.data
    boundary = email.message_from_bytes(first.data, policy=email.policy.default).get_boundary()
    assert boundary and boundary != email.message_from_bytes(other.data, policy=email.policy.default).get_boundary()


def test_a_reply_to_without_an_ascii_form_makes_the_message_smtputf8(tmp_path):
    settings = replace(_settings(), organizer_email="оргкомитет@завод.рф")
    ours = compose_message(_letter(tmp_path), settings, _default_template(tmp_path), message_id=MESSAGE_ID, now=NOW)
    assert ours.smtputf8
    parsed = _parsed(ours.data)
    assert parsed["Reply-To"].addresses[0].addr_spec == "оргкомитет@xn--80aegj1b.xn--p1ai"


# -- the fields, for any text ---------------------------------------------------------------------

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)
plain_words = st.lists(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20),
                       min_size=1, max_size=12).map(" ".join)
names = st.sampled_from(["Subject", "X-Openmosprom-Site", "X-Openmosprom-Roster-Fingerprint"])


def _field_lines(field: str) -> list[str]:
    assert field.endswith("\r\n") and "\n" not in field[:-2].replace("\r\n ", "")   # only folds inside
    return field[:-2].split("\r\n")


def _read_field(field: str, name: str) -> tuple[str, Any]:
    """The field's value as a mail client decodes it (RFC 2047), and as the email package does."""
    wire = email.message_from_string(field + "\r\n", policy=email.policy.compat32)
    parsed = email.message_from_string(field + "\r\n", policy=email.policy.default)
    client, parsed_value = _client_reading(wire[name]), parsed[name]
    if field.startswith(f"{name}:\r\n"):
        # A value too long to stand beside its name starts on the next line (as the email package writes the
        # fingerprint); the fold's space is no text of it, but both parsers keep it.
        return client.lstrip("\r\n "), str(parsed_value).lstrip(" ")
    return client, parsed_value


@given(names, st.one_of(texts, plain_words))
def test_any_unstructured_text_reads_back_the_same_in_ascii_lines_of_at_most_78(name, text):
    field = unstructured_field(name, text)
    assert field.isascii() and all(len(line) <= MAX_LINE for line in _field_lines(field))
    assert all(len(word) <= 75 for word in re.findall(r"=\?utf-8\?b\?[^?]*\?=", field))   # RFC 2047 2
    as_a_client_reads, parsed = _read_field(field, name)
    assert as_a_client_reads == str(parsed) == text


@given(st.one_of(texts.filter(lambda name: "\r" not in name and "\n" not in name), plain_words))
def test_any_display_name_reads_back_the_same(display_name):
    field = mailbox_field("From", display_name, "excursions@example.org")
    assert field.isascii() and all(len(line) <= MAX_LINE for line in _field_lines(field))
    as_a_client_reads, parsed = _read_field(field, "From")
    assert parsed.addresses[0].addr_spec == "excursions@example.org"
    if "=?utf-8?b?" in field:
        # Encoded words, decoded as RFC 2047 says (the email package would put a space between two of them).
        assert as_a_client_reads == f"{display_name} <excursions@example.org>"
    else:
        assert parsed.addresses[0].display_name == display_name


@given(st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=100).filter(
    lambda name: name == name.strip()))
def test_any_attachment_name_reads_back_the_same(filename):
    data = message_bytes([unstructured_field("Subject", "x")], "текст", Attachment(b"PK\x03\x04", "/".join(XLSX_TYPE),
                                                                                 filename),
                         message_id=MESSAGE_ID, smtputf8=False)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    (attachment,) = parsed.iter_attachments()
    assert attachment.get_filename() == filename and attachment.get_content() == b"PK\x03\x04"
    assert [line for line in _header_lines(data) if len(line) > MAX_LINE] in ([], [XLSX_LINE])


# -- what the dry run loads ----------------------------------------------------------------------

DRY_RUN = """
import json, sys
from openmosprom_cli.cli.main import run
sys.argv = ["openmosprom", "rosters", "email", "-w", sys.argv[1]]
try:
    run()
except SystemExit as exit:
    assert not exit.code, exit.code
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def test_the_dry_run_loads_neither_the_allocation_nor_publication_nor_the_email_package(season):
    populate(season, 2)
    ready = configure_smtp(season, 2525)
    result = subprocess.run([sys.executable, "-c", DRY_RUN, str(ready.path)], capture_output=True, text=True)
    assert "Dry run" in result.stdout, result.stdout + result.stderr
    loaded = json.loads(result.stderr.strip().splitlines()[-1])
    assert [m for m in loaded if m.startswith(("numpy", "openmosprom_cli.allocation", "openmosprom_cli.publication",
                                               "email.message", "email.headerregistry", "smtplib"))] == []
    assert len(list((ready.path / "outbox").glob("*.eml"))) == 2


def test_a_long_site_name_splits_its_attachment_name_in_sections_of_whole_characters(tmp_path):
    letter = replace(_letter(tmp_path), site=Site(site_id="npo", name=LONG_NAME, roster_emails=("a@npo.example",)))
    ours = compose_message(letter, _settings(), _default_template(tmp_path), message_id=MESSAGE_ID, now=NOW)
    assert b"filename*0*=utf-8''" in ours.data and b"filename*2*=" in ours.data
    (attachment,) = email.message_from_bytes(ours.data, policy=email.policy.default).iter_attachments()
    filename = str(attachment.get_filename())
    assert filename == attachment_name(letter.site) and filename.startswith("Список_Научно-производственное")
    subject = render_letter(letter, _settings(), _default_template(tmp_path), dt.date(2026, 12, 1))[0]
    assert _as_read(ours.data)["Subject"] == subject
