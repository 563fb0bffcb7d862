"""The «Призы» column of the registrants' export: the prizes a person prefers, best first.

A cell lists names (or codes) of the catalogue separated by ``;`` or new
lines (not commas: a name may hold one). Names match the catalogue like
headers do: ignoring case, surrounding spaces and quotes, with ё read as е.
The export may arrive before the catalogue, so the names are stored as
written and resolved by each draw; a name the catalogue does not know is
reported by the draw and left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from openmosprom_cli.i18n import Msg
from openmosprom_cli.io.values import ValueProblem, check_text, normalize_header
from openmosprom_cli.prizes.records import PrizeItem

MAX_PREFERENCES = 20
MAX_NAME_LENGTH = 200
_SPLIT = re.compile(r"[;\n]")
_QUOTES = "«»\"'“”„ "


def prize_key(text: str) -> str:
    """How a prize's name or code is matched: case, spaces and quotes aside, ё = е."""
    return normalize_header(text).strip(_QUOTES)


def parse_prize_list(raw: object) -> tuple[str, ...]:
    """One «Призы» cell: the names in order, each once; raises :class:`ValueProblem` for an unreadable one."""
    names: list[str] = []
    seen: set[str] = set()
    for part in _SPLIT.split(check_text(raw) if not isinstance(raw, str) else raw):
        name = check_text(part)
        if not name:
            continue
        if len(name) > MAX_NAME_LENGTH:
            raise ValueProblem(Msg("{start}… is longer than {most} characters", start=repr(name[:40]),
                                   most=MAX_NAME_LENGTH))
        key = prize_key(name)
        if key and key not in seen:
            seen.add(key)
            names.append(name)
    if len(names) > MAX_PREFERENCES:
        raise ValueProblem(Msg("{count} prizes; at most {most} are read", count=len(names), most=MAX_PREFERENCES))
    return tuple(names)


def item_lookup(items: Iterable[PrizeItem]) -> dict[str, str]:
    """Matched name or code → item ID; a code wins over another item's name."""
    lookup: dict[str, str] = {}
    items = list(items)
    for item in items:
        lookup[prize_key(item.name)] = item.item_id
    for item in items:
        lookup[prize_key(item.item_id)] = item.item_id
    return lookup


def resolve_preferences(names: Iterable[str], lookup: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(item IDs in order, each once; the names the catalogue does not know)."""
    found: list[str] = []
    unknown: list[str] = []
    for name in names:
        item_id = lookup.get(prize_key(name))
        if item_id is None:
            unknown.append(name)
        elif item_id not in found:
            found.append(item_id)
    return tuple(found), tuple(unknown)
