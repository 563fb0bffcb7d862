"""One ID on several rows of an export: merged when the rows say the same, refused, naming what differs, when not.

A mini-app export may list a person twice (an export joined from two days, a
row copied by hand). Rows with the same data are one person: they are taken
once, and a warning says which rows were merged. Rows with other data cannot be
told apart, so every one of them is rejected, naming the other rows and the
columns whose values differ. A row that could not be read is never "the same":
its refused columns count as differing.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Mapping, Sequence

from openmosprom_cli.i18n import Msg
from openmosprom_cli.io.values import joined
from openmosprom_cli.registrants.columns import CHOICE_FIELDS

# The fields that give each position of a row's values (Registrant's order, then the prizes when the file has
# them); the first is the column that stands for all when the file has it.
_FIELDS_AT = (("id",), ("full_name", "last_name", "first_name", "middle_name"), ("phone",), ("email",),
              ("birth_date",), ("score",), ("registered_at",), ("choices", *CHOICE_FIELDS), ("companions",),
              ("passport",), ("citizenship",), ("prizes",))
_POSITION = {fieldname: position for position, fields in enumerate(_FIELDS_AT) for fieldname in fields}
_MAX_MERGED_SHOWN = 5


def column_names(labels: Mapping[str, str], task_labels: Sequence[str]) -> list[str]:
    """The columns of the file that give each position of a row's values, as the file writes them."""
    names = []
    for first, *others in _FIELDS_AT:
        if first in labels:
            names.append(labels[first])
            continue
        given = [labels[f] for f in others if f in labels] or (list(task_labels) if first == "score" else [])
        names.append("/".join(given) or first)
    return names


def check_repeated_ids(ids: Sequence[str], values_of: Callable[[int], tuple], valid: list,
                       refused: Mapping[int, list], numbers: Sequence[int], names: Sequence[str],
                       labels: Mapping[str, str]) -> tuple[dict[int, Msg], list[tuple[str, list[int]]]]:
    """The reason to reject each row whose ID another row has with other data, and the groups of rows merged.

    ``valid[i]`` is row i's values, or None when it was refused (``refused[i]`` lists its (field or header,
    message)); ``values_of(i)`` gives its values even then. ``names`` are the column names of each position.
    Rows merged are given as (ID, row numbers); ``valid`` keeps the first of them only.
    """
    distinct = set(ids)
    distinct.discard("")
    if len(distinct) == len(ids) - ids.count(""):
        return {}, []
    repeated = {registrant_id for registrant_id, times in collections.Counter(ids).items()
                if times > 1 and registrant_id}
    groups: dict[str, list[int]] = {}
    for i in itertools.compress(itertools.count(), map(repeated.__contains__, ids)):
        groups.setdefault(ids[i], []).append(i)
    header_fields = {label: fieldname for fieldname, label in labels.items()}
    reasons: dict[int, Msg] = {}
    merged: list[tuple[str, list[int]]] = []
    for registrant_id, indexes in groups.items():
        if all(valid[i] is not None for i in indexes) and len({valid[i] for i in indexes}) == 1:
            merged.append((registrant_id, [numbers[i] for i in indexes]))
            for i in indexes[1:]:
                valid[i] = None
            continue
        rows = [values_of(i) for i in indexes]
        differing = {p for p in range(len(rows[0])) if len({row[p] for row in rows}) > 1}
        unread: list[str] = []  # refused cells of columns that give no field
        for i in indexes:
            for where, _message in refused.get(i, ()):
                position = _POSITION.get(header_fields.get(where, where))
                if position is None:
                    unread.append(where)
                else:
                    differing.add(position)
        fields = ", ".join(dict.fromkeys([*(names[p] for p in sorted(differing)), *unread]))
        for i in indexes:
            others = [str(numbers[j]) for j in indexes if j != i]
            if len(others) == 1:
                reasons[i] = Msg("ID {id} also appears on row {rows} with different data: {fields}",
                                 id=repr(registrant_id), rows=others[0], fields=fields)
            else:
                reasons[i] = Msg("ID {id} also appears on rows {rows} with different data: {fields}",
                                 id=repr(registrant_id), rows=", ".join(others), fields=fields)
            valid[i] = None
    return reasons, merged


def merged_warning(file: str, merged: Sequence[tuple[str, Sequence[int]]]) -> Msg:
    """One line for every ID whose rows were merged, the first few named with their rows."""
    shown = joined([Msg("ID {id} (rows {rows})", id=repr(registrant_id), rows=", ".join(map(str, rows)))
                    for registrant_id, rows in merged[:_MAX_MERGED_SHOWN]])
    if len(merged) > _MAX_MERGED_SHOWN:
        shown = Msg("{shown}; and {count} more", shown=shown, count=len(merged) - _MAX_MERGED_SHOWN)
    return Msg("{file}: rows repeating an ID with the same data were merged into one: {merged}", file=file,
               merged=shown)
