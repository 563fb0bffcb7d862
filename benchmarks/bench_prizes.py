"""Benchmark of the prize draw: 50,000 and 200,000 registrants over a 1,000-item catalogue.

Run:  .venv/bin/python benchmarks/bench_prizes.py [--people 50000 200000] [--items 1000] [--season N]

Reports the wall time (best and median of ``--repeat`` runs) and the peak
traced memory (tracemalloc, in a second, traced run) of each stage of a draw,
and with ``--season N`` times the whole ``prizes draw`` against ``assign`` on
one season of N registrants (both commands end to end: reading the season,
solving, storing the run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from openmosprom_cli.prizes.audit import check_awards
from openmosprom_cli.prizes.draw import DrawInput, draw, ranking
from openmosprom_cli.prizes.records import Contestant, PrizeItem

T0 = dt.datetime(2026, 11, 1)


def make_items(count: int, *, seed: int) -> tuple[PrizeItem, ...]:
    """A catalogue like an organizer's, scaled up: a few top-N tiers, then score thresholds, some age limits."""
    rng = np.random.default_rng(seed)
    items = []
    tops = max(1, count // 20)
    for k in range(count):
        stock = int(rng.integers(1, 11))
        if k < tops:
            top_n, min_score = int(50 + 2000 * k / tops), None
        else:
            top_n, min_score = None, float(max(1, 300 - 300 * (k - tops) // (count - tops)))
        min_age = int(rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 14, 18]))
        items.append(PrizeItem(f"item{k:04d}", k + 1, f"Приз {k}", stock, top_n, min_score, min_age))
    return tuple(items)


def make_contestants(people: int, items: tuple[PrizeItem, ...], *, seed: int) -> tuple[Contestant, ...]:
    """Skewed scores with ties, 2 % without a registration time, minors, 30 % with preferences for popular items."""
    rng = np.random.default_rng(seed + 1)
    scores = np.floor(rng.exponential(40.0, size=people))
    seconds = rng.integers(0, 30 * 86400, size=people)
    missing = rng.random(people) < 0.02
    ages = rng.choice([0, 14, 18], size=people, p=[0.05, 0.1, 0.85])
    wanting = rng.random(people) < 0.3
    popularity = 1.0 / np.arange(1, len(items) + 1) ** 0.9
    popularity /= popularity.sum()
    picks = rng.choice(len(items), size=(people, 3), p=popularity)
    lengths = rng.integers(1, 4, size=people)
    ids = [i.item_id for i in items]
    return tuple(
        Contestant(str(100_000_000 + i * 7), float(scores[i]),
                   None if missing[i] else T0 + dt.timedelta(seconds=int(seconds[i])), int(ages[i]),
                   tuple(dict.fromkeys(ids[p] for p in picks[i, :lengths[i]])) if wanting[i] else ())
        for i in range(people))


def measure(fn: Callable[[], Any], *, repeat: int, trace: bool) -> tuple[Any, list[float], float | None]:
    """Wall times of ``repeat`` untraced runs; then the peak traced memory of one more (tracing slows it down)."""
    times = []
    value = None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    peak = None
    if trace:
        gc.collect()
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return value, times, peak


def row(stage: str, size: str, times: list[float], peak: float | None, note: str = "") -> tuple[str, ...]:
    return (stage, size, f"{min(times):.3f}", f"{statistics.median(times):.3f}",
            f"{peak:.0f}" if peak is not None else "–", note)


def draw_rows(people: int, n_items: int, *, seed: int, repeat: int, trace: bool) -> list[tuple[str, ...]]:
    items = make_items(n_items, seed=seed)
    contestants = make_contestants(people, items, seed=seed)
    inputs = DrawInput(items, contestants, max_per_person=1, on=dt.date(2026, 12, 1))
    size = f"{people:,} / {n_items:,} items ({sum(i.stock for i in items):,} in stock)"
    rows = []
    _, times, peak = measure(lambda: ranking(contestants, str(seed)), repeat=repeat, trace=trace)
    rows.append(row("ranking (points, time, lottery, ID)", size, times, peak))
    result, times, peak = measure(lambda: draw(inputs, str(seed)), repeat=repeat, trace=trace)
    rows.append(row("draw() end to end", size, times, peak,
                    f"{len(result.awards):,} prizes to {len({a.registrant_id for a in result.awards}):,} people"))
    _, times, peak = measure(inputs.canonical, repeat=repeat, trace=trace)
    rows.append(row("inputs to canonical JSON + fingerprint", size, times, peak, "what storing the draw adds"))
    found, times, peak = measure(lambda: check_awards(inputs, str(seed), result.awards), repeat=1, trace=trace)
    rows.append(row("audit's checks (no re-derivation)", size, times, peak, f"{len(found)} violations"))
    return rows


def season_rows(people: int, n_items: int, *, seed: int, repeat: int) -> list[tuple[str, ...]]:
    """``assign`` and ``prizes draw``, whole, on one season: reading it, solving, storing the run."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_allocation import make_instance  # type: ignore[import-not-found]

    from openmosprom_cli.allocation.runs import run_assignment
    from openmosprom_cli.models import Registrant
    from openmosprom_cli.prizes.runs import run_draw
    from openmosprom_cli.season.folder import init_season
    from openmosprom_cli.store.prizes import replace_items
    from openmosprom_cli.store.registrants import upsert_registrants
    from openmosprom_cli.store.sites import save_site
    from openmosprom_cli.store.tours import replace_tours

    instance = make_instance(people, max(36, people // 100), seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        season = init_season(Path(folder) / "season", year=2026)
        with season.transaction() as conn:
            for site in instance.sites:
                save_site(conn, site)
            replace_tours(conn, instance.tours)
            upsert_registrants(conn, (Registrant(a.id, f"Участник {a.id}", score=a.score, registered_at=a.registered_at,
                                                 birth_date=a.birth_date, choices=a.choices, companions=a.companions)
                                      for a in instance.applicants), now="2026-11-30T10:00:00")
            replace_items(conn, make_items(n_items, seed=seed), source_file="bench", at="2026-11-30T10:00:00")
        size = f"{people:,} registrants, {len(instance.tours):,} tours, {n_items:,} items"
        rows = []
        for name, fn in (("assign (whole command)", lambda: run_assignment(season)),
                         ("prizes draw (whole command)", lambda: run_draw(season, confirm=lambda losses: True))):
            _, times, _ = measure(fn, repeat=repeat, trace=False)
            rows.append(row(name, size, times, None))
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    headers = ("stage", "size", "best, s", "median, s", "peak, MB", "note")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(v.rjust(w) if i in (2, 3, 4) else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths,
                                                                                                strict=True))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=5, help="untraced runs of each stage (best and median)")
    parser.add_argument("--no-memory", action="store_true", help="skip the traced runs")
    parser.add_argument("--season", type=int, default=0, metavar="N",
                        help="also time `assign` and `prizes draw` whole on a season of N registrants")
    args = parser.parse_args(argv)
    rows: list[tuple[str, ...]] = []
    for people in args.people:
        rows += draw_rows(people, args.items, seed=args.seed, repeat=args.repeat, trace=not args.no_memory)
        gc.collect()
    if args.season:
        rows += season_rows(args.season, args.items, seed=args.seed, repeat=max(1, min(args.repeat, 3)))
    print(f"Prize draw benchmark, seed {args.seed}, Python {sys.version.split()[0]}, numpy {np.__version__}")
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
