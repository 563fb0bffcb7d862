"""Pinned fingerprints: stored runs are audited by recomputing these hashes, so they must never drift.

Two definitions are pinned. Format 1 hashes the JSON forms that runs were
stored in before the columns (the values computed before the allocation was
sped up, and still recomputed for such runs); format 2 hashes the columns a
run stores now. The same inputs and the same result give both: any change to
the snapshot, the priority order or the result shows in one of them.

A stored run keeps the names of its outcome codes, so adding a code (as
``taken_off`` was, before format 2 was released) changes the fingerprint of a
new result only; a stored run's recomputed fingerprint stays what it was.
"""

from __future__ import annotations

import datetime as dt

from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.priority import priority_order
from openmosprom_cli.allocation.result_columns import ResultColumns
from openmosprom_cli.allocation.snapshot_columns import SnapshotColumns
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.models import Registrant, Site
from tests.allocation.test_allocation import person, tour

ZIL = Site("zil", "ЗИЛ", min_age=14)
PASSPORT_SITE = Site("pass", "Завод «Паспорт»", passport_required=True, citizens_only=True)
EARLY, LATER, PASSPORT_TOUR = (tour("zil", capacity=3), tour("zil", day=1, hour=11, minute=30, capacity=1),
                               tour("pass", day=2, capacity=2))
SAME_MOMENT = dt.datetime(2026, 11, 1, 10, 0, 5)
PEOPLE = (
    person("7", EARLY.tour_id, "pass", score=12.5, companions=1, at=SAME_MOMENT),
    person("3", "zil", score=12.5, at=SAME_MOMENT, born=dt.date(2012, 12, 12)),
    person("11", "pass", "nowhere", score=0, passport=False, citizen=False, born=None),
    person("5", LATER.tour_id, EARLY.tour_id, score=0),
    person("2", PASSPORT_TOUR.tour_id, score=3, at=dt.datetime(2026, 10, 30, 23, 59)),
)
# 12:00 at UTC+5 is 10:00 in Moscow: a tie with "10" that only the lottery breaks.
REGISTRANTS = (
    Registrant("9", score=4, registered_at=dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5))),
               choices=("zil",), passport="45 01 123456", citizenship="РФ", birth_date=dt.date(2000, 2, 29)),
    Registrant("10", score=4, registered_at=dt.datetime(2026, 11, 1, 10, 0), choices=(PASSPORT_TOUR.tour_id,),
               passport=" ", citizenship="Казахстан", companions=2),
)


def test_the_snapshot_fingerprint_of_applicant_records_is_pinned():
    inputs = AllocationInput((PASSPORT_TOUR, EARLY, LATER), (PASSPORT_SITE, ZIL), PEOPLE, 2)
    assert inputs.legacy_fingerprint() == "284c5d6f10c4d88ea6a93782f28cea5333fc2096b50f98fa25a37cc6918ceb12"
    assert inputs.fingerprint() == "84779d4edf749ecae308fcbbeefb43090936cc7eb848d301d916bc797aeaf6a2"
    erased, _ = inputs.with_birth_dates_erased({"3"})
    assert erased.legacy_fingerprint() == "caaa7c6751c2bb042f80d07b6c0f57267768e7eeafd030ac4049eba562954504"
    assert erased.fingerprint() == "9573d3cc15bfcd3f54d3dea0cf4cc3db36267704ab0791f5edba89a02b00efd4"
    result = allocate(inputs, seed="2026")
    assert result.priority_ids() == ["3", "7", "2", "11", "5"]
    assert priority_order(PEOPLE, "2026") == ("3", "7", "2", "11", "5")
    assert result.legacy_fingerprint() == "6c2d5abe3f120009752042363a9c947f1524b3d5f42438f83d17c38db2423b34"
    assert result.fingerprint() == "0546dda2ff5914aef39476f25a7a04cbb1a9d3b472db625bf2d37e50533dc40b"


def test_the_snapshot_fingerprint_of_imported_registrants_is_pinned():
    inputs = AllocationInput.build((EARLY, LATER, PASSPORT_TOUR), (ZIL, PASSPORT_SITE), [*PEOPLE, *REGISTRANTS], 1)
    assert inputs.legacy_fingerprint() == "8f3e4cbd4163440012055cb8c601d5223b3bad60746494c3f269794451e5d975"
    assert inputs.fingerprint() == "278ccd2de43303f62f1813e52b7fd4399b47a7ddf7cba65c5e72be32837579ce"
    result = allocate(inputs, seed="x")
    assert result.priority_ids() == ["7", "3", "10", "9", "2", "5", "11"]
    assert result.legacy_fingerprint() == "dfc639a941548b9c6f0ab93433e5e039e2cf387049c120ac78364a23dbca66a7"
    assert result.fingerprint() == "3ac663184499b0d084e53c6c59b592ff2dbce5dce7e15c5286a9ac2095f619ad"


def test_the_stored_columns_give_the_pinned_json_forms_back():
    """What a run stores is read back into exactly the JSON forms format 1 pinned: nothing of the result changed."""
    inputs = AllocationInput((PASSPORT_TOUR, EARLY, LATER), (PASSPORT_SITE, ZIL), PEOPLE, 2)
    result = allocate(inputs, seed="2026")
    stored = ResultColumns.read(result.columns().stored())
    assert stored.legacy_fingerprint(result.placements()) == (
        "6c2d5abe3f120009752042363a9c947f1524b3d5f42438f83d17c38db2423b34")
    assert stored.fingerprint(result.placements()) == result.fingerprint()
    snapshot = SnapshotColumns.read(SnapshotColumns.of(inputs).stored())
    # As the JSON snapshot read back (which makes every score a float, as an import does).
    assert snapshot.to_inputs() == AllocationInput.from_json(inputs.to_json())
    assert snapshot.fingerprint() == inputs.fingerprint()
