"""The regular-expression tokeniser for sheet and shared-string XML, and the text inside it.

Tokenising decompressed chunks with regular expressions is what makes the reader
fast. It is sound only for the XML that spreadsheet programs write, which
``xml_safety.checked_xml_chunks`` makes sure of before any chunk gets here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import Msg
from openmosprom_cli.io.xlsx.cells import CellProblem

ATTRS = rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*"
_ATTR = re.compile(rb"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
COL_TAIL = rb"col" + ATTRS + rb"/?>"
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*);|&")
_XSTRING_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NAMED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def attributes(raw: bytes) -> dict[str, str]:
    return {name.decode("utf-8", "replace").rpartition(":")[2]
            if b":" in name and not name.startswith(b"xml") else name.decode("utf-8", "replace"):
            _unescape_leniently((double if double or not single else single).decode("utf-8", "replace"))
            for name, double, single in _ATTR.findall(raw)}


def _replace_entity(match: re.Match) -> str:
    name = match.group(1)
    if name is None:
        raise CellProblem(Msg("has a stray '&' (the file is not well-formed XML)"))
    if name.startswith("#"):
        try:
            return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
        except (ValueError, OverflowError):
            raise CellProblem(Msg("has an invalid character reference {reference}", reference=f"&{name};")) from None
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name]
    raise CellProblem(Msg("uses an undefined XML entity {entity}", entity=f"&{name};"))


def _unescape(text: str) -> str:
    return _ENTITY.sub(_replace_entity, text) if "&" in text else text


def _unescape_leniently(text: str) -> str:
    """Attribute values only steer parsing (r, t, s, ref …): a broken entity there is left as it is, to fail later."""
    try:
        return _unescape(text)
    except CellProblem:
        return text


def cell_text(raw: bytes) -> str:
    """Cell text: UTF-8, XML entities, then OOXML's ``_xHHHH_`` escapes for control characters."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CellProblem(Msg("is not valid UTF-8 text")) from None
    if "&" in text:
        text = _ENTITY.sub(_replace_entity, text)
    if "_x" in text:
        text = _XSTRING_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    """(first column, first row, last column, last row) of "B7:C8" or "B7", 0-based columns."""
    parts = ref.split(":")
    if len(parts) not in (1, 2):
        return None
    cells = [CELL_REF.match(p.strip()) for p in parts]
    if not all(cells):
        return None
    cols = [column_index(c.group(1)) for c in cells if c]
    rows = [int(c.group(2)) for c in cells if c]
    return min(cols), min(rows), max(cols), max(rows)


def merge_refs(text: bytes, prefix: bytes) -> list[str]:
    refs = []
    for match in re.finditer(b"<" + re.escape(prefix) + b"mergeCell" + ATTRS + b"/?>", text):
        ref = attributes(match.group(1)).get("ref")
        if ref:
            refs.append(ref)
    return refs


def cut_at_last(buffer: bytes, *closers: bytes) -> int:
    """End of the last complete element among ``closers``; -1 if none."""
    for closer in closers:
        at = buffer.rfind(closer)
        if at >= 0:
            return at + len(closer)
    return -1


class PatternSet:
    """Regexes for one element prefix ("" or e.g. "x:"), compiled once per prefix."""

    _cache: dict[bytes, PatternSet] = {}

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        # The shape Excel, LibreOffice, openpyxl and XlsxWriter write: r first, simple double-quoted attributes.
        self.fast_cell = re.compile(
            b"<" + p + b"c r=\"([A-Z]{1,3})([0-9]{1,7})\"((?: [A-Za-z:]+=\"[^\"<>]*\")*)"
            b"(?:/>|>(?:<" + p + b"v>([^<]*)</" + p + b"v>|<" + p + b"is><" + p + b"t>([^<]*)</" + p + b"t></" + p
            + b"is>|(.*?))</" + p + b"c>)", re.S)
        self.general = re.compile(
            b"<" + p + b"row(?=[\\s/>])" + ATTRS + b"/?>|<" + p + b"c(?=[\\s/>])" + ATTRS
            + b"(?:/>|>(.*?)</" + p + b"c\\s*>)", re.S)
        self.cell_open = b"<" + prefix + b"c"
        self.cell_starts = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
        self.formula = re.compile(b"<" + p + b"f(?=[\\s/>])" + ATTRS + b"(?:/>|>([^<]*)</" + p + b"f\\s*>)")
        self.value = re.compile(b"<" + p + b"v(?=[\\s/>])" + ATTRS + b"(?:/>|>([^<]*)</" + p + b"v\\s*>)")
        self.inline = re.compile(b"<" + p + b"is(?=[\\s/>])" + ATTRS + b"(?:/>|>(.*?)</" + p + b"is\\s*>)", re.S)
        self.phonetic = re.compile(b"<" + p + b"rPh(?=[\\s/>]).*?</" + p + b"rPh\\s*>", re.S)
        self.text = re.compile(b"<" + p + b"t(?=[\\s/>])" + ATTRS + b"(?:/>|>([^<]*)</" + p + b"t\\s*>)")
        self.row_end = b"</" + prefix + b"row>"
        self.cell_end = b"</" + prefix + b"c>"
        self.fast_si = re.compile(
            b"<" + p + b"si><" + p + b"t>([^<]*)</" + p + b"t></" + p + b"si>|<" + p + b"si><" + p
            + b"t xml:space=\"preserve\">([^<]*)</" + p + b"t></" + p + b"si>|<" + p + b"si(?=[\\s/>])" + ATTRS
            + b"(?:/>|>(.*?)</" + p + b"si\\s*>)", re.S)
        self.si_starts = tuple(b"<" + prefix + b"si" + end for end in (b">", b" ", b"/", b"\t", b"\n", b"\r"))
        self.si_end = b"</" + prefix + b"si>"

    @classmethod
    def get(cls, prefix: bytes) -> PatternSet:
        if prefix not in cls._cache:
            cls._cache[prefix] = cls(prefix)
        return cls._cache[prefix]

    def rich_text(self, body: bytes) -> str:
        """Text of an inline or shared rich string: every run's <t>, without phonetic guides."""
        if b"rPh" in body:
            body = self.phonetic.sub(b"", body)
        return "".join(cell_text(m.group(2) or b"") for m in self.text.finditer(body))


# -- shared strings -------------------------------------------------------------

def read_shared_strings(chunks: Iterable[tuple[bytes, bytes]], part: str,
                        error: Callable[..., BadDataError]) -> list[str]:
    """Every string item of the shared-strings part, from its checked (prefix, chunk) pairs."""
    strings: list[str] = []
    buffer = b""
    patterns = None
    for prefix, chunk in chunks:
        patterns = patterns or PatternSet.get(prefix)
        buffer += chunk
        cut = cut_at_last(buffer, patterns.si_end, b"/>")
        if cut < 0:
            continue
        _shared_strings_in(buffer[:cut], patterns, strings, part, error)
        buffer = buffer[cut:]
    if buffer and patterns is not None:
        _shared_strings_in(buffer, patterns, strings, part, error)
    return strings


def _shared_strings_in(text: bytes, patterns: PatternSet, strings: list[str], part: str,
                       error: Callable[..., BadDataError]) -> None:
    found = patterns.fast_si.findall(text)
    expected = sum(text.count(start) for start in patterns.si_starts)
    if len(found) != expected:
        raise error(Msg("is damaged: {part} inside it has string items this reader cannot delimit", part=part))
    try:
        for plain, preserved, _attrs, body in found:
            if plain or preserved:
                raw = plain or preserved
                strings.append(cell_text(raw) if b"&" in raw or b"_x" in raw or not raw.isascii() else raw.decode())
            else:
                strings.append(patterns.rich_text(body))
    except CellProblem as problem:
        raise error(Msg("is damaged: a shared string in {part} {problem}", part=part, problem=problem.message)
                    ) from None
