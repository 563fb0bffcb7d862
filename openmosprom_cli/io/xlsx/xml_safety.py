"""The XML of an untrusted workbook: DTDs refused, and only the constructs spreadsheet programs write.

Small parts (the workbook, relationships, styles) are parsed by expat with
every DTD refused (billion laughs, external entities). Sheets and shared
strings are tokenised rather than parsed (see ``tokens``), which is only sound
for the XML that spreadsheet programs write: :func:`checked_xml_chunks` checks
their prolog by hand and refuses comments, CDATA, processing instructions,
DTDs and encodings other than UTF-8 anywhere in them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import NoReturn
from xml.parsers import expat

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import Msg, _


def xml_constructs_hint() -> str:
    return _("save the file again from Excel or LibreOffice")


class _Refused(Exception):
    """A DTD, met by expat."""


def _refuse_dtd(*_args: object) -> NoReturn:
    raise _Refused()


def _dtd_refused(part: str) -> Msg:
    return Msg("{part} inside it contains a DTD (<!DOCTYPE>), which spreadsheets never need; rejected for safety "
               "(entity expansion or external entities)", part=part)


def parse_xml(data: bytes, name: str, start: Callable[[str, dict], None],
              error: Callable[..., BadDataError]) -> None:
    """Parse a small part with expat, calling ``start(local_name, attrs)``; any DTD is refused."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.StartElementHandler = lambda tag, attrs: start(tag.rpartition(" ")[2], attrs)
    try:
        parser.Parse(data, True)
    except _Refused:
        raise error(_dtd_refused(name)) from None
    except expat.ExpatError as exc:
        raise error(Msg("is damaged: {part} inside it is not well-formed XML ({reason}, line {line})", part=name,
                        reason=expat.ErrorString(exc.code), line=exc.lineno)) from None
    except (ValueError, LookupError, UnicodeError, RecursionError):  # e.g. an unknown declared encoding
        raise error(Msg("is damaged: {part} inside it cannot be parsed", part=name)) from None


_PROLOG_DECL = re.compile(rb"<\?xml\s[^?]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*[\s/>]")


def _prolog_end(data: bytes, name: str, error: Callable[..., BadDataError]) -> tuple[int, bytes] | None:
    """Where the root element starts and its prefix; None if more bytes are needed.

    A DTD can only stand before the root element, so checking the prolog by hand
    is enough for parts that are tokenised rather than parsed.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(Msg("{part} inside it is UTF-16 encoded, which this reader does not support", part=name),
                    hint=xml_constructs_hint())
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while pos < len(data) and data[pos] in b" \t\r\n":
            pos += 1
        if pos >= len(data):
            return None
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos)
            if end < 0:
                return None
            declared = _PROLOG_DECL.match(data, pos, end + 2)
            if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
                raise error(Msg("{part} inside it is encoded as {encoding}, not UTF-8", part=name,
                                encoding=declared.group(1).decode()), hint=xml_constructs_hint())
            pos = end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos)
            if end < 0:
                return None
            pos = end + 3
        elif data.startswith(b"<!", pos):
            _raise_refused(data, pos, name, error)
        else:
            root = _ROOT_TAG.match(data, pos)
            if root is None:
                if len(data) - pos < 256:
                    return None
                raise error(Msg("is damaged: {part} inside it is not XML", part=name))
            return pos, root.group(1) or b""


def _raise_refused(data: bytes, pos: int, name: str, error: Callable[..., BadDataError]) -> NoReturn:
    if data[pos:pos + 9].upper() == b"<!DOCTYPE" or data.startswith(b"<!ENTITY", pos):
        raise error(_dtd_refused(name))
    raise error(Msg("{part} inside it contains XML comments, CDATA or processing instructions, "
                    "which spreadsheet programs do not write", part=name), hint=xml_constructs_hint())


def checked_xml_chunks(chunks: Iterable[bytes], part: str,
                       error: Callable[..., BadDataError]) -> Iterator[tuple[bytes, bytes]]:
    """Yield (prefix, chunk) for a tokenised part; refuses DTDs and constructs the tokeniser does not handle.

    ``chunks`` are the part's decompressed bytes in order; ``prefix`` is its root element's
    namespace prefix (b"" or e.g. b"x:"), and the first chunk yielded starts at the root element.
    """
    pending = b""
    prefix = None
    carry = b""  # a possible "<!" or "<?" split across chunks
    for chunk in chunks:
        if prefix is None:
            pending += chunk
            found = _prolog_end(pending, part, error)
            if found is None:
                if len(pending) > (1 << 20):
                    raise error(Msg("is damaged: {part} inside it has no root element in its first megabyte",
                                    part=part))
                continue
            start, prefix = found
            chunk = pending[start:]
            pending = b""
        probe = carry + chunk
        # "!" and "?" are rare in sheet XML and found at memchr speed; "<!" itself is not.
        for mark, marker in ((b"!", b"<!"), (b"?", b"<?")):
            if mark in probe:
                at = probe.find(marker)
                if at >= 0:
                    _raise_refused(probe, at, part, error)
        carry = chunk[-1:]
        yield prefix, chunk
    if prefix is None and pending:
        raise error(Msg("is damaged: {part} inside it is not XML", part=part))
