"""The season's tours in season.db: generating, listing, exporting and importing an edited export."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import openpyxl
import pytest

from openmosprom_cli.errors import BadDataError, CannotCreateError, MissingInputError
from openmosprom_cli.store.meta import get_meta
from openmosprom_cli.store.sites import load_sites, save_site
from openmosprom_cli.store.tours import load_tours
from openmosprom_cli.tours.edits import import_tours
from openmosprom_cli.tours.exchange import export_tours
from openmosprom_cli.tours.generate import generate_season_tours
from openmosprom_cli.tours.listing import list_tours
from tests.tours_fixtures import DAYS


def stored_tours(season):
    with season.reader() as conn:
        return load_tours(conn)


def test_generate_stores_the_tours_and_the_settings_used(stocked):
    report = generate_season_tours(stocked, tours=9, min_per_site=2, seed=7)
    assert len(report.result.tours) == 9 and report.replaced == 0
    listing = list_tours(stocked)
    assert listing.tours == report.result.tours
    assert dict(listing.per_site) == {"estet": 3, "il": 3, "molniya": 3}
    assert sum(listing.per_day.values()) == 9 and set(listing.per_day) == set(DAYS)
    with stocked.reader() as conn:
        used = json.loads(get_meta(conn, "tours_generation"))
    assert used["tours"] == 9 and used["seed"] == 7 and used["from"] == "2026-12-11"
    again = generate_season_tours(stocked, tours=6, seed=7)
    assert again.replaced == 9 and len(stored_tours(stocked)) == 6


def test_settings_come_from_season_toml_unless_overridden(stocked):
    text = stocked.settings_path.read_text(encoding="utf-8").replace("tours = 36", "tours = 12")
    stocked.settings_path.write_text(text, encoding="utf-8")
    from openmosprom_cli.season.folder import open_season

    season = open_season(stocked.path)
    assert len(generate_season_tours(season).result.tours) == 12
    generate_season_tours(season, tours=9, date_from=dt.date(2026, 12, 14), date_to=dt.date(2026, 12, 16))
    assert {t.date for t in stored_tours(season)} == {dt.date(2026, 12, d) for d in (14, 15, 16)}


def test_generation_without_candidates_says_what_to_do(season):
    with pytest.raises(MissingInputError) as info:
        generate_season_tours(season)
    assert "schedules import" in info.value.hint


def test_an_impossible_generation_changes_nothing(stocked):
    generate_season_tours(stocked, tours=6)
    before = stored_tours(stocked)
    with pytest.raises(BadDataError, match="cannot choose 40 tours, only 36 can be found"):
        generate_season_tours(stocked, tours=40)
    assert stored_tours(stocked) == before
    assert len(generate_season_tours(stocked, tours=40, allow_fewer=True).result.tours) == 36


def test_regenerating_after_an_allocation_needs_force(stocked):
    generate_season_tours(stocked, tours=6)
    before = stored_tours(stocked)
    with stocked.transaction() as conn:
        conn.execute("INSERT INTO allocation_runs (created_at, seed, inputs_fingerprint, result_fingerprint) "
                     "VALUES ('2026-12-01T10:00:00', '1', 'a', 'b')")
    with pytest.raises(BadDataError, match="would invalidate") as info:
        generate_season_tours(stocked, tours=9)
    assert "--force" in info.value.hint
    assert stored_tours(stocked) == before
    report = generate_season_tours(stocked, tours=9, force=True)
    assert len(stored_tours(stocked)) == 9
    assert any("run the allocation again" in w for w in report.warnings)


def test_weights_file_in_russian_replaces_capacity(stocked, tmp_path):
    weights = tmp_path / "weights.csv"
    weights.write_text("Код площадки;Вес\nestet;1\nil;1\nmolniya;4\n", encoding="utf-8-sig")
    report = generate_season_tours(stocked, tours=12, min_per_site=1, weights_file=weights)
    assert report.result.measure == "weights"
    # 9 to share 1 : 1 : 4 → 1.5, 1.5, 6
    assert dict(report.result.per_site) == {"estet": 1 + 2, "il": 1 + 1, "molniya": 1 + 6} or \
        dict(report.result.per_site) == {"estet": 1 + 1, "il": 1 + 2, "molniya": 1 + 6}


def test_bad_weights_are_all_reported_with_their_place(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    before = stored_tours(stocked)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Веса"
    for row in (("site_id", "weight"), ("estet", 2), ("nowhere", 1), ("estet", 3), ("il", -1)):
        ws.append(row)
    path = tmp_path / "weights.xlsx"
    wb.save(path)
    with pytest.raises(BadDataError) as info:
        generate_season_tours(stocked, tours=6, weights_file=path)
    problems = [str(p) for p in info.value.problems]
    assert "weights.xlsx › Веса › row 3 › site_id: 'nowhere' is not a site of this season" in problems
    assert "weights.xlsx › Веса › row 4 › site_id: 'estet' appears twice (also row 2)" in problems
    assert "weights.xlsx › Веса › row 5 › weight: -1 is less than 0" in problems
    assert "weights.xlsx › Веса: no weight for the site(s) molniya" in problems
    assert stored_tours(stocked) == before


def test_xlsx_export_has_russian_columns_real_dates_and_no_formulas(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    out = export_tours(stocked, tmp_path / "out" / "tours.xlsx")
    ws = openpyxl.load_workbook(out)["Экскурсии"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("ID экскурсии", "Площадка", "Дата", "Начало", "Длительность, мин", "Размер группы", "Адрес",
                       "Минимальный возраст", "Паспорт обязателен", "Только граждане РФ", "Примечание")
    tours = stored_tours(stocked)
    assert [r[0] for r in rows[1:]] == [t.tour_id for t in tours]
    first = next(r for r in rows[1:] if r[0].startswith("estet"))
    tour = next(t for t in tours if t.tour_id == first[0])
    assert first[2] == dt.datetime.combine(tour.date, dt.time())
    assert first[3] == tour.start and first[5] == tour.capacity
    assert first[1] == "Эстет" and first[6] == "ул. Летниковская, 10" and first[7] == 12 and first[8] == "нет"
    il = next(r for r in rows[1:] if r[0].startswith("il-"))
    assert il[8] == "да" and il[7] == 18
    note_cell = next(row[10] for row in ws.iter_rows(min_row=2) if row[0].value.startswith("estet"))
    assert note_cell.data_type == "s" and note_cell.quotePrefix and "=HYPERLINK" in note_cell.value
    assert ws.cell(2, 3).number_format == "DD.MM.YYYY"


def test_csv_export_is_semicolon_utf8_with_bom_and_guards_formulas(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    out = export_tours(stocked, tmp_path / "tours.csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ("ID экскурсии;Площадка;Дата;Начало;Длительность, мин;Размер группы;Адрес;"
                        "Минимальный возраст;Паспорт обязателен;Только граждане РФ;Примечание")
    estet = next(line for line in lines[1:] if line.startswith("estet-"))
    assert "'=HYPERLINK" in estet and ";нет;" in estet
    assert len(lines) == 7


def test_export_refuses_other_suffixes_and_an_empty_season(stocked, tmp_path):
    with pytest.raises(MissingInputError, match="no tours yet"):
        export_tours(stocked, tmp_path / "tours.xlsx")
    generate_season_tours(stocked, tours=6)
    with pytest.raises(CannotCreateError, match=r"\.xlsx or \.csv"):
        export_tours(stocked, tmp_path / "tours.ods")
    assert not (tmp_path / "tours.ods").exists()


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_unedited_export_imports_without_changes(stocked, tmp_path, suffix):
    generate_season_tours(stocked, tours=6)
    before = stored_tours(stocked)
    report = import_tours(stocked, export_tours(stocked, tmp_path / f"tours{suffix}"))
    assert not report.has_changes and report.unchanged == 6 and report.total == 6
    assert report.ignored == ()
    assert stored_tours(stocked) == before


def test_edits_of_site_details_are_reported_as_not_taken(stocked, tmp_path, cli):
    generate_season_tours(stocked, tours=6)
    path = export_tours(stocked, tmp_path / "tours.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Экскурсии"]
    ws.cell(2, 8).value = 99  # Минимальный возраст
    ws.cell(3, 7).value = "другой адрес"  # Адрес
    wb.save(path)
    sites_before = store_sites(stocked)
    report = import_tours(stocked, path)
    assert not report.has_changes
    assert [note.split(":")[0] for note in report.ignored] == [
        "tours.xlsx › Экскурсии › row 2 › Минимальный возраст", "tours.xlsx › Экскурсии › row 3 › Адрес"]
    assert store_sites(stocked) == sites_before
    result = cli("slots", "import", path, "-w", stocked.path)
    assert result.exit_code == 0 and "not taken" in result.output


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_export_says_which_tours_are_for_russian_citizens_only(stocked, tmp_path, suffix):
    with stocked.transaction() as conn:
        save_site(conn, replace(load_sites(conn)["il"], citizens_only=True))
    generate_season_tours(stocked, tours=6)
    path = export_tours(stocked, tmp_path / f"tours{suffix}")
    rows = [list(r) for r in openpyxl.load_workbook(path)["Экскурсии"].iter_rows(values_only=True)] \
        if suffix == ".xlsx" else [line.split(";") for line in path.read_text("utf-8-sig").splitlines()]
    column = rows[0].index("Только граждане РФ")
    assert rows[0][column - 2:column] == ["Минимальный возраст", "Паспорт обязателен"]
    assert {row[0].split("-")[0]: row[column] for row in rows[1:]} == {"estet": "нет", "il": "да", "molniya": "нет"}

    unedited = import_tours(stocked, path)
    assert not unedited.has_changes and unedited.ignored == ()
    estet = next(i for i, row in enumerate(rows) if row[0].startswith("estet"))
    rows[estet][column] = "да"
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(path)
        wb["Экскурсии"].cell(estet + 1, column + 1).value = "да"
        wb.save(path)
    else:
        path.write_text("\n".join(";".join(row) for row in rows), encoding="utf-8-sig")
    edited = import_tours(stocked, path)
    assert not edited.has_changes
    assert [note.split(":")[0] for note in edited.ignored] == [
        f"tours{suffix} › Экскурсии › row {estet + 1} › Только граждане РФ" if suffix == ".xlsx"
        else f"tours{suffix} › row {estet + 1} › Только граждане РФ"]
    assert not store_sites(stocked)["estet"].citizens_only


def store_sites(season):
    with season.reader() as conn:
        return load_sites(conn)


def test_edited_xlsx_import_removes_moves_and_changes_tours_and_a_moved_tour_keeps_its_id(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    before = {t.tour_id: t for t in stored_tours(stocked)}
    path = export_tours(stocked, tmp_path / "tours.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Экскурсии"]
    removed_id, resized_id, moved_id = ws.cell(2, 1).value, ws.cell(3, 1).value, ws.cell(4, 1).value
    ws.cell(3, 6).value = 33
    moved = before[moved_id]
    new_day = next(d for d in DAYS if not any(t.site_id == moved.site_id and t.date == d for t in before.values()))
    ws.cell(4, 3).value = new_day.strftime("%d.%m.%Y")  # typed as text by the organizer
    ws.cell(4, 4).value = dt.time(16, 30)
    ws.delete_rows(2)
    wb.save(path)

    report = import_tours(stocked, path)
    assert report.removed == (removed_id,)
    # The ID stays, so every choice and seat that names the tour still does.
    assert report.retimed == ((moved_id, f"date {moved.date:%d.%m.%Y} → {new_day:%d.%m.%Y}, start "
                                         f"{moved.start:%H:%M} → 16:30"),)
    assert dict(report.changed) == {resized_id: f"capacity {before[resized_id].capacity} → 33"}
    assert report.unchanged == 3 and report.total == 5
    after = {t.tour_id: t for t in stored_tours(stocked)}
    assert set(after) == set(before) - {removed_id}
    assert after[resized_id].capacity == 33
    assert (after[moved_id].date, after[moved_id].start) == (new_day, dt.time(16, 30))
    assert after[moved_id].note == moved.note


def test_edited_csv_import_in_windows_1251_with_commas(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    tours = stored_tours(stocked)
    lines = ["ID экскурсии,Площадка,Дата,Начало,Размер группы"]
    lines += [f"{t.tour_id},{t.site_id},{t.date:%d.%m.%Y},{t.start:%H:%M},{t.capacity + 1}" for t in tours[:-1]]
    path = tmp_path / "edited.csv"
    path.write_bytes("\r\n".join(lines).encode("cp1251"))
    # Not decoded by guesswork: the organizer says which encoding it is.
    with pytest.raises(BadDataError, match="not UTF-8") as refused:
        import_tours(stocked, path)
    assert "--encoding cp1251" in refused.value.hint
    assert stored_tours(stocked) == tours
    report = import_tours(stocked, path, encoding="cp1251")
    assert report.removed == (tours[-1].tour_id,) and len(report.changed) == 5 and not report.retimed
    assert [t.capacity for t in stored_tours(stocked)] == [t.capacity + 1 for t in tours[:-1]]


def test_a_bad_import_reports_every_problem_and_changes_nothing(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    before = stored_tours(stocked)
    path = export_tours(stocked, tmp_path / "tours.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Экскурсии"]
    ids = [ws.cell(r, 1).value for r in range(2, 8)]
    ws.cell(2, 6).value = 0  # capacity
    ws.cell(3, 3).value = dt.datetime(2026, 12, 25)  # outside the window
    ws.cell(4, 2).value = "Завод-призрак"  # unknown site
    ws.cell(5, 1).value = ids[0]  # duplicate ID
    ws.cell(6, 1).value = "nowhere-1211-1000"  # unknown ID
    ws.cell(7, 4).value = "25:00"  # not a time
    wb.save(path)
    with pytest.raises(BadDataError) as info:
        import_tours(stocked, path)
    problems = [str(p) for p in info.value.problems]
    assert "tours.xlsx › Экскурсии › row 2 › Размер группы: 0 is not a positive whole number" in problems
    assert any(p.startswith("tours.xlsx › Экскурсии › row 3 › Дата: 25.12.2026 is outside the season window")
               for p in problems)
    assert "tours.xlsx › Экскурсии › row 4 › Площадка: 'Завод-призрак' is not a site of this season" in problems
    assert f"tours.xlsx › Экскурсии › row 5 › ID экскурсии: '{ids[0]}' appears twice (also row 2)" in problems
    assert any(p.startswith("tours.xlsx › Экскурсии › row 6 › ID экскурсии: 'nowhere-1211-1000' is not a tour")
               for p in problems)
    assert "tours.xlsx › Экскурсии › row 7 › Начало: '25:00' is not a time (write HH:MM)" in problems
    assert info.value.message.startswith("tours.xlsx: ")
    assert stored_tours(stocked) == before


def test_an_overlap_created_by_a_move_is_reported(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    tours = stored_tours(stocked)
    a, b = [t for t in tours if t.site_id == "estet"][:2]
    lines = ["ID экскурсии;Дата;Начало;Размер группы"]
    for t in tours:
        start = (dt.datetime.combine(a.date, a.start) + dt.timedelta(minutes=45)) if t == b else t.starts_at
        lines.append(f"{t.tour_id};{start:%d.%m.%Y};{start:%H:%M};{t.capacity}")
    path = tmp_path / "tours.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(BadDataError) as info:
        import_tours(stocked, path)
    row_b = 2 + tours.index(b)
    row_a = 2 + tours.index(a)
    assert [str(p) for p in info.value.problems] == [
        f"tours.csv › row {row_b} › Начало: {a.date:%d.%m.%Y} {(a.starts_at + dt.timedelta(minutes=45)):%H:%M} "
        f"overlaps the tour in row {row_a} ({a.start:%H:%M}, 90 min) at the same site"]
    assert stored_tours(stocked) == tours


def test_a_row_without_an_id_adds_a_late_tour_with_a_fresh_id(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    path = export_tours(stocked, tmp_path / "tours.csv")
    taken = {(t.site_id, t.date) for t in stored_tours(stocked)}
    day = next(d for d in DAYS if ("molniya", d) not in taken)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f";НПО «Молния»;{day:%d.%m.%Y};12:00;;15\r\n")
    report = import_tours(stocked, path)
    (added,) = report.added
    assert added == f"molniya-{day:%m%d}-1200" and report.total == 7
    new = {t.tour_id: t for t in stored_tours(stocked)}[added]
    assert (new.capacity, new.duration_min) == (15, 90)


# -- commands ---------------------------------------------------------------------------------------

def test_slots_commands_end_to_end(stocked, cli, tmp_path):
    w = str(stocked.path)
    result = cli("slots", "generate", "--tours", "9", "--from", "11.12.2026", "--to", "2026-12-19", "-w", w)
    assert result.exit_code == 0, result.output
    assert "Chose 9 of 9 tours" in result.output and "Tours per site" in result.output
    assert "Tours per day" in result.output and "19.12.2026" in result.output

    listed = cli("slots", "list", "--json", "-w", w)
    data = json.loads(listed.output)
    assert len(data["tours"]) == 9 and data["per_site"] == {"estet": 3, "il": 3, "molniya": 3}
    assert all("2026-12-11" <= t["date"] <= "2026-12-19" for t in data["tours"])
    table = cli("slots", "list", "-w", w)
    assert table.exit_code == 0 and data["tours"][0]["tour_id"] in table.output

    out = tmp_path / "tours.csv"
    assert cli("slots", "export", str(out), "-w", w).exit_code == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    out.write_text("\n".join(lines[:-1]), encoding="utf-8")
    imported = cli("slots", "import", str(out), "-w", w)
    assert imported.exit_code == 0, imported.output
    assert "removed" in imported.output and "the season now has 8 tours" in imported.output


def test_slots_command_errors_have_sysexits_codes(stocked, cli, tmp_path):
    w = str(stocked.path)
    bad_date = cli("slots", "generate", "--from", "31.02.2026", "-w", w)
    assert bad_date.exit_code == 2
    too_many = cli("slots", "generate", "--tours", "99", "-w", w)
    assert too_many.exit_code == 65 and "cannot choose 99 tours" in too_many.output
    assert "Traceback" not in too_many.output
    assert cli("slots", "generate", "--tours", "6", "-w", w).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("ID экскурсии;Дата;Начало;Размер группы\nestet-1211-1000;11.12.2026;10:00;-5\n", encoding="utf-8")
    failed = cli("slots", "import", str(bad), "-w", w)
    assert failed.exit_code == 65 and "bad.csv › row 2 › Размер группы" in failed.output
    assert cli("slots", "import", str(tmp_path / "missing.csv"), "-w", w).exit_code == 66
    assert cli("slots", "export", str(tmp_path / "tours.txt"), "-w", w).exit_code == 73


def test_regenerating_lists_the_edits_it_would_undo_and_needs_force(stocked, tmp_path):
    generate_season_tours(stocked, tours=6)
    path = export_tours(stocked, tmp_path / "tours.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header, first, *rest = lines
    cells = first.split(";")
    cells[5] = "7"                                   # a capacity edited
    path.write_text("\n".join([header, ";".join(cells), *rest[:-1]]), encoding="utf-8")  # and a row deleted
    import_tours(stocked, path)
    edited = stored_tours(stocked)
    with pytest.raises(BadDataError, match="would undo 2 edit") as refused:
        generate_season_tours(stocked, tours=6)
    assert "revert the capacity of" in str(refused.value) and "bring back" in str(refused.value)
    assert stored_tours(stocked) == edited
    generate_season_tours(stocked, tours=6, force=True)
    assert len(stored_tours(stocked)) == 6 and stored_tours(stocked) != edited


def test_after_publication_regenerating_is_refused(stocked):
    from openmosprom_cli.store.changes import add_publication

    generate_season_tours(stocked, tours=6)
    with stocked.transaction() as conn:
        add_publication(conn, at="2026-12-01T10:00:00", kind="publish", run_id=1, change_id=0)
    with pytest.raises(BadDataError, match="published"):
        generate_season_tours(stocked, tours=6, force=True)
