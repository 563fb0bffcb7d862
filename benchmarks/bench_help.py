"""How long `openmosprom --help` takes against a bare `import typer`, alternating, medians of N runs.

The issue's target: `--help` at most 2.5× `python -c "import typer"`. Run from the project's venv:

    python benchmarks/bench_help.py --runs 15
    python benchmarks/bench_help.py --repo new=. --repo old=/tmp/old-tree

Each `--repo` is a source tree put first on PYTHONPATH, so an older checkout can be compared on the
same interpreter; each round runs every command once, in a rotating order, to share the noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    # Outside any source tree: `python -m` puts the working folder first on sys.path.
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--repo", action="append", default=[], metavar="LABEL=PATH",
                        help="a source tree to measure (repeat to compare; default: this one)")
    args = parser.parse_args()
    repos = [tuple(r.split("=", 1)) for r in args.repo] or [("this", str(Path(__file__).resolve().parents[1]))]
    cases: list[tuple[str, list[str], dict[str, str]]] = [("import typer", [sys.executable, "-c", "import typer"],
                                                           dict(os.environ))]
    for label, path in repos:
        tree = str(Path(path).resolve())
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [tree, os.environ.get("PYTHONPATH")]))}
        for command in (["--help"], ["rosters", "email", "--help"]):
            cases.append((f"{label}: openmosprom {' '.join(command)}",
                          [sys.executable, "-m", "openmosprom_cli", *command], env))
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for round_number in range(args.runs):
        shift = round_number % len(cases)
        for name, argv, env in cases[shift:] + cases[:shift]:
            times[name].append(timed(argv, env))
    baseline = statistics.median(times["import typer"])
    print(f"{'command':<45} {'median':>8} {'× import typer':>15}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<45} {median * 1000:>6.0f} ms {median / baseline:>14.2f}")


if __name__ == "__main__":
    main()
