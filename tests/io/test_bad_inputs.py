"""Every hostile or broken input, fed to the real commands: one clear line, exit 65 (66 when missing), season unchanged.

The files are in tests/data/bad: the container tricks of make_bad_files.py,
shared by every importer, and the importer-shaped ones of make_bad_inputs.py
(``sched-*``, ``reg-*``, ``slots-*``). The season is the sample one: the 14
sample schedules imported and the tours generated, so that registrants and
tour edits have something to refer to.
"""

from __future__ import annotations

import importlib.util
import shutil
import time
from pathlib import Path

import pytest

from openmosprom_cli.demo.sample_schedules import write_sample_schedules
from openmosprom_cli.schedules.importer import import_schedules
from openmosprom_cli.season.folder import init_season, open_season
from openmosprom_cli.store.registrants import load_registrants
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours
from openmosprom_cli.tours.generate import generate_season_tours
from tests.paths import BAD
from tests.season_digest import season_digest

COMMANDS = {
    "sched": ("schedules", "import"),
    "reg": ("registrants", "import"),
    "slots": ("slots", "import"),
    "weights": ("slots", "generate", "--weights"),
}
FAST_S = 2.0  # thousands of formatting-only rows are skipped, not read one by one


@pytest.fixture(scope="module")
def sample_season(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    season = init_season(root / "season", year=2026)
    import_schedules(season, write_sample_schedules(root / "schedules", 2026))
    generate_season_tours(season)
    return season.path


@pytest.fixture
def workspace(sample_season, tmp_path) -> Path:
    target = tmp_path / "season"
    shutil.copytree(sample_season, target)
    return target


def run(cli, workspace: Path, kind: str, path: Path, *extra: str):
    started = time.perf_counter()
    result = cli(*COMMANDS[kind], path, *extra, "-w", workspace)
    return result, time.perf_counter() - started


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip() and not line.startswith("hint:")]


# -- files no importer can read: the same refusal from each -------------------------------------

CONTAINER_CASES = [
    ("csv-renamed.xlsx", "csv-renamed.xlsx: is a text/CSV file, not an .xlsx workbook"),
    ("old.xls", "old.xls: is an old Excel 97–2003"),
    ("encrypted.xlsx", "encrypted.xlsx: is password-protected; remove the password"),
    ("empty.xlsx", "empty.xlsx: is an empty file, not an .xlsx workbook"),
    ("truncated.xlsx", "truncated.xlsx: is a damaged or truncated .xlsx workbook"),
    ("zip-bomb.xlsx",
     "zip-bomb.xlsx: xl/worksheets/sheet1.xml inflates to 300 MB (limit 256 MB); rejected as a possible zip bomb"),
    ("zip-ratio.xlsx", "zip-ratio.xlsx: xl/worksheets/sheet1.xml compresses 1009:1 (limit 200:1)"),
    ("zip-lying-size.xlsx", "zip-lying-size.xlsx: "),
    ("dtd-in-workbook.xlsx", "dtd-in-workbook.xlsx: xl/workbook.xml inside it contains a DTD (<!DOCTYPE>)"),
]
# The schedule import opens only its own sheets, so these tricks come in schedule-shaped files for it.
SHEET_TRICKS = {
    "billion-laughs": "xl/worksheets/sheet{n}.xml inside it contains a DTD (<!DOCTYPE>)",
    "xxe": "xl/sharedStrings.xml inside it contains a DTD (<!DOCTYPE>)",
    "huge-dimension": "› row 1048576 › column XFD: holds a value beyond column GR",
}

CASES = [
    *[pytest.param(kind, name, fragment, id=f"{kind}:{name}")
      for kind in ("sched", "reg", "slots") for name, fragment in CONTAINER_CASES],
    *[pytest.param(kind, f"{name}.xlsx", f"{name}.xlsx" + (": " if "›" not in fragment else " › Лист1 ")
                   + fragment.format(n=1), id=f"{kind}:{name}")
      for kind in ("reg", "slots") for name, fragment in SHEET_TRICKS.items()],
    pytest.param("sched", "sched-billion-laughs.xlsx",
                 "sched-billion-laughs.xlsx: " + SHEET_TRICKS["billion-laughs"].format(n=2), id="sched:billion-laughs"),
    pytest.param("sched", "sched-xxe.xlsx", "sched-xxe.xlsx: " + SHEET_TRICKS["xxe"], id="sched:xxe"),
    pytest.param("sched", "sched-huge-dimension.xlsx",
                 "sched-huge-dimension.xlsx › Расписание " + SHEET_TRICKS["huge-dimension"], id="sched:huge-dimension"),

    # -- schedules: cell contents, hidden sheets, dates, unsafe IDs and names --
    pytest.param("sched", "sched-formula-no-value.xlsx",
                 "sched-formula-no-value.xlsx › Расписание › row 3 › column C: formula =60+30 has no saved result",
                 id="sched:formula-no-value"),
    pytest.param("sched", "sched-combined-formula-no-value.xlsx",
                 "sched-combined-formula-no-value.xlsx › Площадки › row 3 › column D: "
                 "formula =C2+2 has no saved result",
                 id="sched:combined-formula-no-value"),
    pytest.param("sched", "sched-error-cell.xlsx",
                 "sched-error-cell.xlsx › Расписание › row 4 › column E: holds the error #DIV/0!",
                 id="sched:error-cell"),
    pytest.param("sched", "sched-merged-in-data.xlsx",
                 "sched-merged-in-data.xlsx › Расписание › row 3: merged cells B3:B4 inside the data",
                 id="sched:merged-in-data"),
    pytest.param("sched", "sched-site-merged.xlsx",
                 "sched-site-merged.xlsx › Площадка › row 3: merged cells B3:B4 inside the data",
                 id="sched:site-merged"),
    pytest.param("sched", "sched-combined-merged.xlsx",
                 "sched-combined-merged.xlsx › Площадки › row 2: merged cells D2:D3 inside the data",
                 id="sched:combined-merged"),
    pytest.param("sched", "sched-hidden-schedule.xlsx",
                 "sched-hidden-schedule.xlsx: sheet 'Расписание' is hidden; unhide it or remove it",
                 id="sched:hidden-schedule"),
    pytest.param("sched", "sched-combined-hidden-sites.xlsx",
                 "sched-combined-hidden-sites.xlsx: sheet 'Площадки' is hidden", id="sched:combined-hidden-sites"),
    pytest.param("sched", "sched-date-impossible.xlsx",
                 "sched-date-impossible.xlsx › Расписание › row 3 › Дата: '31.02.2026' is not a real date",
                 id="sched:date-impossible"),
    pytest.param("sched", "sched-date-month-first.xlsx",
                 "sched-date-month-first.xlsx › Расписание › row 3 › Дата: '12/13/2026' is not a real date",
                 id="sched:date-month-first"),
    pytest.param("sched", "sched-date-two-digit-year.xlsx",
                 "sched-date-two-digit-year.xlsx › Расписание › row 3 › Дата: '13.12.26' has a two-digit year",
                 id="sched:date-two-digit-year"),
    *[pytest.param("sched", f"sched-id-{name}.xlsx",
                   f"sched-id-{name}.xlsx › Площадка › row 2 › Код: {shown} is not a latin slug", id=f"sched:id-{name}")
      for name, shown in (("traversal", "'../../x'"), ("long", repr("a" * 41)), ("brackets", "'[]:*?/\\\\'"))],
    *[pytest.param("sched", f"sched-name-{name}.xlsx",
                   f"sched-name-{name}.xlsx › Площадка › row 3 › Название: contains the forbidden character {char}",
                   id=f"sched:name-{name}")
      for name, char in (("rlo", "U+202E (RIGHT-TO-LEFT OVERRIDE)"), ("nul", "U+0000"), ("vtab", "U+000B"))],

    # -- registrants --
    pytest.param("reg", "reg-empty.csv", "reg-empty.csv: is empty", id="reg:empty-csv"),
    pytest.param("reg", "reg-cp1251.csv", "reg-cp1251.csv › row 1: is not UTF-8 text", id="reg:cp1251"),
    *[pytest.param("reg", f"reg-name-{name}.csv",
                   f"reg-name-{name}.csv › row 3 › ФИО: contains the forbidden character {char}", id=f"reg:name-{name}")
      for name, char in (("rlo", "U+202E (RIGHT-TO-LEFT OVERRIDE)"), ("nul", "U+0000"), ("vtab", "U+000B"))],
    pytest.param("reg", "reg-name-vtab.xlsx",
                 "reg-name-vtab.xlsx › Участники › row 4 › ФИО: contains the forbidden character U+000B",
                 id="reg:name-vtab-xlsx"),
    pytest.param("reg", "reg-date-impossible.csv",
                 "reg-date-impossible.csv › row 3 › Дата рождения: '31.02.2001' is not a real date",
                 id="reg:date-impossible"),
    pytest.param("reg", "reg-date-month-first.csv",
                 "reg-date-month-first.csv › row 3 › Дата рождения: '12/13/2001' is not a real date",
                 id="reg:date-month-first"),
    pytest.param("reg", "reg-date-two-digit-year.csv",
                 "reg-date-two-digit-year.csv › row 3 › Дата рождения: '13.12.01' has a two-digit year",
                 id="reg:date-two-digit-year"),
    # values.normalize_passport: a passport stored as a number may have lost leading zeros, so it is refused.
    pytest.param("reg", "reg-passport-as-number.xlsx",
                 "reg-passport-as-number.xlsx › Участники › row 3 › Паспорт: 4510123456 was stored as a number, "
                 "so leading zeros may be lost", id="reg:passport-as-number"),
    # values.normalize_phone repairs a number only when unambiguous; seven digits are not.
    pytest.param("reg", "reg-phone-as-number-ambiguous.xlsx",
                 "reg-phone-as-number-ambiguous.xlsx › Участники › row 3 › Телефон: "
                 "'1234567' is not a Russian phone number",
                 id="reg:phone-as-number-ambiguous"),
    pytest.param("reg", "reg-formula-no-value.xlsx",
                 "reg-formula-no-value.xlsx › Участники › row 3 › Паспорт: formula =CONCATENATE(",
                 id="reg:formula-no-value"),
    pytest.param("reg", "reg-error-cell.xlsx",
                 "reg-error-cell.xlsx › Участники › row 2 › Дата рождения: holds the error #VALUE!",
                 id="reg:error-cell"),
    pytest.param("reg", "reg-merged-in-data.xlsx",
                 "reg-merged-in-data.xlsx › Участники › row 2: merged cells F2:F4 inside the data",
                 id="reg:merged-in-data"),
    pytest.param("reg", "reg-hidden-sheet.xlsx", "reg-hidden-sheet.xlsx: no visible sheet has the registrant columns",
                 id="reg:hidden-sheet"),
    pytest.param("reg", "reg-huge-dimension.xlsx",
                 "reg-huge-dimension.xlsx › Участники " + SHEET_TRICKS["huge-dimension"], id="reg:huge-dimension"),

    # -- an edited tour export (slots import) and a weights file (slots generate --weights) --
    pytest.param("slots", "slots-empty.csv", "slots-empty.csv: is empty", id="slots:empty-csv"),
    pytest.param("slots", "slots-hidden-sheet.xlsx", "slots-hidden-sheet.xlsx: sheet 'Экскурсии' is hidden",
                 id="slots:hidden-sheet"),
    pytest.param("slots", "slots-formula-no-value.xlsx",
                 "slots-formula-no-value.xlsx › Экскурсии › row 2 › column E: formula =60*2 has no saved result",
                 id="slots:formula-no-value"),
    pytest.param("slots", "slots-error-cell.xlsx",
                 "slots-error-cell.xlsx › Экскурсии › row 2 › column F: holds the error #REF!", id="slots:error-cell"),
    pytest.param("slots", "slots-merged-in-data.xlsx",
                 "slots-merged-in-data.xlsx › Экскурсии › row 2: merged cells A2:A3 inside the data",
                 id="slots:merged-in-data"),
    pytest.param("slots", "slots-huge-dimension.xlsx",
                 "slots-huge-dimension.xlsx › Экскурсии " + SHEET_TRICKS["huge-dimension"], id="slots:huge-dimension"),
    pytest.param("slots", "slots-date-impossible.csv",
                 "slots-date-impossible.csv › row 2 › Дата: '31.02.2026' is not a real date",
                 id="slots:date-impossible"),
    pytest.param("slots", "slots-date-month-first.csv",
                 "slots-date-month-first.csv › row 2 › Дата: '12/13/2026' is not a real date",
                 id="slots:date-month-first"),
    pytest.param("slots", "slots-date-two-digit-year.csv",
                 "slots-date-two-digit-year.csv › row 2 › Дата: '13.12.26' has a two-digit year",
                 id="slots:date-two-digit-year"),
    pytest.param("slots", "reg-valid.xlsx", "reg-valid.xlsx › Участники: no header row found", id="slots:wrong-table"),
    pytest.param("slots", "reg-valid.csv", "reg-valid.csv: no header row found", id="slots:wrong-table-csv"),
    pytest.param("weights", "slots-weights-hidden.xlsx", "slots-weights-hidden.xlsx: has no visible sheet",
                 id="weights:hidden-sheet"),
    pytest.param("weights", "slots-weights-formula-no-value.xlsx",
                 "slots-weights-formula-no-value.xlsx › Веса › row 3 › column C: formula =B2*3 has no saved result",
                 id="weights:formula-no-value"),
    pytest.param("weights", "slots-weights-merged.xlsx",
                 "slots-weights-merged.xlsx › Веса › row 2: merged cells B2:B3 inside the data", id="weights:merged"),
    pytest.param("weights", "billion-laughs.xlsx",
                 "billion-laughs.xlsx: xl/worksheets/sheet1.xml inside it contains a DTD",
                 id="weights:billion-laughs"),
    pytest.param("weights", "old.xls", "old.xls: is an old Excel 97–2003", id="weights:old-xls"),
]


@pytest.mark.parametrize(("kind", "name", "fragment"), CASES)
def test_a_bad_input_gets_one_clear_line_and_changes_nothing(cli, workspace, kind, name, fragment):
    before = season_digest(workspace)
    result, _ = run(cli, workspace, kind, BAD / name)
    assert result.exit_code == 65, result.output
    assert "Traceback" not in result.output
    (line,) = error_lines(result.output)
    assert line.startswith("error: ")
    assert fragment in line
    assert season_digest(workspace) == before


def test_cp1251_error_suggests_the_flag_and_the_flag_works(cli, workspace):
    result, _ = run(cli, workspace, "reg", BAD / "reg-cp1251.csv")
    assert result.exit_code == 65 and "add --encoding cp1251" in result.output
    result, _ = run(cli, workspace, "reg", BAD / "reg-cp1251.csv", "--encoding", "cp1251")
    assert result.exit_code == 0, result.output
    names = {r.full_name for r in load_registrants_of(workspace)}
    assert "Сидоров Пётр" in names


def test_registrant_merged_cells_name_their_range_among_the_problems(workspace):
    from openmosprom_cli.errors import BadDataError
    from openmosprom_cli.registrants.importer import import_registrants

    with pytest.raises(BadDataError) as caught:
        import_registrants(open_season(workspace), BAD / "reg-merged-in-data.xlsx")
    assert [str(p) for p in caught.value.problems] == [
        "reg-merged-in-data.xlsx › Участники › row 2: merged cells F2:F4 inside the data; "
        "unmerge them so every row has its own values"]


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_a_missing_file_is_exit_66(cli, workspace, kind):
    before = season_digest(workspace)
    result, _ = run(cli, workspace, kind, workspace / "nowhere.xlsx")
    assert result.exit_code == 66, result.output
    (line,) = error_lines(result.output)
    assert "nowhere.xlsx does not exist" in line
    assert season_digest(workspace) == before


def load_registrants_of(workspace: Path):
    with open_season(workspace).reader() as conn:
        return load_registrants(conn)


# -- the inputs that look hostile but are fine ------------------------------------------------

def test_valid_controls_import(cli, workspace):
    """The untouched versions of the broken files import, so each broken one fails for its one flaw alone."""
    # Weights first: they must name every site, and the schedules add sites.
    for kind, name in (("weights", "slots-weights-valid.xlsx"), ("sched", "sched-valid.xlsx"),
                       ("sched", "sched-combined-valid.xlsx"), ("reg", "reg-valid.csv"), ("reg", "reg-valid.xlsx"),
                       ("slots", "slots-valid.xlsx"), ("slots", "slots-valid.csv")):
        result, _ = run(cli, workspace, kind, BAD / name)
        assert result.exit_code == 0, (name, result.output)


def test_a_utf8_bom_is_handled(cli, workspace):
    result, _ = run(cli, workspace, "reg", BAD / "reg-bom.csv")
    assert result.exit_code == 0, result.output
    assert {r.id for r in load_registrants_of(workspace)} == {"101", "102", "103"}


def test_phones_excel_stored_as_numbers_are_repaired_when_unambiguous(cli, workspace):
    result, _ = run(cli, workspace, "reg", BAD / "reg-phone-as-number.xlsx")
    assert result.exit_code == 0, result.output
    phones = {r.id: r.phone for r in load_registrants_of(workspace)}
    # 79161234567 lost its "+", 89161234568 is the domestic 8…, 4951234567 a Moscow landline without its 7.
    assert phones == {"101": "+79161234567", "102": "+79161234568", "103": "+74951234567"}


def test_an_unrelated_hidden_sheet_is_never_read(cli, workspace):
    # sched-hidden-extra.xlsx hides a «Черновик» sheet whose only row has the impossible start 25:00.
    result, _ = run(cli, workspace, "sched", BAD / "sched-hidden-extra.xlsx")
    assert result.exit_code == 0, result.output
    with open_season(workspace).reader() as conn:
        dates = [c["date"] for c in conn.execute("SELECT date FROM candidates WHERE site_id = 'bad-site'")]
    assert sorted(dates) == ["2026-12-11", "2026-12-12", "2026-12-14"]


def test_a_site_code_con_is_a_valid_slug_kept_as_typed_lowercase(cli, workspace):
    # "CON" is a reserved file name on Windows; as a code it is fine, and rosters make file names safe (test_rosters).
    result, _ = run(cli, workspace, "sched", BAD / "sched-id-con.xlsx")
    assert result.exit_code == 0, result.output
    with open_season(workspace).reader() as conn:
        assert "con" in load_sites(conn)


@pytest.mark.parametrize(("kind", "name", "check"), [
    ("sched", "sched-formatting-rows.xlsx", "bad-site"),
    ("reg", "reg-formatting-rows.xlsx", "Read 3 rows"),
    ("slots", "slots-formatting-rows.xlsx", "removed"),
])
def test_thousands_of_formatting_only_rows_are_skipped_quickly(cli, workspace, kind, name, check):
    result, elapsed = run(cli, workspace, kind, BAD / name)
    assert result.exit_code == 0, result.output
    assert check in result.output
    assert elapsed < FAST_S
    with open_season(workspace).reader() as conn:
        if kind == "sched":
            count = conn.execute("SELECT count(*) FROM candidates WHERE site_id = 'bad-site'").fetchone()[0]
            assert count == 3
        elif kind == "slots":
            assert len(load_tours(conn)) == 1


def test_the_generator_reproduces_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_bad_inputs", BAD / "make_bad_inputs.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.main(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in BAD.iterdir() if p.name.startswith(("sched-", "reg-", "slots-")))
    assert made == committed
    for name in made:
        assert (tmp_path / name).read_bytes() == (BAD / name).read_bytes(), name
