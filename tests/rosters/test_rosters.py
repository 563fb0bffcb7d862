"""``rosters export``: per-site workbooks, participants.xlsx, roster_exports."""

from __future__ import annotations

import datetime as dt
import json
import stat
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from openmosprom_cli.errors import BadDataError, MissingInputError
from openmosprom_cli.io.files import TEMP_SUFFIX
from openmosprom_cli.io.writer import FORMULA_STARTS, csv_text, csv_unguard, visible_text
from openmosprom_cli.models import Site
from openmosprom_cli.rosters import export
from openmosprom_cli.rosters.export import export_rosters
from openmosprom_cli.season.folder import init_season
from openmosprom_cli.store.tours import replace_tours
from tests.rosters_fixtures import (
    EVIL_NAME,
    OUTCOMES,
    PEOPLE,
    PLACEMENTS,
    SITES,
    TOURS,
    WAITLISTS,
    person,
    seed,
    tour,
    write_run,
)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


# -- reading what was written ----------------------------------------------------------------------

def rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def table(ws, first_header: str = "№") -> tuple[list[str], list[dict]]:
    """The headers and the records of the table whose header row starts with ``first_header``."""
    all_rows = rows(ws)
    start = next(i for i, r in enumerate(all_rows) if r[0] == first_header)
    headers = [h for h in all_rows[start] if h is not None]
    records = [dict(zip(headers, r, strict=False)) for r in all_rows[start + 1:] if any(v is not None for v in r)]
    return headers, records


def header_block(ws) -> dict[str, object]:
    return {r[1]: r[2] for r in rows(ws) if r[0] is None and r[1] is not None}


def all_text(path: Path) -> str:
    """Every XML part of an .xlsx, so that hidden or unshown data is found too."""
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


@dataclass(frozen=True)
class RawCell:
    ref: str
    type: str | None
    text: str | None
    has_formula: bool
    quote_prefix: bool


def raw_cells(path: Path, sheet_title: str) -> list[RawCell]:
    """The cells of one sheet as stored in the file's XML, with their type, formula and quotePrefix."""
    with zipfile.ZipFile(path) as z:
        workbook = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        rid = next(s.get(f"{REL}id") for s in workbook.iter(f"{MAIN}sheet") if s.get("name") == sheet_title)
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        sheet = ET.fromstring(z.read(part))
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            shared = ["".join(t.text or "" for t in si.iter(f"{MAIN}t"))
                      for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(f"{MAIN}si")]
        styles = ET.fromstring(z.read("xl/styles.xml"))
        xfs = list(styles.find(f"{MAIN}cellXfs"))
    cells = []
    for c in sheet.iter(f"{MAIN}c"):
        kind = c.get("t")
        v = c.find(f"{MAIN}v")
        if kind == "s" and v is not None:
            text = shared[int(v.text)]
        elif kind == "inlineStr":
            text = "".join(t.text or "" for t in c.iter(f"{MAIN}t"))
        else:
            text = v.text if v is not None else None
        xf = xfs[int(c.get("s", "0"))]
        cells.append(RawCell(c.get("r"), kind, text, c.find(f"{MAIN}f") is not None,
                             xf.get("quotePrefix") in ("1", "true")))
    return cells


def raw_cell(path: Path, sheet_title: str, text: str) -> RawCell:
    found = [c for c in raw_cells(path, sheet_title) if c.text == text]
    assert found, f"{text!r} not in {path.name} › {sheet_title}"
    return found[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- site workbooks ------------------------------------------------------------------------------

def test_site_workbook_has_a_sheet_per_tour_with_header_block_and_visitors(allocated):
    report = export_rosters(allocated)
    out = allocated.path / "rosters"
    assert report.out_dir == out.resolve()
    wb = openpyxl.load_workbook(out / "estet.xlsx")
    assert wb.sheetnames == ["14.12 11.00", "15.12 15.00", "Резерв"]

    ws = wb["14.12 11.00"]
    block = header_block(ws)
    assert block["Площадка"] == "Эстет"
    assert block["Адрес"] == "Москва, ул. Рабочая, 1"
    assert block["Дата"] == "14.12.2026, понедельник"
    assert block["Начало"] == "11:00"
    assert block["Длительность"] == "90 мин"
    assert block["Вместимость"] == 10
    assert block["Занято мест"] == 3  # Анна with a guest, and Борис
    assert block["Контакт организатора"] == "Оргкомитет «Открой#Моспром», +7 495 000-00-00, excursions@example.org"
    assert block["Примечание площадки"] == "Сменная обувь"
    headers, visitors = table(ws)
    assert headers == ["№", "ФИО", "Телефон", "Гостей", "Отметка о посещении", "Пришло гостей", "Код"]
    assert all(len(v["Код"]) == 6 for v in visitors)
    assert [(v["№"], v["ФИО"], v["Телефон"], v["Гостей"], v["Отметка о посещении"]) for v in visitors] == [
        (1, "Борисов Борис", "+79160000102", 0, None),
        (2, "Смирнова Анна", "+79160000101", 1, None),
    ]
    assert header_block(wb["15.12 15.00"])["Примечание к экскурсии"] == "Вход со двора"

    header_row = next(i for i, r in enumerate(rows(ws), start=1) if r[0] == "№")
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.column_dimensions["B"].width >= len("Смирнова Анна")

    # 15.12 has 2 seats: its standby is ceil(0.2 × 2) = 1 person, the first on its waitlist
    standby_headers, standby = table(wb["Резерв"])
    assert standby_headers == ["№", "Экскурсия", "ФИО", "Телефон", "Гостей"]
    assert standby == [{"№": 1, "Экскурсия": "15.12 15.00", "ФИО": "Лебедева Лена", "Телефон": "+79160000501",
                        "Гостей": 0}]


def test_every_site_with_tours_gets_a_workbook_even_without_visitors(allocated):
    report = export_rosters(allocated)
    out = allocated.path / "rosters"
    assert sorted(p.name for p in out.glob("*.xlsx")) == [
        "estet.xlsx", "il.xlsx", "khr.xlsx", "kond.xlsx", "mol.xlsx", "participants.xlsx"]
    wb = openpyxl.load_workbook(out / "kond.xlsx")
    assert wb.sheetnames == ["19.12 11.00", "Резерв"]
    assert header_block(wb["19.12 11.00"])["Занято мест"] == 0
    assert table(wb["19.12 11.00"])[1] == []
    by_site = {s.site_id: s for s in report.sites}
    assert set(by_site) == {"estet", "il", "khr", "kond", "mol"}
    assert (by_site["estet"].tours, by_site["estet"].visitors, by_site["estet"].seats_taken,
            by_site["estet"].waitlisted, by_site["estet"].standby) == (2, 3, 4, 2, 1)
    assert (by_site["kond"].visitors, by_site["kond"].seats_taken) == (0, 0)


@pytest.mark.parametrize("site_id, extra_headers", [
    ("estet", []),
    ("il", ["Дата рождения"]),
    ("khr", ["Дата рождения", "Паспорт", "Гражданство"]),
    ("mol", ["Паспорт", "Гражданство"]),
])
def test_each_site_sees_only_the_fields_it_needs(allocated, site_id, extra_headers):
    export_rosters(allocated)
    path = allocated.path / "rosters" / f"{site_id}.xlsx"
    wb = openpyxl.load_workbook(path)
    headers, _ = table(wb[wb.sheetnames[0]])
    assert headers == ["№", "ФИО", "Телефон", "Гостей", *extra_headers, "Отметка о посещении", "Пришло гостей",
                       "Код"]
    text = all_text(path)
    for p in PEOPLE:
        assert p.email not in text
        if "Дата рождения" not in extra_headers and p.birth_date:
            assert f"{p.birth_date:%d.%m.%Y}" not in text
        if "Паспорт" not in extra_headers and p.passport:
            assert p.passport not in text


def test_passport_site_lists_passport_and_birth_date(allocated):
    export_rosters(allocated)
    wb = openpyxl.load_workbook(allocated.path / "rosters" / "khr.xlsx")
    _, visitors = table(wb["16.12 10.00"])
    assert visitors == [{"№": 1, "ФИО": "Кузнецов Пётр", "Телефон": "+79160000201", "Гостей": 0,
                         "Дата рождения": "03.03.1985", "Паспорт": "4511 222222", "Гражданство": "RU",
                         "Отметка о посещении": None, "Пришло гостей": None, "Код": visitors[0]["Код"]}]


def test_no_factory_sees_another_factorys_visitors(allocated):
    export_rosters(allocated)
    out = allocated.path / "rosters"
    on_lists = {
        "estet": {"101", "102", "103", "501"},  # 501 is on its standby
        "khr": {"201"},                         # 501 waits here too, but has no passport for this site's standby
        "il": {"301"},
        "mol": {"401"},
        "kond": set(),
    }
    names = {p.id: p.full_name for p in PEOPLE}
    for site_id, ids in on_lists.items():
        text = all_text(out / f"{site_id}.xlsx")
        for rid, name in names.items():
            shown = name.replace('"', "&quot;") in text or name in text
            assert shown == (rid in ids), (site_id, name)


# -- formula injection ------------------------------------------------------------------------------

def test_registrant_values_stay_text_in_the_saved_xml(allocated):
    export_rosters(allocated)
    out = allocated.path / "rosters"
    for path, sheet in [(out / "estet.xlsx", "15.12 15.00"), (out / "participants.xlsx", "Участники")]:
        for value in (EVIL_NAME, "+79160000103"):
            cell = raw_cell(path, sheet, value)
            assert cell.type in ("s", "inlineStr"), (path.name, value)
            assert not cell.has_formula
            assert cell.quote_prefix
    email = raw_cell(out / "participants.xlsx", "Участники", "@SUM(1)")
    assert email.type in ("s", "inlineStr") and email.quote_prefix and not email.has_formula
    minus = raw_cell(out / "il.xlsx", "Резерв", "Резерв: ПАО «Ил»")
    assert not minus.quote_prefix  # only values that could be read as a formula get the prefix
    for path in out.glob("*.xlsx"):
        assert "<f>" not in all_text(path) and "<f " not in all_text(path)
    wb = openpyxl.load_workbook(out / "estet.xlsx")
    assert table(wb["15.12 15.00"])[1][0]["ФИО"] == EVIL_NAME


def test_factory_values_stay_text_too(season):
    seed(season, sites=[Site("evil", "=cmd|' /C calc'!A0", address="+7 street", notes="-note")],
         tours=[tour("evil-1214-1100", "evil", 14, 11)], people=[])
    export_rosters(season)
    path = season.path / "rosters" / "evil.xlsx"
    for value in ("=cmd|' /C calc'!A0", "+7 street", "-note"):
        cell = raw_cell(path, "14.12 11.00", value)
        assert cell.type in ("s", "inlineStr") and cell.quote_prefix and not cell.has_formula


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+7916", "'+7916"), ("-2", "'-2"), ("@SUM(1)", "'@SUM(1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Анна", "Анна"), ("", ""), (None, ""), (" =x", " =x"),
])
def test_csv_fields_are_guarded_by_the_writer(value, expected):
    assert csv_text(value) == expected


# -- participants.xlsx ----------------------------------------------------------------------------------

def test_participants_lists_everyone_with_their_result_and_no_passport_data(allocated):
    report = export_rosters(allocated)
    wb = openpyxl.load_workbook(report.participants_path)
    ws = wb["Участники"]
    headers, people = table(ws, first_header="ID VK")
    assert headers == ["ID VK", "ФИО", "Телефон", "Email", "Баллы", "Приоритет", "Результат", "Экскурсия",
                       "Площадка", "Дата", "Время", "Листы ожидания", "Причины"]
    assert [p["ID VK"] for p in people] == ["101", "201", "102", "103", "301", "401", "501", "601", "701"]
    by_id = {p["ID VK"]: p for p in people}
    anna = by_id["101"]
    assert (anna["ФИО"], anna["Телефон"], anna["Email"], anna["Баллы"], anna["Приоритет"], anna["Результат"],
            anna["Экскурсия"], anna["Площадка"], anna["Дата"].date(), anna["Время"]) == (
        "Смирнова Анна", "+79160000101", "p101@example.ru", 50, 1, "место", "estet-1214-1100", "Эстет",
        dt.date(2026, 12, 14), dt.time(11, 0))
    assert by_id["102"]["Листы ожидания"] == "estet-1215-1500 (№ 2)"
    lena = by_id["501"]
    assert (lena["Результат"], lena["Экскурсия"]) == ("лист ожидания", None)
    assert lena["Листы ожидания"] == "estet-1215-1500 (№ 1); khr-1216-1000 (№ 1)"
    assert lena["Причины"] == "1. estet-1215-1500: мест не осталось; 2. khr-1216-1000: мест не осталось"
    assert by_id["601"]["Причины"] == "1. il-1217-1200: возраст ниже допустимого; 2. nowhere: такой экскурсии нет"
    assert (by_id["701"]["Приоритет"], by_id["701"]["Результат"]) == (None, "нет")
    text = all_text(report.participants_path)
    assert all(p.passport not in text for p in PEOPLE if p.passport)
    assert "1990" not in text  # no birth dates
    assert ws.auto_filter.ref == "A1:M10"


# -- personal data: file modes ---------------------------------------------------------------------------

def test_every_file_with_personal_data_is_owner_only(allocated):
    report = export_rosters(allocated)
    out = allocated.path / "rosters"
    for name in ("khr.xlsx", "il.xlsx", "mol.xlsx", "estet.xlsx", "kond.xlsx", "participants.xlsx"):
        assert mode(out / name) == 0o600, name
    assert all(s.private for s in report.sites)


def test_a_standby_never_shows_another_factorys_visitors(allocated):
    """501 waits at estet and il and holds nothing: both see them. 102 holds an estet tour: only estet sees them."""
    with allocated.transaction() as conn:
        write_run(conn, PLACEMENTS, {"il-1217-1200": ["102", "501"], "estet-1215-1500": ["501", "102"]}, OUTCOMES)
        conn.execute("UPDATE tours SET capacity = 10 WHERE tour_id = 'estet-1215-1500'")   # a standby of 2
    export_rosters(allocated)
    out = allocated.path / "rosters"

    def standby(site_id):
        _, rows = table(openpyxl.load_workbook(out / f"{site_id}.xlsx")["Резерв"])
        return [(w["№"], w["ФИО"]) for w in rows]

    assert standby("il") == [(2, "Лебедева Лена")]   # her place on the waitlist as she is told it
    assert standby("estet") == [(1, "Лебедева Лена"), (2, "Борисов Борис")]


# -- safe names ----------------------------------------------------------------------------------------

UNSAFE_IDS = ["../../x", "CON", "a" * 100, "[]:*?/\\", "..", "con", "Estet", "estet", "participants", "a/b", "a_b"]


def test_unsafe_site_ids_never_write_outside_the_folder_and_collisions_get_numbered(tmp_path, season):
    sites = [Site(sid, f"Площадка {i} " + "я" * 40) for i, sid in enumerate(UNSAFE_IDS)]
    tours = [tour(f"t{i}", s.site_id, 14, 11) for i, s in enumerate(sites)]
    seed(season, sites=sites, tours=tours, people=[])
    before = set(tmp_path.rglob("*"))
    out = tmp_path / "deep" / "out"
    report = export_rosters(season, out)

    written = set(tmp_path.rglob("*")) - before
    assert all(p == out.parent or p == out or p.parent == out for p in written), written
    files = [s.path for s in report.sites]
    assert len({p.name.lower() for p in files}) == len(UNSAFE_IDS)
    assert all(p.parent == out.resolve() and p.exists() for p in files)
    names = {s.site_id: s.path.name for s in report.sites}
    assert names["../../x"] == "_x.xlsx" or "/" not in names["../../x"]
    assert names["CON"].upper() != "CON.XLSX" and names["con"].upper() != "CON.XLSX"
    assert {names["Estet"].lower(), names["estet"].lower()} == {"estet.xlsx", "estet (2).xlsx"}
    assert names["participants"] != "participants.xlsx"
    assert openpyxl.load_workbook(out / "participants.xlsx").sheetnames == ["Участники"]
    assert len(Path(names["a" * 100]).stem) <= 80
    for path in files:
        for title in openpyxl.load_workbook(path).sheetnames:
            assert len(title) <= 31 and not set(title) & set("[]:*?/\\")


def test_tours_at_the_same_time_get_distinct_sheet_titles(season):
    seed(season, sites=[Site("s", "Завод")],
         tours=[tour("s-a", "s", 14, 11), tour("s-b", "s", 14, 11, note="вторая группа")], people=[])
    export_rosters(season)
    wb = openpyxl.load_workbook(season.path / "rosters" / "s.xlsx")
    assert wb.sheetnames == ["14.12 11.00", "14.12 11.00 (2)", "Резерв"]
    assert header_block(wb["14.12 11.00 (2)"])["ID экскурсии"] == "s-b"


# -- atomic and reproducible writes ----------------------------------------------------------------------

def test_export_leaves_no_temporary_files_and_is_byte_for_byte_reproducible(allocated, tmp_path):
    first = export_rosters(allocated, tmp_path / "one")
    second = export_rosters(allocated, tmp_path / "two")
    one = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert one == sorted(p.name for p in (tmp_path / "two").iterdir())
    assert not [n for n in one if n.endswith(TEMP_SUFFIX) or n.startswith(".")]
    for name in one:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    wb = openpyxl.load_workbook(first.participants_path)
    assert wb.properties.creator == "openmosprom"
    assert wb.properties.created == wb.properties.modified == dt.datetime(2026, 12, 1, 10, 0)
    assert [s.fingerprint for s in first.sites] == [s.fingerprint for s in second.sites]


def test_a_failure_midway_keeps_the_previous_rosters_and_records(allocated, monkeypatch):
    export_rosters(allocated)
    out = allocated.path / "rosters"
    before_files = {p.name: p.read_bytes() for p in out.iterdir()}
    with allocated.reader() as conn:
        before_rows = [tuple(r) for r in conn.execute("SELECT * FROM roster_exports ORDER BY site_id")]
    with allocated.transaction() as conn:
        conn.execute("UPDATE registrants SET full_name = 'Другое Имя' WHERE id = '401'")

    real = export.site_sheets

    def fail_at_mol(roster, settings):
        if roster.site.site_id == "mol":
            raise OSError("disk full")
        return real(roster, settings)

    monkeypatch.setattr(export, "site_sheets", fail_at_mol)
    with pytest.raises(OSError):
        export_rosters(allocated)
    assert sorted(p.name for p in out.iterdir()) == sorted(before_files)
    assert (out / "mol.xlsx").read_bytes() == before_files["mol.xlsx"]
    with allocated.reader() as conn:
        assert [tuple(r) for r in conn.execute("SELECT * FROM roster_exports ORDER BY site_id")] == before_rows


def test_stray_temp_files_in_a_custom_folder_are_cleaned_up(allocated, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stray = out / f".estet.xlsx.abc{TEMP_SUFFIX}"
    stray.write_bytes(b"half a workbook")
    export_rosters(allocated, out)
    assert not stray.exists()


# -- roster_exports ------------------------------------------------------------------------------------

def roster_rows(season) -> dict[str, dict]:
    with season.reader() as conn:
        return {r["site_id"]: dict(r) for r in conn.execute("SELECT * FROM roster_exports")}


def test_roster_exports_record_each_site(allocated):
    export_rosters(allocated)
    recorded = roster_rows(allocated)
    assert set(recorded) == {"estet", "il", "khr", "kond", "mol"}
    estet = recorded["estet"]
    assert estet["path"] == "rosters/estet.xlsx"
    assert len(estet["fingerprint"]) == 64
    assert json.loads(estet["visitors"]) == [
        {"id": "102", "name": "Борисов Борис", "tour_id": "estet-1214-1100", "companions": 0,
         "when": "2026-12-14T11:00", "role": "visitor"},
        {"id": "101", "name": "Смирнова Анна", "tour_id": "estet-1214-1100", "companions": 1,
         "when": "2026-12-14T11:00", "role": "visitor"},
        {"id": "103", "name": EVIL_NAME, "tour_id": "estet-1215-1500", "companions": 0, "when": "2026-12-15T15:00",
         "role": "visitor"},
        {"id": "501", "name": "Лебедева Лена", "tour_id": "estet-1215-1500", "companions": 0,
         "when": "2026-12-15T15:00", "role": "standby"},
    ]
    assert json.loads(recorded["kond"]["visitors"]) == []
    dt.datetime.fromisoformat(estet["exported_at"])


def test_roster_exports_path_is_absolute_outside_the_season(allocated, tmp_path):
    export_rosters(allocated, tmp_path / "elsewhere")
    assert roster_rows(allocated)["estet"]["path"] == str((tmp_path / "elsewhere" / "estet.xlsx").resolve())


def test_fingerprint_changes_only_for_the_site_whose_roster_changed(allocated):
    first = {s.site_id: s for s in export_rosters(allocated).sites}
    assert {s.status for s in first.values()} == {"new"}
    again = {s.site_id: s for s in export_rosters(allocated).sites}
    assert {s.status for s in again.values()} == {"unchanged"}
    assert {k: v.fingerprint for k, v in again.items()} == {k: v.fingerprint for k, v in first.items()}

    with allocated.transaction() as conn:
        conn.execute("UPDATE registrants SET phone = '+79999999999' WHERE id = '201'")
    changed = {s.site_id: s for s in export_rosters(allocated).sites}
    assert changed["khr"].status == "changed" and changed["khr"].fingerprint != first["khr"].fingerprint
    assert all(changed[s].status == "unchanged" for s in ("estet", "il", "mol", "kond"))
    assert roster_rows(allocated)["khr"]["fingerprint"] == changed["khr"].fingerprint

    with allocated.transaction() as conn:  # a new run moves one visitor from one tour to the other
        moved = [p if p[0] != "102" else ("102", "estet-1215-1500", 1, 1) for p in PLACEMENTS]
        write_run(conn, moved, WAITLISTS, OUTCOMES)
    after_move = {s.site_id: s for s in export_rosters(allocated).sites}
    assert after_move["estet"].status == "changed"
    visitors = json.loads(roster_rows(allocated)["estet"]["visitors"])
    assert ("102", "estet-1215-1500") in {(v["id"], v["tour_id"]) for v in visitors}


def test_a_site_that_lost_its_tours_keeps_a_roster_so_that_its_factory_hears_it(allocated):
    export_rosters(allocated)
    with allocated.transaction() as conn:
        conn.execute("DELETE FROM tours WHERE site_id = 'kond'")
    report = export_rosters(allocated)
    kond = {s.site_id: s for s in report.sites}["kond"]
    assert (kond.tours, kond.visitors, kond.status) == (0, 0, "changed")
    assert openpyxl.load_workbook(kond.path).sheetnames == ["Резерв"]
    assert "kond" in roster_rows(allocated) and report.removed_sites == ()


def test_a_site_no_longer_in_the_season_loses_its_roster_record_and_file(allocated):
    export_rosters(allocated)
    kond = allocated.path / "rosters" / "kond.xlsx"
    assert kond.exists()
    with allocated.transaction() as conn:
        conn.execute("DELETE FROM tours WHERE site_id = 'kond'")
        conn.execute("DELETE FROM sites WHERE site_id = 'kond'")
    report = export_rosters(allocated)
    assert "kond" not in roster_rows(allocated)
    assert report.removed_sites == ("kond",) and report.removed_files == (kond,)
    assert not kond.exists()


# -- errors -----------------------------------------------------------------------------------------------

def test_no_allocation_is_a_clear_error(season):
    seed(season, sites=SITES[:1], tours=TOURS[:1], people=[])
    with season.transaction() as conn:
        conn.execute("DELETE FROM allocation_runs")
    with pytest.raises(MissingInputError, match="no allocation"):
        export_rosters(season)
    assert not (season.path / "rosters").exists()


def test_an_allocation_of_tours_that_are_gone_is_refused(allocated):
    with allocated.transaction() as conn:
        replace_tours(conn, [t for t in TOURS if t.tour_id != "khr-1216-1000"])
    with pytest.raises(BadDataError, match="khr-1216-1000") as info:
        export_rosters(allocated)
    assert "assign" in info.value.hint


# -- CLI --------------------------------------------------------------------------------------------------

def test_cli_export_prints_the_files(allocated, cli, tmp_path):
    result = cli("rosters", "export", "-w", allocated.path, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    for name in ("estet.xlsx", "khr.xlsx", "kond.xlsx", "participants.xlsx"):
        assert name in result.output
    assert (tmp_path / "r" / "estet.xlsx").exists()

    result = cli("rosters", "export", "-w", allocated.path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {s["site_id"]: s["seats_taken"] for s in data["sites"]}["estet"] == 4
    assert data["participants_path"].endswith("rosters/participants.xlsx")
    assert (data["run_id"], data["seed"]) == (1, "2026")


def test_cli_without_allocation_exits_66(season, cli):
    result = cli("rosters", "export", "-w", season.path)
    assert result.exit_code == 66
    assert "no allocation" in result.output and "openmosprom assign" in result.output
    assert "Traceback" not in result.output


def test_cli_help_has_an_example(cli):
    result = cli("rosters", "export", "--help")
    assert result.exit_code == 0 and "Example:" in result.output


# -- properties -------------------------------------------------------------------------------------------


@given(st.text())
def test_a_csv_field_never_starts_a_formula_and_loses_nothing(value):
    safe = csv_text(value)
    assert not safe.startswith(FORMULA_STARTS)
    assert csv_unguard(safe) == visible_text(value)


# Names reach cells; imports reject control characters (values.check_text), so none are generated here.
CELL_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=50)


@hypothesis_settings(max_examples=15)
@given(site_ids=st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=3, unique=True), name=CELL_TEXT)
def test_any_site_id_or_name_stays_inside_the_folder(tmp_path_factory, site_ids, name):
    root = tmp_path_factory.mktemp("prop")
    season = init_season(root / "season", year=2026)
    sites = [Site(sid, name) for sid in site_ids]
    seed(season, sites=sites, tours=[tour(f"t{i}", s.site_id, 14, 11) for i, s in enumerate(sites)],
         people=[person("1", name)], placements=[("1", "t0", 1, 1)], outcomes={"1": (1, [])})
    out = root / "a" / "out"
    report = export_rosters(season, out)
    assert len(report.sites) == len(site_ids)
    assert len({s.path.name.lower() for s in report.sites}) == len(site_ids)
    outside = [p for p in root.rglob("*") if p.is_file() and not p.is_relative_to(season.path)
               and p.parent != out]
    assert outside == []
    for site in report.sites:
        wb = openpyxl.load_workbook(site.path)
        assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in wb.sheetnames)
