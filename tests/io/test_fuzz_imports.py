"""Fuzzing the importers: any spreadsheet or CSV either imports or is refused with a message naming the file.

Hypothesis writes schedule workbooks (one factory, or all sites in one),
registrant exports (.csv and .xlsx) and edited tour exports, valid and broken:
headers mixing the importer's own Russian and English names with junk, cells
of every type (text, whole and huge numbers, NaN and infinity, dates, times,
booleans, blanks, formulas without a result), Unicode (right-to-left, emoji,
control and direction-override characters), random, hidden and repeated sheet
names, merged cells. The only exceptions allowed out of an import are
BadDataError (exit 65) and MissingInputError (exit 66).

The number of examples comes from the profile in conftest.py
(OPENMOSPROM_FUZZ_EXAMPLES raises it).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from openmosprom_cli.cli.main import app
from openmosprom_cli.demo.sample_schedules import write_sample_schedules
from openmosprom_cli.errors import BadDataError, MissingInputError, OpenMospromError
from openmosprom_cli.io.values import normalize_header
from openmosprom_cli.registrants.columns import COLUMNS as REGISTRANT_COLUMNS
from openmosprom_cli.registrants.importer import import_registrants
from openmosprom_cli.schedules.fields import CANDIDATE_COLUMNS, COMBINED_CANDIDATE_COLUMNS, SITE_COLUMNS
from openmosprom_cli.schedules.importer import import_schedules
from openmosprom_cli.season.folder import init_season, open_season
from openmosprom_cli.tours.edits import IMPORT_COLUMNS, import_tours
from openmosprom_cli.tours.generate import generate_season_tours
from tests.season_digest import season_digest

WINDOW = (dt.date(2026, 12, 11), dt.date(2026, 12, 22))
FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)

# -- cells -------------------------------------------------------------------------------

NASTY = ["\u202e", "\u200f", "\x00", "\x0b", "\x1f", "\ufeff", "😀", "👩‍👩‍👧", "שלום", "مرحبا", "ё", "\r\n", "\n",
         '"', ";", ",", "'", "\t", "  ", "_x000B_", "_x0000_", "&amp;", "<b>", "]]>", "\\", "%s", "ＣＯＮ"]
FORMULAS = ["=1+1", "=A1/0", "=SUM(A1:A3)", "=NOW()", '=HYPERLINK("http://x")', "=@x"]
text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=24),
    st.lists(st.sampled_from(NASTY) | st.text(max_size=4), max_size=4).map("".join),
)
numbers = st.one_of(
    st.integers(-10, 100),
    st.integers(),  # huge ones too
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 1e15, 2**63, 79161234567, 4510123456, 0.5]),
)
moments = st.one_of(
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)),
    st.times(),
)
junk = st.one_of(st.none(), st.booleans(), text, numbers, moments, st.sampled_from(FORMULAS))

window_dates = st.dates(*WINDOW)
PLAUSIBLE = {
    # schedules
    "дата": st.one_of(window_dates, window_dates.map(lambda d: d.strftime("%d.%m.%Y")), window_dates,
                      st.sampled_from(["31.02.2026", "12/13/2026", "13.12.26"])),
    "начало": st.one_of(st.times(), st.sampled_from(["10:00", "15:30", "9.00", "23:30", "25:00"])),
    "длительность, мин": st.integers(-5, 800),
    "размер группы": st.integers(-1, 60),
    "примечание": text,
    "код": st.sampled_from(["estet", "estet", "bad-a", "bad-b", "CON", "../../x", "a" * 41, "[]:*?/\\", "Estet"]),
    "код площадки": st.sampled_from(["estet", "estet", "bad-a", "bad-b", "nowhere"]),
    "название": st.one_of(text, st.sampled_from(["Эстет", "Завод «Проба»", "ООО \"Рога & копыта\""])),
    "email для списков": st.sampled_from(["a@example.org", "b@example.org; c@example.org", "not an email", ";"]),
    "минимальный возраст": st.one_of(st.integers(-1, 120), st.just("14+")),
    "закрепить": st.sampled_from(["да", "нет", True, False, "может быть"]),
    "исключить": st.sampled_from(["да", "нет", True, False]),
    "вес": numbers,
    # registrants
    "id vk": st.one_of(st.integers(0, 10**12), st.integers(0, 10**6).map(str), text),
    "фио": st.one_of(text, st.sampled_from(["Иванов Иван", "Петрова Анна Сергеевна", "O'Brien"])),
    "телефон": st.one_of(st.sampled_from(["+79161234567", "8 (916) 123-45-67", "12-34-56", "+1 555 0100"]),
                         st.sampled_from([79161234567, 9161234567, 1234567, 7.9161234567e10])),
    "дата рождения": st.one_of(st.dates(dt.date(1900, 3, 1), dt.date(2030, 1, 1)),
                               st.sampled_from(["05.03.1990", "31.02.2001", "12/13/2001", "13.12.01"])),
    "дата регистрации": st.one_of(st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 1, 1)),
                                  st.sampled_from(["01.11.2025 10:00:00", "2025-11-01T10:00:00+03:00", "вчера"])),
    "выбор 1": st.sampled_from(["estet", "ESTET", "nowhere", "estet-1211-1500", ""]),
    "выбор": st.sampled_from(["estet; il", "estet,estet", "a;b;c;d;e;f", ""]),
    "гостей": st.integers(-1, 5),
    "баллы": st.one_of(numbers, st.sampled_from(["много", "7,5", "10"])),
    "паспорт": st.one_of(st.sampled_from(["4510 123456", "4510123456", "MP1234567", "12"]), st.integers(0, 10**10)),
    "гражданство": st.sampled_from(["РФ", "Россия", "Казахстан", ""]),
    # tour exports
    # tours of the sample season (slots generate of the 14 sample schedules)
    "id экскурсии": st.sampled_from(["estet-1211-1500", "il-1211-1000", "estet-1212-1500", "nowhere-1211-1000"]),
    "площадка": st.sampled_from(["estet", "il", "Ювелирный завод «Эстет»", "nowhere"]),
}


# Only valid values: a table made of these alone usually imports, which takes the examples deep.
clean_text = st.from_regex(r"[А-ЯЁ][а-яё]{1,9}( [А-ЯЁ][а-яё]{1,9}){0,2}", fullmatch=True)
VALID = {
    **dict.fromkeys(("название", "отрасль", "адрес", "контактное лицо", "примечание для участников", "примечание",
                     "фио", "фамилия", "имя", "отчество"), clean_text),
    "паспорт обязателен": st.just("нет"),
    "только граждане рф": st.just("нет"),
    "максимум экскурсий в день": st.integers(1, 3),
    "срок подачи списков, дней": st.integers(0, 10),
    "email": st.just("ivan@example.org"),
    **{f"выбор {n}": st.sampled_from(["", "estet", "il"]) for n in range(2, 6)},
    "дата": window_dates,
    "начало": st.sampled_from(["09:00", "11:00", "13:00", "15:00"]),
    "длительность, мин": st.sampled_from([60, 90]),
    "размер группы": st.integers(1, 40),
    "код": st.just("estet"),
    "код площадки": st.just("estet"),
    "email для списков": st.just("a@example.org"),
    "минимальный возраст": st.integers(0, 18),
    "закрепить": st.just("нет"),
    "исключить": st.just("нет"),
    "вес": st.floats(0.1, 10),
    "id vk": st.integers(1, 10**9),
    "телефон": st.just("+79161234567"),
    "дата рождения": st.dates(dt.date(1950, 1, 1), dt.date(2010, 1, 1)),
    "дата регистрации": st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2025, 12, 1)),
    "выбор 1": st.just("estet"),
    "выбор": st.just("estet; il"),
    "гостей": st.integers(0, 2),
    "баллы": st.integers(0, 100),
    "паспорт": st.just("4510 123456"),
    "гражданство": st.just("РФ"),
    # the sample season's tour of the Институт Лазерных технологий, alone in the file: moved, resized, or kept
    "id экскурсии": st.just("il-1211-1000"),
    "площадка": st.just("il"),
}


def labels_of(columns) -> dict[str, str]:
    """Any name of a column -> its first (Russian) name, the key of VALID and PLAUSIBLE."""
    return {normalize_header(name): normalize_header(c.label) for c in columns for name in (c.field, *c.names)}


def cell_for(header: object, mess: int, labels: dict[str, str]) -> st.SearchStrategy:
    """A value for ``header``: valid (mess -1), plausible (0), or junk in ``mess`` cells out of 10."""
    key = labels.get(normalize_header(header)) if isinstance(header, str) else None
    if mess < 0 and key in VALID:
        return VALID[key]
    plausible = PLAUSIBLE.get(key)
    return st.one_of(st.integers(0, 9)).flatmap(
        lambda n: junk if n < mess or plausible is None else plausible)


CLEAN_ALWAYS = {"name", "roster_emails", "full_name"}  # not marked required, yet an import needs them


def headers_from(columns, clean: bool) -> st.SearchStrategy:
    """A header row: every required column (under any of its names) unless messy, some others, junk; any order."""
    columns = list(columns)

    def name(column) -> st.SearchStrategy:
        return st.sampled_from((column.field, *column.names))

    @st.composite
    def build(draw):
        if clean:
            chosen = [c for c in columns if c.required or c.field in CLEAN_ALWAYS or draw(st.booleans())]
            if any(c.field.startswith("choice_") for c in chosen):  # not both forms of the registrants' choices
                chosen = [c for c in chosen if c.field != "choices"]
            return draw(st.permutations([draw(name(c)) for c in chosen]))
        header = [draw(name(c)) for c in columns if (c.required and draw(st.integers(0, 9))) or draw(st.booleans())]
        header += draw(st.lists(junk, max_size=2))
        return draw(st.permutations(header))

    return build()


@st.composite
def table(draw, columns, clean: bool, max_rows: int = 8) -> list[list[object]]:
    """A table; ``clean`` ones hold only valid values under a proper header, and mostly import."""
    header = draw(headers_from(columns, clean))
    labels = labels_of(columns)
    if clean:
        return [header] + [[draw(cell_for(h, -1, labels)) for h in header]
                           for _ in range(draw(st.integers(1, max_rows)))]
    rows = [header] if draw(st.integers(0, 9)) else []
    mess = draw(st.sampled_from([0, 1, 3, 10]))  # out of 10: how often a cell is junk
    for _ in range(draw(st.integers(0, max_rows))):
        rows.append([draw(cell_for(h, mess, labels)) for h in header] + draw(st.lists(junk, max_size=1)))
    if draw(st.integers(0, 4)) == 0:  # a title row or blank rows above the header
        rows = [[draw(junk)]] * draw(st.integers(1, 3)) + rows
    return rows


@st.composite
def field_value_rows(draw, clean: bool) -> list[list[object]]:
    rows = [["Поле", "Значение"]] if draw(st.booleans()) else []
    mess = -1 if clean else draw(st.sampled_from([0, 1, 3, 10]))
    for column in SITE_COLUMNS:
        if draw(st.integers(0, 9)) < (10 if column.field in ("site_id", "name", "roster_emails") and clean else
                                      9 if column.field in ("site_id", "name", "roster_emails") else 3):
            key = draw(st.sampled_from((column.field, *column.names)))
            rows.append([key, draw(cell_for(key, mess, labels_of(SITE_COLUMNS)))])
    if not clean:
        rows += draw(st.lists(st.lists(junk, min_size=1, max_size=3), max_size=2))
    return rows[:1] + draw(st.permutations(rows[1:])) if clean else draw(st.permutations(rows))


# -- writing them -----------------------------------------------------------------------------

def _xlsx_value(value: object) -> object:
    """What openpyxl can store: characters XML cannot hold become Excel's own _xHHHH_ escapes."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
        return value[:32767]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return float(value)  # openpyxl writes Python ints as they are; Excel itself has only doubles
    return value


sheet_names = st.one_of(st.sampled_from(["Площадка", "Площадки", "Расписание", "Schedule", "Sites", "Экскурсии",
                                         "Участники", "Лист1", "расписание ", "Веса"]),
                        st.text(st.characters(exclude_categories=("Cs", "Cc", "Cf")), min_size=1, max_size=31))


@st.composite
def sheet_spec(draw, names: list[str], rows_strategy, clean: bool):
    """(name, rows, state, merge): a clean sheet has its proper name, is visible and has no merged cells."""
    rows = draw(rows_strategy)
    if clean:
        return names[0], rows, "visible", None
    merge = None
    if rows and draw(st.integers(0, 9)) == 0:
        top = draw(st.integers(1, len(rows)))
        left = draw(st.integers(1, 4))
        merge = (top, left, top + draw(st.integers(0, 2)), left + draw(st.integers(0, 2)))
    name = draw(st.one_of(st.sampled_from(names), st.sampled_from(names), sheet_names))
    return name, rows, draw(st.sampled_from(["visible"] * 8 + ["hidden", "veryHidden"])), merge


def write_xlsx(path: Path, sheets) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name, rows, state, merge in sheets:
        title = "".join(ch for ch in name if ch not in "[]:*?/\\").strip("'")[:31] or "Лист"
        while title.lower() in taken:
            title = (title[:28] + str(len(taken)))[:31]
        taken.add(title.lower())
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
        if merge is not None and (merge[2], merge[3]) != (merge[0], merge[1]):
            ws.merge_cells(start_row=merge[0], start_column=merge[1], end_row=merge[2], end_column=merge[3])
        ws.sheet_state = state
    if not any(ws.sheet_state == "visible" for ws in wb.worksheets):
        wb.create_sheet("Лист" + str(len(taken) + 1))  # openpyxl, like Excel, keeps one sheet visible
    wb.save(path)
    return path


def csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def quote(cell: str, separator: str) -> str:
    if any(ch in cell for ch in (separator, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def csv_bytes(draw, columns, clean_rows: int = 4) -> bytes:
    clean = draw(st.booleans())
    rows = draw(table(columns, clean, max_rows=clean_rows if clean else 10))
    separator = draw(st.sampled_from([";", ",", "\t"]))
    lines = [separator.join(quote(csv_text(v), separator) for v in row) for row in rows]
    if not clean and draw(st.integers(0, 9)) == 0:  # a broken quote
        lines.append('"unterminated' + separator + "x")
    content = draw(st.sampled_from(["\r\n", "\n"])).join(lines)
    encodings = ["utf-8", "utf-8-sig"] + ([] if clean else ["cp1251", "utf-16"])
    data = content.encode(draw(st.sampled_from(encodings)), errors="replace")
    if not clean and draw(st.integers(0, 9)) == 0:
        data = data[: draw(st.integers(0, len(data)))]  # cut anywhere, even inside a character
    return data


@st.composite
def workbook_sheets(draw, wanted: list[tuple], others=None, clean_rows: int = 3) -> list:
    """Sheets for ``wanted`` (sheet names, table columns or None for field/value pairs[, rows when clean])."""
    clean = draw(st.booleans())
    sheets = []
    for names, columns, *rows_when_clean in wanted:
        most = rows_when_clean[0] if rows_when_clean and clean else clean_rows if clean else 8
        rows = field_value_rows(clean) if columns is None else table(columns, clean, max_rows=most)
        sheets.append(draw(sheet_spec(names, rows, clean)))
    if not clean:
        if draw(st.booleans()):
            sheets.reverse()
        if others is not None:
            sheets += draw(st.lists(sheet_spec(["Черновик"], table(others, False, 3), False), max_size=2))
    return sheets


# -- seasons ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seasons(tmp_path_factory) -> dict[str, Path]:
    """An empty season, and the sample one with its tours."""
    root = tmp_path_factory.mktemp("fuzz-seasons")
    empty = init_season(root / "empty", year=2026)
    sample = init_season(root / "sample", year=2026)
    import_schedules(sample, write_sample_schedules(root / "schedules", 2026))
    generate_season_tours(sample)
    return {"empty": empty.path, "sample": sample.path}


def attempt(template: Path, file_name: str, content, importer) -> None:
    """Copy the season, write the file, import it: success, or a refusal that names the file."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(template, folder / "season")
        path = folder / file_name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            write_xlsx(path, content)
        season = open_season(folder / "season")
        before = season_digest(folder / "season")
        try:
            importer(season, path)
        except (BadDataError, MissingInputError) as exc:
            assert exc.message.strip()
            assert exc.exit_code in (65, 66)
            assert file_name in exc.message, exc.message
            assert season_digest(folder / "season") == before, "a refused import changed the season"
            # --hypothesis-show-statistics shows how deep the examples get
            event(f"refused: {(exc.problems[0].message if exc.problems else exc.message)[:40]}")
        else:
            event("imported")


# -- the properties ------------------------------------------------------------------------------

schedule_sheets = st.one_of(
    # one factory: «Площадка» field/value pairs and a «Расписание» table
    workbook_sheets([(["Площадка", "Site", "площадка"], None), (["Расписание", "Schedule"], CANDIDATE_COLUMNS)],
                    CANDIDATE_COLUMNS),
    # all sites: a «Площадки» table and a «Расписание» table whose rows name their site
    workbook_sheets([(["Площадки", "Sites"], SITE_COLUMNS, 1),
                     (["Расписание", "Schedule"], COMBINED_CANDIDATE_COLUMNS)],
                    SITE_COLUMNS),
)


@FUZZ
@given(sheets=schedule_sheets)
def test_any_schedule_workbook_imports_or_is_refused_clearly(seasons, sheets):
    attempt(seasons["empty"], "fabrika.xlsx", sheets, lambda season, path: import_schedules(season, [path]))


@FUZZ
@given(data=csv_bytes(REGISTRANT_COLUMNS))
def test_any_registrant_csv_imports_or_is_refused_clearly(seasons, data):
    attempt(seasons["sample"], "export.csv", data, import_registrants)


@FUZZ
@given(sheets=workbook_sheets([(["Участники", "Лист1"], REGISTRANT_COLUMNS)], REGISTRANT_COLUMNS))
def test_any_registrant_workbook_imports_or_is_refused_clearly(seasons, sheets):
    attempt(seasons["sample"], "export.xlsx", sheets, import_registrants)


@FUZZ
@given(content=st.one_of(csv_bytes(IMPORT_COLUMNS, clean_rows=1),
                         workbook_sheets([(["Экскурсии"], IMPORT_COLUMNS)], IMPORT_COLUMNS, clean_rows=1)))
def test_any_edited_tour_export_imports_or_is_refused_clearly(seasons, content):
    attempt(seasons["sample"], "tours.csv" if isinstance(content, bytes) else "tours.xlsx", content,
            lambda season, path: import_tours(season, path))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets=schedule_sheets, data=csv_bytes(REGISTRANT_COLUMNS))
def test_fuzzed_files_through_the_cli_never_show_a_traceback(seasons, sheets, data):
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(seasons["sample"], folder / "season")
        for args in (("schedules", "import", write_xlsx(folder / "fabrika.xlsx", list(sheets))),
                     ("registrants", "import", folder / "export.csv")):
            (folder / "export.csv").write_bytes(data)
            result = runner.invoke(app, [*map(str, args), "-w", str(folder / "season")], catch_exceptions=False)
            assert result.exit_code in (0, 65), result.output
            assert "Traceback" not in result.output and "internal error" not in result.output
            if result.exit_code == 65:
                assert result.output.startswith("error: ")


# Found by the fuzzing above: header problems once gave messages without their file.
def test_a_registrant_file_without_a_name_column_is_named_in_the_message(seasons, tmp_path):
    (tmp_path / "export.csv").write_text("ID VK;Выбор 1\n101;estet\n", encoding="utf-8")
    shutil.copytree(seasons["sample"], tmp_path / "season")
    with pytest.raises(BadDataError) as caught:
        import_registrants(open_season(tmp_path / "season"), tmp_path / "export.csv")
    assert "export.csv" in caught.value.message


def test_a_registrant_header_with_a_column_twice_is_named_in_the_message(seasons, tmp_path):
    (tmp_path / "export.csv").write_text("ID VK;id;ФИО\n101;102;Иванов Иван\n", encoding="utf-8")
    shutil.copytree(seasons["sample"], tmp_path / "season")
    with pytest.raises(BadDataError) as caught:
        import_registrants(open_season(tmp_path / "season"), tmp_path / "export.csv")
    assert "export.csv" in caught.value.message


def test_the_fuzzing_reaches_both_outcomes(seasons, tmp_path):
    """The generators are not all refusals: a plausible schedule from them imports."""
    sheets = [("Площадка", [["Код", "estet"], ["Название", "Эстет"], ["Email для списков", "a@example.org"]],
               "visible", None),
              ("Расписание", [["Дата", "Начало", "Размер группы"], [dt.date(2026, 12, 11), dt.time(10, 0), 15]],
               "visible", None)]
    shutil.copytree(seasons["empty"], tmp_path / "season")
    report = import_schedules(open_season(tmp_path / "season"), [write_xlsx(tmp_path / "fabrika.xlsx", sheets)])
    assert [s.site_id for s in report.sites] == ["estet"]
    with pytest.raises(OpenMospromError):
        import_schedules(open_season(tmp_path / "season"), [write_xlsx(tmp_path / "bad.xlsx", sheets[:1])])
