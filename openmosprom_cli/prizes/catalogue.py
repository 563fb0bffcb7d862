"""The prize catalogue: a spreadsheet the organizers edit, its blank template, and its import.

One row per item, best first (the row order ranks them): the item's Russian
name, an optional code, the stock, and who qualifies — the first N of the
ranking («Первые N мест»), a score threshold («Баллов не меньше»), or both,
meaning both must hold — with an optional minimum age. Every problem is
reported at once with its file › sheet › row › column, and an import is all or
nothing. A new import replaces the catalogue; the current draw keeps the
catalogue it was made with, in its stored inputs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.errors import Location
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.reader import read_file_table
from openmosprom_cli.io.tables import Column, ProblemCollector, Record, Table
from openmosprom_cli.io.values import MAX_WHOLE_NUMBER, ValueProblem, check_text, describe, parse_int, parse_number
from openmosprom_cli.io.writer import Cell, Sheet, Style, Validation, write_workbook
from openmosprom_cli.io.writer import Column as SheetColumn
from openmosprom_cli.prizes.preferences import MAX_NAME_LENGTH, item_lookup, prize_key, resolve_preferences
from openmosprom_cli.prizes.records import PrizeItem
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.settings import Settings
from openmosprom_cli.store.prizes import load_current_draw, load_items, load_preferences, replace_items

CATALOGUE_SHEET = "Призы"
INSTRUCTIONS_SHEET = "Инструкция"
MAX_ITEMS = 5000
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

COLUMNS = (
    Column("name", ("Приз", "name", "Название", "Наименование", "prize", "item"), required=True),
    Column("code", ("Код", "code", "item_id")),
    Column("stock", ("Количество", "stock", "Кол-во", "Количество, шт", "quantity"), required=True),
    Column("top_n", ("Первые N мест", "top_n", "top", "Топ", "Топ N", "Первые N")),
    Column("min_score", ("Баллов не меньше", "min_score", "Баллы от", "Минимум баллов", "Порог баллов")),
    Column("min_age", ("Минимальный возраст", "min_age", "Возраст от")),
    Column("note", ("Примечание", "note", "notes")),
)

# The announcement's prizes, best first, for the organizers to fill in.
EXAMPLE_ITEMS = ("Умная колонка с голосовым помощником", "Пауэрбанк", "Термос", "Сумка-шоппер",
                 "Книга о промышленности Москвы")

INSTRUCTIONS = (
    "Каталог призов «Открой#Моспром»",
    "",
    "Одна строка — один приз. Порядок строк задаёт ценность: первая строка — лучший приз.",
    "Приз — название, как его увидят участники. Код — необязательно: латиница, цифры, «-» и «_»; "
    "участники могут указывать в столбце «Призы» выгрузки и код, и название.",
    "Количество — сколько штук есть для розыгрыша.",
    "Кто может получить приз: «Первые N мест» — первые N участников рейтинга по баллам; «Баллов не меньше» — "
    "порог баллов. Заполните одно из двух или оба (тогда нужны оба условия).",
    "Минимальный возраст — необязательно, на день розыгрыша.",
    "",
    "Рейтинг: баллы (больше — выше), затем время регистрации (раньше — выше), затем жребий, опубликованный "
    "вместе с зерном розыгрыша, затем ID. Участники без баллов призов не получают.",
    "Каждый по очереди рейтинга берёт лучший из своих предпочтений («Призы» в выгрузке), который ещё есть и на "
    "который он проходит; если таких нет — лучший приз, на который он проходит.",
)


@dataclass(frozen=True)
class CatalogueImportReport:
    file: str
    items: tuple[PrizeItem, ...]
    added: tuple[str, ...]          # names
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def units(self) -> int:
        return sum(i.stock for i in self.items)


# -- reading ------------------------------------------------------------------------------------

def parse_min_age(value: object) -> int:
    """``14``, or ``14+`` as age limits are usually written."""
    if isinstance(value, str) and value.strip().endswith("+"):
        value = value.strip()[:-1]
    age = parse_int(value, minimum=0)
    if age > 100:
        raise ValueProblem(Msg("{value} is not a sensible age", value=describe(value)))
    return age


def _name(value: object) -> str:
    text = check_text(value)
    if len(text) > MAX_NAME_LENGTH:
        raise ValueProblem(Msg("{start}… is longer than {most} characters", start=repr(text[:40]),
                               most=MAX_NAME_LENGTH))
    if not prize_key(text):
        raise ValueProblem(Msg("{value} is not a name", value=describe(value)))
    return text


def _code(value: object) -> str:
    text = check_text(value).lower()
    if not _CODE.match(text):
        raise ValueProblem(Msg("{value} is not a code: use latin letters, digits, - and _ (at most 40)",
                               value=describe(value)))
    return text


def _threshold(value: object) -> float:
    return parse_number(value, minimum=0)


def read_catalogue(path: Path, settings: Settings) -> tuple[tuple[PrizeItem, ...], tuple[str, ...]]:
    """The catalogue's items, best first, and warnings about the file; :class:`BadDataError` lists every problem."""
    table = read_file_table(path, COLUMNS, settings.limits, sheet_names=(CATALOGUE_SHEET,))
    return parse_catalogue(table), table.warnings


def parse_catalogue(table: Table) -> tuple[PrizeItem, ...]:
    problems = ProblemCollector()
    items: list[PrizeItem] = []
    first_row: dict[str, int] = {}        # matched name or code → the row that has it
    for record in table.records:
        item = _item(table, record, len(items) + 1, problems)
        if item is None:
            continue
        keys = {prize_key(item.name): ("name", item.name)}
        if item.item_id != item.name:
            keys.setdefault(prize_key(item.item_id), ("code", item.item_id))
        for key, (field, text) in keys.items():
            if key in first_row:
                problems.add(table.location(record.row, field),
                             Msg("{value} is already the name or code of the prize on row {row}", value=describe(text),
                                 row=first_row[key]))
            else:
                first_row[key] = record.row
        items.append(item)
    if not table.records:
        problems.add(Location(table.file, table.sheet, table.header_row), Msg("the catalogue lists no prizes"))
    if len(table.records) > MAX_ITEMS:
        problems.add(Location(table.file, table.sheet), Msg("{count} prizes; at most {most}",
                                                            count=len(table.records), most=MAX_ITEMS))
    problems.raise_if_any(table.file, outcome=_("nothing was imported"))
    return tuple(items)


def _item(table: Table, record: Record, rank: int, problems: ProblemCollector) -> PrizeItem | None:
    before = len(problems.problems)
    name = problems.parse(table, record, "name", _name, "", required=True)
    code = problems.parse(table, record, "code", _code, "")
    stock = problems.parse(table, record, "stock", lambda v: parse_int(v, minimum=0, maximum=MAX_WHOLE_NUMBER), 0,
                           required=True)
    top_n = problems.parse(table, record, "top_n", lambda v: parse_int(v, minimum=1))
    min_score = problems.parse(table, record, "min_score", _threshold)
    min_age = problems.parse(table, record, "min_age", parse_min_age, 0)
    note = problems.parse(table, record, "note", check_text, "")
    if record.get("top_n") is None and record.get("min_score") is None:
        column = "top_n" if "top_n" in table.headers else ("min_score" if "min_score" in table.headers else None)
        problems.add(table.location(record.row, column),
                     Msg("say who qualifies: fill «Первые N мест», «Баллов не меньше», or both"))
    if len(problems.problems) > before:
        return None
    return PrizeItem(code or name, rank, name, stock, top_n, min_score, min_age, note)


# -- importing ----------------------------------------------------------------------------------

def import_catalogue(season: Season, path: Path) -> CatalogueImportReport:
    """Replace the season's catalogue with the file's, all or nothing."""
    path = Path(path)
    items, warnings = read_catalogue(path, season.settings)
    with season.transaction() as conn:
        before = {i.item_id: i for i in load_items(conn)}
        replace_items(conn, items, source_file=path.name, at=now_iso())
        draw = load_current_draw(conn)
        preferences = load_preferences(conn)
    after = {i.item_id: i for i in items}
    notes = list(warnings)
    lookup = item_lookup(items)
    unknown: dict[str, int] = {}
    for names in preferences.values():
        for name in resolve_preferences(names, lookup)[1]:
            unknown[name] = unknown.get(name, 0) + 1
    if unknown:
        shown = ", ".join(f"«{n}» ({c})" for n, c in sorted(unknown.items(), key=lambda kv: -kv[1])[:5])
        notes.append(Msg("the registrants' «Призы» name prizes this catalogue does not have: {prizes}; a draw "
                         "leaves them out", prizes=shown + (" …" if len(unknown) > 5 else "")))
    if draw is not None and before != after:
        notes.append(Msg("the current draw ({draw}) was made with the catalogue as it was; `openmosprom prizes "
                         "draw` again to apply this one", draw=draw.draw_id))
    return CatalogueImportReport(
        path.name, items,
        added=tuple(after[i].name for i in after if i not in before),
        removed=tuple(before[i].name for i in before if i not in after),
        changed=tuple(after[i].name for i in after if i in before and before[i] != after[i]),
        warnings=tuple(notes))


# -- the blank template ---------------------------------------------------------------------------

def template_sheets(items: Sequence[tuple[object, ...]] = ()) -> list[Sheet]:
    """The catalogue's sheets: the instructions, and the items (by default the examples' names, to fill in)."""
    error = "Проверьте значение: см. лист «Инструкция»."
    columns = [
        SheetColumn("Приз", width=45, style=Style(number_format="@")),
        SheetColumn("Код", width=14, style=Style(number_format="@")),
        SheetColumn("Количество", validation=Validation.between("whole", 0, MAX_WHOLE_NUMBER, error=error)),
        SheetColumn("Первые N мест", validation=Validation.between("whole", 1, MAX_WHOLE_NUMBER, error=error)),
        SheetColumn("Баллов не меньше", validation=Validation.compare("decimal", ">=", 0, error=error)),
        SheetColumn("Минимальный возраст", validation=Validation.between("whole", 0, 100, error=error)),
        SheetColumn("Примечание", width=40, style=Style(number_format="@")),
    ]
    rows = list(items) or [(name, None, None, None, None, None, None) for name in EXAMPLE_ITEMS]
    lines = [(Cell(line, style=Style(bold=True, size=14)) if i == 0 else line,) for i, line in enumerate(INSTRUCTIONS)]
    return [Sheet(INSTRUCTIONS_SHEET, [SheetColumn("", width=110, style=Style(wrap=True, valign="top"))], lines,
                  header=False),
            Sheet(CATALOGUE_SHEET, columns, rows, freeze=True, min_rows=60, min_width=12)]


def write_template(path: Path, items: Sequence[tuple[object, ...]] = ()) -> Path:
    """The blank catalogue (or one of ``items``: Приз, Код, Количество, Первые N мест, Баллов не меньше,
    Минимальный возраст, Примечание); no personal data, so the file follows the umask."""
    return write_workbook(Path(path), template_sheets(items), private=False)


# -- listing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogueLine:
    item: PrizeItem
    given: int | None          # by the current draw; None before the first draw, or an item it did not have
    handed: int | None


def catalogue_lines(season: Season) -> tuple[CatalogueLine, ...]:
    """The catalogue as imported, with what the current draw gave of each item and how many were handed over."""
    from openmosprom_cli.prizes.current import load_current_prizes

    with season.reader() as conn:
        items = load_items(conn)
        prizes = load_current_prizes(conn)
    if prizes is None:
        return tuple(CatalogueLine(i, None, None) for i in items)
    drawn = {i.item_id for i in prizes.items}
    given: dict[str, int] = {}
    handed: dict[str, int] = {}
    for award in prizes.awards:
        given[award.item_id] = given.get(award.item_id, 0) + 1
        if prizes.is_handed(award):
            handed[award.item_id] = handed.get(award.item_id, 0) + 1
    return tuple(CatalogueLine(i, given.get(i.item_id, 0) if i.item_id in drawn else None,
                               handed.get(i.item_id, 0) if i.item_id in drawn else None) for i in items)
