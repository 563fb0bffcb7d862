"""Addresses as SMTP carries them: a Cyrillic domain as punycode, SMTPUTF8 only where a local part needs it.

``lists@завод.рф`` goes out as ``lists@xn--80aegj1b.xn--p1ai`` to any server.
``списки@завод.рф`` has no ASCII form: it needs a server that offers SMTPUTF8,
and a message to it is refused on its own where the server does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from openmosprom_cli.i18n import Msg


class UnusableAddress(ValueError):
    """An address that cannot be sent to; the reason (``args[0]``, a Msg) names it."""


@dataclass(frozen=True)
class MailAddress:
    text: str                  # as it goes into RCPT TO / MAIL FROM and the headers
    needs_smtputf8: bool


def mail_address(address: str) -> MailAddress:
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        # email-validator's own reason stays in English: it is the library's, not ours.
        raise UnusableAddress(Msg("{address} is not an email address ({reason})", address=repr(address),
                                  reason=str(exc))) from None
    if valid.ascii_email:
        return MailAddress(valid.ascii_email, needs_smtputf8=False)
    return MailAddress(f"{valid.local_part}@{valid.ascii_domain}", needs_smtputf8=True)


def mail_addresses(addresses: Iterable[str]) -> tuple[MailAddress, ...]:
    """Each address once, in order; the same mailbox spelled twice is written to once."""
    unique: dict[str, MailAddress] = {}
    for address in addresses:
        converted = mail_address(address)
        unique.setdefault(converted.text.casefold(), converted)
    return tuple(unique.values())
