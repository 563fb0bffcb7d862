"""Time and peak memory of writing a 200,000 × 7 .xlsx (1.4 million cells): the table writer against openpyxl.

Run: python benchmarks/bench_writer.py [--rows 200000] [--rounds 3] [--csv]

"old" is the path the tool took before the table writer: an openpyxl workbook
in normal mode, every cell written like ``io/xlsx_out.text_cell`` /
``value_cell`` (text with a quote prefix where needed, dates formatted),
header, fitted widths, print setup, thin borders, then saved and re-zipped
with fixed timestamps, as ``rosters/export._save_reproducibly`` did. A copy of
that path lives here so that the benchmark outlives it. "new" is
``io.writer.write_workbook``. ``--csv`` adds the CSV writer (``write_csv``).

Each run is a fresh process (its peak resident memory is the process's
``ru_maxrss``, the interpreter and imports included; its CPU time is reported
beside the wall time, since on a shared machine the wall time mostly measures
the neighbours); the kinds alternate,
``--rounds`` times, and the medians are reported. The rows come from a
generator in both, so neither holds the table in memory unless it must; the
time to only generate them is reported too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADERS = ("ID VK", "ФИО", "Телефон", "Email", "Дата", "Баллы", "Выбор")


def rows(count: int):
    """Registrant-like rows: an int, four texts (some hostile), a date and a float."""
    start = dt.date(2026, 12, 1)
    for i in range(count):
        phone = f"+7916{i:07d}" if i % 10 else f"8916{i:07d}"
        name = f"Иванова Мария Петровна {i}" if i % 1000 else f'=HYPERLINK("http://e.x/{i}","x")'
        yield (100_000 + i, name, phone, f"user{i}@example.ru", start + dt.timedelta(days=i % 30),
               (i * 7) % 1000 / 2, f"S{i % 50:03d}-T{i % 7:02d}")


def write_new(path: Path, count: int) -> None:
    from openmosprom_cli.io.writer import Sheet, write_workbook

    write_workbook(path, [Sheet("Участники", HEADERS, rows(count), borders=True, autofilter=True,
                                print_ready=True)], private=True, stamp=dt.datetime(2026, 11, 1))


def write_csv(path: Path, count: int) -> None:
    from openmosprom_cli.io.writer import write_csv

    write_csv(path, HEADERS, rows(count), private=True)


def write_old(path: Path, count: int) -> None:
    """The openpyxl path as it was (io/xlsx_out.py + rosters/export._save_reproducibly), condensed."""
    import io
    import zipfile

    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.functions import tostring

    from openmosprom_cli.io.files import atomic_write_with

    stamp = dt.datetime(2026, 11, 1)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    wb.properties.creator = wb.properties.lastModifiedBy = "openmosprom"
    wb.properties.created = wb.properties.modified = stamp
    ws = wb.create_sheet("Участники")
    side = Side(style="thin")
    border = Border(left=side, right=side, top=side, bottom=side)

    def text_cell(row: int, column: int, value: object):
        cell = ws.cell(row=row, column=column)
        text = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", "" if value is None else str(value))
        cell.value = text
        cell.data_type = "s"
        if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
            cell.quotePrefix = True
        return cell

    for column, header in enumerate(HEADERS, start=1):
        cell = text_cell(1, column, header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = border
    last = 1
    for last, values in enumerate(rows(count), start=2):
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                cell = text_cell(last, column, value)
            else:
                cell = ws.cell(row=last, column=column, value=value)
                if isinstance(value, dt.date):
                    cell.number_format = "DD.MM.YYYY"
            cell.border = border
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                text = cell.value.strftime("%d.%m.%Y") if isinstance(cell.value, dt.date) else str(cell.value)
                widths[cell.column] = max(widths.get(cell.column, 0), len(text))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = max(6, min(60, width + 2))
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(last, 2)}"

    def save(tmp: Path) -> None:
        buffer = io.BytesIO()
        wb.save(buffer)
        wb.properties.modified = stamp
        core = tostring(wb.properties.to_tree())
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = core if item.filename == "docProps/core.xml" else source.read(item.filename)
                entry = zipfile.ZipInfo(item.filename, date_time=stamp.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(entry, data)

    atomic_write_with(path, save, private=True)


def generate_only(_path: Path, count: int) -> None:
    for _ in rows(count):
        pass


KINDS = {"old": (write_old, ".xlsx"), "new": (write_new, ".xlsx"), "csv": (write_csv, ".csv"),
         "rows": (generate_only, "")}


def one_run(kind: str, count: int, folder: Path) -> None:
    """In the child process: write once, print the seconds, peak memory and file size as JSON."""
    write, suffix = KINDS[kind]
    path = folder / f"{kind}{suffix}"
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    write(path, count)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    size = path.stat().st_size if suffix else 0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_kb / 1024, "size_mb": size / 1e6}))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--csv", action="store_true", help="time the CSV writer too")
    parser.add_argument("--one", choices=sorted(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_run(args.one, args.rows, args.folder)
        return

    kinds = ["old", "new", *(["csv"] if args.csv else []), "rows"]
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    print(f"{args.rows:,} rows × {len(HEADERS)} columns = {args.rows * len(HEADERS):,} cells; "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(1, args.rounds + 1):
            for kind in kinds:
                output = subprocess.run(
                    [sys.executable, __file__, "--one", kind, "--rows", str(args.rows), "--folder", folder],
                    check=True, capture_output=True, text=True).stdout
                result = json.loads(output.strip().splitlines()[-1])
                results[kind].append(result)
                print(f"  round {round_number} {kind:>4}: {result['seconds']:6.2f} s (CPU {result['cpu']:6.2f} s), "
                      f"peak {result['peak_mb']:6.0f} MB, file {result['size_mb']:5.1f} MB")
    print(f"medians of {args.rounds} (load average now {os.getloadavg()[0]:.2f}):")
    for kind in kinds:
        seconds = statistics.median(r["seconds"] for r in results[kind])
        cpu = statistics.median(r["cpu"] for r in results[kind])
        peak = statistics.median(r["peak_mb"] for r in results[kind])
        print(f"  {kind:>4}: {seconds:6.2f} s (CPU {cpu:6.2f} s), peak {peak:6.0f} MB")
    for measure in ("seconds", "cpu", "peak_mb"):
        old = statistics.median(r[measure] for r in results["old"])
        new = statistics.median(r[measure] for r in results["new"])
        print(f"new / old {measure}: {new / old:.2f}")


if __name__ == "__main__":
    main()
