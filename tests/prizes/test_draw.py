"""The pure draw: tiers, preferences, the boundary lottery, and its properties over random catalogues and people."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.allocation.priority import lottery_number
from openmosprom_cli.prizes.audit import check_awards
from openmosprom_cli.prizes.draw import DrawInput, age_class, draw
from openmosprom_cli.prizes.records import BEST, HELD, PREFERRED, Contestant, PrizeItem

T0 = dt.datetime(2026, 11, 20, 10, 0)
SPEAKER = PrizeItem("speaker", 1, "Умная колонка", 2, top_n=3)
TERMOS = PrizeItem("termos", 2, "Термос", 3, min_score=50)
BOOK = PrizeItem("book", 3, "Книга", 10, min_score=1, min_age=14)


def people(*scores, **preferences) -> tuple[Contestant, ...]:
    return tuple(Contestant(f"{n}", s, T0 + dt.timedelta(minutes=n), 14, tuple(preferences.get(f"p{n}", ())))
                 for n, s in enumerate(scores, start=1))


def given_items(result) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for a in result.awards:
        found.setdefault(a.registrant_id, []).append(a.item_id)
    return found


def test_each_takes_the_best_item_of_their_tier_in_stock():
    result = draw(DrawInput((SPEAKER, TERMOS, BOOK), people(100, 90, 80, 70, 60, 40, 0)), "7")
    assert given_items(result) == {"1": ["speaker"], "2": ["speaker"], "3": ["termos"], "4": ["termos"],
                                   "5": ["termos"], "6": ["book"]}
    assert [a.rank for a in result.awards] == [1, 2, 3, 4, 5, 6]
    assert "7" not in given_items(result), "0 points win nothing"


def test_a_preference_in_stock_comes_first_and_one_out_of_stock_falls_back_to_the_best():
    result = draw(DrawInput((SPEAKER, TERMOS, BOOK), people(100, 90, 80, 70, p1=("book",), p2=("book", "termos"),
                                                           p3=("speaker",))), "7")
    got = {a.registrant_id: (a.item_id, a.how) for a in result.awards}
    # 1 and 2 prefer the book; 3 is in the top 3 and a speaker is there; 4 is not in the top 3: a thermos.
    assert got == {"1": ("book", PREFERRED), "2": ("book", PREFERRED), "3": ("speaker", PREFERRED),
                   "4": ("termos", BEST)}


def test_a_preference_out_of_stock_or_not_qualified_for_falls_back_to_the_best_in_the_tier():
    result = draw(DrawInput((SPEAKER, TERMOS, BOOK), people(100, 90, 80, 70, p3=("speaker",), p4=("speaker", "book"))),
                  "7")
    got = {a.registrant_id: (a.item_id, a.how) for a in result.awards}
    # Both speakers are gone before 3's turn; 4 is not in the top 3, so their second choice, the book.
    assert got["3"] == ("termos", BEST) and got["4"] == ("book", PREFERRED)


def test_a_minimum_age_counts_on_the_day_of_the_draw():
    on = dt.date(2026, 12, 1)
    assert age_class(dt.date(2012, 12, 1), on, [14, 18]) == 14
    assert age_class(dt.date(2012, 12, 2), on, [14, 18]) == 0
    assert age_class(None, on, [14]) == 0
    minor = dataclasses.replace(people(60)[0], age_class=0)
    result = draw(DrawInput((BOOK, dataclasses.replace(TERMOS, rank=4)), (minor,)), "7")
    assert given_items(result) == {"1": ["termos"]}


def test_more_than_one_prize_each_when_allowed_distinct_and_best_first():
    result = draw(DrawInput((SPEAKER, TERMOS, BOOK), people(100, 90), max_per_person=2), "7")
    assert given_items(result) == {"1": ["speaker", "termos"], "2": ["speaker", "termos"]}


def test_kept_awards_count_against_stock_and_room_and_the_forfeited_take_no_turn():
    contestants = people(100, 90, 80, 70)
    inputs = DrawInput((SPEAKER, TERMOS), contestants, held=(("4", "speaker"),), forfeited=("1",))
    got = {a.registrant_id: (a.item_id, a.how) for a in draw(inputs, "7").awards}
    assert got == {"2": ("speaker", BEST), "3": ("termos", BEST), "4": ("speaker", HELD)}


def test_the_boundary_between_equal_scores_and_times_is_the_seeded_lottery_whatever_the_file_order():
    same = (Contestant("501", 80, T0), Contestant("502", 80, T0), Contestant("503", 80, T0))
    one = (PrizeItem("speaker", 1, "Колонка", 1, top_n=10),)
    winners = set()
    for seed in map(str, range(40)):
        expected = min(same, key=lambda c: lottery_number(seed, c.id)).id
        results = {draw(DrawInput(one, tuple(order)), seed).awards[0].registrant_id
                   for order in (same, same[::-1], (same[1], same[2], same[0]))}
        assert results == {expected}
        winners.add(expected)
    assert winners == {"501", "502", "503"}, "the lottery, not the ID, decides"


def test_the_registration_time_breaks_a_tie_of_points_before_the_lottery():
    early = Contestant("999", 80, T0)
    late = Contestant("100", 80, T0 + dt.timedelta(seconds=1))
    result = draw(DrawInput((PrizeItem("s", 1, "Колонка", 1, top_n=1),), (late, early)), "3")
    assert [a.registrant_id for a in result.awards] == ["999"]


# -- properties ------------------------------------------------------------------------------------

@st.composite
def draws(draw_data):
    n_items = draw_data(st.integers(1, 6))
    items = tuple(PrizeItem(f"i{k}", k, f"Приз {k}", draw_data(st.integers(0, 4)),
                            draw_data(st.one_of(st.none(), st.integers(1, 15))),
                            draw_data(st.one_of(st.none(), st.sampled_from([0, 10, 20, 50]))),
                            draw_data(st.sampled_from([0, 0, 14, 18])))
                  for k in range(1, n_items + 1))
    ids = [f"{100 + k}" for k in range(draw_data(st.integers(0, 25)))]
    contestants = tuple(
        Contestant(rid, draw_data(st.sampled_from([0, 10, 20, 20, 50, 100])),
                   draw_data(st.sampled_from([None, T0, T0, T0 + dt.timedelta(hours=1)])),
                   draw_data(st.sampled_from([0, 14, 18])),
                   tuple(draw_data(st.permutations([i.item_id for i in items]))[:draw_data(st.integers(0, n_items))]))
        for rid in ids)
    limit = draw_data(st.integers(1, 3))
    held: list[tuple[str, str]] = []
    if contestants:
        for _ in range(draw_data(st.integers(0, 3))):
            pair = (draw_data(st.sampled_from(ids)), draw_data(st.sampled_from([i.item_id for i in items])))
            stock = {i.item_id: i.stock for i in items}
            if (pair not in held and Counter(h[1] for h in held)[pair[1]] < stock[pair[1]]
                    and Counter(h[0] for h in held)[pair[0]] < limit):
                held.append(pair)
    forfeited = tuple(sorted(draw_data(st.sets(st.sampled_from(ids), max_size=3)))) if ids else ()
    return DrawInput(items, contestants, max_per_person=limit, held=tuple(sorted(held)), forfeited=forfeited)


def qualifies(item: PrizeItem, rank: int, person: Contestant) -> bool:
    """The tiers, written again for the test: top N, threshold, age; nobody with 0 points."""
    return (person.score > 0 and (item.top_n is None or rank <= item.top_n)
            and (item.min_score is None or person.score >= item.min_score) and person.age_class >= item.min_age)


@given(draws(), st.sampled_from(["1", "2026", "seed"]))
def test_stock_is_never_exceeded_and_nobody_wins_more_than_allowed(inputs, seed):
    result = draw(inputs, seed)
    counts = Counter(a.item_id for a in result.awards)
    assert all(counts[i.item_id] <= i.stock for i in inputs.items)
    per_person = Counter(a.registrant_id for a in result.awards)
    assert all(n <= inputs.max_per_person for n in per_person.values())
    assert len({(a.registrant_id, a.item_id) for a in result.awards}) == len(result.awards), "an item once each"
    if inputs.max_per_person == 1:
        assert all(n == 1 for n in per_person.values())


@given(draws(), st.sampled_from(["1", "2026", "seed"]))
def test_every_winner_qualifies_and_nobody_envies_a_lower_ranked_winner(inputs, seed):
    result = draw(inputs, seed)
    rank = result.ranks()
    people = {c.id: c for c in inputs.contestants}
    items = {i.item_id: i for i in inputs.items}
    held = set(inputs.held)
    mine: dict[str, list[str]] = {}
    for a in result.awards:
        mine.setdefault(a.registrant_id, []).append(a.item_id)
        if a.how == HELD:
            assert (a.registrant_id, a.item_id) in held
        else:
            assert qualifies(items[a.item_id], rank[a.registrant_id], people[a.registrant_id])

    def position(person: Contestant, item_id: str) -> int:
        own = person.preferences
        return own.index(item_id) if item_id in own else len(own) + items[item_id].rank

    for person in inputs.contestants:
        if person.id in inputs.forfeited:
            continue
        r = rank[person.id]
        theirs = mine.get(person.id, [])
        chosen = [i for i in theirs if (person.id, i) not in held]
        for a in result.awards:
            if a.how == HELD or rank[a.registrant_id] <= r or a.item_id in theirs:
                continue
            if not qualifies(items[a.item_id], r, person):
                continue
            has_room = len(theirs) < inputs.max_per_person
            prefers = bool(chosen) and position(person, a.item_id) < max(position(person, i) for i in chosen)
            assert not has_room and not prefers, (
                f"{person.id} (rank {r}) envies {a.registrant_id}'s {a.item_id} (rank {rank[a.registrant_id]})")


@given(draws(), st.sampled_from(["1", "2026"]), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_people(inputs, seed, rnd: random.Random):
    shuffled = list(inputs.contestants)
    rnd.shuffle(shuffled)
    again = dataclasses.replace(inputs, contestants=tuple(shuffled))
    assert draw(again, seed).awards == draw(inputs, seed).awards
    assert again.fingerprint() == inputs.fingerprint()


@given(draws(), st.sampled_from(["1", "2026"]))
def test_the_audit_finds_nothing_wrong_in_what_the_draw_gives(inputs, seed):
    assert check_awards(inputs, seed, draw(inputs, seed).awards) == []


@given(draws())
def test_inputs_survive_their_stored_form(inputs):
    assert DrawInput.from_json(inputs.to_json()).to_json() == inputs.to_json()


def test_the_audit_names_a_winner_left_without_a_prize_while_someone_below_got_one():
    inputs = DrawInput((SPEAKER, TERMOS, BOOK), people(100, 90, 80, 70, 60, 40, 30))
    awards = [a for a in draw(inputs, "7").awards if a.registrant_id != "6"]
    found = check_awards(inputs, "7", awards)
    assert [(v.check, v.message) for v in found] == [
        ("no justified envy of prizes", "6 (rank 6) qualified for 'Книга' and had room for it, but it went to rank 7")]
    swapped = [a if a.registrant_id != "3" else dataclasses.replace(a, item_id="book")
               for a in draw(inputs, "7").awards]
    assert any("3 (rank 3) qualified for 'Термос' and preferred it to a prize of theirs" in v.message
               for v in check_awards(inputs, "7", swapped))
