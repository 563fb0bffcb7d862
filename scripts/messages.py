"""The message catalogue: find every message in the code, and compile the Russian catalogue for gettext.

    python scripts/messages.py extract   # add new messages to openmosprom.po (empty msgstr) and mark unused ones
    python scripts/messages.py compile   # openmosprom.po → openmosprom.mo, byte for byte reproducible
    python scripts/messages.py check     # exit 1 if a message has no Russian text or the .mo is out of date
    python scripts/messages.py merge FILE...   # take the Russian texts of other .po files into the catalogue

A message is the first argument(s) of ``_()``, ``ngettext()`` and ``Msg()`` (a string literal), and the
docstring of every command (a function in ``cli/`` whose docstring has an ``Example:`` line). The words
click and Typer print themselves ("Usage:", "Options") are kept at the end of the catalogue, translated
by hand: they are not checked, since another click release may add its own.
"""

from __future__ import annotations

import ast
import inspect
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "openmosprom_cli"
PO_FILE = PACKAGE / "locale" / "ru" / "LC_MESSAGES" / "openmosprom.po"
MO_FILE = PO_FILE.with_suffix(".mo")
MARKERS = {"_": 1, "Msg": 1, "ngettext": 2}
LIBRARY_MARK = "library"        # a comment on entries of click's and Typer's own words

HEADER = ('Project-Id-Version: openmosprom\nLanguage: ru\nMIME-Version: 1.0\n'
          'Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n'
          'Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && '
          '(n%100<10 || n%100>=20) ? 1 : 2);\n')


@dataclass
class Entry:
    msgid: str
    plural: str | None = None
    translations: list[str] = field(default_factory=lambda: [""])
    where: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def translated(self) -> bool:
        return all(self.translations) and len(self.translations) == (3 if self.plural is not None else 1)


# -- finding the messages in the code --------------------------------------------------------------------

def messages_in_code() -> dict[tuple[str, str | None], list[str]]:
    """(msgid, plural) → where each occurs, for the whole package."""
    found: dict[tuple[str, str | None], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for key, line in _messages_in(path):
            found.setdefault(key, []).append(f"{relative}:{line}")
    return found


def _messages_in(path: Path) -> Iterator[tuple[tuple[str, str | None], int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_cli = path.parent.name == "cli"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            count = MARKERS.get(name or "")
            if count and len(node.args) >= count and all(_literal(a) is not None for a in node.args[:count]):
                texts = [_literal(a) for a in node.args[:count]]
                yield (texts[0], texts[1] if count == 2 else None), node.lineno  # type: ignore[misc]
        elif in_cli and isinstance(node, ast.FunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc and "Example:" in doc:
                yield (inspect.cleandoc(doc), None), node.lineno


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


# -- the .po file ------------------------------------------------------------------------------------------

def read_po(path: Path = PO_FILE) -> list[Entry]:
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    pending_comments: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if entry is not None and target is not None:
                entries.append(entry)
                entry, target = None, None
            pending_comments.append(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid":
            if entry is not None:
                entries.append(entry)
            entry = Entry(_unquote(rest), comments=[c for c in pending_comments if not c.startswith("#:")],
                          where=[c[3:] for c in pending_comments if c.startswith("#:")])
            pending_comments = []
            target = ("msgid", 0)
        elif entry is not None and keyword == "msgid_plural":
            entry.plural = _unquote(rest)
            target = ("plural", 0)
        elif entry is not None and keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            while len(entry.translations) <= index:
                entry.translations.append("")
            entry.translations[index] = _unquote(rest)
            target = ("msgstr", index)
        elif entry is not None and line.startswith('"') and target is not None:
            kind, index = target
            if kind == "msgid":
                entry.msgid += _unquote(line)
            elif kind == "plural":
                entry.plural = (entry.plural or "") + _unquote(line)
            else:
                entry.translations[index] += _unquote(line)
    if entry is not None:
        entries.append(entry)
    return entries


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def write_po(entries: list[Entry], path: Path = PO_FILE) -> None:
    lines = ['msgid ""', 'msgstr ""', *(_quoted_lines(HEADER)), ""]
    for entry in entries:
        lines.extend(entry.comments)
        lines.extend(f"#: {where}" for where in entry.where)
        lines.extend(_field("msgid", entry.msgid))
        if entry.plural is not None:
            lines.extend(_field("msgid_plural", entry.plural))
            for i, text in enumerate((entry.translations + ["", "", ""])[:3]):
                lines.extend(_field(f"msgstr[{i}]", text))
        else:
            lines.extend(_field("msgstr", entry.translations[0]))
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def _field(keyword: str, text: str) -> list[str]:
    if "\n" not in text.rstrip("\n"):
        return [f"{keyword} {_quote(text)}"]
    return [f'{keyword} ""', *_quoted_lines(text)]


def _quoted_lines(text: str) -> list[str]:
    return [_quote(part) for part in text.splitlines(keepends=True)]


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


# -- commands ------------------------------------------------------------------------------------------------

def extract() -> None:
    """Bring the catalogue in line with the code: new messages added untranslated, unused ones dropped."""
    code = messages_in_code()
    entries = [e for e in read_po() if e.msgid] if PO_FILE.exists() else []
    known = {(e.msgid, e.plural): e for e in entries}
    ours = []
    for key in sorted(code, key=lambda k: code[k][0]):
        entry = known.get(key) or Entry(key[0], key[1], ["", "", ""] if key[1] is not None else [""])
        entry.where = code[key]
        ours.append(entry)
    library = [e for e in entries if f"# {LIBRARY_MARK}" in e.comments and (e.msgid, e.plural) not in code]
    write_po(ours + library)
    missing = sum(1 for e in ours if not e.translated)
    print(f"{len(ours)} messages, {missing} without Russian text; {len(library)} of click and Typer")


def merge(fragments: list[Path]) -> None:
    """Take the Russian texts of ``fragments`` (.po files in the same form) into the catalogue."""
    entries = [e for e in read_po() if e.msgid]
    by_key = {(e.msgid, e.plural): e for e in entries}
    taken = 0
    for fragment in fragments:
        for given in read_po(fragment):
            entry = by_key.get((given.msgid, given.plural))
            if given.msgid and given.translated and entry is not None and entry.translations != given.translations:
                entry.translations = list(given.translations)
                taken += 1
    write_po(entries)
    print(f"took {taken} Russian texts from {len(fragments)} file(s)")


def compile_mo() -> bytes:
    """The .mo bytes for the catalogue: translated entries only, sorted by msgid, as msgfmt writes them."""
    catalogue: dict[bytes, bytes] = {b"": HEADER.encode("utf-8")}
    for entry in read_po():
        if not entry.msgid or not entry.translated:
            continue
        if entry.plural is not None:
            key = f"{entry.msgid}\0{entry.plural}".encode()
            catalogue[key] = "\0".join(entry.translations).encode()
        else:
            catalogue[entry.msgid.encode()] = entry.translations[0].encode()
    keys = sorted(catalogue)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(catalogue[key])))
        ids += key + b"\0"
        strs += catalogue[key] + b"\0"
    first_key = 7 * 4 + 16 * len(keys)
    first_value = first_key + len(ids)
    key_table, value_table = [], []
    for key_offset, key_length, value_offset, value_length in offsets:
        key_table += [key_length, key_offset + first_key]
        value_table += [value_length, value_offset + first_value]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    return header + struct.pack(f"{len(key_table)}i", *key_table) + \
        struct.pack(f"{len(value_table)}i", *value_table) + ids + strs


def check() -> list[str]:
    """What is wrong with the catalogue: messages without Russian text, and a stale .mo."""
    problems = []
    entries = {(e.msgid, e.plural): e for e in read_po() if e.msgid}
    for key, where in sorted(messages_in_code().items(), key=lambda item: item[1][0]):
        entry = entries.get(key)
        if entry is None or not entry.translated:
            problems.append(f"{where[0]}: no Russian text for {key[0]!r}")
    if not MO_FILE.exists() or MO_FILE.read_bytes() != compile_mo():
        problems.append(f"{MO_FILE.relative_to(ROOT)} is not the compiled catalogue: run scripts/messages.py compile")
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "merge":
        merge([Path(name) for name in argv[2:]])
    elif command == "compile":
        MO_FILE.write_bytes(compile_mo())
        print(f"wrote {MO_FILE.relative_to(ROOT)}")
    elif command == "check":
        problems = check()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
