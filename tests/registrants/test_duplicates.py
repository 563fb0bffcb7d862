"""Duplicate accounts: the clusters and their evidence, the organizer's merge, and the strict automatic policy."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.models import Registrant
from openmosprom_cli.publication.publish import publish
from openmosprom_cli.registrants.duplicates import (
    EMAIL,
    NAME_AND_BIRTH,
    PHONE,
    find_clusters,
    normalised_name,
    normalised_phone,
)
from openmosprom_cli.store.changes import load_cancellations, load_commitments
from openmosprom_cli.store.merges import load_merges
from openmosprom_cli.store.registrants import upsert_registrants
from tests.changes.scenario import E1, allocate_and_publish

BORN = dt.date(1990, 5, 1)


def account(rid, name="Иванова Анна", phone="", email="", birth=None, score=10.0):
    return Registrant(rid, name, phone=phone, email=email, birth_date=birth, score=score)


def test_phones_names_and_emails_are_compared_as_people_write_them():
    assert normalised_phone("8 (916) 123-45-67") == normalised_phone("+7 916 1234567") == "9161234567"
    assert normalised_phone("12-34") == ""
    assert normalised_name("Иванова  Анна") == normalised_name("анна ИВАНОВА") == normalised_name("Анна Иванова")
    assert normalised_name("Артём Ёлкин") == normalised_name("артем елкин")


def test_clusters_link_accounts_through_any_shared_evidence_and_show_it_masked():
    people = [
        account("1", phone="+79161234567", email="anna@mail.ru", score=50),
        account("2", name="Анна Иванова", phone="89161234567", birth=BORN, score=70),
        account("3", name="Пётр Петров", email="ANNA@mail.ru "),
        account("4", name="Иванова Анна", birth=BORN),
        account("5", name="Сидоров", phone="+79160000000"),
    ]
    (cluster,) = find_clusters(people)
    assert cluster.ids == ("2", "1", "3", "4") and cluster.keep == "2"
    evidence = {(e.kind, e.shown, e.ids) for e in cluster.evidence}
    assert evidence == {(PHONE, "+7 916 ***-**-67", ("2", "1")), (EMAIL, "a***@mail.ru", ("1", "3")),
                        (NAME_AND_BIRTH, "the same full name and birth date", ("2", "4"))}
    assert cluster.strict == (), "no two accounts share phone, name and birth date at once"


def test_only_accounts_sharing_phone_name_and_birth_date_are_strict():
    people = [account("1", phone="+79161234567", birth=BORN, score=5),
              account("2", name="Анна Иванова", phone="8 916 123 45 67", birth=BORN, score=9),
              account("3", name="Иван Иванов", phone="+79161234567", birth=BORN)]   # the same phone: family
    (cluster,) = find_clusters(people)
    assert cluster.strict == (("2", "1"),)


def seeded(season):
    allocate_and_publish(season)
    with season.transaction() as conn:
        # 9011 is 9001 again, from another VK account: same phone, name and birth date; 9012 shares only the phone.
        upsert_registrants(conn, [
            Registrant("9011", "Участник 9001", phone="+79160009001", birth_date=dt.date(1990, 1, 1), score=5),
            Registrant("9012", "Другой Человек", phone="+79160009001", score=3)], now="2026-11-30T12:00:00")
    return season


def test_duplicates_lists_the_clusters_with_their_evidence(cli, season):
    seeded(season)
    result = cli("registrants", "duplicates", "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "9001, 9011, 9012 — keep 9001 (highest score)" in result.output
    assert "same phone +7 916 ***-**-01: 9001, 9011, 9012" in result.output
    assert "phone, full name and birth date all match: 9001, 9011" in result.output
    assert "same name and birth date: 9001, 9011" in result.output, "only that they match, in one clean line"
    assert "+79160009001" not in result.output, "values are masked"
    data = json.loads(cli("registrants", "duplicates", "--json", "-w", season.path).output)
    assert data[0]["ids"] == ["9001", "9011", "9012"] and data[0]["strict"] == [["9001", "9011"]]


def test_a_merge_cancels_the_dropped_accounts_as_duplicates_and_frees_their_seats(cli, season):
    seeded(season)
    result = cli("registrants", "merge", "9001", "9011", "--keep", "9011", "--reason", "одна и та же участница",
                 "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "Merged 9001 into 9011 (they share: phone, name and birth date)" in result.output
    assert f"9001 loses 1 seat on {E1.tour_id}, who was told" in result.output
    assert "openmosprom move 9011 TOUR" in result.output
    with season.reader() as conn:
        assert load_cancellations(conn)["9001"][0] == "дубликат"
        assert ("9001", E1.tour_id) not in {(c.registrant_id, c.tour_id) for c in load_commitments(conn)}
        (merge,) = load_merges(conn)
    assert (merge.dropped_id, merge.kept_id, merge.reason, merge.automatic) == ("9001", "9011",
                                                                               "одна и та же участница", False)
    report = run_assignment(season)
    assert report.registrants == 11, "the dropped account takes no part"
    changes = publish(season).changes_path.read_text(encoding="utf-8-sig")
    assert "место отменено" in changes and "дубликат: учётная запись объединена с основной" in changes
    assert "merged away as a duplicate" in cli("explain", "9001", "-w", season.path).output
    assert cli("audit", "-w", season.path).exit_code == 0
    again = cli("registrants", "merge", "9001", "9012", "--keep", "9012", "--reason", "x", "-w", season.path)
    assert again.exit_code == 65 and "was merged into 9011" in again.output
    back = cli("registrants", "reinstate", "9001", "--reason", "x", "-w", season.path)
    assert back.exit_code == 65 and "merged into another account" in back.output


@pytest.mark.parametrize("args,message", [
    (("9001", "--keep", "9001", "--reason", "x"), "name at least two accounts"),
    (("9001", "9999", "--keep", "9001", "--reason", "x"), "ID › 9999: is not a registrant of this season"),
    (("9001", "9011", "--keep", "9001"), "--reason: is required"),
])
def test_a_merge_that_cannot_be_done_changes_nothing(cli, season, args, message):
    seeded(season)
    result = cli("registrants", "merge", *args, "-w", season.path)
    assert result.exit_code == 65 and message in result.output
    with season.reader() as conn:
        assert load_merges(conn) == [] and "9001" not in load_cancellations(conn)


def test_the_automatic_policy_merges_only_phone_name_and_birth_date_matches_keeping_the_highest_score(cli, season,
                                                                                                       tmp_path):
    seeded(season)
    toml = season.settings_path
    toml.write_text(toml.read_text(encoding="utf-8").replace("auto_merge = false", "auto_merge = true"),
                    encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_text("ID VK;ФИО;Телефон;Дата рождения;Баллы\n9011;Участник 9001;8 916 000-90-01;01.01.1990;500\n",
                      encoding="utf-8")
    result = cli("registrants", "import", export, "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "Merged duplicate account 9001 into 9011" in result.output
    with season.reader() as conn:
        merges = load_merges(conn)
    assert [(m.dropped_id, m.kept_id, m.automatic) for m in merges] == [("9001", "9011", True)]
    assert "9012" not in {m.dropped_id for m in merges}, "a shared phone alone is never merged by itself"
