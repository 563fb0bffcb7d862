"""Benchmark of the allocation: 1,000,000 registrants × 5 choices over 2,000 tours.

Run (from the repository root, with the project's virtual environment active):
      python benchmarks/bench_allocation.py [--people N] [--tours T] [--seed S]

Reports the time and peak traced memory (tracemalloc, measured in a second,
traced run) of each stage, the reference solver on a smaller instance, and
the ``matching`` library's hospital–resident solver on a 10,000-person
instance without companions or age rules, whose result must equal ours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from openmosprom_cli.allocation.columns import in_priority_order, read_input_columns
from openmosprom_cli.allocation.inputs import AllocationInput, Applicant, check_inputs
from openmosprom_cli.allocation.priority import priority_indices, priority_order
from openmosprom_cli.allocation.reference import allocate_reference
from openmosprom_cli.allocation.result import AllocationResult, derive_waitlist
from openmosprom_cli.allocation.solver import allocate, solve
from openmosprom_cli.models import Site, Tour, make_tour_id

WINDOW_START = dt.date(2026, 12, 11)
DAYS = 12
STARTS = [dt.time(h, m) for h in range(9, 18) for m in (0, 30)]


def make_instance(people: int, tours: int, *, seed: int, choices: int = 5, simple: bool = False) -> AllocationInput:
    """A season-like instance: popular sites, skewed scores with ties, minors, passports, companions.

    ``simple`` drops companions, age, passport and citizenship rules and site
    choices: the setting in which the hospital–resident model applies.
    """
    rng = np.random.default_rng(seed)
    n_sites = max(1, tours // 10)
    sites = []
    for i in range(n_sites):
        roll = rng.random()
        sites.append(Site(
            site_id=f"site{i:04d}", name=f"Завод {i}",
            min_age=0 if simple else (18 if roll < 0.05 else 14 if roll < 0.15 else 0),
            passport_required=not simple and 0.15 <= roll < 0.20,
            citizens_only=not simple and 0.18 <= roll < 0.25,
        ))
    tour_list: list[Tour] = []
    seen: set[str] = set()
    site_of_tour = rng.integers(0, n_sites, size=tours * 2)
    for s in site_of_tour:
        if len(tour_list) == tours:
            break
        site = sites[int(s)]
        day = WINDOW_START + dt.timedelta(days=int(rng.integers(0, DAYS)))
        start = STARTS[int(rng.integers(0, len(STARTS)))]
        tour_id = make_tour_id(site.site_id, day, start)
        if tour_id in seen:
            continue
        seen.add(tour_id)
        tour_list.append(Tour(tour_id, site.site_id, day, start, 90, int(rng.integers(10, 41))))
    used_sites = {t.site_id for t in tour_list}
    sites = [s for s in sites if s.site_id in used_sites]

    # Popularity: a few tours draw most of the demand (Zipf-like weights).
    popularity = 1.0 / np.arange(1, len(tour_list) + 1) ** 0.8
    popularity = rng.permutation(popularity / popularity.sum())
    picks = rng.choice(len(tour_list), size=(people, choices), p=popularity)
    tour_ids = np.array([t.tour_id for t in tour_list], dtype=object)
    tokens = tour_ids[picks]
    if not simple:
        site_ids = np.array([t.site_id for t in tour_list], dtype=object)
        as_site = rng.random((people, choices)) < 0.15
        tokens = np.where(as_site, site_ids[picks], tokens)
    counts = rng.integers(1, choices + 1, size=people)
    scores = np.floor(rng.exponential(30.0, size=people))
    seconds = rng.integers(0, 30 * 86400, size=people)
    registered_missing = rng.random(people) < 0.02
    birth_days = rng.integers(0, 65 * 365, size=people)
    birth_missing = rng.random(people) < 0.05
    companions = np.zeros(people, dtype=int) if simple else rng.choice([0, 1, 2], size=people, p=[0.7, 0.2, 0.1])
    passports = rng.random(people) < 0.4
    citizens = rng.random(people) < 0.95
    base_time = dt.datetime(2026, 11, 1)
    base_birth = dt.date(1950, 1, 1)

    applicants = []
    for i in range(people):
        row = tokens[i, :counts[i]].tolist()
        if simple:
            row = list(dict.fromkeys(row))
        applicants.append(Applicant(
            id=str(100_000_000 + i * 7),
            score=float(scores[i]),
            registered_at=None if registered_missing[i] else base_time + dt.timedelta(seconds=int(seconds[i])),
            birth_date=(None if birth_missing[i] and not simple
                        else base_birth + dt.timedelta(days=int(birth_days[i]))),
            companions=int(companions[i]),
            has_passport=bool(passports[i]),
            is_citizen=bool(citizens[i]),
            choices=tuple(row),
        ))
    return AllocationInput(tuple(tour_list), tuple(sites), tuple(applicants), 1)


@dataclass
class Row:
    stage: str
    size: str
    seconds: float
    peak_mb: float | None
    note: str = ""


def measure(fn: Callable[[], Any], *, trace: bool = True) -> tuple[Any, float, float | None]:
    """Time one untraced run; then the peak traced memory of a second run (tracing slows it down)."""
    gc.collect()
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    if not trace:
        return value, seconds, None
    del value
    gc.collect()
    tracemalloc.start()
    value = fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return value, seconds, peak


def matching_solve(inputs: AllocationInput, seed: str) -> dict[str, str]:
    """The `matching` library's resident-optimal hospital–resident solution under our common priority."""
    from matching.games import HospitalResident

    order = priority_order(inputs.applicants, seed)
    resident_prefs = {a.id: list(a.choices) for a in inputs.applicants if a.choices}
    hospital_prefs: dict[str, list[str]] = {t.tour_id: [] for t in inputs.tours}
    for rid in order:
        for tour_id in resident_prefs.get(rid, ()):
            hospital_prefs[tour_id].append(rid)
    hospital_prefs = {tour_id: ranked for tour_id, ranked in hospital_prefs.items() if ranked}
    capacities = {t.tour_id: t.capacity for t in inputs.tours if t.tour_id in hospital_prefs}
    game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
    solution = game.solve(optimal="resident")
    return {resident.name: hospital.name for hospital, residents in solution.items() for resident in residents}


def ours_as_pairs(result: AllocationResult) -> dict[str, str]:
    return {p.registrant_id: p.tour_id for p in result.placements()}


def print_table(rows: list[Row]) -> None:
    headers = ("stage", "size", "time, s", "peak, MB", "note")
    cells = [(r.stage, r.size, f"{r.seconds:.3f}", f"{r.peak_mb:.0f}" if r.peak_mb is not None else "–", r.note)
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(v.ljust(w) if i in (0, 1, 4) else v.rjust(w)
                        for i, (v, w) in enumerate(zip(c, widths, strict=True))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--tours", type=int, default=2_000)
    parser.add_argument("--reference-people", type=int, default=100_000)
    parser.add_argument("--matching-people", type=int, default=10_000)
    parser.add_argument("--seed", default="2026")
    parser.add_argument("--no-memory", action="store_true", help="skip the traced second runs")
    parser.add_argument("--repeat", type=int, default=5, help="runs of allocate() end to end (best and median)")
    args = parser.parse_args(argv)
    # Each stage group in its own function: what it built is freed before the next one starts.
    rows = stage_rows(args)
    gc.collect()
    rows += reference_rows(args)
    rows += matching_rows(args)
    print(f"Allocation benchmark, seed {args.seed!r}, Python {sys.version.split()[0]}, numpy {np.__version__}")
    print_table(rows)
    return 0


def stage_rows(args: argparse.Namespace) -> list[Row]:
    """Each stage of one allocation of the large instance, then allocate() end to end."""
    trace = not args.no_memory
    seed = args.seed
    rows: list[Row] = []
    size = f"{args.people:,} × 5 / {args.tours:,} tours"

    inputs, seconds, peak = measure(lambda: make_instance(args.people, args.tours, seed=1), trace=trace)
    rows.append(Row("build inputs (records)", size, seconds, peak))

    applicants = inputs.applicants
    rows += separate_stage_rows(inputs, seed, size, trace=trace)
    gc.collect()

    # A fresh AllocationInput per run (sharing the records), so that no run reuses the columns an
    # earlier one read: this is the time of one allocation of new inputs.
    def cold() -> AllocationResult:
        return allocate(AllocationInput(inputs.tours, inputs.sites, applicants, inputs.max_tours_per_person),
                        seed=seed)

    allocated, seconds, peak = measure(cold, trace=trace)
    times = [seconds]
    for _ in range(args.repeat - 1):
        times.append(measure(cold, trace=False)[1])
    times.sort()
    rows.append(Row("allocate() end to end", size, times[0], peak,
                    f"best of {len(times)}, median {times[len(times) // 2]:.3f} s; new inputs each run"))
    seconds, peak = measure(lambda: allocate(allocated.inputs, seed=seed), trace=trace)[1:]
    rows.append(Row("allocate() again, same inputs", size, seconds, peak, "columns already read"))
    waitlist, seconds, peak = measure(lambda: derive_waitlist(allocated), trace=trace)
    rows.append(Row("waitlists (derived after)", size, seconds, peak, f"{len(waitlist[0]):,} entries"))
    return rows


def separate_stage_rows(inputs: AllocationInput, seed: str, size: str, *, trace: bool) -> list[Row]:
    """The stages of allocate(), one by one."""
    rows: list[Row] = []
    applicants = inputs.applicants
    _, seconds, peak = measure(lambda: check_inputs(inputs), trace=trace)
    rows.append(Row("checking the inputs", size, seconds, peak, "unique IDs, known sites"))

    read, seconds, peak = measure(lambda: read_input_columns(inputs), trace=trace)
    rows.append(Row("columns (records → arrays)", size, seconds, peak, "once per AllocationInput"))

    order, seconds, peak = measure(lambda: priority_indices(applicants, seed, read.priority), trace=trace)
    rows.append(Row("priority order", size, seconds, peak))

    columns, seconds, peak = measure(lambda: in_priority_order(read, order), trace=trace)
    rows.append(Row("columns in priority order", size, seconds, peak))

    result, seconds, peak = measure(lambda: solve(inputs, seed, read.tours, order, columns), trace=trace)
    rows.append(Row("solving (serial dictatorship)", size, seconds, peak,
                    f"{len(result.placements()):,} people placed"))
    return rows


def reference_rows(args: argparse.Namespace) -> list[Row]:
    """The fast and the reference solver on a smaller instance; their results must be equal."""
    seed = args.seed
    small = make_instance(args.reference_people, max(20, args.tours * args.reference_people // args.people),
                          seed=2)
    small_size = f"{args.reference_people:,} × 5 / {len(small.tours):,} tours"
    fast, fast_s, _ = measure(lambda: allocate(small, seed=seed), trace=False)
    reference, reference_s, _ = measure(lambda: allocate_reference(small, seed=seed), trace=False)
    assert reference.same_as(fast), "the reference and fast solvers disagree"
    return [Row("allocate() (fast)", small_size, fast_s, None),
            Row("allocate_reference()", small_size, reference_s, None,
                f"equal to fast; {reference_s / fast_s:.1f}× slower")]


def matching_rows(args: argparse.Namespace) -> list[Row]:
    """Ours and the matching library's on a simple instance; their results must be equal."""
    seed = args.seed
    simple = make_instance(args.matching_people, max(20, args.tours * args.matching_people // args.people),
                           seed=3, simple=True)
    simple_size = f"{args.matching_people:,} × ≤5 / {len(simple.tours):,} tours"
    ours, ours_s, _ = measure(lambda: allocate(simple, seed=seed), trace=False)
    theirs, theirs_s, _ = measure(lambda: matching_solve(simple, seed), trace=False)
    assert ours_as_pairs(ours) == theirs, "our allocation differs from the matching library's"
    return [Row("allocate() (ours)", simple_size, ours_s, None, "no companions or age rules"),
            Row("matching HospitalResident", simple_size, theirs_s, None,
                f"same result; {theirs_s / ours_s:.0f}× our time")]


if __name__ == "__main__":
    raise SystemExit(main())
