"""Stored inputs read back without their records: the columns, IDs and choice numbers the stored arrays give are
exactly those that reading the records they turn into gives; and each record, made alone, is the one made among all."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmosprom_cli.allocation.audit import audit_run
from openmosprom_cli.allocation.columns import choice_numbers, read_input_columns
from openmosprom_cli.allocation.inputs import AllocationInput, Applicant
from openmosprom_cli.allocation.snapshot_columns import SnapshotColumns, StoredApplicants
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.allocation.stored import StoredResult, StoredRun
from openmosprom_cli.models import Site
from openmosprom_cli.store.runs import FORMAT_COLUMNS
from tests.allocation.test_allocation import instances, seeds, tour


def same(a, b, path="") -> None:
    """Equal values of the same types: arrays by dtype, shape and values (NaN equal to NaN), all the way down."""
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    else:
        assert a == b or (a != a and b != b), path


@st.composite
def stored_inputs(draw) -> AllocationInput:
    """Inputs of every kind of value a record holds: times to the microsecond in any year or none, any birth date
    or none, scores with halves and NaN, big parties, tours, sites and unknown choices; some birth dates erased,
    some people taken off tours (some not among the applicants)."""
    inputs = draw(instances())
    tokens = [t.tour_id for t in inputs.tours] + [s.site_id for s in inputs.sites] + ["unknown", "Ω"]
    people = []
    for i, a in enumerate(inputs.applicants):
        people.append(dataclasses.replace(
            a, registered_at=draw(st.none() | st.datetimes()),
            birth_date=draw(st.none() | st.dates() | st.sampled_from([dt.date(2008, 12, 12), dt.date(2012, 2, 29)])),
            score=draw(st.sampled_from([0.0, -0.0, 0.5, 3.0, 1e300, float("nan")])),
            companions=draw(st.integers(0, 300)), choices=tuple(draw(st.lists(st.sampled_from(tokens), max_size=5))),
            id=f"{draw(st.integers(0, 99)):02d}-{i}"))
    inputs = dataclasses.replace(inputs, applicants=tuple(people))
    rnd = draw(st.randoms(use_true_random=False))
    if inputs.tours:
        ids = [a.id for a in people] + ["nobody"]
        taken = {(rnd.choice(ids), rnd.choice(inputs.tours).tour_id) for _ in range(rnd.randint(0, 4))}
        inputs = dataclasses.replace(inputs, taken_off=tuple(sorted(taken)))
    erased, _ = inputs.with_birth_dates_erased({a.id for a in people if rnd.random() < 0.4})
    return erased


def read_back(inputs: AllocationInput, rnd: random.Random | None = None
              ) -> tuple[AllocationInput, tuple[Applicant, ...]]:
    """The inputs as the stored columns give them, and the records the columns turn into, all made at once.

    With ``rnd``, the age verdicts are stored in another order, their tour names too, and some twice, the second
    time the other way: the records sort each person's, and so must the columns.
    """
    columns = SnapshotColumns.read(SnapshotColumns.of(inputs).stored())
    if rnd is not None:
        twice = [i for i in range(len(columns.age_person)) if rnd.random() < 0.3]
        entries = list(range(len(columns.age_person))) + twice
        rnd.shuffle(entries)
        names = list(range(len(columns.age_tours)))
        rnd.shuffle(names)
        renumber = np.argsort(names)
        columns = dataclasses.replace(
            columns, age_tours=[columns.age_tours[i] for i in names], age_person=columns.age_person[entries],
            age_tour=renumber[columns.age_tour[entries]].astype(np.int32),
            age_met=np.array([columns.age_met[e] ^ (j >= len(columns.age_person)) for j, e in enumerate(entries)],
                             dtype=np.uint8))
    return columns.to_inputs(), tuple(columns._applicants(range(len(columns.ids))))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(stored_inputs(), st.randoms(use_true_random=False), st.booleans())
def test_the_columns_of_stored_inputs_are_those_their_records_give(inputs, rnd, reordered):
    fast, records = read_back(inputs, rnd if reordered else None)
    assert isinstance(fast.applicants, StoredApplicants)
    # Read off the arrays, not the records: these were there before anything read them.
    assert {"ids", "input_columns", "choice_numbers"} <= vars(fast).keys()
    as_records = dataclasses.replace(fast, applicants=records)
    assert "input_columns" not in vars(as_records)
    same(fast.input_columns, read_input_columns(as_records))
    same(fast.choice_numbers, choice_numbers(as_records))
    assert fast.ids == tuple(a.id for a in records)
    # Each record read alone, in any order, is the one made among all; and they are the stored ones.
    places = list(range(len(records)))
    rnd.shuffle(places)
    same([fast.applicants[p] for p in places], [records[p] for p in places])
    if not reordered:
        same(records, tuple(sorted(inputs.applicants, key=lambda a: a.id)))


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(stored_inputs(), seeds)
def test_the_audit_finds_the_same_reading_the_columns_or_the_records(inputs, seed):
    inputs = dataclasses.replace(inputs, applicants=tuple(a for a in inputs.applicants if a.companions < 4))
    result = allocate(inputs, seed=seed)
    columns = SnapshotColumns.of(inputs)
    run = StoredRun(1, "2026-11-30T10:00:00", seed, columns.fingerprint(), result.fingerprint(), {},
                    format=FORMAT_COLUMNS, inputs_columns=columns.stored())
    stored = StoredResult.of(result)
    fast = audit_run(run, stored)
    assert isinstance(run.allocation_input().applicants, StoredApplicants)
    slow = dataclasses.replace(run, inputs_columns=columns.stored())
    slow.__dict__["_allocation_input"] = dataclasses.replace(run.allocation_input(),
                                                             applicants=tuple(run.allocation_input().applicants))
    assert fast == audit_run(slow, stored)
    # The purges that erased birth dates are not recorded here: only that is found.
    assert not [v for v in fast.violations if v.check != "inputs fingerprint"], fast.violations


def person(i: int, *choices: str, born: dt.date | None = dt.date(1990, 5, 5)) -> Applicant:
    return Applicant(f"p{i}", float(i % 3), dt.datetime(2026, 11, 1, 9, i), born, i % 2, True, True, choices)


def small() -> AllocationInput:
    return AllocationInput((tour("s0"),), (Site("s0", "Завод"),),
                           tuple(person(i, "x", "y") for i in range(4)) + (person(4),))


def damaged(inputs: AllocationInput, **arrays) -> SnapshotColumns:
    return dataclasses.replace(SnapshotColumns.read(SnapshotColumns.of(inputs).stored()), **arrays)


def test_columns_with_a_gap_in_a_choice_list_are_read_from_the_records():
    columns = damaged(small(), choice=np.array([[0, -1, 1]] * 4 + [[-1, -1, -1]], dtype=np.int32))
    inputs = columns.to_inputs()
    assert "input_columns" not in vars(inputs) and "choice_numbers" not in vars(inputs)
    assert inputs.applicants[0].choices == ("x", "y")
    same(inputs.input_columns, read_input_columns(dataclasses.replace(inputs, applicants=tuple(inputs.applicants))))


@pytest.mark.parametrize("arrays", [
    {"birth": np.array([19900231, 0, 0, 0, 0], dtype=np.int32)},       # no 31 February
    {"choice": np.array([[0, 2]] * 5, dtype=np.int32)},                # a choice beyond those stored
])
def test_damaged_columns_are_made_into_records_at_once_failing_as_they_always_did(arrays):
    columns = damaged(small(), **arrays)
    assert not columns._records_readable()
    with pytest.raises((ValueError, IndexError)) as all_at_once:
        columns._applicants(range(5))
    with pytest.raises((ValueError, IndexError)) as read_back:
        columns.to_inputs()
    # The audit reports the reason as it is (the stored inputs cannot be read (…)).
    assert repr(read_back.value) == repr(all_at_once.value)


def test_a_record_is_made_when_read_and_all_at_once_when_iterated():
    columns = SnapshotColumns.read(SnapshotColumns.of(small()).stored())
    people = columns.to_inputs().applicants
    assert isinstance(people, StoredApplicants) and len(people) == 5
    assert people[-1] == people[4] == person(4) and people[1] is people[1]
    assert tuple(people[1:3]) == (person(1, "x", "y"), person(2, "x", "y"))
    assert list(people) == [person(i, "x", "y") for i in range(4)] + [person(4)]
    with pytest.raises(IndexError):
        people[5]
