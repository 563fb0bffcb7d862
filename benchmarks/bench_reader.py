"""Time and peak memory of reading a 100,000 × 12 registrant-like .xlsx: this project's reader against openpyxl.

Run: python benchmarks/bench_reader.py [--rows 100000] [--skip-openpyxl] [--keep DIR]

The workbook is written with openpyxl's write-only mode (inline strings), and a
copy with Excel's shared-string layout is derived from it, since Excel and
LibreOffice write shared strings. Generating takes a while; --keep DIR reuses
the files between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openmosprom_cli.io.xlsx.reader import open_workbook

HEADER = ["ID VK", "ФИО", "Телефон", "Email", "Дата рождения", "Баллы", "Дата регистрации",
          "Выбор 1", "Выбор 2", "Выбор 3", "Гостей", "Паспорт"]


def generate(path: Path, rows: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Участники")
    sheet.append(HEADER)
    start = dt.datetime(2026, 1, 10, 9, 0)
    for i in range(rows):
        sheet.append([100_000 + i, f"Иванова Мария {i}", f"+7916{i:07d}", f"user{i}@example.ru",
                      dt.date(1990, 1, 1) + dt.timedelta(days=i % 9000), (i * 7) % 1000 / 2,
                      start + dt.timedelta(minutes=i), f"S{i % 50:03d}", f"S{(i + 1) % 50:03d}-T01", None,
                      i % 3, f"{i % 10000:04d} {i:06d}"])
    workbook.save(path)


def with_shared_strings(source: Path, target: Path) -> None:
    """The same workbook as Excel lays it out: every string in xl/sharedStrings.xml."""
    strings: dict[str, int] = {}

    def shared(match: re.Match) -> bytes:
        text = match.group(2).decode()
        index = strings.setdefault(text, len(strings))
        return match.group(1) + b' t="s"><v>%d</v></c>' % index

    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?) t="inlineStr"><is><t>([^<]*)</t></is></c>',
                              shared, data)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Target="sharedStrings.xml" '
                                    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                                    b"</Relationships>")
            copy.writestr(info, data)
        items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        copy.writestr("xl/sharedStrings.xml",
                      '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                      f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')


def read_ours(path: Path) -> int:
    with open_workbook(path) as book:
        return sum(1 for _ in book.rows(book.sheet_names()[0]))


def read_openpyxl(path: Path) -> int:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return count


def measure(label: str, read, path: Path) -> None:
    started = time.perf_counter()
    rows = read(path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    read(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<42} {seconds:6.2f} s   peak {peak / 2**20:6.1f} MB   {rows} rows", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-openpyxl", action="store_true", help="openpyxl takes tens of seconds here")
    parser.add_argument("--keep", type=Path, help="folder to keep the generated workbooks in")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-reader-"))
    folder.mkdir(parents=True, exist_ok=True)
    inline = folder / f"registrants-{args.rows}-inline.xlsx"
    shared = folder / f"registrants-{args.rows}-shared.xlsx"
    if not inline.exists():
        started = time.perf_counter()
        generate(inline, args.rows)
        print(f"generated {inline.name} with openpyxl in {time.perf_counter() - started:.1f} s")
    if not shared.exists():
        with_shared_strings(inline, shared)
    print(f"{args.rows} × {len(HEADER)} cells; time is one cold read, peak memory is traced on a second read")
    measure("openmosprom reader, inline strings", read_ours, inline)
    measure("openmosprom reader, shared strings (Excel)", read_ours, shared)
    if not args.skip_openpyxl:
        measure("openpyxl read-only, inline strings", read_openpyxl, inline)


if __name__ == "__main__":
    main(sys.argv[1:])
