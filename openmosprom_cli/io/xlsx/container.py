"""The file around a workbook: what it really is, and its zip archive read within the zip-bomb caps.

Before any XML is parsed, a file that is not a zip archive is refused, saying
what it actually is (CSV, old ``.xls``, encrypted, HTML, empty …). The archive
is then checked by the sizes it declares (members, total, compression ratio),
and every member is counted again while it inflates, since declared sizes can lie.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from openmosprom_cli.errors import BadDataError, Location, MissingInputError
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.settings import Limits

_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM_NAMES = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CHUNK = 1 << 20
_MAX_ZIP_MEMBERS = 10_000
# Below this a member's compression ratio says nothing: a few KB of repeated XML compresses 1000:1 legitimately.
_RATIO_CHECK_MIN_BYTES = 1 << 20
_MAX_SMALL_PART_BYTES = 64 << 20


# -- identifying what a file really is -------------------------------------

def identify_container(path: Path, file: str, max_bytes: int) -> None:
    """Refuse anything that is not a zip archive, saying what it actually is."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise MissingInputError(_("{path} cannot be read ({reason})").format(path=path, reason=exc.strerror)) from None
    location = Location(file)
    if not head:
        raise BadDataError.at(location, Msg("is an empty file, not an .xlsx workbook"))
    if head.startswith(_ZIP_SIGNATURES):
        return
    if head.startswith(_OLE2_SIGNATURE):
        if _ole2_is_encrypted(path, max_bytes):
            raise BadDataError.at(location, Msg("is password-protected; remove the password and save again"))
        raise BadDataError.at(location, Msg("is an old Excel 97–2003 .xls workbook; save it as .xlsx"))
    text = _as_text(head)
    if text is not None:
        stripped = text.lstrip("\ufeff \t\r\n").lower()
        if stripped.startswith(("<html", "<!doctype html", "<table")):
            raise BadDataError.at(location, Msg("is a web page (HTML) saved with a spreadsheet name, "
                                                "not an .xlsx workbook; open it in Excel and save it as .xlsx"))
        if stripped.startswith("<"):
            raise BadDataError.at(location, Msg("is an XML text file, not an .xlsx workbook; save it as .xlsx"))
        raise BadDataError.at(location, Msg("is a text/CSV file, not an .xlsx workbook"),
                              hint=_("give it a .csv name if it is a CSV export, or save it as .xlsx"))
    raise BadDataError.at(location, Msg("is not an .xlsx workbook "
                                        "(its contents are not a spreadsheet format this tool knows)"))


def _as_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "cp1251"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" and exc.start >= len(head) - 3:  # a character cut at the 4 KB boundary
                text = head[:exc.start].decode(encoding)
            else:
                continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if printable >= 0.95 * max(len(text), 1):
            return text
    return None


def _ole2_is_encrypted(path: Path, max_bytes: int) -> bool:
    """An encrypted .xlsx is an OLE2 container holding EncryptionInfo and EncryptedPackage streams."""
    overlap = max(len(n) for n in _ENCRYPTED_STREAM_NAMES)
    tail = b""
    read = 0
    with open(path, "rb") as handle:
        while read < max_bytes:
            chunk = handle.read(_CHUNK)
            if not chunk:
                return False
            read += len(chunk)
            window = tail + chunk
            if any(name in window for name in _ENCRYPTED_STREAM_NAMES):
                return True
            tail = window[-overlap:]
    return False


# -- the zip archive, within the caps -----------------------------------------

def open_zip(path: Path, error: Callable[..., BadDataError]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error):
        raise error(Msg("is a damaged or truncated .xlsx workbook (its zip archive is incomplete)")) from None
    except NotImplementedError:
        raise error(Msg("uses zip features that spreadsheet programs do not write; save it again as .xlsx")) from None


def _max_bytes(limits: Limits) -> int:
    return limits.max_uncompressed_mb * 1024 * 1024


def check_zip_sizes(archive: zipfile.ZipFile, limits: Limits, error: Callable[..., BadDataError]) -> None:
    """Refuse an archive by what it declares: too many members, too large, or compressed too well."""
    infos = archive.infolist()
    if len(infos) > _MAX_ZIP_MEMBERS:
        raise error(Msg("holds {count} files inside its zip archive; rejected as a possible zip bomb",
                        count=len(infos)))
    total = 0
    max_bytes = _max_bytes(limits)
    limit_mb = limits.max_uncompressed_mb
    for info in infos:
        total += info.file_size
        if info.file_size > max_bytes:
            raise error(Msg("{part} inflates to {size} MB (limit {limit} MB); rejected as a possible zip bomb",
                            part=info.filename, size=info.file_size // (1 << 20), limit=limit_mb),
                        hint=_("raise [limits] max_uncompressed_mb in season.toml if the file is genuine"))
        if info.file_size >= _RATIO_CHECK_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise error(Msg("{part} compresses {ratio}:1 (limit {limit}:1); rejected as a possible zip bomb",
                                part=info.filename, ratio=f"{ratio:.0f}", limit=limits.max_compression_ratio),
                            hint=_("raise [limits] max_compression_ratio in season.toml if the file is genuine"))
    if total > max_bytes:
        raise error(Msg("inflates to {size} MB in all (limit {limit} MB); rejected as a possible zip bomb",
                        size=total // (1 << 20), limit=limit_mb),
                    hint=_("raise [limits] max_uncompressed_mb in season.toml if the file is genuine"))


def inflated_chunks(archive: zipfile.ZipFile, name: str, limits: Limits,
                    error: Callable[..., BadDataError]) -> Iterator[bytes]:
    """A member's decompressed bytes, counted against the cap: declared sizes can lie."""
    inflated = 0
    max_bytes = _max_bytes(limits)
    try:
        with archive.open(name) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    return
                inflated += len(chunk)
                if inflated > max_bytes:
                    raise error(Msg("inflates beyond {limit} MB while reading {part}; rejected as a possible zip bomb",
                                    limit=limits.max_uncompressed_mb, part=name))
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, struct.error, ValueError):
        raise error(Msg("is damaged: {part} inside it cannot be decompressed "
                        "(a truncated file, or sizes that do not match the contents)", part=name)) from None
    except RuntimeError:  # zipfile's "password required" for an encrypted member
        raise error(Msg("is password-protected; remove the password and save again")) from None
    except NotImplementedError:
        raise error(Msg("compresses {part} with a method spreadsheet programs do not use", part=name)) from None


def read_small_part(archive: zipfile.ZipFile, name: str, limits: Limits, error: Callable[..., BadDataError]) -> bytes:
    """A member that is read whole (workbook, relationships, styles), refused beyond 64 MB."""
    data = bytearray()
    for chunk in inflated_chunks(archive, name, limits, error):
        data += chunk
        if len(data) > _MAX_SMALL_PART_BYTES:
            raise error(Msg("{part} is larger than {limit} MB; rejected", part=name, limit=_MAX_SMALL_PART_BYTES >> 20))
    return bytes(data)
