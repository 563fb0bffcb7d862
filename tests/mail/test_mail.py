"""Composing roster emails: template, Russian text, deadline, changes, attachment with a Cyrillic name."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.mail.compose import (
    RosterLetter,
    Visitor,
    attachment_name,
    compose_message,
    diff_visitors,
    new_message_id,
    render_letter,
    visitors_from_json,
    visitors_to_json,
)
from openmosprom_cli.mail.template import load_template, parse_template
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.settings import Settings

SITE = Site(site_id="kristall", name="Завод «Кристалл»", roster_emails=("a@kristall.example", "b@kristall.example"),
            roster_lead_days=3)
TOURS = (Tour("kristall-1214-1000", "kristall", dt.date(2026, 12, 14), dt.time(10, 0), 90, 20),
         Tour("kristall-1216-1500", "kristall", dt.date(2026, 12, 16), dt.time(15, 0), 90, 20))
VISITORS = (Visitor("1", "Иванов Иван", "kristall-1214-1000", 2), Visitor("2", "Петрова Мария", "kristall-1214-1000"),
            Visitor("3", "Сидоров Пётр", "kristall-1216-1500"))
SETTINGS = Settings.defaults(2026)
SETTINGS = Settings(**{**SETTINGS.__dict__, "organizer_name": "Оргкомитет «Открой#Моспром»",
                       "organizer_email": "excursions@example.org", "organizer_phone": "+7 495 000-00-00"})
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))


def _settings(sender="Открой#Моспром <excursions@example.org>"):
    from dataclasses import replace

    return replace(SETTINGS, smtp=replace(SETTINGS.smtp, sender=sender))


def _letter(tmp_path: Path, changes=None) -> RosterLetter:
    roster = tmp_path / "kristall.xlsx"
    roster.write_bytes(b"PK\x03\x04 not really a workbook, but bytes to compare \xff\x00")
    return RosterLetter(site=SITE, tours=TOURS, visitors=VISITORS, roster_path=roster, fingerprint="f" * 64,
                        changes=changes)


def _parsed(message):
    return email.message_from_bytes(message.data, policy=email.policy.default)


def _default_template(tmp_path):
    return load_template(tmp_path / "no-season-template-here")


def test_message_headers_body_and_attachment_survive_a_round_trip(tmp_path):
    letter = _letter(tmp_path)
    message_id = new_message_id(_settings())
    raw = compose_message(letter, _settings(), _default_template(tmp_path), message_id=message_id, now=NOW).data
    parsed = email.message_from_bytes(raw, policy=email.policy.default)

    assert parsed["To"].addresses[0].addr_spec == "a@kristall.example"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["a@kristall.example", "b@kristall.example"]
    assert parsed["From"].addresses[0].addr_spec == "excursions@example.org"
    # Decoded as mail clients do (RFC 2047: whitespace between encoded words is not text).
    wire_reply_to = email.message_from_bytes(raw, policy=email.policy.compat32)["Reply-To"]
    assert str(make_header(decode_header(wire_reply_to))) == "Оргкомитет «Открой#Моспром» <excursions@example.org>"
    assert parsed["Message-ID"] == message_id and message_id.endswith("@example.org>")
    assert parsed["Date"].datetime == NOW
    assert parsed["Subject"] == "«Открой#Моспром»: список посетителей — Завод «Кристалл»"
    assert parsed["X-Openmosprom-Roster-Fingerprint"].strip() == "f" * 64

    text = parsed.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "14.12.2026 (пн), 10:00 — 4 чел." in body       # Иванов with 2 companions + Петрова
    assert "16.12.2026 (ср), 15:00 — 1 чел." in body
    assert "Всего посетителей: 5 чел." in body
    assert "до 11.12.2026 (пятница)" in body                # earliest tour minus 3 lead days
    assert "+7 495 000-00-00" in body and "Обновлённый" not in body

    attachments = list(parsed.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content() == letter.roster_path.read_bytes()
    assert attachments[0].get_filename() == "Список_Завод_«Кристалл».xlsx"
    assert attachments[0].get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"filename*" in raw and b"utf-8''" in raw      # RFC 2231, not a mangled ASCII name


def test_a_past_deadline_asks_for_confirmation_as_soon_as_possible(tmp_path):
    late = dt.date(2026, 12, 12)   # after 14.12 minus 3 days
    subject, body = render_letter(_letter(tmp_path), _settings(), _default_template(tmp_path), late)
    assert "как можно скорее" in body and "до 11.12.2026" not in body
    on_time = dt.date(2026, 12, 11)
    _, body = render_letter(_letter(tmp_path), _settings(), _default_template(tmp_path), on_time)
    assert "до 11.12.2026" in body


def test_an_update_is_marked_and_names_who_was_added_removed_and_moved(tmp_path):
    before = VISITORS
    after = (Visitor("1", "Иванов Иван", "kristall-1216-1500", 2), Visitor("3", "Сидоров Пётр", "kristall-1216-1500"),
             Visitor("4", "Кузнецова Анна", "kristall-1214-1000"))
    letter = _letter(tmp_path, changes=diff_visitors(before, after))
    letter = RosterLetter(**{**letter.__dict__, "visitors": after})
    subject, body = render_letter(letter, _settings(), _default_template(tmp_path), NOW.date())
    assert subject.startswith("Обновлённый список — ")
    added = body[body.index("Добавлены:"):]
    assert "Кузнецова Анна — 14.12.2026 (пн), 10:00" in added
    assert "Петрова Мария — 14.12.2026 (пн), 10:00" in body[body.index("Исключены:"):]
    assert "Иванов Иван: 16.12.2026 (ср), 15:00 (было 14.12.2026 (пн), 10:00)" in body
    assert "Сидоров Пётр" not in body


def test_the_seasons_template_overrides_the_default_and_keeps_changes_when_it_drops_them(tmp_path):
    (tmp_path / "roster_email.txt").write_text("Тема: Список для $site_id\n\nДобрый день, $site_name!\n",
                                               encoding="utf-8")
    template = load_template(tmp_path)
    letter = _letter(tmp_path, changes=diff_visitors(VISITORS, VISITORS[:2]))
    subject, body = render_letter(letter, _settings(), template, NOW.date())
    assert subject == "Обновлённый список — Список для kristall"
    assert "Добрый день, Завод «Кристалл»!" in body
    assert "Исключены:" in body and "Сидоров Пётр" in body


def test_a_broken_template_reports_every_problem_with_its_line(tmp_path):
    (tmp_path / "roster_email.txt").write_text("Тема: $sitename\n\nСумма: 5 $ \nДо $dedline\n", encoding="utf-8")
    with pytest.raises(BadDataError) as caught:
        load_template(tmp_path)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 3
    assert "row 1" in problems[0] and "$sitename" in problems[0]
    assert "row 3" in problems[1] and "lone '$'" in problems[1]
    assert "row 4" in problems[2] and "$dedline" in problems[2]


def test_a_single_template_problem_is_the_message_itself_with_the_known_placeholders(tmp_path):
    (tmp_path / "roster_email.txt").write_text("Тема: Список\n\nДобрый день, $site_nmae!\n", encoding="utf-8")
    with pytest.raises(BadDataError) as caught:
        load_template(tmp_path)
    message = caught.value.message
    # Nothing hides behind "1 problem(s)": the file, the line, the placeholder, a guess, and what is known.
    assert message.startswith(f"{tmp_path / 'roster_email.txt'} › row 3: unknown placeholder $site_nmae")
    assert "did you mean $site_name?" in message
    assert "$organizer_phone" in message and "$visitors_total" in message


def test_the_seasons_copy_of_the_template_is_written_once_and_then_used(tmp_path):
    from openmosprom_cli.errors import CannotCreateError
    from openmosprom_cli.mail.template import default_template_path, write_season_template

    copy = write_season_template(tmp_path)
    assert copy == tmp_path / "roster_email.txt"
    assert copy.read_text(encoding="utf-8") == default_template_path().read_text(encoding="utf-8")
    copy.write_text("Тема: Наш список — $site_name\n\nТекст сезона.\n", encoding="utf-8")
    with pytest.raises(CannotCreateError, match="exists already"):
        write_season_template(tmp_path)          # an edited copy is never overwritten
    assert "Текст сезона." in copy.read_text(encoding="utf-8")
    assert load_template(tmp_path).subject == "Наш список — $site_name"


def test_a_broken_installed_template_points_to_the_seasons_copy(tmp_path, monkeypatch):
    from openmosprom_cli.mail import template

    installed = tmp_path / "installed.txt"
    installed.write_text("Тема: $site\n", encoding="utf-8")
    monkeypatch.setattr(template, "default_template_path", lambda: installed)
    with pytest.raises(BadDataError) as caught:
        load_template(tmp_path / "season")
    assert str(installed) in caught.value.message and "$site" in caught.value.message
    assert str(tmp_path / "season" / "roster_email.txt") in (caught.value.hint or "")


def test_a_template_without_a_subject_line_is_refused():
    with pytest.raises(BadDataError, match="Тема"):
        parse_template("Здравствуйте!\n", "roster_email.txt")


def test_a_trial_message_goes_only_to_the_test_address_and_says_so(tmp_path):
    message = _parsed(compose_message(_letter(tmp_path), _settings(), _default_template(tmp_path),
                                      message_id=new_message_id(_settings()), now=NOW, test_to="me@example.org"))
    assert message["To"] == "me@example.org"
    assert message["Subject"].startswith("[ТЕСТ] ")
    assert "a@kristall.example" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "Список_____etc_passwd.xlsx"),
    ("Цех: №5 / «Сборка»", "Список_Цех__№5___«Сборка».xlsx"),
    ("a" * 200, "Список_" + "a" * 73 + ".xlsx"),
])
def test_attachment_names_are_safe_file_names_that_keep_cyrillic(name, expected):
    assert attachment_name(Site(site_id="x", name=name)) == expected


names = st.text(alphabet="АБВГДабвгд ", min_size=1, max_size=8)
visitor_lists = st.lists(st.tuples(st.sampled_from("123456"), names, st.sampled_from(["t1", "t2", "t3"]),
                                   st.integers(0, 2)),
                         max_size=12, unique_by=lambda v: (v[0], v[2]))


@given(visitor_lists, visitor_lists)
def test_the_diff_accounts_for_every_place_exactly_once(before_rows, after_rows):
    before = tuple(Visitor(i, n, t, c) for i, n, t, c in before_rows)
    after = tuple(Visitor(i, n, t, c) for i, n, t, c in after_rows)
    changes = diff_visitors(before, after)
    old, new = {(v.id, v.tour_id) for v in before}, {(v.id, v.tour_id) for v in after}
    gained = {(v.id, v.tour_id) for v in changes.added} | {(a.id, a.tour_id) for _, a in changes.moved}
    lost = {(v.id, v.tour_id) for v in changes.removed} | {(b.id, b.tour_id) for b, _ in changes.moved}
    assert gained == new - old and lost == old - new
    assert len(gained) == len(changes.added) + len(changes.moved)
    assert all(b.id == a.id and b.tour_id != a.tour_id for b, a in changes.moved)
    assert visitors_from_json(visitors_to_json(after)) == after


def test_a_corrected_name_is_reported_as_such():
    before = (Visitor("7", "Иванов Иван", "t1"),)
    changes = diff_visitors(before, (Visitor("7", "Иванов Иоанн", "t1"),))
    assert changes.renamed == ((before[0], Visitor("7", "Иванов Иоанн", "t1")),)
    assert not changes.added and not changes.removed and not changes.moved
    letter = RosterLetter(site=SITE, tours=TOURS, visitors=(), roster_path=Path("unused.xlsx"), fingerprint="f",
                          changes=changes)
    _, body = render_letter(letter, _settings(), parse_template("Тема: x\n\n$changes", "t"), NOW.date())
    assert "Иванов Иоанн (было: Иванов Иван)" in body


def test_a_person_on_two_tours_who_leaves_one_is_removed_from_that_one_only():
    before = (Visitor("7", "Иванов Иван", "t1"), Visitor("7", "Иванов Иван", "t2"))
    changes = diff_visitors(before, before[:1])
    assert changes.removed == (before[1],) and not changes.added and not changes.moved


# -- standby and cancelled tours ---------------------------------------------------------------

def test_standby_changes_are_told_apart_from_the_visitors():
    """4 joins the standby of t1, 5 leaves it, 6 leaves it for a seat: 6 is added, not «no longer on standby»."""
    before = (Visitor("1", "Иванов Иван", "t1"), Visitor("5", "Орлова Ольга", "t1", role="standby"),
              Visitor("6", "Павлов Павел", "t1", role="standby"))
    after = (Visitor("1", "Иванов Иван", "t1"), Visitor("6", "Павлов Павел", "t1"),
             Visitor("4", "Кузнецова Анна", "t1", role="standby"))
    changes = diff_visitors(before, after)
    assert changes.added == (after[1],) and not changes.removed and not changes.moved
    assert changes.standby_joined == (after[2],) and changes.standby_left == (before[1],)
    assert changes.anyone and diff_visitors(before, before) == diff_visitors((), ())


def test_a_change_of_standby_alone_is_an_update_with_its_own_lines(tmp_path):
    before = (*VISITORS, Visitor("5", "Орлова Ольга", "kristall-1214-1000", role="standby"))
    after = (*VISITORS, Visitor("4", "Кузнецова Анна", "kristall-1216-1500", role="standby"))
    letter = RosterLetter(site=SITE, tours=TOURS, visitors=VISITORS, standby=after[-1:], roster_path=Path("x.xlsx"),
                          fingerprint="f", changes=diff_visitors(before, after))
    subject, body = render_letter(letter, _settings(), _default_template(tmp_path), NOW.date())
    assert subject.startswith("Обновлённый список — ")
    assert "В резерве добавлены:\n  + Кузнецова Анна — 16.12.2026 (ср), 15:00" in body
    assert "В резерве больше нет:\n  − Орлова Ольга — 14.12.2026 (пн), 10:00" in body
    assert "Добавлены:\n" not in body.replace("В резерве добавлены:\n", "") and "Исключены:" not in body
    assert "16.12.2026 (ср), 15:00 — 1 чел., в резерве 1" in body


def test_a_cancelled_tour_is_named_as_such_in_the_tours_and_in_the_changes(tmp_path):
    cancelled = ((TOURS[1], "ремонт"),)
    letter = RosterLetter(site=SITE, tours=TOURS[:1], visitors=VISITORS[:2], roster_path=Path("x.xlsx"),
                          fingerprint="f", changes=diff_visitors(VISITORS, VISITORS[:2]), cancelled=cancelled)
    _, body = render_letter(letter, _settings(), _default_template(tmp_path), NOW.date())
    assert "  • 16.12.2026 (ср), 15:00 — отменена: ремонт" in body
    assert "Исключены:\n  − Сидоров Пётр — 16.12.2026 (ср), 15:00 (экскурсия отменена)" in body


def test_records_of_earlier_releases_hold_only_visitors_and_the_role_survives_a_round_trip():
    old = visitors_from_json('[{"id": "1", "name": "Иванов Иван", "tour_id": "t1", "companions": 1}]')
    assert old == (Visitor("1", "Иванов Иван", "t1", 1),) and old[0].role == "visitor"
    listed = (Visitor("1", "Иванов Иван", "t1", when="2026-12-14T10:00"), Visitor("2", "Б", "t1", role="standby"))
    assert visitors_from_json(visitors_to_json(listed)) == listed


def test_a_roster_whose_bytes_are_not_the_recorded_ones_is_never_attached(tmp_path):
    letter = _letter(tmp_path)
    recorded = hashlib.sha256(letter.roster_path.read_bytes()).hexdigest()
    message = _parsed(compose_message(RosterLetter(**{**letter.__dict__, "roster_sha256": recorded}), _settings(),
                                      _default_template(tmp_path), message_id=new_message_id(_settings()), now=NOW))
    assert next(message.iter_attachments()).get_content() == letter.roster_path.read_bytes()
    letter.roster_path.write_bytes(b"PK\x03\x04 another export's bytes")
    with pytest.raises(BadDataError, match="not the one last exported") as info:
        compose_message(RosterLetter(**{**letter.__dict__, "roster_sha256": recorded}), _settings(),
                        _default_template(tmp_path), message_id=new_message_id(_settings()), now=NOW)
    assert "rosters export" in (info.value.hint or "")


def test_rosters_email_template_copy_writes_the_seasons_copy_and_sends_nothing(season, cli):
    from openmosprom_cli.mail.template import default_template_path

    written = cli("rosters", "email", "--template-copy", "-w", season.path)
    assert written.exit_code == 0, written.output
    copy = season.path / "roster_email.txt"
    assert copy.read_text(encoding="utf-8") == default_template_path().read_text(encoding="utf-8")
    assert "roster_email.txt" in written.output
    assert not (season.path / "outbox").exists() or not any((season.path / "outbox").iterdir())
    again = cli("rosters", "email", "--template-copy", "-w", season.path)
    assert again.exit_code == 73 and "exists already" in again.output
