"""Benchmark of after the tours: importing 200 returned rosters, and the report of a 200,000-registrant season.

Run:  .venv/bin/python benchmarks/bench_after.py [--rosters 200] [--people 200000] [--repeat 3] [--keep DIR]

Targets (issue 14):

- ``attendance import`` of 200 returned rosters takes at most 5 s;
- ``report`` on a 200,000-registrant season takes at most 5 s and 800 MB.

**Attendance.** A season of ``--rosters`` sites with one tour of 40 seats
each and 2 registrants per seat, allocated; its rosters exported, then
returned as a factory would: opened and saved again by openpyxl (another
program's bytes), every tour's rows shuffled, 55 % ticked present in assorted
spellings, 25 % absent, the rest left empty. Timed: ``import_attendance`` of
all the files at once with ``--unmarked-absent`` (each repeat replaces the
same tours' marks), wall and CPU of this process; then the peak traced memory.

**Report.** A season like issue 11's (60 sites, 200 tours) with ``--people``
registrants, five choices each; allocated, published, 1 % of the placed
cancelled and the seats given again by an incremental run (promotions), and
every tour's attendance marked. Timed: ``write_season_report`` in this
process (best and median of ``--repeat``), its peak traced memory, and the
whole ``openmosprom report`` command in a fresh process: wall time and peak
RSS (the interpreter and the imports included), which is what the 800 MB
target is about.

The machine's load average is printed: on a shared 2-core machine other jobs
inflate wall times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import openpyxl

from openmosprom_cli.allocation.runs import run_assignment
from openmosprom_cli.attendance.importer import import_attendance
from openmosprom_cli.changes.people import cancel_registrants
from openmosprom_cli.demo.sample_registrants import generate_registrant_rows, write_registrant_export
from openmosprom_cli.models import Site, Tour, make_tour_id
from openmosprom_cli.publication.publish import publish
from openmosprom_cli.registrants.importer import import_registrants
from openmosprom_cli.report.build import write_season_report
from openmosprom_cli.rosters.export import export_rosters
from openmosprom_cli.rosters.workbooks import CHECK_IN_HEADER, CODE_HEADER, GUESTS_CAME_HEADER
from openmosprom_cli.season.folder import Season, init_season
from openmosprom_cli.store.attendance import MarkRow, replace_tour_marks
from openmosprom_cli.store.sites import save_site
from openmosprom_cli.store.tours import replace_tours

TODAY = "2026-11-30"        # before the tours: the allocation gives every seat (no list is frozen yet)
ATTENDANCE_TARGET_S = 5.0
REPORT_TARGET_S = 5.0
REPORT_TARGET_MB = 800
PRESENT_SPELLINGS = ("+", "да", "1", "✓", "х", "v", "пришёл", "Присутствовал")
ABSENT_SPELLINGS = ("-", "нет", "0", "не пришёл")


def season_with(folder: Path, sites: list[Site], tours: list[Tour], people: int, seed: int) -> Season:
    season = init_season(folder, year=2026)
    with season.transaction() as conn:
        for site in sites:
            save_site(conn, site)
        replace_tours(conn, tours)
    export = folder / "export.csv"
    write_registrant_export(export, generate_registrant_rows(tours, {s.site_id: s for s in sites}, people, seed=seed))
    import_registrants(season, export, skip_invalid=True)
    return season


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
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def spread(times: list[float]) -> str:
    return f"best {min(times):.2f} s, median {statistics.median(times):.2f} s over {len(times)}"


# -- attendance ------------------------------------------------------------------------------------------------

def returned_rosters(rosters: Path, out: Path, seed: int) -> list[Path]:
    """Every site's roster as the factory sends it back: saved by openpyxl, rows shuffled, marks ticked."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for path in sorted(rosters.glob("*.xlsx")):
        if path.name == "participants.xlsx":
            continue
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            header = next((i for i, r in enumerate(rows) if CODE_HEADER in r), None)
            if header is None:
                continue
            names = rows[header]
            mark, guests = names.index(CHECK_IN_HEADER), names.index(GUESTS_CAME_HEADER)
            data = [r for r in rows[header + 1:] if any(v is not None for v in r)]
            rng.shuffle(data)
            for row in data:
                draw = rng.random()
                row[mark] = (rng.choice(PRESENT_SPELLINGS) if draw < 0.55 else
                             rng.choice(ABSENT_SPELLINGS) if draw < 0.8 else None)
                row[guests] = row[names.index("Гостей")] if row[mark] in PRESENT_SPELLINGS else None
            for i, row in enumerate(data):
                for j, value in enumerate(row):
                    sheet.cell(header + 2 + i, j + 1, value)
        files.append(out / path.name)
        book.save(files[-1])
    return files


def bench_attendance(work: Path, rosters: int, repeat: int, memory: bool) -> bool:
    sites = [Site(f"plant{i:03d}", f"Завод {i}") for i in range(rosters)]
    tours = [Tour(make_tour_id(s.site_id, dt.date(2026, 12, 11 + i % 12), dt.time(10 + i % 6)), s.site_id,
                  dt.date(2026, 12, 11 + i % 12), dt.time(10 + i % 6), 90, 40) for i, s in enumerate(sites)]
    season, wall, _ = timed(lambda: season_with(work / "attendance", sites, tours, 2 * 40 * rosters, 14))
    run_assignment(season)
    export_rosters(season)
    files = returned_rosters(season.path / "rosters", work / "returned", seed=14)
    print(f"attendance: a season of {rosters} sites and tours, {len(files)} returned rosters (set up in "
          f"{wall:.0f} s + allocation and export)")
    times, cpus = [], []
    for _ in range(repeat):
        report, wall, cpu = timed(lambda: import_attendance(season, files, unmarked_absent=True))
        times.append(wall)
        cpus.append(cpu)
    print(f"  import of {len(report.files)} files, {report.rows:,} rows, {len(report.tours)} tours: {spread(times)} "
          f"wall ({min(cpus):.2f} s CPU); target ≤ {ATTENDANCE_TARGET_S:g} s: "
          f"{'OK' if min(times) <= ATTENDANCE_TARGET_S else 'OVER'}")
    if memory:
        peak = traced_peak_mb(lambda: import_attendance(season, files, unmarked_absent=True))
        print(f"  peak traced memory: {peak:.0f} MB")
    return min(times) <= ATTENDANCE_TARGET_S


# -- the report ----------------------------------------------------------------------------------------------------

def like_issue_11() -> tuple[list[Site], list[Tour]]:
    """60 sites, 200 tours over 11–22 December."""
    sites = [Site(f"site{i:02d}", f"Завод {i}", min_age=14 if i % 5 == 0 else 0, passport_required=i % 17 == 3)
             for i in range(60)]
    tours = []
    for n in range(200):
        site = sites[n % 60]
        day = dt.date(2026, 12, 11 + (n * 7) % 12)
        start = dt.time(9 + (n // 60) * 2 + n % 2, 0)
        tours.append(Tour(make_tour_id(site.site_id, day, start), site.site_id, day, start, 90, 30))
    return sites, tours


def report_season(work: Path, people: int) -> Season:
    sites, tours = like_issue_11()
    season, wall, _ = timed(lambda: season_with(work / "report", sites, tours, people, 11))
    print(f"report: a season of {people:,} registrants, 60 sites, 200 tours (import {wall:.0f} s)")
    _, wall, _ = timed(lambda: run_assignment(season))
    _, wall2, _ = timed(lambda: publish(season))
    with season.reader() as conn:
        placed = sorted({r[0] for r in conn.execute("SELECT registrant_id FROM placements")})
    cancel_registrants(season, placed[::100], reason="бенчмарк")
    _, wall3, _ = timed(lambda: run_assignment(season))
    print(f"  assign {wall:.0f} s, publish {wall2:.0f} s, {len(placed[::100])} cancelled, assign again "
          f"{wall3:.0f} s")
    rng = random.Random(11)
    with season.transaction() as conn:
        seats = conn.execute("SELECT registrant_id, tour_id FROM placements WHERE run_id = "
                             "(SELECT max(run_id) FROM allocation_runs)").fetchall()
        marks = [MarkRow(tour, rid, "present" if rng.random() < 0.8 else "absent", source="bench")
                 for rid, tour in seats if rng.random() < 0.9]
        replace_tour_marks(conn, marks, imported_at="2026-12-23T10:00:00",
                           files_by_tour={t.tour_id: ["bench.xlsx"] for t in tours}, unmarked_absent=False)
    print(f"  {len(marks):,} attendance marks")
    return season


def bench_report(work: Path, people: int, repeat: int, memory: bool) -> bool:
    season = report_season(work, people)
    times = []
    for _ in range(repeat):
        written, wall, cpu = timed(lambda: write_season_report(season))
        times.append(wall)
    f = written.figures
    print(f"  write_season_report: {spread(times)} ({cpu:.2f} s CPU); {f.registrants:,} registrants, "
          f"{f.placed:,} placed, {sum(c.events for c in f.changes if c.key == 'promoted')} promoted")
    if memory:
        print(f"  peak traced memory: {traced_peak_mb(lambda: write_season_report(season)):.0f} MB")
    walls, peaks = [], []
    for _ in range(repeat):
        wall, rss = _fresh_process(["report", "-w", str(season.path)])
        walls.append(wall)
        peaks.append(rss)
    rss = max(peaks)
    ok = min(walls) <= REPORT_TARGET_S and rss <= REPORT_TARGET_MB
    print(f"  `openmosprom report` in a fresh process: {spread(walls)}, peak RSS {rss:.0f} MB; target ≤ "
          f"{REPORT_TARGET_S:g} s and {REPORT_TARGET_MB} MB: {'OK' if ok else 'OVER'}")
    return ok


# A small process starts the command and reads its peak RSS: this one holds the whole generated season, and a
# child forked from it would count those pages as its own.
_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run([sys.executable, "-m", "openmosprom_cli", *sys.argv[1:]], check=True, capture_output=True)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def _fresh_process(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of ``openmosprom ARGS`` in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *args], check=True, capture_output=True, text=True,
                         env={**os.environ, "OPENMOSPROM_TODAY": TODAY}).stdout.split()
    return float(out[0]), float(out[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rosters", type=int, default=200, help="returned rosters to import (default 200)")
    parser.add_argument("--people", type=int, default=200_000, help="registrants of the reported season")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each step (best and median)")
    parser.add_argument("--only", choices=("attendance", "report"), help="run one of the two")
    parser.add_argument("--no-memory", action="store_true", help="skip the traced runs")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and leave it there")
    args = parser.parse_args(argv)
    os.environ["OPENMOSPROM_TODAY"] = TODAY
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-after-"))
    work.mkdir(parents=True, exist_ok=True)
    ok = True
    try:
        if args.only in (None, "attendance"):
            ok &= bench_attendance(work, args.rosters, args.repeat, not args.no_memory)
        if args.only in (None, "report"):
            ok &= bench_report(work, args.people, args.repeat, not args.no_memory)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
