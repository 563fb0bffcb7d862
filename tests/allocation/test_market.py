"""After publication: held seats are kept, closed tours are given to nobody, the rest is shared as in every run."""

from __future__ import annotations

import dataclasses
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.reference import allocate_reference
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.models import Holding, Site
from tests.allocation.test_allocation import instances, person, seeds, tour


@st.composite
def with_holdings(draw):
    """An instance where some people hold seats (any tour, even one they never chose), some tours are closed,
    and an organizer took some people off some tours."""
    inputs = draw(instances())
    held = []
    if inputs.tours and inputs.applicants:
        holders = draw(st.lists(st.sampled_from(inputs.applicants), unique_by=lambda a: a.id, max_size=6))
        for a in holders:
            tours = draw(st.lists(st.sampled_from(inputs.tours), unique_by=lambda t: t.tour_id, min_size=1,
                                  max_size=2))
            held += [Holding(a.id, t.tour_id, draw(st.sampled_from([a.party_size, a.party_size, 1, 3])),
                             draw(st.integers(0, len(a.choices)))) for t in tours]
    closed = draw(st.lists(st.sampled_from([t.tour_id for t in inputs.tours]), unique=True, max_size=2)
                  ) if inputs.tours else []
    taken_off = draw(st.lists(st.tuples(st.sampled_from([a.id for a in inputs.applicants]),
                                        st.sampled_from([t.tour_id for t in inputs.tours])), unique=True, max_size=4)
                     ) if inputs.tours and inputs.applicants else []
    return dataclasses.replace(inputs, held=tuple(held), closed=tuple(sorted(closed)),
                               taken_off=tuple(sorted(taken_off)))


def seats_of(result) -> Counter:
    return Counter({(p.registrant_id, p.tour_id): p.seats for p in result.placements()})


@given(with_holdings(), seeds)
def test_the_fast_solver_equals_the_reference_with_held_seats_and_closed_tours(inputs, seed):
    assert allocate(inputs, seed=seed).same_as(allocate_reference(inputs, seed=seed))


@given(with_holdings(), seeds)
def test_every_held_seat_is_kept_and_nobody_is_given_a_closed_tour(inputs, seed):
    result = allocate(inputs, seed=seed)
    placements = {(p.registrant_id, p.tour_id): p for p in result.placements()}
    for h in inputs.held:
        assert placements[(h.registrant_id, h.tour_id)].seats == h.seats
    held = {(h.registrant_id, h.tour_id) for h in inputs.held}
    new = [p for key, p in placements.items() if key not in held]
    assert not [p for p in new if p.tour_id in inputs.closed]
    # What is given anew fits in what the held seats leave.
    capacity = {t.tour_id: t.capacity for t in inputs.tours}
    taken = Counter()
    for h in inputs.held:
        taken[h.tour_id] += h.seats
    for p in new:
        taken[p.tour_id] += p.seats
        assert taken[p.tour_id] <= capacity[p.tour_id]


@given(with_holdings(), seeds)
def test_nobody_is_given_again_a_tour_an_organizer_took_them_off(inputs, seed):
    result = allocate(inputs, seed=seed)
    held = {(h.registrant_id, h.tour_id) for h in inputs.held}
    given_again = {(p.registrant_id, p.tour_id) for p in result.placements()} & (set(inputs.taken_off) - held)
    assert not given_again
    waiting = {(rid, tour_id) for tour_id, ids in result.waitlists().items() for rid in ids}
    assert not waiting & set(inputs.taken_off)


@given(with_holdings(), seeds)
def test_who_holds_all_they_may_gets_nothing_new_and_waits_for_nothing(inputs, seed):
    result = allocate(inputs, seed=seed)
    count = Counter(h.registrant_id for h in inputs.held)
    done = {rid for rid, n in count.items() if n >= inputs.max_tours_per_person}
    held = {(h.registrant_id, h.tour_id) for h in inputs.held}
    assert not [p for p in result.placements() if p.registrant_id in done and (p.registrant_id, p.tour_id) not in held]
    assert not [rid for ids in result.waitlists().values() for rid in ids if rid in done]
    for _, applicant, outcomes in result.iter_outcomes():
        if applicant.id in done:
            assert {o.code for o in outcomes} <= {"held", "holds_seat"}


@given(instances(), seeds, st.data())
def test_holding_what_was_given_and_running_again_gives_the_same_seats(inputs, seed, data):
    """Nothing changed since publication, so the residual market gives everyone what they had."""
    fresh = allocate(inputs, seed=seed)
    given_seats = fresh.placements()
    announced = data.draw(st.lists(st.sampled_from(given_seats), unique=True)) if given_seats else []
    held = tuple(Holding(p.registrant_id, p.tour_id, p.seats, p.choice_rank) for p in announced)
    again = allocate(dataclasses.replace(inputs, held=held), seed=seed)
    assert seats_of(again) == seats_of(fresh)
    holders = {h.registrant_id for h in held}
    for (_, a, before), (_, _, after) in zip(fresh.iter_outcomes(), again.iter_outcomes(), strict=True):
        if a.id not in holders:
            assert before == after


def test_a_cancelled_seat_goes_to_the_next_in_priority_who_fits_and_a_party_that_does_not_fit_keeps_its_place():
    site = Site("estet", "Эстет")
    t = tour("estet", capacity=3)
    people = (person("first", t.tour_id, score=9), person("big", t.tour_id, score=8, companions=2),
              person("small", t.tour_id, score=7), person("later", t.tour_id, score=6))
    fresh = allocate(AllocationInput((t,), (site,), people), seed="s")
    assert [p.registrant_id for p in fresh.placements()] == ["first", "small", "later"]
    # "small" cancels after publication: one seat is free; "big" needs three and keeps its place in line.
    remaining = tuple(p for p in people if p.id != "small")
    held = (Holding("first", t.tour_id, 1, 1), Holding("later", t.tour_id, 1, 1))
    after = allocate(AllocationInput((t,), (site,), remaining, held=held), seed="s")
    assert sorted(p.registrant_id for p in after.placements()) == ["first", "later"]
    assert after.waitlists() == {t.tour_id: ["big"]}
    # "later" cancels too: two seats free, still not three, so they wait.
    after = allocate(AllocationInput((t,), (site,), remaining[:2], held=held[:1]), seed="s")
    assert [p.registrant_id for p in after.placements()] == ["first"]
    # "first" as well: now the party fits.
    after = allocate(AllocationInput((t,), (site,), remaining[1:2]), seed="s")
    assert [p.registrant_id for p in after.placements()] == ["big"]


def test_a_held_seat_off_every_choice_counts_as_choice_0_and_its_holder_is_not_upgraded():
    site = Site("estet", "Эстет")
    a, b = tour("estet", hour=10, capacity=2), tour("estet", day=1, capacity=2)
    people = (person("moved", a.tour_id, score=9), person("other", b.tour_id))
    result = allocate(AllocationInput((a, b), (site,), people, held=(Holding("moved", b.tour_id, 1),)), seed="s")
    assert {(p.registrant_id, p.tour_id, p.choice_rank) for p in result.placements()} == {
        ("moved", b.tour_id, 0), ("other", b.tour_id, 1)}
    assert [o.code for o in result.outcomes_at(0)] == ["holds_seat"]
