"""SMTP for the outbox: one connection per batch, the server's answers sorted into refusals and interruptions.

TLS follows ``[smtp] security`` (``none``, ``starttls`` or ``ssl``, with an
optional ``ca_file`` for a server with its own certificate authority). The
SMTP password is read only from ``OPENMOSPROM_SMTP_PASSWORD`` and is
scrubbed from every message this module produces.
"""

from __future__ import annotations

import base64
import contextlib
import os
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from openmosprom_cli.errors import EX_DATAERR, BadDataError, Location, OpenMospromError, TemporaryFailure
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.mail.addresses import MailAddress, UnusableAddress, mail_addresses
from openmosprom_cli.mail.compose import sender_address
from openmosprom_cli.mail.wire import OutgoingMessage
from openmosprom_cli.season.folder import Season
from openmosprom_cli.settings import SETTINGS_FILE

PASSWORD_ENV = "OPENMOSPROM_SMTP_PASSWORD"


class SmtpConfigError(OpenMospromError):
    """The SMTP server refuses this configuration (login, TLS); retrying as is will not help.

    It is bad input (the [smtp] settings or the password), hence EX_DATAERR.
    """

    exit_code = EX_DATAERR


class MessageRejected(Exception):
    """The server refused this message for good (5xx); the batch goes on.

    ``answer`` is the server's answer, or our reason in the interface's language; it is stored in the outbox.
    """

    def __init__(self, answer: str):
        super().__init__(answer)
        self.answer = answer


class DeliveryInterrupted(Exception):
    """A temporary failure (4xx, broken connection, timeout); the batch stops."""

    def __init__(self, answer: str, *, maybe_delivered: bool):
        super().__init__(answer)
        self.answer = answer
        self.maybe_delivered = maybe_delivered


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


# A per-read timeout does not stop a server that answers one byte at a time: each read
# succeeds. So the connection set-up and every message also get an overall deadline.
STEP_DEADLINE_FACTOR = 4
SLOWEST_UPLOAD_BYTES_PER_S = 10_000


class _Deadline:
    """Cuts the connection when a step overruns its deadline; the blocked read then fails at once."""

    def __init__(self) -> None:
        self.expired_after: float | None = None

    @contextlib.contextmanager
    def step(self, smtp: smtplib.SMTP, seconds: float) -> Iterator[None]:
        timer = threading.Timer(seconds, self._cut, args=(smtp, seconds))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _cut(self, smtp: smtplib.SMTP, seconds: float) -> None:
        self.expired_after = seconds
        sock = getattr(smtp, "sock", None)
        if sock is not None:
            # The plain socket's shutdown, also under TLS: it wakes the reader without touching the TLS state.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def reason(self, exc: BaseException) -> str:
        if self.expired_after is not None:
            return _("no complete answer within {seconds} s (the server answers too slowly)").format(
                seconds=f"{self.expired_after:g}")
        return _reason(exc)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return _("timed out")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a read timeout as a disconnection.
        return _("timed out") if "timed out" in str(exc) else _("the server closed the connection")
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or exc.__class__.__name__


class SmtpBatch:
    """One SMTP connection for a whole batch: TLS as configured, login with the password from the environment."""

    def __init__(self, season: Season):
        self.settings = season.settings.smtp
        self.season_path = season.path
        self.sender: MailAddress = sender_address(season.settings)
        self._password = os.environ.get(PASSWORD_ENV, "")
        self._secrets = _secret_forms(self.settings.user, self._password)
        self._smtp: smtplib.SMTP | None = None
        self._deadline = _Deadline()

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file:
            ca_file = Path(self.settings.ca_file).expanduser()
            ca_file = ca_file if ca_file.is_absolute() else self.season_path / ca_file
            try:
                context.load_verify_locations(cafile=str(ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise BadDataError.at(Location(SETTINGS_FILE, column="[smtp] ca_file"),
                                      Msg("cannot load {file}: {reason}", file=str(ca_file), reason=_reason(exc))
                                      ) from None
        return context

    def __enter__(self) -> SmtpBatch:
        s = self.settings
        if s.user and not self._password:
            raise SmtpConfigError(_("[smtp] user is {user} but {variable} is not set").format(
                user=repr(s.user), variable=PASSWORD_ENV),
                hint=_("export {variable}=… in the shell that runs the command.").format(variable=PASSWORD_ENV))
        context = self._tls_context() if s.security in ("starttls", "ssl") else None
        smtp = (smtplib.SMTP_SSL(timeout=s.timeout_s, context=context) if s.security == "ssl"
                else smtplib.SMTP(timeout=s.timeout_s))
        try:
            with self._deadline.step(smtp, self._step_deadline()):
                self._open(smtp, context)
        except BaseException:
            with contextlib.suppress(OSError):
                smtp.close()
            raise
        self._smtp = smtp
        return self

    def _step_deadline(self, upload_bytes: int = 0) -> float:
        return STEP_DEADLINE_FACTOR * self.settings.timeout_s + upload_bytes / SLOWEST_UPLOAD_BYTES_PER_S

    def _open(self, smtp: smtplib.SMTP, context: ssl.SSLContext | None) -> None:
        """Connect, greet, TLS and login; every failure says that nothing was sent."""
        s = self.settings
        # Connecting after construction lets the deadline watch the greeting; TLS checks the name in _host,
        # which only the constructor sets.
        smtp._host = s.host  # type: ignore[attr-defined]
        try:
            code, text = smtp.connect(s.host, s.port)
        except ssl.SSLError as exc:
            raise self._tls_error(exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            reason = self.scrub(self._deadline.reason(exc))
            raise TemporaryFailure(_("cannot reach the SMTP server {server}: {reason}; nothing was sent").format(
                server=self.where, reason=reason),
                hint=_("Check [smtp] host and port in season.toml, then run the command again.")) from None
        if code != 220:
            self._refuse_or_retry(code, self.scrub(_answer(code, text)))
        try:
            smtp.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                self._login(smtp)
            if self.sender.needs_smtputf8 and not smtp.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError(
                    _("SMTPUTF8, needed for the sender {address} (non-ASCII before the @)").format(
                        address=self.sender.text))
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpConfigError(
                _("the SMTP server {server} rejected the login of {user}: {answer}; nothing was sent").format(
                    server=self.where, user=repr(s.user), answer=self.scrub(_answer(exc.smtp_code, exc.smtp_error))),
                hint=_("Check [smtp] user and the password in {variable}.").format(variable=PASSWORD_ENV)) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SmtpConfigError(
                _("the SMTP server {server} does not support what [smtp] asks: {what}; nothing was sent").format(
                    server=self.where, what=self.scrub(str(exc))),
                hint=_("Check [smtp] security (none, starttls or ssl) and user.")) from None
        except ssl.SSLError as exc:
            raise self._tls_error(exc) from None
        except smtplib.SMTPResponseException as exc:
            self._refuse_or_retry(exc.smtp_code, self.scrub(_answer(exc.smtp_code, exc.smtp_error)))
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(
                _("the SMTP server {server} broke the connection before sending: {reason}; nothing was sent").format(
                    server=self.where, reason=self.scrub(self._deadline.reason(exc))),
                hint=_("Run the command again later.")) from None

    def _login(self, smtp: smtplib.SMTP) -> None:
        if self._password.isascii():
            smtp.login(self.settings.user, self._password)
            return
        # smtplib encodes credentials as ASCII; AUTH PLAIN carries UTF-8 (RFC 4616), so send it by hand.
        if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
            raise smtplib.SMTPNotSupportedError(_("AUTH PLAIN, needed for a password with non-ASCII characters"))
        token = base64.b64encode(f"\0{self.settings.user}\0{self._password}".encode()).decode("ascii")
        code, text = smtp.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, text)

    def _refuse_or_retry(self, code: int, answer: str) -> NoReturn:
        if 400 <= code < 500:
            raise TemporaryFailure(_("the SMTP server {server} is busy: {answer}; nothing was sent").format(
                server=self.where, answer=answer), hint=_("Run the command again later.")) from None
        raise SmtpConfigError(_("the SMTP server {server} refused the connection: {answer}; nothing was sent").format(
            server=self.where, answer=answer))

    def _tls_error(self, exc: ssl.SSLError) -> SmtpConfigError:
        reason = getattr(exc, "verify_message", "") or _reason(exc)
        return SmtpConfigError(
            _("TLS with the SMTP server {server} failed: {reason}; nothing was sent").format(
                server=self.where, reason=self.scrub(reason)),
            hint=_("Check [smtp] security and port; for a server with its own certificate authority set "
                   "[smtp] ca_file."))

    def __exit__(self, *exc_info) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
            self._smtp = None

    def deliver(self, message: OutgoingMessage, recipients: Sequence[str], *, on_data: Callable[[], None]) -> str:
        """Send one message; ``on_data`` runs (and commits ``sending``) just before the DATA command.

        Returns "" or the refusals of some of several recipients. Raises
        :class:`MessageRejected` for a permanent refusal, :class:`DeliveryInterrupted` for a
        temporary one.
        """
        smtp = self._smtp
        if smtp is None:
            raise DeliveryInterrupted(_("the connection is closed"), maybe_delivered=False)
        try:
            addresses = mail_addresses(recipients)
        except UnusableAddress as exc:
            raise MessageRejected(exc.args[0]) from None
        # The headers' own addresses count too: a Reply-To that is not ASCII makes the message's bytes UTF-8.
        utf8 = message.smtputf8 or self.sender.needs_smtputf8 or any(a.needs_smtputf8 for a in addresses)
        if utf8 and not smtp.has_extn("smtputf8"):
            needing = ", ".join(a.text for a in addresses if a.needs_smtputf8)
            if not needing:
                raise MessageRejected(_("an address in the message's headers (Reply-To) has letters other than "
                                        "Latin before the @, which needs SMTPUTF8; the server {server} does not "
                                        "offer it").format(server=self.where))
            raise MessageRejected(_("{addresses} has letters other than Latin before the @, which needs SMTPUTF8; "
                                    "the server {server} does not offer it").format(addresses=needing,
                                                                                   server=self.where))
        payload = message.data   # the very bytes of the draft's .eml
        refused: dict[str, tuple[int, bytes]] = {}
        try:
            with self._deadline.step(smtp, self._step_deadline()):
                self._envelope(smtp, [a.text for a in addresses], refused, utf8=utf8)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise DeliveryInterrupted(self.scrub(self._deadline.reason(exc)), maybe_delivered=False) from None
        on_data()
        try:
            with self._deadline.step(smtp, self._step_deadline(len(payload))):
                code, text = smtp.data(payload)
            if code != 250:  # smtplib raises only for the answer to DATA itself, not for the final one
                raise smtplib.SMTPDataError(code, text)
        except smtplib.SMTPDataError as exc:
            answer = self.scrub(_answer(exc.smtp_code, exc.smtp_error))
            if 400 <= exc.smtp_code < 500:
                raise DeliveryInterrupted(answer, maybe_delivered=False) from None
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.rset()
            raise MessageRejected(answer) from None
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise DeliveryInterrupted(self.scrub(self._deadline.reason(exc)), maybe_delivered=True) from None
        return self._refusals(refused) if refused else ""

    def _envelope(self, smtp: smtplib.SMTP, recipients: Sequence[str], refused: dict[str, tuple[int, bytes]],
                  *, utf8: bool) -> None:
        """MAIL FROM and RCPT TO; fills ``refused`` with the recipients the server refused."""
        options = (["SMTPUTF8", "BODY=8BITMIME"] if smtp.has_extn("8bitmime") else ["SMTPUTF8"]) if utf8 else []
        code, text = smtp.mail(self.sender.text, options)
        if code != 250:
            self._refused(smtp, code, text)
        for recipient in recipients:
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, text)
        if len(refused) == len(recipients):
            if any(400 <= code < 500 for code, _ in refused.values()):
                raise DeliveryInterrupted(self._refusals(refused), maybe_delivered=False)
            smtp.rset()
            raise MessageRejected(self._refusals(refused))

    def _refused(self, smtp: smtplib.SMTP, code: int, text: bytes) -> NoReturn:
        """The server refused the sender (MAIL FROM)."""
        answer = _("sender refused: {answer}").format(answer=self.scrub(_answer(code, text)))
        if 400 <= code < 500:
            raise DeliveryInterrupted(answer, maybe_delivered=False)
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.rset()
        raise MessageRejected(answer)

    def _refusals(self, refused: dict[str, tuple[int, bytes]]) -> str:
        return self.scrub("; ".join(f"{address}: {_answer(code, text)}" for address, (code, text) in refused.items()))


def _secret_forms(user: str, password: str) -> tuple[str, ...]:
    """The password as it could appear in a server's answer: plain, or base64 as AUTH PLAIN/LOGIN send it."""
    if not password:
        return ()
    forms = {password}
    for raw in (password, f"\0{user}\0{password}", f"{user}\0{password}"):
        forms.add(base64.b64encode(raw.encode("utf-8")).decode("ascii"))
    return tuple(sorted(forms, key=len, reverse=True))
