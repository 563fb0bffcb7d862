"""Where prizes are collected: the «Приз» column of the rosters and of the notifications, the updated list a
draw after publication sends, and a draw that does not depend on the order of the export's rows."""

from __future__ import annotations

import csv
import io
import json

import openpyxl

from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.mail.outbox import email_rosters
from openmosprom_cli.prizes.catalogue import import_catalogue
from openmosprom_cli.prizes.runs import run_draw
from openmosprom_cli.publication.publish import publish
from openmosprom_cli.rosters.export import export_rosters
from openmosprom_cli.season.folder import init_season, open_season
from openmosprom_cli.store.prizes import load_current_draw, load_handouts
from tests.attendance.returned import return_roster
from tests.changes.scenario import E1, allocate_and_publish
from tests.mail_fixtures import SmtpServer, configure_smtp
from tests.prizes.fixtures import ROWS, write_catalogue

SPEAKER = ROWS[0][0]


def sheet_rows(path, title):
    return list(openpyxl.load_workbook(path)[title].iter_rows(values_only=True))


def visitor_table(rows):
    header = next(i for i, r in enumerate(rows) if r and r[0] == "№")
    return rows[header], {r[1]: r for r in rows[header + 1:] if r and r[1]}


def test_a_winner_with_a_seat_has_the_prize_on_the_roster_of_their_earliest_tour(season, tmp_path):
    allocate_and_publish(season)
    report = export_rosters(season)
    before = {s.site_id: s.fingerprint for s in report.sites}
    header, _ = visitor_table(sheet_rows(season.path / "rosters" / "estet.xlsx", "14.12 10.00"))
    assert "Приз" not in header, "no prize column before a draw"

    import_catalogue(season, write_catalogue(tmp_path / "c.xlsx"))
    run_draw(season)
    report = export_rosters(season)
    header, visitors = visitor_table(sheet_rows(season.path / "rosters" / "estet.xlsx", "14.12 10.00"))
    assert header[-5:] == ("Приз", "Отметка о посещении", "Пришло гостей", "Приз выдан", "Код")
    prize = header.index("Приз")
    assert visitors["Участник 9001"][prize] == SPEAKER and visitors["Участник 9004"][prize] == "Термос"
    standby = sheet_rows(season.path / "rosters" / "estet.xlsx", "Резерв")
    assert all("Приз" not in (r or ()) for r in standby), "the standby gets no prize column"
    after = {s.site_id: s.fingerprint for s in report.sites}
    assert all(after[site] != before[site] for site in before), "every site has a winner among its visitors"


def test_a_draw_after_publication_sends_only_the_factories_of_winners_an_updated_list(season, tmp_path):
    allocate_and_publish(season)
    with SmtpServer() as server:
        season = configure_smtp(season, server.port)
        export_rosters(season)
        email_rosters(season, send=True)
        first = len(server.messages)
        # Two speakers, for the top 3: 9001 and 9002, both on E1 at «Эстет».
        import_catalogue(season, write_catalogue(tmp_path / "c.xlsx", rows=(ROWS[0],)))
        run_draw(season)
        export_rosters(season)
        email_rosters(season, send=True)
        sent = server.messages[first:]
    assert [m.message["X-Openmosprom-Site"] for m in sent] == ["estet"]
    message = sent[0].message
    assert "Обновлённый список" in message["Subject"]
    assert "Состав посетителей прежний, изменились их данные (например, число гостей или приз к выдаче)" in \
        message.get_body(preferencelist=("plain",)).get_content()
    attachment = next(message.iter_attachments())
    path = tmp_path / "sent.xlsx"
    path.write_bytes(attachment.get_payload(decode=True))
    header, visitors = visitor_table(sheet_rows(path, f"{E1.date:%d.%m} {E1.start:%H.%M}"))
    prize = header.index("Приз")
    assert visitors["Участник 9001"][prize] == SPEAKER and visitors["Участник 9004"][prize] is None


def test_a_ticked_prize_handed_on_a_returned_roster_records_the_hand_out(season, tmp_path, cli):
    allocate_and_publish(season)
    import_catalogue(season, write_catalogue(tmp_path / "c.xlsx"))
    run_draw(season)
    export_rosters(season)
    winner, other = "Участник 9001", "Участник 9002"
    back = return_roster(season.path / "rosters" / "estet.xlsx", tmp_path / "back" / "estet.xlsx",
                         {winner: "+", other: "+"}, prizes={winner: "✓", other: None})
    result = cli("attendance", "import", back, "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "1 new hand-out recorded" in result.output
    with season.reader() as conn:
        handed = load_handouts(conn)
    assert {rid for rid, _ in handed} == {"9001"}
    again = cli("attendance", "import", back, "-w", season.path)
    assert "0 new hand-outs" in again.output


def read_csv(path):
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))


def test_notifications_tell_each_winner_the_prize_and_where_to_collect_it(season, tmp_path):
    allocate_and_publish(season)
    toml = season.settings_path
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'pickup = "Уточняется: организаторы сообщат дополнительно"', 'pickup = "ул. Тверская, 1, с 10 до 18"'),
        encoding="utf-8")
    season = open_season(season.path)
    import_catalogue(season, write_catalogue(tmp_path / "c.xlsx"))
    run_draw(season)
    report = publish(season)
    lines = {line["ID VK"]: line for line in read_csv(report.notifications_path)}
    assert list(next(iter(lines.values())))[-1] == "Приз"
    assert lines["9001"]["Приз"] == f"{SPEAKER} — вручат на экскурсии 14.12.2026 в 10:00"
    assert lines["9010"]["Приз"] == "Книга о промышленности Москвы — где получить: ул. Тверская, 1, с 10 до 18"
    assert lines["9010"]["Результат"] == "лист ожидания"


def test_the_draw_does_not_depend_on_the_order_of_the_exports_rows(cli, tmp_path):
    """Equal points and times at the boundary of the top 2: the seeded lottery decides, whatever the file order."""
    rows = [f"{rid};Участник {rid};80;20.11.2026 10:00:00" for rid in ("7001", "7002", "7003", "7004", "7005")]
    header = "ID VK;ФИО;Баллы;Дата регистрации"
    results = []
    for n, order in enumerate((rows, rows[::-1], rows[2:] + rows[:2])):
        season = init_season(tmp_path / f"season-{n}", year=2026)
        export = tmp_path / f"export-{n}.csv"
        export.write_text("\n".join([header, *order]) + "\n", encoding="utf-8")
        assert cli("registrants", "import", export, "-w", season.path).exit_code == 0
        catalogue = write_catalogue(tmp_path / "c.xlsx", rows=(("Колонка", "speaker", 2, 2, None, None),))
        assert cli("prizes", "import", catalogue, "-w", season.path).exit_code == 0
        drawn = json.loads(cli("prizes", "draw", "--json", "-w", season.path).output)
        with season.reader() as conn:
            draw = load_current_draw(conn)
        results.append((drawn["inputs_fingerprint"], drawn["result_fingerprint"], draw and draw.result_fingerprint))
    assert len(set(results)) == 1


def test_merged_and_cancelled_people_take_part_once_in_seats_and_prizes(cli, season, tmp_path):
    allocate_and_publish(season)
    run_assignment(season)
    import_catalogue(season, write_catalogue(tmp_path / "c.xlsx"))
    merged = cli("registrants", "merge", "9001", "9002", "--keep", "9002", "--reason", "один человек",
                 "-w", season.path)
    assert merged.exit_code == 0, merged.output
    drawn = json.loads(cli("prizes", "draw", "--json", "-w", season.path).output)
    assert dict(map(tuple, drawn["excluded"])) == {"merged": 1} and drawn["contestants"] == 9
    assert cli("audit", "-w", season.path).exit_code == 0


def test_a_season_of_release_0_1_0_gets_the_prize_tables_and_draws(cli, tmp_path):
    import shutil

    from tests.paths import TESTS

    folder = tmp_path / "old"
    shutil.copytree(TESTS / "data" / "seasons" / "release-0.1.0", folder)
    assert cli("prizes", "import", write_catalogue(tmp_path / "c.xlsx"), "-w", folder).exit_code == 0
    drawn = cli("prizes", "draw", "-w", folder)
    assert drawn.exit_code == 0, drawn.output
    assert cli("audit", "-w", folder).exit_code == 0
