"""Reading a mini-app export into valid people and rejected rows; touches nothing but the file.

Beyond the cell parsers of :mod:`cells`:

* **Choices** come from ``Выбор 1`` … ``Выбор 5`` or from one ``Выбор``
  column separated by ``;`` (or ``,``). A choice repeated by the same person
  counts once.
* **Score from tasks.** With no score column, the ``[scoring]`` table of
  season.toml gives points per task column. A task column named in
  ``[scoring]`` but missing from the file is an error, so a typo cannot
  silently zero everyone's score. With neither a score column nor
  ``[scoring]`` everyone scores 0 and the lottery decides.
* **Prizes.** An optional «Призы» column lists the prizes a person prefers,
  best first (:mod:`openmosprom_cli.prizes.preferences`); it is kept apart
  from the person's fields, for the prize draw.
* **Duplicates.** The same ID on several rows with identical data is merged,
  and a warning names the rows; with different data every one of those rows
  is rejected, naming the others and the columns that differ
  (:mod:`repeated_ids`).

Every invalid row is reported with file, row and column.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.errors import BadDataError, Problem
from openmosprom_cli.i18n import Msg
from openmosprom_cli.io.reader import RawTable, check_input_file, read_raw_table
from openmosprom_cli.io.tables import header_problems
from openmosprom_cli.io.values import ValueProblem, joined, normalize_passport, parse_int
from openmosprom_cli.models import Registrant, Site, Tour
from openmosprom_cli.prizes.preferences import parse_prize_list
from openmosprom_cli.registrants.cells import (
    ChoiceIndex,
    parse_birth_date,
    parse_email,
    parse_phone,
    parse_registered_at,
    parse_registrant_id,
    parse_score,
    parse_text,
    task_done,
)
from openmosprom_cli.registrants.columns import (
    CHOICE_FIELDS,
    MAX_CHOICES,
    MAX_ID_LENGTH,
    columns_for,
    resolve_mapping,
    task_field,
)
from openmosprom_cli.registrants.fast import (
    FastColumn,
    fast_birth_dates,
    fast_emails,
    fast_ids,
    fast_moments,
    fast_passports,
    fast_phones,
    fast_texts,
    parse_column,
)
from openmosprom_cli.registrants.repeated_ids import check_repeated_ids, column_names, merged_warning
from openmosprom_cli.settings import Settings


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported: its cells as written, and every reason."""

    row: int
    registrant_id: str  # as read, "" when missing or unreadable
    cells: tuple[tuple[str, object], ...]  # (header as in the file, raw value)
    problems: tuple[Problem, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(Msg("{column}: {reason}", column=p.location.column, reason=p.message) if p.location.column
                     else p.message for p in self.problems)


@dataclass(frozen=True)
class ParsedRegistrants:
    file: str
    sheet: str | None
    header_row: int
    headers: tuple[str, ...]  # every header of the file, in file order
    rows_read: int
    records: tuple[tuple, ...]  # valid people as Registrant field tuples, duplicates merged, in file order
    rejected: tuple[RejectedRow, ...]  # in file order
    warnings: tuple[str, ...] = ()     # about the file, e.g. columns that are not read, rows merged (Msgs)
    # The Registrant fields this file gives; an import leaves the others of a known person as stored.
    fields: tuple[str, ...] = ("id",)
    # (ID, preferred prizes) of the valid people when the file has a «Призы» column; None when it has none.
    prizes: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    # The names are joined from «Фамилия» and «Имя» with no «Отчество» (nor «ФИО») column: the file is silent
    # about patronymics, so a stored one is kept.
    no_patronymic_column: bool = False

    @functools.cached_property
    def registrants(self) -> tuple[Registrant, ...]:
        """The valid people, in file order (made on first use: a bulk import needs only ``records``)."""
        return tuple(itertools.starmap(Registrant, self.records))

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(p for r in self.rejected for p in r.problems)


def read_registrant_file(path: Path, *, settings: Settings, tours: Iterable[Tour],
                         sites: Mapping[str, Site] | Iterable[Site], mapping: Mapping[str, str] | None = None,
                         encoding: str | None = None) -> ParsedRegistrants:
    """Parse and validate a mini-app export; touches nothing but the file.

    Raises :class:`BadDataError` for problems with the file as a whole (not
    readable, no header row, a required or ``[scoring]`` column missing);
    invalid rows come back in ``.rejected``.
    """
    path = check_input_file(path)
    columns = columns_for(settings)
    lookup = resolve_mapping(mapping, columns)
    with collector_paused():
        sheet = read_raw_table(path, columns, settings.limits, encoding=encoding, mapping=lookup,
                               what=Msg("the registrant columns"))
        return _parse_sheet(sheet, settings, tours, sites)


_CHOICE_SPLIT = re.compile(r"[;,\n]")


def _parse_sheet(sheet: RawTable, settings: Settings, tours: Iterable[Tour],
                 sites: Mapping[str, Site] | Iterable[Site]) -> ParsedRegistrants:
    headers = sheet.header.labels
    count = len(sheet.rows)
    _check_columns(sheet, settings)
    cells_by_field = sheet.columns()
    text_kinds: set[type] | None = {str} if sheet.text_only else None
    resolve_choice = ChoiceIndex(tours, sites).resolve
    today = dt.date.today()
    max_companions = settings.max_companions
    # problems[i] collects (field, message) of record i, in column order
    problems: dict[int, list[tuple[str, str]]] = {}

    def column(fieldname: str, parser: Callable[[object], object], default: object = None,
               fast: FastColumn | None = None) -> list:
        if fieldname not in headers:
            return [default] * count
        parsed, errors = parse_column(cells_by_field[fieldname], parser, default, fast, text_kinds)
        for i, message in errors:
            problems.setdefault(i, []).append((fieldname, message))
        return parsed

    ids = column("id", parse_registrant_id, "", fast_ids)
    for i in itertools.compress(itertools.count(), map(operator.not_, ids)):
        if i not in problems:
            problems[i] = [("id", Msg("the ID is missing"))]

    names, name_field = _names(column, headers)
    for i in itertools.compress(itertools.count(), map(operator.not_, names)):
        if not any(f == name_field for f, _ in problems.get(i, ())):
            problems.setdefault(i, []).append((name_field, Msg("the name is empty")))

    phones = column("phone", parse_phone, "", fast_phones)
    emails = column("email", parse_email, "", fast_emails)
    birth_dates = column("birth_date", lambda raw: parse_birth_date(raw, today), None, fast_birth_dates(today))
    registered = column("registered_at", parse_registered_at, None, fast_moments)
    if "score" in headers:
        scores = column("score", parse_score, 0.0)
    else:
        scores = _task_scores(cells_by_field, settings, count) if settings.scoring else [0.0] * count

    def companions_parser(raw: object) -> int:
        number = parse_int(raw, minimum=0)
        if number > max_companions:
            raise ValueProblem(Msg("{count} guests is more than the {limit} allowed", count=number,
                                   limit=max_companions))
        return number

    companions = column("companions", companions_parser, 0)
    passports = column("passport", normalize_passport, "", fast_passports)
    citizenships = column("citizenship", parse_text, "", fast_texts)

    def one_choice(raw: object) -> str:
        return resolve_choice(parse_text(raw, MAX_ID_LENGTH))

    def many_choices(raw: object) -> tuple[str, ...]:
        found, unknown = [], []
        for part in _CHOICE_SPLIT.split(str(raw)):
            if part.strip():
                try:
                    found.append(one_choice(part))
                except ValueProblem as exc:
                    unknown.append(exc.message)
        if unknown:
            raise ValueProblem(joined(unknown))
        return tuple(found)

    choice_columns = [column(f, one_choice, "") for f in CHOICE_FIELDS if f in headers]
    if "choices" in headers:
        choice_columns.append(column("choices", many_choices, ()))
    choices = _combine_choices(choice_columns, count, "choices" in headers)
    prize_lists = column("prizes", parse_prize_list, ()) if "prizes" in headers else None
    choice_field = "choices" if "choices" in headers else "choice_1"
    for i in itertools.compress(itertools.count(), map(MAX_CHOICES.__lt__, map(len, choices))):
        problems.setdefault(i, []).append(
            (choice_field, Msg("{count} choices; at most {limit} are allowed", count=len(choices[i]),
                               limit=MAX_CHOICES)))

    blank_rows = {i for i in problems if sheet.is_blank_row(i)}
    for i in blank_rows:
        del problems[i]
    for i, header, message in sheet.unreadable_cells():
        problems.setdefault(i, []).append((header, message))
        blank_rows.discard(i)
    # Each person's fields in Registrant order; the objects themselves are made only when asked for.
    records: list[tuple | None] = list(zip(ids, names, phones, emails, birth_dates, scores, registered, choices,
                                           companions, passports, citizenships, strict=False))
    for i in itertools.chain(problems, blank_rows):
        records[i] = None

    def values_of(i: int) -> tuple:
        row = (ids[i], names[i], phones[i], emails[i], birth_dates[i], scores[i], registered[i], choices[i],
               companions[i], passports[i], citizenships[i])
        return row if prize_lists is None else (*row, prize_lists[i])

    # The same ID with other prizes is other data too.
    compared = records if prize_lists is None else [r if r is None else (*r, prize_lists[i])
                                                    for i, r in enumerate(records)]
    task_labels = [headers[task_field(h)] for h, _ in settings.scoring if task_field(h) in headers]
    repeated, merged = check_repeated_ids(ids, values_of, compared, problems, sheet.numbers,
                                          column_names(headers, task_labels), headers)
    for i, reason in repeated.items():
        problems.setdefault(i, []).append(("id", reason))
    if compared is not records:
        records = [r if c is not None else None for r, c in zip(records, compared, strict=True)]
    warnings = (*sheet.header.warnings, merged_warning(sheet.file, merged)) if merged else sheet.header.warnings

    valid = list(filter(None, records))  # a record is never empty
    rejected = tuple(
        RejectedRow(sheet.numbers[i], ids[i], sheet.cells(i),
                    tuple(Problem(sheet.location(i, f), message) for f, message in problems[i]))
        for i in sorted(problems)
    )
    headers_in_order = tuple(header for _, header in sheet.header.named_columns())
    prizes = None if prize_lists is None else tuple(
        {ids[i]: prize_lists[i] for i in reversed(range(count)) if records[i] is not None}.items())
    return ParsedRegistrants(sheet.file, sheet.sheet, sheet.header.row, headers_in_order, count - len(blank_rows),
                             tuple(valid), rejected, warnings, _fields_given(headers, settings), prizes,
                             no_patronymic_column=bool({"last_name", "first_name"} & headers.keys())
                             and not {"full_name", "middle_name"} & headers.keys())


REGISTRANT_FIELD_ORDER = tuple(f.name for f in fields(Registrant))


def _fields_given(headers: Mapping[str, str], settings: Settings) -> tuple[str, ...]:
    """The Registrant fields a file with these columns gives (every one of them, or none, for each person)."""
    given = {"id"}
    if {"full_name", "last_name", "first_name", "middle_name"} & headers.keys():
        given.add("full_name")  # not a message
    if "score" in headers or settings.scoring:
        given.add("score")  # not a message
    if "choices" in headers or any(f in headers for f in CHOICE_FIELDS):
        given.add("choices")  # not a message
    given |= {f for f in ("phone", "email", "birth_date", "registered_at", "companions", "passport", "citizenship")
              if f in headers}
    return tuple(f for f in REGISTRANT_FIELD_ORDER if f in given)


def _names(column: Callable[..., list], headers: Mapping[str, str]) -> tuple[list[str], str]:
    """Full names from ФИО, else joined from Фамилия/Имя/Отчество (also where ФИО is blank)."""
    parts = [f for f in ("last_name", "first_name", "middle_name") if f in headers]
    joined: list[str] | None = None
    if parts:
        columns = [column(f, parse_text, "", fast_texts) for f in parts]
        joined = [" ".join(filter(None, names)) for names in zip(*columns, strict=False)]
    if "full_name" not in headers:
        return joined or [], parts[0]
    full = column("full_name", parse_text, "", fast_texts)
    if joined is not None:
        full = [name or fallback for name, fallback in zip(full, joined, strict=False)]
    return full, "full_name"


def _task_scores(cells_by_field: Mapping[str, Sequence[object]], settings: Settings, count: int) -> list[float]:
    scores = [0.0] * count
    for header, points in settings.scoring:
        for i, value in enumerate(cells_by_field[task_field(header)]):
            if task_done(value):
                scores[i] += points
    return scores


def _combine_choices(columns: list[list], count: int, last_is_split: bool) -> list[tuple[str, ...]]:
    """Each person's choices in order; a choice repeated by the same person counts once, in its first place."""
    singles = columns[:-1] if last_is_split else columns
    if singles:
        combined = list(map(tuple, map(filter, itertools.repeat(None), zip(*singles, strict=False))))
        repeats = itertools.compress(itertools.count(),
                                     map(operator.ne, map(len, combined), map(len, map(set, combined))))
        for i in repeats:
            combined[i] = tuple(dict.fromkeys(combined[i]))
    else:
        combined = [()] * count
    if last_is_split:
        combined = [tuple(dict.fromkeys(own + split)) if split else own
                    for own, split in zip(combined, columns[-1], strict=False)]
    return combined


def _check_columns(table: RawTable, settings: Settings) -> None:
    headers = table.header.labels
    problems: list[Problem] = []
    where = table.header.location(table.header.row)
    if "full_name" not in headers and not ({"last_name", "first_name"} & headers.keys()):
        problems.append(Problem(where, Msg("no name column: expected ФИО, or Фамилия and Имя")))
    if "choices" in headers and any(f in headers for f in CHOICE_FIELDS):
        problems.append(Problem(where, Msg("both a Выбор column and Выбор 1…5 columns; keep one form")))
    if "score" not in headers:
        missing = [h for h, _ in settings.scoring if task_field(h) not in headers]
        if len(missing) == 1:
            problems.append(Problem(where, Msg("no Баллы column, and the [scoring] task column {columns} of "
                                               "season.toml is missing", columns=repr(missing[0]))))
        elif missing:
            problems.append(Problem(where, Msg("no Баллы column, and the [scoring] task columns {columns} of "
                                               "season.toml are missing",
                                               columns=", ".join(repr(m) for m in missing))))
    if problems:
        raise BadDataError(str(problems[0]) if len(problems) == 1 else header_problems(table.file, len(problems)),
                           problems)
