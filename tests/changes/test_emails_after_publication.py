"""From a season published and emailed through a real SMTP server: changes reach only the factories they concern."""

from __future__ import annotations

import os

import pytest

from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.changes.people import cancel_registrants
from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.mail.outbox import NO_VISITORS, email_rosters
from openmosprom_cli.publication.publish import publish
from openmosprom_cli.rosters import files
from openmosprom_cli.rosters.export import export_rosters
from openmosprom_cli.store.changes import load_commitments, load_publications
from openmosprom_cli.tours.edits import import_tours
from openmosprom_cli.tours.exchange import export_tours
from tests.changes.scenario import E1, K1, Z1, allocate_and_publish, stock
from tests.mail_fixtures import SmtpServer, configure_smtp


def send(season, server, **options):
    export_rosters(season)
    before = len(server.messages)
    result = email_rosters(season, send=True, **options)
    return result, server.messages[before:]


def body(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def emailed(season):
    """Published, every factory sent its roster; the SMTP server stays up for the test."""
    allocate_and_publish(season)
    with SmtpServer() as server:
        season = configure_smtp(season, server.port)
        _, first = send(season, server)
        assert sorted(m.message["X-Openmosprom-Site"] for m in first) == ["estet", "kristall", "zil"]
        yield season, server


def test_a_cancellation_updates_only_its_factory_naming_who_left_and_who_came(emailed):
    season, server = emailed
    cancel_registrants(season, ["9001"], reason="заболела")
    run_assignment(season)
    publish(season)
    _, sent = send(season, server)
    assert [m.message["X-Openmosprom-Site"] for m in sent] == ["estet"]
    text = body(sent[0])
    assert "Обновлённый список" in sent[0].message["Subject"]
    assert "Исключены:\n  − Участник 9001" in text and "Добавлены:\n  + Участник 9010" in text


def test_a_moved_tour_tells_its_factory_the_new_time_and_keeps_every_visitor(emailed, tmp_path):
    season, server = emailed
    path = export_tours(season, tmp_path / "tours.csv")
    text = path.read_text(encoding="utf-8-sig").replace(f"{Z1.tour_id};Технопарк «ЗИЛ»;17.12.2026;12:00",
                                                        f"{Z1.tour_id};Технопарк «ЗИЛ»;17.12.2026;15:00")
    path.write_text(text, encoding="utf-8")
    report = import_tours(season, path, reason="перенос по просьбе завода")
    assert report.retimed == ((Z1.tour_id, "start 12:00 → 15:00"),) and not report.seats_freed
    published = publish(season)
    lines = published.changes_path.read_bytes().decode("utf-8-sig")
    assert lines.count("изменилось время") == 2        # 9005 and 9006
    _, sent = send(season, server)
    assert [m.message["X-Openmosprom-Site"] for m in sent] == ["zil"]
    assert "Изменилось время экскурсий" in body(sent[0]) and "15:00 (было 17.12.2026 (чт), 12:00)" in body(sent[0])


def test_a_factory_whose_visitors_all_left_always_hears_it(emailed, cli):
    season, server = emailed
    assert cli("slots", "cancel", K1.tour_id, "--reason", "нет пропусков", "-w", season.path).exit_code == 0
    _, sent = send(season, server)
    assert [m.message["X-Openmosprom-Site"] for m in sent] == ["kristall"]
    assert "Исключены:\n  − Участник 9008" in body(sent[0])
    assert "16.12.2026 (ср), 11:00 — отменена: нет пропусков" in body(sent[0])


def test_a_change_of_the_standby_alone_updates_its_factory(emailed):
    """9007 waits first for E1 and for E2, so is on both standbys (a place each); 9010 is next for E1."""
    season, server = emailed
    cancel_registrants(season, ["9007"], reason="уехал")
    _, sent = send(season, server)
    assert [m.message["X-Openmosprom-Site"] for m in sent] == ["estet"]
    text = body(sent[0])
    assert "В резерве добавлены:\n  + Участник 9010 — 14.12.2026 (пн), 10:00\n" in text
    assert ("В резерве больше нет:\n  − Участник 9007 — 14.12.2026 (пн), 10:00\n"
            "  − Участник 9007 — 15.12.2026 (вт), 10:00\n") in text
    assert "Добавлены:" not in text.replace("В резерве добавлены:", "") and "Исключены:" not in text


def test_an_interrupted_export_is_never_mailed(emailed, cli, monkeypatch):
    """The export fails after moving estet's new workbook into place: the old record stays, and email refuses."""
    season, server = emailed
    cancel_registrants(season, ["9001"], reason="заболела")
    run_assignment(season)
    publish(season)
    real, moved = os.replace, []

    def fail_after_the_first(src, dst):
        if files.STAGING_PREFIX in str(src) and files.STAGING_PREFIX not in str(dst):   # staged → in place
            if moved:
                raise OSError(5, "Input/output error")
            moved.append(dst)
        return real(src, dst)

    with monkeypatch.context() as patch:
        patch.setattr(files.os, "replace", fail_after_the_first)
        with pytest.raises(CannotCreateError):
            export_rosters(season)
    assert moved == [(season.path / "rosters" / "estet.xlsx").resolve()]
    refused = cli("rosters", "email", "--send", "-w", season.path)
    assert refused.exit_code == 65 and "estet" in refused.output and "openmosprom rosters export" in refused.output
    assert len(server.messages) == 3                     # the first rosters only
    _, sent = send(season, server)
    assert [m.message["X-Openmosprom-Site"] for m in sent] == ["estet"]
    assert "Добавлены:\n  + Участник 9010" in body(sent[0])


def test_sending_a_roster_publishes_its_sites_seats(season):
    stock(season)
    run_assignment(season)                     # not published: a preview
    with SmtpServer() as server:
        season = configure_smtp(season, server.port)
        send(season, server, site_ids=["estet"])
    with season.reader() as conn:
        kept = {(c.registrant_id, c.tour_id) for c in load_commitments(conn)}
        kinds = [(p.kind, p.site_id) for p in load_publications(conn)]
    assert kept == {("9001", E1.tour_id), ("9002", E1.tour_id), ("9004", E1.tour_id), ("9003", "estet-1215-1000")}
    assert kinds == [("email", "estet")]


def test_a_factory_nobody_goes_to_gets_no_first_roster_unless_asked(season, tmp_path):
    stock(season)
    cancel_registrants(season, ["9008"], reason="не придёт")   # the only visitor of Кристалл
    run_assignment(season)
    publish(season)
    with SmtpServer() as server:
        season = configure_smtp(season, server.port)
        result, sent = send(season, server)
        assert "kristall" not in [m.message["X-Openmosprom-Site"] for m in sent]
        assert {i.site_id: i.outcome for i in result.items}["kristall"] == NO_VISITORS
        result, sent = send(season, server, include_empty=True)
        (notice,) = sent
        assert notice.message["X-Openmosprom-Site"] == "kristall"
        assert "посетителей нет" in notice.message["Subject"] and not list(notice.message.iter_attachments())
        assert "подтверждать ничего не требуется" in body(notice)
