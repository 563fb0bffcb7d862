#!/usr/bin/env python3
"""Regenerate the sample factory workbooks in ``schedules/``.

Run from anywhere: ``python scripts/make_sample_schedules.py [--year 2026]``. The
bytes depend on the year alone, so a rerun changes nothing that is committed
(tests/schedules/test_schedules_samples.py checks it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from openmosprom_cli.demo.sample_schedules import write_sample_schedules

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "schedules"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2026, help="season year (default 2026)")
    args = parser.parse_args()
    paths = write_sample_schedules(TARGET, args.year)
    print(f"wrote {len(paths)} workbooks to {TARGET.relative_to(REPO)}/")


if __name__ == "__main__":
    main()
