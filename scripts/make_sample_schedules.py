#!/usr/bin/env python3
"""Regenerate the sample factory workbooks: ``schedules/`` and the copy shipped in the package.

Run from anywhere: ``python scripts/make_sample_schedules.py [--year 2026]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from openmosprom_cli.demo.sample_schedules import write_sample_schedules

REPO = Path(__file__).resolve().parent.parent
TARGETS = (REPO / "schedules", REPO / "openmosprom_cli" / "sample")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2026, help="season year (default 2026)")
    args = parser.parse_args()
    for folder in TARGETS:
        paths = write_sample_schedules(folder, args.year)
        print(f"wrote {len(paths)} workbooks to {folder.relative_to(REPO)}/")


if __name__ == "__main__":
    main()
