"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a season with exported rosters, for the email tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import hashlib
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from openmosprom_cli.models import Site, Tour, make_tour_id
from openmosprom_cli.season.folder import Season, open_season
from openmosprom_cli.store.rosters import RosterExportRow, save_roster_export
from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours

SITES = (
    ("estet", "Фабрика «Эстет»", ("estet@factory.example",)),
    ("kristall", "Завод «Кристалл»", ("kristall@factory.example", "guard@kristall.example")),
    ("mosmetro", "Депо «Москва-Сортировочная»", ("depo@factory.example",)),
    ("pekarnya", "Хлебозавод №1", ("bread@factory.example",)),
    ("zil", "Технопарк «ЗИЛ»", ("zil@factory.example",)),
)
NAMES = ("Иванов Иван", "Петрова Мария", "Сидоров Пётр", "Кузнецова Анна", "Смирнов Олег", "Волкова Ольга")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str] = field(default_factory=list)

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every message it accepted, with switchable faults."""

    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)      # recipients answered with 550
    drop_after: int | None = None                       # close the connection at the next MAIL after this many
    data_delay_s: float = 0.0                           # stall before answering DATA
    # When set, DATA is answered only once the test releases it: a run that stays in the middle of a batch.
    data_gate: threading.Event | None = None
    data_started: threading.Event = field(default_factory=threading.Event)
    stall_at: int | None = None                         # hang at DATA of the message after this many
    data_answers: dict[int, str] = field(default_factory=dict)  # n -> a one-time answer at DATA after n messages
    stalled: threading.Event = field(default_factory=threading.Event)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            server.transport.close()
            return "421 4.3.2 going away"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_started.set()
        if self.data_delay_s:
            await asyncio.sleep(self.data_delay_s)
        if self.data_gate is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.data_gate.wait)
        if len(self.messages) in self.data_answers:
            return self.data_answers.pop(len(self.messages))
        if self.stall_at is not None and len(self.messages) == self.stall_at:
            self.stalled.set()
            await asyncio.sleep(60)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content),
                                      list(envelope.mail_options)))
        return "250 2.0.0 accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """aiosmtpd's Controller on a free port of 127.0.0.1; ``with`` starts and stops it."""

    def __init__(self, recorder: Recorder | None = None, **controller_kwargs):
        self.recorder = recorder or Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **controller_kwargs)

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def rejecting_authenticator(server, session, envelope, mechanism, auth_data):
    """Refuses every login and, like a careless server, echoes the password back."""
    password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 bad credentials: {password}")


# -- a season with exported rosters ------------------------------------------------

def visitors_for(site_index: int, count: int = 3, *, start: int = 0) -> list[dict]:
    site_id = SITES[site_index][0]
    return [{"id": f"{site_index}{n:03d}", "name": NAMES[n % len(NAMES)], "tour_id": tour_id(site_id, n % 2),
             "companions": n % 3} for n in range(start, start + count)]


def tour_id(site_id: str, number: int) -> str:
    return make_tour_id(site_id, dt.date(2026, 12, 14 + number), dt.time(10 + number, 0))


def roster_fingerprint(visitors: list[dict]) -> str:
    return hashlib.sha256(json.dumps(visitors, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def export_roster(season: Season, site_id: str, visitors: list[dict]) -> Path:
    """What the roster export records: an .xlsx under rosters/ and its row in roster_exports, with its sha256."""
    import openpyxl

    path = season.path / "rosters" / f"{site_id}.xlsx"
    path.parent.mkdir(exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Список"
    ws.append(["№", "ФИО", "Экскурсия", "Гости"])
    for n, visitor in enumerate(visitors, start=1):
        ws.append([n, visitor["name"], visitor["tour_id"], visitor["companions"]])
    wb.save(path)
    with season.transaction() as conn:
        save_roster_export(conn, RosterExportRow(
            site_id=site_id, fingerprint=roster_fingerprint(visitors),
            visitors_json=json.dumps(visitors, ensure_ascii=False), path=f"rosters/{site_id}.xlsx",
            exported_at="2026-12-01T10:00:00", sha256=hashlib.sha256(path.read_bytes()).hexdigest()))
    return path


def populate(season: Season, sites: int = 3, *, lead_days: int = 3) -> dict[str, Path]:
    """``sites`` factories, each with two tours and an exported roster; returns the roster files by site."""
    tours = []
    with season.transaction() as conn:
        for site_id, name, emails in SITES[:sites]:
            save_site(conn, Site(site_id=site_id, name=name, roster_emails=emails, roster_lead_days=lead_days))
            for number in range(2):
                tours.append(Tour(tour_id(site_id, number), site_id, dt.date(2026, 12, 14 + number),
                                  dt.time(10 + number, 0), 90, 20))
        replace_tours(conn, tours)
    return {SITES[i][0]: export_roster(season, SITES[i][0], visitors_for(i)) for i in range(sites)}


def configure_smtp(season: Season, port: int, **smtp) -> Season:
    """Point the season's [smtp] at ``port`` (plus any other keys) and return it reloaded."""
    text = season.settings_path.read_text(encoding="utf-8")
    values = {"port": port, "timeout_s": 5, **smtp}
    section = text[text.index("[smtp]"):]
    section = section[: section.index("[limits]")]
    new_section = section
    for key, value in values.items():
        rendered = json.dumps(value, ensure_ascii=False)
        line = re.compile(rf"^{key} = .*$", re.M)
        assignment = f"{key} = {rendered}"
        new_section = line.sub(lambda _, a=assignment: a, new_section) if line.search(new_section) \
            else new_section.rstrip("\n") + f"\n{key} = {rendered}\n\n"
    season.settings_path.write_text(text.replace(section, new_section), encoding="utf-8")
    return open_season(season.path)


def set_lock_timeout(season: Season, seconds: float) -> Season:
    text = season.settings_path.read_text(encoding="utf-8")
    season.settings_path.write_text(re.sub(r"^lock_timeout_s = .*$", f"lock_timeout_s = {seconds}", text, flags=re.M),
                                    encoding="utf-8")
    return open_season(season.path)


def outbox_rows(season: Season) -> list[dict]:
    with season.reader() as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY rowid")]


def make_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway certificate authority and a server certificate for 127.0.0.1: (ca, cert, key)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openmosprom test CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_path, cert_path, key_path
