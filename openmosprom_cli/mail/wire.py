"""A roster email's bytes as the wire carries them, written here rather than by the ``email`` package.

The ``email`` package parses every header it is given and refolds it when it
writes the message: about a millisecond per header with a Russian name or
subject, most of a season's dry run. The fields here are few and known, so
they are encoded and folded once, directly: RFC 2047 encoded words (UTF-8,
base64) for Russian text in a subject or a display name, RFC 2231 for the
attachment's file name, lines of at most 78 characters (RFC 5322) wherever a
field can be folded. Every header is ASCII unless an address itself needs
SMTPUTF8. The MIME layout is the one the ``email`` package wrote before:
``multipart/mixed`` with the text (base64) and the workbook (base64), or the
text alone. The bytes depend only on the inputs: the multipart boundary comes
from the Message-ID.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

MAX_LINE = 78          # RFC 5322 2.1.1: a line SHOULD be at most 78 characters, CRLF excluded
_CRLF = "\r\n"
_WORD_MAX = 75         # RFC 2047 2: an encoded word is at most 75 characters long
_WORD_CHROME = len("=?utf-8?b??=")
_ATEXT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")  # quote() keeps
_BASE64_LINE = 76      # 57 bytes a line, as the email package writes base64 (RFC 2045 6.8: at most 76)


@dataclass(frozen=True)
class OutgoingMessage:
    """A composed message: its bytes, both the draft's ``.eml`` and what goes out, and what the outbox records."""

    data: bytes
    subject: str
    smtputf8: bool     # an address in its headers is not ASCII: the bytes are UTF-8, SMTPUTF8 must carry them


@dataclass(frozen=True)
class Attachment:
    data: bytes
    content_type: str  # "maintype/subtype"
    filename: str


# -- header fields -------------------------------------------------------------------

def _fold(name: str, tokens: Sequence[str]) -> str:
    """``Name: token token …`` folded before a token that would pass ``MAX_LINE``; a token is never split.

    A value that does not fit beside its name starts on the next line (``Name:`` CRLF SP value), as the
    email package writes it; a token longer than a line stands alone on its own.
    """
    lines: list[str] = []
    line = f"{name}:"
    for token in tokens:
        if line and len(line) + 1 + len(token) > MAX_LINE:
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    return _CRLF.join(lines) + _CRLF


def _plain(text: str) -> bool:
    """Text that reads the same written as it is: printable ASCII words, one space apart, nothing like ``=?``."""
    return (text.isascii() and text.isprintable() and "=?" not in text and "  " not in text
            and text == text.strip(" "))


def _encoded_words(text: str, first: int) -> list[str]:
    """``text`` as RFC 2047 encoded words of whole characters: the first at most ``first`` long, the rest 75.

    Whitespace between encoded words is no text to a reader (RFC 2047 6.2), so every character, spaces
    included, is inside a word.
    """
    if first < _WORD_CHROME + 8:    # not even one 4-byte character fits beside the name: start on the next line
        first = _WORD_MAX
    words: list[str] = []
    start, size, room = 0, 0, first
    for end, char in enumerate(text):
        width = _utf8_width(char)
        if end > start and _WORD_CHROME + 4 * -(-(size + width) // 3) > room:
            words.append(_encoded_word(text[start:end]))
            start, size, room = end, 0, _WORD_MAX
        size += width
    words.append(_encoded_word(text[start:]))
    return words


def _utf8_width(char: str) -> int:
    return 1 if char < "\x80" else 2 if char < "\u0800" else 3 if char < "\U00010000" else 4


def _encoded_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def unstructured_field(name: str, text: str) -> str:
    """An unstructured field (Subject, Date, Message-ID, our X- fields): as it is when plain, else encoded words."""
    if _plain(text):
        words = text.split(" ")
        if all(len(word) < MAX_LINE for word in words):
            return _fold(name, words)
    return _fold(name, _encoded_words(text, MAX_LINE - len(name) - 2))


def _phrase(display_name: str, first: int) -> list[str]:
    """A display name (RFC 5322 ``phrase``): atoms, a quoted string when it has specials, else encoded words."""
    if _plain(display_name):
        quoted = display_name if all(c in _ATEXT or c == " " for c in display_name) else (
            '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"')
        words = quoted.split(" ")   # folding inside a quoted string is allowed white space (RFC 5322 3.2.4)
        if all(len(word) < MAX_LINE for word in words):
            return words
    return _encoded_words(display_name, first)


def mailbox_field(name: str, display_name: str, address: str) -> str:
    """``Name: display name <address>``, or the bare address when there is no display name."""
    if not display_name:
        return _fold(name, [address])
    return _fold(name, [*_phrase(display_name, MAX_LINE - len(name) - 2), f"<{address}>"])


def address_list_field(name: str, addresses: Sequence[str]) -> str:
    """``Name: a, b, c``, folded between addresses."""
    return _fold(name, [address + ("," if n < len(addresses) - 1 else "") for n, address in enumerate(addresses)])


def _attachment_field(filename: str) -> str:
    """``Content-Disposition: attachment`` with the file name: quoted when plain, else RFC 2231, in sections.

    The layout is the email package's: ``filename*=utf-8''…`` when it fits a line, else
    ``filename*0*=utf-8''…; filename*1*=…`` of whole characters, a section a line.
    """
    head = "Content-Disposition: attachment;"
    if _plain(filename):
        parameter = 'filename="' + filename.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        parameter = "filename*=utf-8''" + quote(filename, safe="")
    if len(head) + 1 + len(parameter) < MAX_LINE:
        return f"{head} {parameter}{_CRLF}"
    if len(parameter) + 2 <= MAX_LINE:
        return f"{head}{_CRLF} {parameter}{_CRLF}"
    lines, section, chrome, start = [head], 0, "utf-8''", 0
    widths = [1 if char in _UNRESERVED else 3 * _utf8_width(char) for char in filename]   # each once quoted
    while start < len(filename):
        room = MAX_LINE - (len("filename") + len(str(section)) + 3 + len(chrome)) - 2
        end, size = start + 1, widths[start]
        while end < len(filename) and size + widths[end] <= room:
            size += widths[end]
            end += 1
        lines.append(f" filename*{section}*={chrome}{quote(filename[start:end], safe='')}"
                     + (";" if end < len(filename) else ""))
        section, chrome, start = section + 1, "", end
    return _CRLF.join(lines) + _CRLF


# -- the message -------------------------------------------------------------------------

_TEXT_PART = 'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n'


def message_bytes(fields: Sequence[str], body: str, attachment: Attachment | None, *, message_id: str,
                  smtputf8: bool) -> bytes:
    """The whole message: ``fields`` (folded, from the functions above), the text, and the attachment if any.

    Without ``smtputf8`` every byte is ASCII (an address that is not raises UnicodeEncodeError: a bug).
    """
    head = "".join(fields).encode("utf-8" if smtputf8 else "ascii")
    # The text as the email package encodes it: its lines ended by LF, in UTF-8, base64.
    text = _base64(b"\n".join(body.encode("utf-8").splitlines()) + b"\n")
    if attachment is None:
        return head + (_TEXT_PART + "MIME-Version: 1.0\r\n\r\n").encode("ascii") + text
    # Base64 lines hold no "=" run, and a part's lines never start with "--": no boundary can occur inside.
    digits = int.from_bytes(hashlib.sha256(message_id.encode("utf-8")).digest()[:8], "big") % 10 ** 19
    boundary = f"==============={digits:019d}=="
    delimiter = f"--{boundary}\r\n".encode("ascii")
    # The type stays beside its name even at 79 characters (the xlsx type's length), as the email package wrote
    # it: every mail client has found the roster in that part so, and a line-1 fold is no gain worth a doubt.
    workbook = (f"Content-Type: {attachment.content_type}\r\nContent-Transfer-Encoding: base64\r\n"
                + _attachment_field(attachment.filename) + "MIME-Version: 1.0\r\n\r\n")
    return b"".join((
        head, b"MIME-Version: 1.0\r\n",
        _fold("Content-Type", ["multipart/mixed;", f'boundary="{boundary}"']).encode("ascii"), b"\r\n",
        delimiter, (_TEXT_PART + "\r\n").encode("ascii"), text, b"\r\n",
        delimiter, workbook.encode("ascii"), _base64(attachment.data), b"\r\n",
        f"--{boundary}--\r\n".encode("ascii"),
    ))


def _base64(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"".join(encoded[i:i + _BASE64_LINE] + b"\r\n" for i in range(0, len(encoded), _BASE64_LINE))
