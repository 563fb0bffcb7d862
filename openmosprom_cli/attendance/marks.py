"""What a factory writes in the check-in column, read as present, absent or not marked.

Gate staff tick arrivals however they like: ``+``, ``да``, ``1``, ``✓``, a
cross ``х`` (Cyrillic or Latin), ``v``, «пришёл», «присутствовал»… and mark
absences as ``-``, ``нет``, ``0``, «не пришёл», «неявка». An empty cell is not
an absence: it is "not marked" (many factories tick only the arrivals; the
import's ``--unmarked-absent`` reads such a tour as complete). Anything else is
refused with the cell's place, never guessed.
"""

from __future__ import annotations

import re
import unicodedata

from openmosprom_cli.i18n import Msg
from openmosprom_cli.io.values import ValueProblem, describe

PRESENT, ABSENT = "present", "absent"

_PRESENT = {
    "+", "++", "да", "д", "1", "yes", "y", "true", "истина", "ok", "ок", "есть", "был", "была", "были",
    "пришел", "пришла", "пришли", "присутствовал", "присутствовала", "присутствовали", "присутствует",
    "явился", "явилась", "явились", "посетил", "посетила", "прибыл", "прибыла", "v", "х", "x", "хх", "xx",
    "✓", "✔", "☑", "✅", "🗸", "√", "☒",
}
_ABSENT = {
    "-", "--", "–", "—", "нет", "н", "0", "no", "n", "false", "ложь", "не был", "не была", "не были",
    "не пришел", "не пришла", "не пришли", "не явился", "не явилась", "не явились", "неявка", "не явка",
    "отсутствовал", "отсутствовала", "отсутствовали", "отсутствует", "нет на месте", "не пришел(ла)",
    "✗", "✘", "❌", "н/я", "н/п",
}
# Printed empty boxes and question marks: nobody decided, which is not an absence.
_UNMARKED = {"☐", "□", "?", "??"}
_SPACES = re.compile(r"\s+")
_TRAILING = ".!,;"


def _key(text: str) -> str:
    """Lower case, ё as е, spaces collapsed, a closing full stop dropped."""
    folded = unicodedata.normalize("NFC", text).strip().casefold().replace("ё", "е")
    return _SPACES.sub(" ", folded).rstrip(_TRAILING).strip()


def parse_mark(value: object) -> str | None:
    """:data:`PRESENT`, :data:`ABSENT`, or None for an empty cell; raises :class:`ValueProblem` otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return PRESENT if value else ABSENT
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return PRESENT if value else ABSENT
        raise _not_a_mark(value)
    if not isinstance(value, str):
        raise _not_a_mark(value)
    key = _key(value)
    if not key or key in _UNMARKED:
        return None
    if key in _PRESENT:
        return PRESENT
    if key in _ABSENT:
        return ABSENT
    raise _not_a_mark(value)


def _not_a_mark(value: object) -> ValueProblem:
    return ValueProblem(Msg("{value} is not a check-in mark (write +, да, 1, ✓, х, v, пришёл… or -, нет, 0, "
                            "не пришёл…)", value=describe(value)))


def parse_yes_no_mark(value: object) -> bool | None:
    """A yes/no column such as «Приз выдан», in the same spellings; None when empty."""
    mark = parse_mark(value)
    return None if mark is None else mark == PRESENT
