"""The synthetic VK export: realistic, deterministic, and importable except for its deliberate mistakes."""

from __future__ import annotations

import collections
import datetime as dt
import os
import stat

import pytest

from openmosprom_cli.demo.sample_registrants import (
    HEADERS,
    female_surname,
    generate_registrant_rows,
    write_registrant_export,
)
from openmosprom_cli.registrants.importer import import_registrants
from openmosprom_cli.registrants.parse import read_registrant_file
from tests.registrants.test_registrants import SITES, TOURS


def test_same_seed_same_people_other_seed_other_people():
    a = generate_registrant_rows(TOURS, SITES, 300, seed=7)
    assert a == generate_registrant_rows(TOURS, SITES, 300, seed=7)
    assert a != generate_registrant_rows(TOURS, SITES, 300, seed=8)
    assert len(a) == 300 and list(a[0]) == list(HEADERS)


def test_female_surname_forms():
    assert [female_surname(s) for s in ("Иванов", "Соловьёв", "Ильин", "Островский", "Высоцкий", "Толстой",
                                        "Шевченко", "Черных", "Ким")] == [
        "Иванова", "Соловьёва", "Ильина", "Островская", "Высоцкая", "Толстая", "Шевченко", "Черных", "Ким"]


def test_the_crowd_looks_like_a_real_export():
    rows = generate_registrant_rows(TOURS, SITES, 3000, seed=1, invalid_rows=0)
    scores = [int(r["Баллы"]) for r in rows]
    assert len(set(scores)) < 150, "scores come in steps, so many people tie"
    assert sorted(scores)[len(scores) // 2] < sum(scores) / len(scores), "skewed: the mean is above the median"
    births = [dt.datetime.strptime(r["Дата рождения"], "%d.%m.%Y").date() for r in rows if r["Дата рождения"]]
    minors = sum(1 for b in births if (dt.date(2026, 12, 11) - b).days < 18 * 365)
    assert 0.06 < minors / len(births) < 0.2
    assert 0 < sum(1 for r in rows if not r["Дата рождения"]) < 300
    assert 0.1 < sum(1 for r in rows if r["Паспорт"]) / 3000 < 0.4
    citizenships = collections.Counter(r["Гражданство"] for r in rows if r["Гражданство"])
    assert citizenships.most_common(1)[0][0] in {"РФ", "Россия", "RU", "Российская Федерация", "россия"}
    assert any(c in citizenships for c in ("Беларусь", "Казахстан", "Узбекистан", "Армения"))
    assert {"0", "1", "2"} <= {r["Гостей"] for r in rows}
    phones = {r["Телефон"][:2] for r in rows}
    assert {"+7", "89"} <= phones, "mixed phone formats"
    chosen = [[r[f"Выбор {i}"] for i in range(1, 6) if r[f"Выбор {i}"]] for r in rows]
    assert {len(c) for c in chosen} == {1, 2, 3, 4, 5}
    flat = collections.Counter(choice for c in chosen for choice in c)
    site_ids = {s.site_id for s in SITES}
    assert any(c in site_ids for c in flat) and any(c not in site_ids for c in flat), "tour IDs and site IDs"
    by_site = collections.Counter(choice.split("-")[0] for c in chosen for choice in c)
    assert max(by_site.values()) > 1.5 * min(by_site.values()), "some sites are far more popular"
    assert any(female_surname(r["Фамилия"]) == r["Фамилия"] and r["Отчество"].endswith("вна") for r in rows)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_imports_with_exactly_the_deliberate_mistakes_rejected(tmp_path, published, suffix):
    rows = generate_registrant_rows(TOURS, SITES, 400, seed=3, invalid_rows=6)
    path = write_registrant_export(tmp_path / f"vk-export{suffix}", rows)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    report = import_registrants(published, path, skip_invalid=True)
    reasons = " | ".join(reason for r in report.rejected for reason in r.reasons)
    assert len(report.rejected) == 7, reasons  # 6 mistakes; the repeated ID rejects both of its rows
    for expected in ("Телефон:", "Дата рождения:", "Выбор 1: 'zavod-mechty'", "guests is more than",
                     "Баллы: 'много'", "also appears on row"):
        assert expected in reasons
    assert report.added == 400 - 7


def test_csv_and_xlsx_exports_read_the_same(tmp_path, published):
    rows = generate_registrant_rows(TOURS, SITES, 150, seed=5, invalid_rows=0)
    read = {}
    for suffix in (".csv", ".xlsx"):
        path = write_registrant_export(tmp_path / f"e{suffix}", rows)
        read[suffix] = read_registrant_file(path, settings=published.settings, tours=TOURS, sites=SITES)
    assert read[".csv"].rejected == () and read[".xlsx"].rejected == ()
    assert read[".csv"].registrants == read[".xlsx"].registrants


def test_csv_export_is_excel_style(tmp_path):
    rows = generate_registrant_rows(TOURS, SITES, 5, seed=1, invalid_rows=0)
    data = write_registrant_export(tmp_path / "e.csv", rows).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + "ID VK;Фамилия".encode()) and b"\r\n" in data
