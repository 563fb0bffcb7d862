"""Choosing the season's tours out of the factories' candidates: pure and deterministic.

The choice runs in three steps.

1. *Counts per site.* Every site first gets its minimum (pins, then up to K),
   then the remaining tours go one at a time to the site furthest below its
   proportional share. Adding tours one by one to the largest shortfall is
   exactly the largest-remainder method; a site that reaches its cap drops out
   and its share is spread over the others in proportion to their weights.
2. *Days.* Each added tour goes to the day where that site has the fewest
   tours so far (different days first), then to the day with the fewest tours
   programme-wide. The programme's daily limit couples the sites: when a
   site's free days are all full, the tour is placed along an augmenting path
   that moves other sites' tours to days with room (a unit step of max-flow).
   Because the feasible count vectors form a polymatroid, this greedy never
   gets stuck while a solution exists, so a failure is a real impossibility.
   Finally tours move, along chains, from the busiest days to quieter ones
   wherever each moved site has room and its days stay as distinct as before.
3. *Candidates.* Within a site and day, pinned candidates are kept and the
   others are taken in seeded order, skipping any that would leave too few
   non-overlapping candidates to reach the day's count.

Input order never matters: candidates are sorted canonically first, and the
seed only orders what would otherwise tie.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from openmosprom_cli.errors import BadDataError, Location, Problem
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.models import Candidate, Site, Tour
from openmosprom_cli.tours.shortfall import Funnel, shortfall_reason

SiteDay = tuple[str, dt.date]


@dataclass(frozen=True)
class GenerationParams:
    tours: int
    window_start: dt.date
    window_end: dt.date
    min_per_site: int = 2
    daily_limit: int | None = None  # most tours on one day across the programme; None = no limit
    blackout_dates: frozenset[dt.date] = frozenset()
    seed: int | str = 0
    weights: Mapping[str, float] | None = None  # site_id -> weight; replaces capacity as the measure of demand
    allow_fewer: bool = False


@dataclass(frozen=True)
class GenerationResult:
    tours: tuple[Tour, ...]  # ordered by date, start, site
    requested: int
    per_site: Mapping[str, int]  # every site, including those with no tours
    per_day: Mapping[dt.date, int]  # every date of the window that is not a blackout date
    warnings: tuple[str, ...]
    candidates: int  # all candidates given
    usable: int  # inside the window, not on a blackout date, not excluded
    measure: str  # what the shares were proportional to: "capacity", "weights" or "site weights"


def generate_tours(sites: Mapping[str, Site], candidates: Sequence[Candidate],
                   params: GenerationParams) -> GenerationResult:
    """Pick ``params.tours`` tours by the season's rules.

    Raises :class:`BadDataError` with the reason when that is impossible.
    """
    _check_params(params)
    ordered = _canonical(candidates)
    warnings: list[str] = []
    site_ids = sorted(sites)
    days = [params.window_start + dt.timedelta(days=i)
            for i in range((params.window_end - params.window_start).days + 1)]
    open_days = [d for d in days if d not in params.blackout_dates]

    unknown = [c for c in ordered if c.site_id not in sites]
    if unknown:
        warnings.append(Msg("{count} candidate(s) belong to no known site and were ignored (e.g. {tour})",
                            count=len(unknown), tour=unknown[0].tour_id))
    known = [c for c in ordered if c.site_id in sites]
    in_window = [c for c in known if params.window_start <= c.date <= params.window_end]
    off_blackout = [c for c in in_window if c.date not in params.blackout_dates]
    usable = [c for c in off_blackout if not c.exclude]

    _check_pins(known, sites, params)
    pins = [c for c in usable if c.pin]

    by_site_day: dict[SiteDay, list[Candidate]] = defaultdict(list)
    for c in usable:
        by_site_day[(c.site_id, c.date)].append(c)
    room: dict[SiteDay, int] = {}
    overlap_free_total = 0
    for key, group in by_site_day.items():
        pinned = [c for c in group if c.pin]
        most = _most_compatible(pinned, [c for c in group if not c.pin])
        overlap_free_total += most
        room[key] = min(sites[key[0]].max_tours_per_day, most)
    floor = Counter((c.site_id, c.date) for c in pins)
    cap: Counter[str] = Counter()
    for (site_id, _day), n in room.items():
        cap[site_id] += n
    funnel = Funnel(len(ordered), len(unknown), len(in_window), len(off_blackout), len(usable),
                     overlap_free_total, sum(room.values()))

    pins_per_site = Counter(c.site_id for c in pins)
    minimum = {s: max(pins_per_site[s], min(params.min_per_site, cap[s])) for s in site_ids}
    usable_per_site = Counter(c.site_id for c in usable)
    for s in site_ids:
        if cap[s] < params.min_per_site:
            offered = usable_per_site[s]
            detail = (Msg("{count} usable candidate(s)", count=offered) if offered == cap[s]
                      else Msg("{count} usable candidate(s), of which only {fit} fit together", count=offered,
                               fit=cap[s]))
            warnings.append(Msg("{site}: {detail}, fewer than the minimum of {minimum}; it gets all it can ({cap})",
                                site=s, detail=detail, minimum=params.min_per_site, cap=cap[s]))
    if sum(minimum.values()) > params.tours:
        raise BadDataError(
            _("{tours} tours are too few: giving every site its minimum of {minimum} (or all it has, plus pinned "
              "tours) needs {needed}").format(tours=params.tours, minimum=params.min_per_site,
                                              needed=sum(minimum.values())),
            hint=_("Raise --tours or lower --min-per-site."))

    weights, measure = _weights(sites, usable, cap, params)
    site_rank = _seeded_ranks(site_ids, params.seed, "sites")
    day_rank = _seeded_ranks(open_days, params.seed, "days")
    counts = _DayCounts(room, floor, params.daily_limit, day_rank)

    # Minimums first, one tour per site per round so that no site crowds the early days.
    order = sorted(site_ids, key=site_rank.__getitem__)
    while needy := [s for s in order if counts.total[s] < minimum[s]]:
        added = [counts.add(s) for s in needy]  # every needy site gets its turn this round
        if not any(added):
            raise BadDataError(
                _("the programme's daily limit of {limit} tours leaves no room to give every site its minimum of "
                  "{minimum} tours ({sites} cannot get theirs)").format(limit=params.daily_limit,
                                                                       minimum=params.min_per_site,
                                                                       sites=", ".join(needy)),
                hint=_("Raise [slots] max_tours_per_day in season.toml, or lower --min-per-site."))

    blocked: dict[str, int] = {}
    shares = _ideal_shares(params.tours, minimum, cap, weights, blocked)
    while sum(counts.total.values()) < params.tours:
        active = [s for s in site_ids if counts.total[s] < cap[s] and s not in blocked]
        if not active:
            break
        site = min(active, key=lambda s: (counts.total[s] - shares[s], -weights[s], site_rank[s]))
        if not counts.add(site):
            blocked[site] = counts.total[site]
            if shares[site] - counts.total[site] >= 1:
                warnings.append(Msg("{site}: got {count} tours, fewer than its share of {share}, because of the "
                                    "programme's daily limit", site=site, count=counts.total[site],
                                    share=f"{float(shares[site]):.1f}"))
            shares = _ideal_shares(params.tours, minimum, cap, weights, blocked)

    chosen_count = sum(counts.total.values())
    if chosen_count < params.tours:
        reason = shortfall_reason(params, funnel, chosen_count)
        if not params.allow_fewer:
            raise BadDataError(reason, hint=_("Ask the factories for more candidates, widen the window, "
                                              "lower --tours, or pass --allow-fewer."))
        warnings.append(reason)

    counts.even_out()
    tours = []
    for key, n in counts.x.items():
        if n:
            tours.extend(_pick(by_site_day[key], n, params.seed))
    tours.sort(key=lambda t: (t.date, t.start, t.site_id))
    per_site = dict.fromkeys(site_ids, 0)
    per_day = dict.fromkeys(open_days, 0)
    for t in tours:
        per_site[t.site_id] += 1
        per_day[t.date] += 1
    return GenerationResult(tuple(tours), params.tours, per_site, per_day, tuple(warnings),
                            candidates=len(ordered), usable=len(usable), measure=measure)


# -- checks ------------------------------------------------------------------------------

def _check_params(params: GenerationParams) -> None:
    problems = []
    if params.tours < 1:
        problems.append(_("the number of tours must be at least 1, not {tours}").format(tours=params.tours))
    if params.min_per_site < 0:
        problems.append(_("the minimum per site cannot be negative ({minimum})").format(minimum=params.min_per_site))
    if params.window_end < params.window_start:
        problems.append(_("the window ends ({end}) before it starts ({start})").format(
            end=f"{params.window_end:%d.%m.%Y}", start=f"{params.window_start:%d.%m.%Y}"))
    if params.daily_limit is not None and params.daily_limit < 1:
        problems.append(_("the programme's daily limit must be at least 1, not {limit}").format(
            limit=params.daily_limit))
    if problems:
        raise BadDataError("; ".join(problems))


def _canonical(candidates: Iterable[Candidate]) -> list[Candidate]:
    ordered = sorted(candidates, key=lambda c: (c.site_id, c.date, c.start, c.duration_min, c.capacity, c.note,
                                                c.pin, c.exclude))
    counts = Counter(c.tour_id for c in ordered)
    duplicates = sorted(tour_id for tour_id, n in counts.items() if n > 1)
    if duplicates:
        raise BadDataError(_("candidate tour IDs appear more than once: {ids}").format(ids=", ".join(duplicates[:10])))
    return ordered


def _check_pins(known: list[Candidate], sites: Mapping[str, Site], params: GenerationParams) -> None:
    """Pinned tours must all be kept; say every reason one cannot be."""
    problems: list[Problem] = []
    window = f"{params.window_start:%d.%m.%Y}–{params.window_end:%d.%m.%Y}"

    def problem(tour_id: str, message: str) -> None:
        problems.append(Problem(Location(tour_id), message))

    kept = []
    for c in (c for c in known if c.pin):
        if c.exclude:
            problem(c.tour_id, Msg("is both pinned and excluded"))
        elif not params.window_start <= c.date <= params.window_end:
            problem(c.tour_id, Msg("is pinned but lies outside the window {window}", window=window))
        elif c.date in params.blackout_dates:
            problem(c.tour_id, Msg("is pinned but {day} is a blackout date", day=f"{c.date:%d.%m.%Y}"))
        else:
            kept.append(c)
    by_site: dict[str, list[Candidate]] = defaultdict(list)
    for c in kept:
        by_site[c.site_id].append(c)
    for site_id, group in by_site.items():
        group.sort(key=lambda c: c.starts_at)
        for a, b in zip(group, group[1:]):
            if a.overlaps(b):
                problem(b.tour_id, Msg("is pinned and overlaps the pinned {tour}", tour=a.tour_id))
        per_day = Counter(c.date for c in group)
        limit = sites[site_id].max_tours_per_day
        for day, n in sorted(per_day.items()):
            if n > limit:
                problem(site_id, Msg("{count} tours pinned on {day}, more than the site's limit of {limit} a day",
                                     count=n, day=f"{day:%d.%m.%Y}", limit=limit))
    if params.daily_limit is not None:
        for day, n in sorted(Counter(c.date for c in kept).items()):
            if n > params.daily_limit:
                problem(f"{day:%d.%m.%Y}", Msg("{count} tours pinned, more than the programme's daily limit of "
                                               "{limit}", count=n, limit=params.daily_limit))
    if len(kept) > params.tours:
        problems.append(Problem(Location(Msg("pins")), Msg("{count} tours are pinned, more than the {tours} tours of "
                                                           "the season", count=len(kept), tours=params.tours)))
    if problems:
        raise BadDataError(ngettext("the pinned tours cannot all be kept ({count} problem)",
                                    "the pinned tours cannot all be kept ({count} problems)", len(problems)).format(
                               count=len(problems)), problems,
                           hint=_("Unpin tours (Закрепить = нет) or change the season's settings."))


# -- shares ------------------------------------------------------------------------------

def _weights(sites: Mapping[str, Site], usable: list[Candidate], cap: Counter,
             params: GenerationParams) -> tuple[dict[str, Fraction], str]:
    """Each site's measure of demand: the weights given, else the sites' own weights, else seats offered."""
    needed = [s for s in sorted(sites) if cap[s] > 0]
    if params.weights is not None:
        source, measure = params.weights, "weights"
        missing = [s for s in needed if s not in source]
        if missing:
            raise BadDataError(_("no weight given for the site(s) {sites}").format(sites=", ".join(missing)))
    elif any(sites[s].weight is not None for s in sites):
        source = {s: site.weight for s, site in sites.items() if site.weight is not None}
        measure = "site weights"
        missing = [s for s in needed if s not in source]
        if missing:
            raise BadDataError(_("some sites have a weight and {sites} do not; give every site a weight, or none to "
                                 "share by capacity").format(sites=", ".join(missing)))
    else:
        seats: Counter[str] = Counter()
        for c in usable:
            seats[c.site_id] += c.capacity
        return {s: Fraction(seats[s]) for s in sites}, "capacity"
    weights = {}
    for s in sites:
        value = source.get(s, 0)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
            raise BadDataError(_("the weight of {site} must be a number of at least 0, not {value}").format(
                site=s, value=repr(value)))
        weights[s] = Fraction(value)
    return weights, measure


def _ideal_shares(total: int, minimum: Mapping[str, int], cap: Mapping[str, int],
                  weights: Mapping[str, Fraction], blocked: Mapping[str, int]) -> dict[str, Fraction]:
    """Each site's exact share of ``total``: its minimum plus the rest in proportion to weight.

    Sites whose share would pass their cap (or that are ``blocked`` at their
    current count) are fixed there, and the rest is shared again among the others.
    """
    fixed: dict[str, Fraction] = {s: Fraction(n) for s, n in blocked.items()}
    while True:
        free = [s for s in minimum if s not in fixed]
        if not free:
            return fixed
        budget = total - sum(fixed.values()) - sum(minimum[s] for s in free)
        weight_sum = sum(weights[s] for s in free)
        shares = {s: minimum[s] + (budget * weights[s] / weight_sum if weight_sum else Fraction(budget, len(free)))
                  for s in free}
        over = [s for s in free if shares[s] >= cap[s]]
        if not over:
            return {**fixed, **shares}
        for s in over:
            fixed[s] = Fraction(cap[s])


def _seeded_ranks(items: Sequence, seed: int | str, purpose: str) -> dict:
    shuffled = list(items)
    random.Random(f"{seed}/{purpose}").shuffle(shuffled)
    return {item: i for i, item in enumerate(shuffled)}


# -- days ------------------------------------------------------------------------------------

class _DayCounts:
    """How many tours each site has on each day, kept within every limit.

    ``room`` is the most a site can have on a day (its daily limit, and no
    overlaps); ``floor`` the pinned tours that must stay there.
    """

    def __init__(self, room: Mapping[SiteDay, int], floor: Mapping[SiteDay, int], daily_limit: int | None,
                 day_rank: Mapping[dt.date, int]):
        self.room = room
        self.floor = floor
        self.daily_limit = daily_limit
        self.day_rank = day_rank
        self.x: dict[SiteDay, int] = {key: floor.get(key, 0) for key in sorted(room)}
        self.load: Counter = Counter()
        self.total: Counter = Counter()
        self.days_of: dict[str, list[dt.date]] = defaultdict(list)
        self.sites_on: dict[dt.date, list[str]] = defaultdict(list)
        for (site_id, day), n in self.x.items():
            self.load[day] += n
            self.total[site_id] += n
            self.days_of[site_id].append(day)
            self.sites_on[day].append(site_id)

    def _has_room(self, site_id: str, day: dt.date) -> bool:
        return self.x[(site_id, day)] < self.room[(site_id, day)]

    def _day_open(self, day: dt.date) -> bool:
        return self.daily_limit is None or self.load[day] < self.daily_limit

    def _preferred_days(self, site_id: str) -> list[dt.date]:
        # Different days first, then the least busy day programme-wide.
        return sorted(self.days_of[site_id], key=lambda d: (self.x[(site_id, d)], self.load[d], self.day_rank[d], d))

    def add(self, site_id: str) -> bool:
        """Give ``site_id`` one more tour, moving other sites' tours if the daily limit requires.

        False when that is impossible.
        """
        reached_day: dict[dt.date, str] = {}
        reached_site: dict[str, dt.date] = {}
        queue = [site_id]
        seen_sites = {site_id}
        while queue:
            current = queue.pop(0)
            for day in self._preferred_days(current):
                if day in reached_day or not self._has_room(current, day):
                    continue
                reached_day[day] = current
                if self._day_open(day):
                    self._apply(site_id, day, reached_day, reached_site)
                    return True
                for other in self.sites_on[day]:
                    if other not in seen_sites and self.x[(other, day)] > self.floor.get((other, day), 0):
                        seen_sites.add(other)
                        reached_site[other] = day
                        queue.append(other)
        return False

    def even_out(self) -> None:
        """Move tours from the busiest days to days at least two tours quieter, along chains of single moves.

        A move takes one tour of a site from one day to another where the site
        has room and fewer tours, so its days never get less distinct. Only the
        chain's two ends change load, so each chain lowers the sum of squared
        daily loads and this ends.
        """
        while any(self._shorten_busiest(day) for day in sorted(self.load, key=lambda d: (-self.load[d], d))):
            pass

    def _moves_from(self, day: dt.date):
        for site_id in self.sites_on[day]:
            n = self.x[(site_id, day)]
            if n <= self.floor.get((site_id, day), 0):
                continue
            for other in self._preferred_days(site_id):
                if other != day and self.x[(site_id, other)] + 1 <= n and self._has_room(site_id, other):
                    yield site_id, other

    def _shorten_busiest(self, busy: dt.date) -> bool:
        came_from: dict[dt.date, tuple[str, dt.date]] = {}
        queue = [busy]
        while queue:
            day = queue.pop(0)
            for site_id, other in self._moves_from(day):
                if other == busy or other in came_from:
                    continue
                came_from[other] = (site_id, day)
                if self.load[other] + 2 <= self.load[busy]:
                    self.load[busy] -= 1
                    self.load[other] += 1
                    while other != busy:
                        site_id, source = came_from[other]
                        self.x[(site_id, source)] -= 1
                        self.x[(site_id, other)] += 1
                        other = source
                    return True
                queue.append(other)
        return False

    def _apply(self, site_id: str, end_day: dt.date, reached_day: dict, reached_site: dict) -> None:
        day = end_day
        mover = reached_day[day]
        self.x[(mover, day)] += 1
        while mover != site_id:
            day = reached_site[mover]
            self.x[(mover, day)] -= 1
            mover = reached_day[day]
            self.x[(mover, day)] += 1
        self.load[end_day] += 1
        self.total[site_id] += 1


# -- candidates within a site and day ---------------------------------------------------------

def _most_compatible(fixed: Sequence[Candidate], others: Iterable[Candidate]) -> int:
    """How many tours fit together on one day of one site, keeping all of ``fixed``.

    Earliest-ending first is optimal for interval scheduling.
    """
    chosen = list(fixed)
    count = len(chosen)
    last_end: dt.datetime | None = None
    for c in sorted((c for c in others if not any(c.overlaps(f) for f in fixed)),
                    key=lambda c: (c.ends_at, c.starts_at)):
        if last_end is None or c.starts_at >= last_end:
            count += 1
            last_end = c.ends_at
    return count


def _pick(group: Sequence[Candidate], n: int, seed: int | str) -> list[Tour]:
    """``n`` non-overlapping tours of one site and day: the pinned ones, the rest in seeded order."""
    chosen = [c for c in group if c.pin]
    others = [c for c in group if not c.pin]
    first = group[0]
    random.Random(f"{seed}/{first.site_id}/{first.date.isoformat()}").shuffle(others)
    for c in others:
        if len(chosen) >= n:
            break
        if any(c.overlaps(k) for k in chosen):
            continue
        trial = [*chosen, c]
        if _most_compatible(trial, [o for o in others if o not in trial]) >= n:
            chosen = trial
    return [Tour.from_candidate(c) for c in chosen]
