"""The generation rules of issue 2, as properties over random candidate sets and on worked examples."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.models import Candidate, Site, Tour
from openmosprom_cli.tours.selection import GenerationParams, generate_tours

START = dt.date(2026, 12, 11)
END = dt.date(2026, 12, 18)
STARTS = [dt.time(9, 0), dt.time(10, 0), dt.time(10, 30), dt.time(12, 0), dt.time(13, 0), dt.time(15, 0)]
FLAGS = [(False, False)] * 16 + [(True, False), (False, True)]  # (pin, exclude), both rare


@st.composite
def scenarios(draw, max_sites=5, max_candidates=45, max_tours=18):
    n_sites = draw(st.integers(1, max_sites))
    sites = {f"site{i}": Site(f"site{i}", f"Площадка {i}", max_tours_per_day=draw(st.integers(1, 3)))
             for i in range(n_sites)}
    rows = draw(st.lists(st.tuples(st.sampled_from(sorted(sites)), st.integers(-2, 9), st.sampled_from(STARTS),
                                   st.sampled_from([60, 90, 120]), st.integers(10, 40), st.sampled_from(FLAGS)),
                         min_size=min(max_candidates, 3 * n_sites), max_size=max_candidates))
    candidates = {}
    for site_id, offset, start, duration, capacity, (pin, exclude) in rows:
        c = Candidate(site_id, START + dt.timedelta(days=offset), start, duration, capacity, pin=pin, exclude=exclude)
        candidates[c.tour_id] = c
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    params = GenerationParams(
        tours=draw(st.integers(1, max(1, min(max_tours, len(candidates) * 2 // 3)))),
        window_start=START, window_end=END,
        min_per_site=draw(st.integers(0, 3)), daily_limit=draw(st.none() | st.integers(1, 5)),
        blackout_dates=frozenset(draw(st.sets(st.sampled_from(days), max_size=2))),
        seed=draw(st.integers(0, 10_000)),
    )
    return sites, list(candidates.values()), params


def usable(candidates, params):
    return [c for c in candidates if params.window_start <= c.date <= params.window_end
            and c.date not in params.blackout_dates and not c.exclude]


def non_overlapping(group) -> bool:
    return not any(a.starts_at < b.ends_at and b.starts_at < a.ends_at for a, b in itertools.combinations(group, 2))


def most_per_site(site: Site, candidates, params) -> int:
    """Brute force: the most tours the site can have on its own (its pins kept), or -1 if its pins cannot all be."""
    total = 0
    by_day = defaultdict(list)
    for c in usable(candidates, params):
        if c.site_id == site.site_id:
            by_day[c.date].append(c)
    for group in by_day.values():
        pins = [c for c in group if c.pin]
        sizes = [len(subset) for r in range(len(group) + 1) for subset in itertools.combinations(group, r)
                 if all(p in subset for p in pins) and non_overlapping(subset) and r <= site.max_tours_per_day]
        if not sizes:
            return -1
        total += max(sizes)
    return total


def assert_obeys_rules(result, sites, candidates, params):
    by_id = {c.tour_id: c for c in candidates}
    tours = result.tours
    assert len({t.tour_id for t in tours}) == len(tours)
    for t in tours:
        c = by_id[t.tour_id]
        assert Tour.from_candidate(c) == t
        assert params.window_start <= t.date <= params.window_end and t.date not in params.blackout_dates
        assert not c.exclude
    assert {c.tour_id for c in candidates if c.pin} <= {t.tour_id for t in tours}
    for (site_id, _), n in Counter((t.site_id, t.date) for t in tours).items():
        assert n <= sites[site_id].max_tours_per_day
    if params.daily_limit is not None:
        assert max(Counter(t.date for t in tours).values(), default=0) <= params.daily_limit
    for site_id in sites:
        assert non_overlapping([t for t in tours if t.site_id == site_id])
        assert result.per_site[site_id] == sum(t.site_id == site_id for t in tours)
        assert result.per_site[site_id] >= min(params.min_per_site, most_per_site(sites[site_id], candidates, params))
    assert sum(result.per_day.values()) == len(tours)
    assert list(tours) == sorted(tours, key=lambda t: (t.date, t.start, t.site_id))


@given(scenarios())
def test_generated_tours_obey_every_rule_or_fail_with_a_reason(scenario):
    sites, candidates, params = scenario
    try:
        result = generate_tours(sites, candidates, params)
    except BadDataError as error:
        assert error.message
        return
    assert len(result.tours) == params.tours
    assert_obeys_rules(result, sites, candidates, params)


@settings(max_examples=120)
@given(scenarios(max_sites=3, max_candidates=9, max_tours=6), st.booleans())
def test_fails_exactly_when_no_valid_choice_exists(scenario, allow_fewer):
    """Brute force over every subset: the generator finds N tours whenever some valid choice of N exists,
    and with --allow-fewer as many as any valid choice can have."""
    sites, candidates, params = scenario
    params = GenerationParams(**{**params.__dict__, "allow_fewer": allow_fewer})
    pool = usable(candidates, params)
    pins = [c for c in candidates if c.pin]
    most = {s: most_per_site(site, candidates, params) for s, site in sites.items()}
    valid_sizes = set()
    if all(p in pool for p in pins) and min(most.values()) >= 0:
        for r in range(params.tours + 1):
            for subset in itertools.combinations(pool, r):
                counts = Counter(c.site_id for c in subset)
                daily = Counter(c.date for c in subset)
                if (all(p in subset for p in pins)
                        and all(counts[s] >= min(params.min_per_site, most[s]) for s in sites)
                        and all(n <= sites[s].max_tours_per_day
                                for (s, _), n in Counter((c.site_id, c.date) for c in subset).items())
                        and (params.daily_limit is None or max(daily.values(), default=0) <= params.daily_limit)
                        and all(non_overlapping([c for c in subset if c.site_id == s]) for s in sites)):
                    valid_sizes.add(r)
    try:
        result = generate_tours(sites, candidates, params)
    except BadDataError:
        assert (not valid_sizes) if allow_fewer else (params.tours not in valid_sizes)
        return
    assert len(result.tours) == (max(valid_sizes) if allow_fewer else params.tours)
    assert_obeys_rules(result, sites, candidates, params)


@given(scenarios(), st.data())
def test_same_inputs_give_the_same_tours_in_any_order(scenario, data):
    sites, candidates, params = scenario
    shuffled = data.draw(st.permutations(candidates))
    reversed_sites = dict(reversed(list(sites.items())))
    try:
        first = generate_tours(sites, candidates, params)
    except BadDataError as error:
        with pytest.raises(BadDataError) as again:
            generate_tours(reversed_sites, shuffled, params)
        assert again.value.message == error.message
        return
    assert generate_tours(reversed_sites, shuffled, params) == first
    assert generate_tours(sites, candidates, params) == first


@given(scenarios())
def test_each_site_uses_different_days_before_doubling_and_the_load_is_even(scenario):
    sites, candidates, params = scenario
    params = GenerationParams(**{**params.__dict__, "daily_limit": None})
    try:
        result = generate_tours(sites, candidates, params)
    except BadDataError:
        return
    pool = usable(candidates, params)
    x = Counter((t.site_id, t.date) for t in result.tours)
    load = Counter(t.date for t in result.tours)
    pinned = Counter((c.site_id, c.date) for c in pool if c.pin)

    def can_add(site_id, day) -> bool:
        """Could the site have one more tour on ``day`` (its pins kept, no overlaps, within its daily limit)?"""
        there = [c for c in pool if c.site_id == site_id and c.date == day]
        wanted = x[(site_id, day)] + 1
        return wanted <= sites[site_id].max_tours_per_day and any(
            non_overlapping(subset) and all(p in subset for p in there if p.pin)
            for subset in itertools.combinations(there, wanted))

    for (site_id, busy), n in x.items():
        if n <= pinned[(site_id, busy)]:
            continue
        for day in result.per_day:
            if day == busy or not can_add(site_id, day):
                continue
            # Different days first: a site has two on one day only if it cannot use a day it has fewer on.
            assert x[(site_id, day)] >= n - 1
            # Even load: no single tour could move to a day that is two or more tours quieter.
            assert not (load[day] + 2 <= load[busy] and x[(site_id, day)] + 1 <= n)


def site_with_days(site_id: str, capacity: int, days: int, *, per_day: int = 1) -> list[Candidate]:
    return [Candidate(site_id, START + dt.timedelta(days=i % 8), dt.time(10 + 2 * (i // 8), 0), 90, capacity)
            for i in range(days * per_day)]


def test_remaining_tours_are_shared_by_largest_remainder_of_seats_offered():
    # 10 tours, at least 1 each, leaves 7 to share by seats 600 : 300 : 100 → 4.2, 2.1, 0.7.
    # Floors give 4 + 2 + 0; the last tour goes to the largest remainder, C's 0.7.
    sites = {s: Site(s, s, max_tours_per_day=2) for s in "ABC"}
    candidates = site_with_days("A", 60, 10) + site_with_days("B", 30, 10) + site_with_days("C", 10, 10)
    params = GenerationParams(10, START, END, min_per_site=1)
    result = generate_tours(sites, candidates, params)
    assert result.per_site == {"A": 1 + 4, "B": 1 + 2, "C": 1 + 1}
    assert result.measure == "capacity"
    # Weights replace capacity as the measure of demand.
    weighted = generate_tours(sites, candidates, GenerationParams(10, START, END, min_per_site=1,
                                                                  weights={"A": 1, "B": 1, "C": 5}))
    assert weighted.per_site == {"A": 2, "B": 2, "C": 6} and weighted.measure == "weights"
    site_weighted = {s: Site(s, s, max_tours_per_day=2, weight=w) for s, w in zip("ABC", (1, 1, 5))}
    assert generate_tours(site_weighted, candidates, params).per_site == weighted.per_site


def test_a_capped_site_gives_its_share_to_the_others_in_proportion():
    # 11 tours, 1 each, 8 to share 1 : 1 : 2 → C's 1 + 4 passes its 3 candidates, so C gets 3
    # and the other 6 are shared 1 : 1.
    sites = {s: Site(s, s) for s in "ABC"}
    candidates = site_with_days("A", 20, 8) + site_with_days("B", 20, 8) + site_with_days("C", 20, 3)
    result = generate_tours(sites, candidates, GenerationParams(11, START, END, min_per_site=1,
                                                                weights={"A": 1, "B": 1, "C": 2}))
    assert result.per_site == {"A": 4, "B": 4, "C": 3}


def test_a_site_with_fewer_than_the_minimum_gets_all_it_has_with_a_warning():
    sites = {s: Site(s, s) for s in "AB"}
    candidates = site_with_days("A", 20, 8) + site_with_days("B", 20, 1)
    result = generate_tours(sites, candidates, GenerationParams(6, START, END, min_per_site=2))
    assert result.per_site == {"A": 5, "B": 1}
    assert any("B: 1 usable candidate(s), fewer than the minimum of 2" in w for w in result.warnings)


def test_tours_spread_over_days_and_keep_the_daily_load_even():
    sites = {s: Site(s, s, max_tours_per_day=3) for s in "ABCD"}
    candidates = [c for s in "ABCD" for c in site_with_days(s, 20, 8, per_day=3)]
    result = generate_tours(sites, candidates, GenerationParams(16, START, END, min_per_site=2))
    assert set(result.per_day.values()) == {2}
    per_site_day = Counter((t.site_id, t.date) for t in result.tours)
    assert set(per_site_day.values()) == {1}


def test_pins_are_kept_and_count_towards_the_site_share():
    sites = {s: Site(s, s, max_tours_per_day=2) for s in "AB"}
    pinned = Candidate("A", START, dt.time(16, 0), 60, 20, pin=True)
    excluded = Candidate("B", START, dt.time(16, 0), 60, 20, exclude=True)
    candidates = site_with_days("A", 20, 8) + site_with_days("B", 20, 8) + [pinned, excluded]
    result = generate_tours(sites, candidates, GenerationParams(4, START, END, min_per_site=2))
    ids = {t.tour_id for t in result.tours}
    assert pinned.tour_id in ids and excluded.tour_id not in ids
    assert result.per_site == {"A": 2, "B": 2}


@pytest.mark.parametrize("change, binding", [
    ({"window_end": START + dt.timedelta(days=1)}, "The rule that binds: the season window"),
    ({"blackout_dates": frozenset(START + dt.timedelta(days=i) for i in range(1, 8))},
     "The rule that binds: the blackout dates"),
    ({"daily_limit": 1}, "The rule that binds: the programme's daily limit"),
    ({"tours": 40}, "The rule that binds: the number of candidates"),
])
def test_failure_names_the_rule_that_binds(change, binding):
    sites = {s: Site(s, s, max_tours_per_day=2) for s in "AB"}
    candidates = site_with_days("A", 20, 8) + site_with_days("B", 20, 8)
    params = GenerationParams(**{**GenerationParams(12, START, END, min_per_site=1).__dict__, **change})
    with pytest.raises(BadDataError) as info:
        generate_tours(sites, candidates, params)
    assert binding in info.value.message
    assert "can be found" in info.value.message and "16 candidates of known sites exist" in info.value.message
    fewer = generate_tours(sites, candidates, GenerationParams(**{**params.__dict__, "allow_fewer": True}))
    assert 0 < len(fewer.tours) < params.tours
    assert any(binding in w for w in fewer.warnings)


def test_overlaps_and_site_daily_limits_are_named_when_they_bind():
    sites = {"A": Site("A", "A", max_tours_per_day=1)}
    same_time = [Candidate("A", START, dt.time(10, 0), 90, 20), Candidate("A", START, dt.time(10, 30), 90, 20)]
    with pytest.raises(BadDataError, match="binds: overlaps between tours of the same site"):
        generate_tours(sites, same_time, GenerationParams(2, START, END, min_per_site=0))
    apart = [Candidate("A", START, dt.time(10, 0), 90, 20), Candidate("A", START, dt.time(14, 0), 90, 20)]
    with pytest.raises(BadDataError, match="binds: the sites' limits of tours per day"):
        generate_tours(sites, apart, GenerationParams(2, START, END, min_per_site=0))


def test_pins_that_cannot_be_kept_are_each_reported():
    sites = {"A": Site("A", "A")}
    candidates = [
        Candidate("A", START, dt.time(10, 0), 90, 20, pin=True),
        Candidate("A", START, dt.time(11, 0), 90, 20, pin=True),
        Candidate("A", END + dt.timedelta(days=1), dt.time(10, 0), 90, 20, pin=True),
        Candidate("A", END, dt.time(10, 0), 90, 20, pin=True, exclude=True),
    ]
    with pytest.raises(BadDataError) as info:
        generate_tours(sites, candidates, GenerationParams(1, START, END, min_per_site=0))
    text = "\n".join(str(p) for p in info.value.problems)
    assert "A-1211-1100: is pinned and overlaps the pinned A-1211-1000" in text
    assert "A: 2 tours pinned on 11.12.2026, more than the site's limit of 1 a day" in text
    assert "A-1219-1000: is pinned but lies outside the window" in text
    assert "A-1218-1000: is both pinned and excluded" in text
    assert "2 tours are pinned, more than the 1 tours of the season" in text


def test_too_few_tours_for_the_minimum_per_site_is_an_error_even_with_allow_fewer():
    sites = {s: Site(s, s) for s in "ABC"}
    candidates = [c for s in "ABC" for c in site_with_days(s, 20, 4)]
    with pytest.raises(BadDataError, match="5 tours are too few.*needs 6"):
        generate_tours(sites, candidates, GenerationParams(5, START, END, min_per_site=2, allow_fewer=True))


def test_the_seed_breaks_ties_only():
    sites = {s: Site(s, s) for s in "AB"}
    candidates = site_with_days("A", 20, 8) + site_with_days("B", 20, 8)
    results = {generate_tours(sites, candidates, GenerationParams(4, START, END, seed=seed)).tours
               for seed in range(6)}
    assert len(results) > 1  # different seeds pick different but equally good days
    for tours in results:
        assert Counter(t.site_id for t in tours) == {"A": 2, "B": 2}


def test_a_site_gets_different_days_even_when_doubling_up_would_even_the_load():
    # B can only come twice on the 12th. A could take both its tours on the quieter 11th,
    # but the rule says different days first.
    sites = {"A": Site("A", "A", max_tours_per_day=2), "B": Site("B", "B", max_tours_per_day=2)}
    days = (START, START + dt.timedelta(days=1))
    candidates = ([Candidate("A", d, dt.time(h, 0), 90, 20) for d in days for h in (10, 14)]
                  + [Candidate("B", days[1], dt.time(h, 0), 90, 20) for h in (10, 14)])
    for seed in range(8):
        result = generate_tours(sites, candidates, GenerationParams(4, START, END, min_per_site=1, seed=seed,
                                                                    weights={"A": 1, "B": 3}))
        assert sorted(t.date.day for t in result.tours if t.site_id == "A") == [11, 12]


def test_the_daily_limit_moves_other_sites_tours_to_make_room():
    # B can only come on the 11th; with one tour a day, A must take the 12th whatever the seed prefers.
    sites = {s: Site(s, s) for s in "AB"}
    candidates = [Candidate("A", START, dt.time(10, 0), 90, 20),
                  Candidate("A", START + dt.timedelta(days=1), dt.time(10, 0), 90, 20),
                  Candidate("B", START, dt.time(10, 0), 90, 20)]
    for seed in range(8):
        result = generate_tours(sites, candidates, GenerationParams(2, START, END, min_per_site=1, daily_limit=1,
                                                                    seed=seed))
        assert {t.tour_id for t in result.tours} == {"A-1212-1000", "B-1211-1000"}


def test_a_programme_sized_season_has_an_even_daily_load():
    # 14 sites offering tours on most days: 36 tours over 12 days is exactly 3 a day.
    import random

    rng = random.Random(1)
    sites = {f"s{i:02}": Site(f"s{i:02}", f"Site {i}", max_tours_per_day=1 + i % 2) for i in range(14)}
    candidates = [Candidate(s, dt.date(2026, 12, d), dt.time(h, 0), 90, rng.randint(15, 40))
                  for s in sites for d in range(11, 23) for h in (10, 12, 14) if rng.random() < 0.4]
    for seed in range(5):
        result = generate_tours(sites, candidates, GenerationParams(36, dt.date(2026, 12, 11), dt.date(2026, 12, 22),
                                                                    seed=seed))
        assert set(result.per_day.values()) == {3}
        assert min(result.per_site.values()) >= 2


def test_every_rule_that_takes_tours_away_below_the_target_is_named():
    sites = {"A": Site("A", "A", max_tours_per_day=1)}
    candidates = [Candidate("A", START, dt.time(10, 0), 90, 20), Candidate("A", START, dt.time(10, 30), 90, 20),
                  Candidate("A", START, dt.time(14, 0), 90, 20)]
    with pytest.raises(BadDataError) as info:
        generate_tours(sites, candidates, GenerationParams(3, START, END, min_per_site=0))
    assert info.value.message.endswith("only 1 can be found: 3 candidates of known sites exist; "
                                       "3 lie inside the window 11.12.2026–18.12.2026; 3 are not on blackout dates; "
                                       "3 are not excluded; 2 remain once tours of the same site may not overlap; "
                                       "1 remain within each site's own limit of tours per day. The rules that bind: "
                                       "overlaps between tours of the same site, then the sites' limits of tours "
                                       "per day.")
