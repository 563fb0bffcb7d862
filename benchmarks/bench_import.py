"""Benchmark of the registrant import: a 100,000-row VK export, as CSV and as .xlsx.

Run (from the repository root, with the project's virtual environment active):
      python benchmarks/bench_import.py [--rows N] [--seed S] [--formats csv xlsx] [--keep DIR]

Targets (issue 3): importing a 100,000-row CSV into a season in under 3 s, an
.xlsx in under 4 s. The export comes from ``sample_registrants`` (its six
deliberate mistakes included, so the import runs with ``--skip-invalid`` and
writes the rejected-rows workbook, as the demo does). For each format it
reports, into a fresh season:

- the first import (everyone added) and a re-import of the same file (everyone
  unchanged), wall time and CPU time of this process;
- the peak memory traced by ``tracemalloc`` in a separate, traced run (tracing
  slows Python down, so its time is not reported), and the process's peak RSS.

The machine's load average is printed too: on a 2-core machine, other
processes inflate wall times, and CPU times a little.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path

from openmosprom_cli.demo.sample_registrants import (
    generate_registrant_columns,
    generate_registrant_rows,
    write_registrant_export,
)
from openmosprom_cli.models import Site, Tour, make_tour_id
from openmosprom_cli.registrants.importer import import_registrants
from openmosprom_cli.season.folder import Season, init_season
from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours

TARGETS_S = {"csv": 3.0, "xlsx": 4.0}


def published_season(folder: Path, sites: list[Site], tours: list[Tour]) -> Season:
    season = init_season(folder, year=2026)
    with season.transaction() as conn:
        for site in sites:
            save_site(conn, site)
        replace_tours(conn, tours)
    return season


def season_like_tours() -> tuple[list[Site], list[Tour]]:
    """14 factories, 36 tours over 11–22 December, as in the programme's announcement."""
    sites = [Site(f"site{i:02d}", f"Завод {i}", min_age=(14 if i % 4 == 0 else 0), passport_required=i in (3, 7),
                  citizens_only=i == 7) for i in range(14)]
    tours = []
    for n in range(36):
        site = sites[n % 14]
        date = dt.date(2026, 12, 11 + (n * 5) % 12)
        start = dt.time(10 + (n % 4) * 2, 0)
        tours.append(Tour(make_tour_id(site.site_id, date, start), site.site_id, date, start, 90, 25))
    return sites, tours


def timed(fn):
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def traced_peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def _spread(times: list[tuple[float, float]]) -> str:
    """Best (and, over several runs, median) wall and CPU seconds."""
    best_wall, best_cpu = min(w for w, _ in times), min(c for _, c in times)
    if len(times) == 1:
        return f"{best_wall:.2f} s wall, {best_cpu:.2f} s CPU"
    median_wall = statistics.median(w for w, _ in times)
    median_cpu = statistics.median(c for _, c in times)
    return (f"best {best_wall:.2f} s wall, {best_cpu:.2f} s CPU; median {median_wall:.2f} s wall, "
            f"{median_cpu:.2f} s CPU over {len(times)} runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the export (default 100,000)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the synthetic export")
    parser.add_argument("--formats", nargs="+", choices=("csv", "xlsx"), default=["csv", "xlsx"])
    parser.add_argument("--no-memory", action="store_true", help="skip the traced runs (faster)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the generated exports in DIR and reuse them (writing the .xlsx takes ~25 s)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="import each file N times into fresh seasons; report the best and the median")
    parser.add_argument("--generate", type=int, default=0, metavar="N",
                        help="also time generating an N-row export in memory (e.g. 1000000)")
    args = parser.parse_args(argv)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    sites, tours = season_like_tours()
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    exports = args.keep or work
    exports.mkdir(parents=True, exist_ok=True)
    failed = False
    try:
        rows = None
        for fmt in args.formats:
            path = exports / f"vk-export-{args.rows}-{args.seed}.{fmt}"
            if not path.exists():
                if rows is None:
                    rows, wall, _ = timed(lambda: generate_registrant_rows(tours, sites, args.rows, seed=args.seed))
                    print(f"generate {args.rows:,} rows: {wall:.2f} s")
                _, wall, _ = timed(partial(write_registrant_export, path, rows))
                print(f"write {path.name} ({path.stat().st_size / 1e6:.1f} MB): {wall:.2f} s")
            firsts, agains = [], []
            for attempt in range(args.repeat):
                season = published_season(work / f"season-{fmt}-{attempt}", sites, tours)
                report, wall, cpu = timed(partial(import_registrants, season, path, skip_invalid=True))
                again, wall2, cpu2 = timed(partial(import_registrants, season, path, skip_invalid=True))
                firsts.append((wall, cpu))
                agains.append((wall2, cpu2))
                shutil.rmtree(season.path, ignore_errors=True)
            target = TARGETS_S[fmt]
            wall, cpu = min(firsts)
            verdict = "OK" if wall < target else "over target"
            failed |= wall >= target
            print(f"  import {fmt}: {_spread(firsts)} (target < {target:g} s: {verdict}); "
                  f"{report.added:,} added, {len(report.rejected)} rejected")
            print(f"  re-import {fmt}: {_spread(agains)}; {again.unchanged:,} unchanged")
            if not args.no_memory:
                fresh = published_season(work / f"season-{fmt}-traced", sites, tours)
                peak = traced_peak_mb(partial(import_registrants, fresh, path, skip_invalid=True))
                print(f"  import {fmt}: peak traced memory {peak:.0f} MB")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {rss:.0f} MB")
        if args.generate:
            del rows
            columns, wall, _ = timed(lambda: generate_registrant_columns(tours, sites, args.generate, seed=args.seed))
            print(f"generate {args.generate:,} rows as columns: {wall:.2f} s")
            del columns
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
