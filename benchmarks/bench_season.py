"""A real-size season through the real CLI: every step its own process, timed, with its peak resident memory.

Run:  python benchmarks/bench_season.py [--people 50000 200000] [--rounds 3] [--repo old=/tmp/old] [--json]

The season (the issue's "real size"): 60 factories (minimum age 0, 14 or 18;
about 15 % require a passport, a few admit citizens only; capacities 15–40),
200 tours, and N registrants with up to 5 choices and companions. Each round
builds a fresh season folder and runs, as ``python -m openmosprom_cli …``:

    init, schedules import, slots generate, registrants import, assign, audit,
    publish, rosters export, rosters email (dry run)        -- the pipeline
    registrants cancel (1 % of the seated), assign again     -- after publication

Each step's wall time and its process's peak RSS come from ``os.wait4`` (the
child's own rusage), so the interpreter's start and the imports are included,
as an organizer would see them. Its CPU time is kept too: on a shared machine
the wall time also measures the neighbours. When trees are compared, the seats
each gave out and the files it published are compared too (season_outcome).

The inputs are made once per size by THIS tree's generators (the package's
demo data code) and the same files are given to every tree compared, so the
code before a change can be measured by pointing ``--repo`` at a worktree of
it (``git worktree add /tmp/old e29944a``; ``--repo new=. --repo old=/tmp/old``).
Trees run alternately, in turn-about order from round to round. A step whose
command the tree's CLI lacks (the code before publication has no ``publish``
nor ``registrants cancel``) is skipped for that tree and left out of its total.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

YEAR = 2026
TODAY = "2026-11-20"  # the season's date for every step: before any roster deadline, so nothing is frozen
TOURS = 200
SITES = 60
INPUT_SEED = 20231205
CANCEL_EVERY = 100  # 1 % of the seated people decline after publication

# The targets.
TOTAL_50K_S, STEP_50K_S = 8.0, 2.0
TOTAL_200K_S, RSS_200K_MB = 30.0, 800.0
GROWTH_FACTOR, GROWTH_SLACK_S = 4.0, 0.5
INCREMENTAL_FACTOR = 1.2


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    argv: tuple[str, ...]            # {season}, {schedules}, {export}, {declines} are filled in
    pipeline: bool = True            # counts in "from init through the email dry run"
    needs: tuple[str, ...] = ()      # commands the CLI must have ("publish", "registrants cancel")


STEPS = (
    Step("init", "init", ("init", "{season}", "--year", str(YEAR))),
    Step("schedules", "schedules import", ("schedules", "import", "{schedules}", "-w", "{season}")),
    Step("slots", "slots generate", ("slots", "generate", "--tours", str(TOURS), "--min-per-site", "2",
                                     "-w", "{season}")),
    Step("import", "registrants import", ("registrants", "import", "{export}", "-w", "{season}")),
    Step("assign", "assign", ("assign", "-w", "{season}")),
    Step("audit", "audit", ("audit", "-w", "{season}")),
    Step("publish", "publish", ("publish", "-w", "{season}"), needs=("publish",)),
    Step("export", "rosters export", ("rosters", "export", "-w", "{season}")),
    Step("email", "rosters email (dry run)", ("rosters", "email", "-w", "{season}")),
    Step("cancel", "registrants cancel (1 %)", ("registrants", "cancel", "--file", "{declines}", "-w", "{season}"),
         pipeline=False, needs=("publish", "registrants cancel")),
    Step("reassign", "assign again (incremental)", ("assign", "-w", "{season}"), pipeline=False,
         needs=("publish", "registrants cancel")),
)
STEP_BY_KEY = {s.key: s for s in STEPS}


# -- the inputs ---------------------------------------------------------------------------------------------

def bench_sites():
    """Sixty factories: ages 0/14/18, ~15 % passport-only (three of them citizens only), capacities 15–40."""
    from openmosprom_cli.demo.sample_schedules import SampleSite

    rng = random.Random(INPUT_SEED)
    industries = ("Машиностроение", "Пищевая промышленность", "Электроника", "Фармацевтика", "Химия",
                  "Лёгкая промышленность", "Полиграфия", "Металлургия", "Авиастроение", "Энергетика")
    starts = ("09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00")
    sites = []
    for i in range(SITES):
        passport = i % 7 == 3                      # 9 of 60
        min_age = 18 if passport else rng.choice((0, 0, 14, 14, 18))
        duration = rng.choice((60, 75, 90, 120))
        per_day = rng.choice((1, 2))
        sites.append(SampleSite(
            site_id=f"zavod-{i + 1:02d}", name=f"Завод №{i + 1} (пример)", industry=industries[i % len(industries)],
            address=f"Москва, Промышленная ул., д. {i + 1}", contact="Иванова Анна Сергеевна",
            emails=(f"zavod-{i + 1:02d}@example.org",), phone=f"+7 495 000-20-{i + 1:02d}", min_age=min_age,
            starts=tuple(sorted(rng.sample(starts, 3))), capacities=tuple(sorted(rng.sample(range(15, 41, 5), 2))),
            tours=(6, 10), saturdays=rng.random() < 0.5, notes="Закрытая обувь", duration_min=duration,
            max_tours_per_day=per_day, passport_required=passport, citizens_only=i in (3, 24, 45),
            roster_lead_days=rng.choice((3, 5, 7, 10))))
    return sites


def write_schedules(folder: Path) -> None:
    from openmosprom_cli.demo.sample_schedules import sample_sheets
    from openmosprom_cli.io.writer import write_workbook
    from openmosprom_cli.settings import Settings

    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings.defaults(YEAR)
    for site in bench_sites():
        write_workbook(folder / f"{site.site_id}.xlsx", sample_sheets(site, settings), private=False,
                       stamp=dt.datetime(YEAR, 11, 1, 12, 0))


def input_paths(root: Path, sizes: list[int]) -> dict[str, Path]:
    paths = {"schedules": root / "schedules", "tours": root / "tours-season"}
    return paths | {f"export-{people}": root / f"registrants-{people}.csv" for people in sizes}


def prepare_inputs(root: Path, sizes: list[int], python: str) -> dict[str, Path]:
    """Make the inputs in a child process, so that this one stays small (see ``run_step``)."""
    subprocess.run([python, __file__, "--make-inputs", str(root), "--python", python,
                    "--people", *map(str, sizes)], env=child_env(HERE), check=True, stdin=subprocess.DEVNULL)
    return input_paths(root, sizes)


def make_inputs(root: Path, sizes: list[int], python: str) -> None:
    """The 60 workbooks, and one registrant export per size (choices among the tours THIS tree generates)."""
    from openmosprom_cli.demo.sample_registrants import generate_registrant_rows, write_registrant_export
    from openmosprom_cli.season.folder import open_season
    from openmosprom_cli.store.sites import load_sites
    from openmosprom_cli.store.tours import load_tours

    schedules = root / "schedules"
    root.mkdir(parents=True, exist_ok=True)
    if not (schedules.is_dir() and len(list(schedules.glob("*.xlsx"))) == SITES):
        write_schedules(schedules)
    tours_season = root / "tours-season"
    if not (tours_season / "season.db").exists():
        shutil.rmtree(tours_season, ignore_errors=True)
        env = child_env(HERE)
        for key in ("init", "schedules", "slots"):
            argv = fill(STEP_BY_KEY[key].argv, season=tours_season, schedules=schedules)
            subprocess.run([python, "-m", "openmosprom_cli", *argv], env=env, check=True,
                           stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    with open_season(tours_season).reader() as conn:
        tours, sites = load_tours(conn), load_sites(conn)
    for people in sizes:
        export = input_paths(root, sizes)[f"export-{people}"]
        if not export.exists():
            rows = generate_registrant_rows(tours, sites, count=people, seed=INPUT_SEED + people, invalid_rows=0)
            write_registrant_export(export, rows)


def tour_ids(season: Path) -> set[str]:
    with sqlite3.connect(f"file:{season / 'season.db'}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT tour_id FROM tours")}


def write_declines(season: Path, path: Path) -> int:
    """Every hundredth seated person (by ID) declines: read from the commitments that publishing made."""
    with sqlite3.connect(f"file:{season / 'season.db'}?mode=ro", uri=True) as conn:
        seated = [row[0] for row in conn.execute(
            "SELECT DISTINCT registrant_id FROM commitments ORDER BY registrant_id")]
    chosen = seated[::CANCEL_EVERY]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(["ID VK", "Причина"])
        writer.writerows([rid, "не смогу прийти"] for rid in chosen)
    return len(chosen)


# -- running the CLI ----------------------------------------------------------------------------------------

def child_env(repo: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENMOSPROM_")}
    env["PYTHONPATH"] = os.pathsep.join([str(repo), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["OPENMOSPROM_TODAY"] = TODAY
    env["COLUMNS"] = "160"
    # An installed tool runs from cached bytecode after its first run: so does every step here. The cache
    # lives outside the compared trees (one folder per tree, by source path), which stay untouched.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "openmosprom-bench-pycache")
    return env


def compile_tree(repo: Path, python: str) -> None:
    """Bytecode for the tree's package before anything is timed (what its first run would write)."""
    subprocess.run([python, "-m", "compileall", "-q", str(repo / "openmosprom_cli")], env=child_env(repo),
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def fill(argv: tuple[str, ...], **values: Path) -> list[str]:
    return [arg.format(**{k: str(v) for k, v in values.items()}) for arg in argv]


def cli_commands(python: str, repo: Path) -> set[str]:
    """The commands this tree's CLI has, from its --help: "publish", "registrants cancel", …"""
    def names(*group: str) -> list[str]:
        out = subprocess.run([python, "-m", "openmosprom_cli", *group, "--help"], env=child_env(repo),
                             capture_output=True, text=True, cwd=tempfile.gettempdir(), check=True).stdout
        listing = out.split("Commands", 1)[1] if "Commands" in out else ""
        # Rich's boxed listing ("│ name  …") in older trees, click's plain one ("  name  …") now.
        return re.findall(r"^(?:│ |  )(\w[\w-]*) ", listing, flags=re.MULTILINE)

    found = set(names())
    for group in ("registrants", "rosters", "schedules", "slots"):
        if group in found:
            found |= {f"{group} {sub}" for sub in names(group)}
    return found


@dataclass
class Measure:
    wall_s: float
    cpu_s: float
    rss_mb: float
    status: int


def own_peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (peak if sys.platform == "darwin" else peak * 1024) / 2**20


def run_step(python: str, argv: list[str], env: dict[str, str], cwd: Path, log: Path,
             profile: bool = False) -> Measure:
    command = [python, *(["-m", "cProfile", "-s", "cumtime"] if profile else []), "-m", "openmosprom_cli", *argv]
    with open(log, "ab") as out:
        out.write(("\n$ " + " ".join(command) + "\n").encode())
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd)
        # wait4 gives this child's own rusage: no deltas of RUSAGE_CHILDREN to get wrong. But Linux keeps in
        # ru_maxrss the high-water mark of the memory the child had before exec, i.e. this process's: so this
        # process never imports the package nor holds the inputs (they are made by a child process), and its
        # own peak is reported as the floor of every measure.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    rss_bytes = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return Measure(wall, usage.ru_utime + usage.ru_stime, rss_bytes / 2**20, proc.returncode)


@dataclass
class Tree:
    label: str
    repo: Path
    commands: set[str] = field(default_factory=set)

    def has(self, step: Step) -> bool:
        return all(need in self.commands for need in step.needs)


@dataclass
class RunNotes:
    load_before: float                       # 1-minute load average (the benchmark itself adds about 1)
    load_after: float = 0.0
    cancelled: int = 0                       # people in the declines file
    tours_differ: bool = False               # slots generate chose other tours than the export was made for
    outcome: str = ""                        # digest of what the season gave out (see season_outcome)
    profiles: dict[str, list[str]] = field(default_factory=dict)   # step → the top of its profile


def run_season(tree: Tree, python: str, people: int, inputs: dict[str, Path], work: Path,
               profile: tuple[str, ...] = (), profile_top: int = 15) -> tuple[dict[str, Measure], RunNotes]:
    """One season from init to the incremental assign; returns each step's measure and what happened."""
    season = work / "season"
    shutil.rmtree(season, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "steps.log"
    log.unlink(missing_ok=True)
    env = child_env(tree.repo)
    paths = {"season": season, "schedules": inputs["schedules"], "export": inputs[f"export-{people}"],
             "declines": work / "declines.csv"}
    measures: dict[str, Measure] = {}
    notes = RunNotes(load_before=os.getloadavg()[0])
    for step in STEPS:
        if not tree.has(step):
            continue
        if step.key == "cancel":
            notes.cancelled = write_declines(season, paths["declines"])
        profiled = step.key in profile
        step_log = work / f"profile-{step.key}.log" if profiled else log
        if profiled:
            step_log.unlink(missing_ok=True)
        measure = run_step(python, fill(step.argv, **paths), env, work, step_log, profile=profiled)
        measures[step.key] = measure
        if measure.status != 0:
            print(f"  ! {tree.label} {people:,}: {step.label} exited {measure.status} (see {log})", file=sys.stderr)
        if step.key == "slots" and measure.status == 0 and tour_ids(season) != tour_ids(inputs["tours"]):
            notes.tours_differ = True
            print(f"  ! {tree.label}: slots generate chose other tours than the ones the export was made for",
                  file=sys.stderr)
        if profiled:
            notes.profiles[step.key] = profile_lines(step_log, profile_top)
            if set(notes.profiles) >= set(profile):
                break
    notes.load_after = os.getloadavg()[0]
    notes.outcome = season_outcome(season)
    return measures, notes


def season_outcome(season: Path) -> str:
    """sha256 of every run's seats and the files told to the visitors: the same for trees that allocate alike.

    Only what every release stores the same way: the ``placements`` rows and
    the publication files (the trees' stored result formats may differ).
    """
    digest = hashlib.sha256()
    with sqlite3.connect(f"file:{season / 'season.db'}?mode=ro", uri=True) as conn:
        for row in conn.execute("SELECT run_id, registrant_id, tour_id, choice_rank, seats FROM placements "
                                "ORDER BY run_id, registrant_id, tour_id"):
            digest.update(repr(row).encode())
    for path in sorted((season / "publications").glob("*.csv")):
        digest.update(path.name.encode())
        with open(path, "rb") as fh:     # in pieces: this process's peak memory is every step's floor
            for piece in iter(lambda: fh.read(1 << 20), b""):
                digest.update(piece)
    return digest.hexdigest()


def profile_lines(log: Path, top: int = 15) -> list[str]:
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    header = next((i for i, line in enumerate(text) if line.lstrip().startswith("ncalls")), None)
    if header is None:
        return text[-top:]
    summary = [line for line in text[max(0, header - 4):header] if "function calls" in line]
    return summary + text[header:header + 1 + top]


# -- results ------------------------------------------------------------------------------------------------

def medians(runs: list[dict[str, Measure]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for step in STEPS:
        got = [run[step.key] for run in runs if step.key in run]
        if got:
            out[step.key] = {"wall_s": statistics.median(m.wall_s for m in got),
                             "cpu_s": statistics.median(m.cpu_s for m in got),
                             "rss_mb": statistics.median(m.rss_mb for m in got),
                             "runs": len(got), "failed": sum(m.status != 0 for m in got)}
    return out


def pipeline_total(steps: dict[str, dict[str, float]]) -> float:
    return sum(v["wall_s"] for k, v in steps.items() if STEP_BY_KEY[k].pipeline)


def check_targets(results: dict[int, dict[str, dict[str, dict[str, float]]]], label: str) -> list[dict[str, object]]:
    """The issue's targets for one tree, on the sizes measured."""
    checks: list[dict[str, object]] = []

    def add(size: int, target: str, value: str, met: bool) -> None:
        checks.append({"people": size, "target": target, "measured": value, "met": met})

    for size, trees in sorted(results.items()):
        steps = trees.get(label)
        if not steps:
            continue
        pipe = {k: v for k, v in steps.items() if STEP_BY_KEY[k].pipeline}
        total = pipeline_total(steps)
        slowest = max(pipe, key=lambda k: pipe[k]["wall_s"])
        heaviest = max(steps, key=lambda k: steps[k]["rss_mb"])
        if size == 50_000:
            add(size, f"init → email dry run ≤ {TOTAL_50K_S:g} s", f"{total:.1f} s", total <= TOTAL_50K_S)
            add(size, f"no step over {STEP_50K_S:g} s",
                f"slowest: {STEP_BY_KEY[slowest].label} {pipe[slowest]['wall_s']:.2f} s",
                pipe[slowest]["wall_s"] <= STEP_50K_S)
        if size == 200_000:
            add(size, f"init → email dry run ≤ {TOTAL_200K_S:g} s", f"{total:.1f} s", total <= TOTAL_200K_S)
            add(size, f"no step's peak RSS over {RSS_200K_MB:g} MB",
                f"largest: {STEP_BY_KEY[heaviest].label} {steps[heaviest]['rss_mb']:.0f} MB",
                steps[heaviest]["rss_mb"] <= RSS_200K_MB)
            if "reassign" in steps and "assign" in steps:
                ratio = steps["reassign"]["wall_s"] / steps["assign"]["wall_s"]
                add(size, f"incremental assign ≤ {INCREMENTAL_FACTOR:g} × fresh assign", f"{ratio:.2f} ×",
                    ratio <= INCREMENTAL_FACTOR)
    small, large = results.get(50_000, {}).get(label), results.get(200_000, {}).get(label)
    if small and large:
        over = [k for k in large if k in small
                and large[k]["wall_s"] > GROWTH_FACTOR * small[k]["wall_s"] + GROWTH_SLACK_S]
        add(200_000, f"growth 50k → 200k: each step ≤ {GROWTH_FACTOR:g} × + {GROWTH_SLACK_S:g} s",
            "over: " + ", ".join(STEP_BY_KEY[k].label for k in over) if over else "every step within", not over)
    return checks


def print_table(size: int, trees: dict[str, dict[str, dict[str, float]]], loads: list[float], rounds: int,
                out=sys.stdout) -> None:
    labels = list(trees)
    print(f"\n{size:,} registrants — medians of {rounds} runs; load average (1 min) "
          f"{min(loads):.2f}–{max(loads):.2f}", file=out)
    head = f"{'step':<28}" + "".join(f"{label + ' time':>14}{'CPU':>8}{'RSS':>9}" for label in labels)
    print(head, file=out)
    print("-" * len(head), file=out)
    for step in STEPS:
        row = f"{step.label:<28}"
        for label in labels:
            m = trees[label].get(step.key)
            row += (f"{m['wall_s']:>12.2f} s{m['cpu_s']:>7.2f}s{m['rss_mb']:>6.0f} MB"
                    + ("!" if m["failed"] else "")) if m else f"{'–':>14}{'':>8}{'':>9}"
        print(row, file=out)
    row = f"{'init → email dry run':<28}"
    for label in labels:
        row += f"{pipeline_total(trees[label]):>12.1f} s{'':>8}{'':>9}"
    print(row, file=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[50_000, 200_000], help="season sizes")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tree at each size (medians reported)")
    parser.add_argument("--repo", action="append", default=[], metavar="[LABEL=]PATH",
                        help="a source tree to put first on PYTHONPATH (repeat to compare; default: this one)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs the CLI")
    parser.add_argument("--keep", type=Path, help="keep inputs and each tree's last season here (inputs are reused)")
    parser.add_argument("--profile", nargs="+", choices=[s.key for s in STEPS], default=[],
                        help="after the rounds, one more season at the largest size with these steps under cProfile")
    parser.add_argument("--profile-lines", type=int, default=15, help="how many lines of the profile to print")
    parser.add_argument("--json", action="store_true", help="print the results as JSON (the tables go to stderr)")
    parser.add_argument("--make-inputs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_inputs:
        make_inputs(args.make_inputs, args.people, args.python)
        return

    trees = []
    for spec in args.repo or [f"new={HERE}"]:
        label, _, path = spec.rpartition("=")
        trees.append(Tree(label or Path(path).name, Path(path).resolve()))
    for tree in trees:
        compile_tree(tree.repo, args.python)
        tree.commands = cli_commands(args.python, tree.repo)
        missing = [s.label for s in STEPS if not tree.has(s)]
        if missing:
            print(f"{tree.label} ({tree.repo}): its CLI lacks {', '.join(missing)}: skipped", file=sys.stderr)

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-season-"))
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"inputs in {root} …", file=sys.stderr)
    inputs = prepare_inputs(root, args.people, args.python)
    print(f"inputs ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    runs: dict[int, dict[str, list[dict[str, Measure]]]] = {}
    loads: dict[int, list[float]] = {}
    notes: dict[str, list[RunNotes]] = {}
    for people in args.people:
        runs[people] = {t.label: [] for t in trees}
        loads[people] = []
        for round_no in range(args.rounds):
            order = trees if round_no % 2 == 0 else trees[::-1]
            for tree in order:
                measures, seen = run_season(tree, args.python, people, inputs, root / f"{tree.label}-{people}")
                runs[people][tree.label].append(measures)
                loads[people] += [seen.load_before, seen.load_after]
                notes.setdefault(f"{tree.label}-{people}", []).append(seen)
                total = sum(m.wall_s for k, m in measures.items() if STEP_BY_KEY[k].pipeline)
                print(f"  {people:,} round {round_no + 1} {tree.label}: {total:.1f} s "
                      f"(load {seen.load_before:.2f} → {seen.load_after:.2f})", file=sys.stderr)
    results = {people: {label: medians(r) for label, r in by_tree.items()} for people, by_tree in runs.items()}
    # Each round's seasons, tree by tree, must have given out the same seats and told the visitors the same.
    agree = {people: all(len({notes[f"{t.label}-{people}"][i].outcome for t in trees}) == 1
                         for i in range(args.rounds)) for people in args.people}
    checks = {t.label: check_targets(results, t.label) for t in trees}

    profile = None
    if args.profile:
        size = max(args.people)
        measures, seen = run_season(trees[0], args.python, size, inputs, root / f"{trees[0].label}-profile",
                                    profile=tuple(args.profile), profile_top=args.profile_lines)
        profile = {"tree": trees[0].label, "people": size, "steps": seen.profiles,
                   "wall_s": {k: measures[k].wall_s for k in seen.profiles}}

    floor_mb = own_peak_mb()
    if args.json:
        print(json.dumps({
            "machine": {"cpus": os.cpu_count(), "load_average": {str(p): [min(v), max(v)] for p, v in loads.items()},
                        "rss_floor_mb": floor_mb},
            "rounds": args.rounds, "trees": {t.label: str(t.repo) for t in trees},
            "results": {str(p): r for p, r in results.items()},
            "runs": {str(p): {label: [{k: vars(m) for k, m in run.items()} for run in r]
                              for label, r in by_tree.items()} for p, by_tree in runs.items()},
            "targets": checks, "profile": profile, "same_outcome": {str(p): v for p, v in agree.items()},
            "notes": {k: [vars(n) for n in v] for k, v in notes.items()}}, indent=1, ensure_ascii=False, default=str))
    # With --json the tables go to stderr, so that a long run's figures are readable in its log too.
    out = sys.stderr if args.json else sys.stdout
    for people, trees_results in results.items():
        if loads[people]:
            print_table(people, trees_results, loads[people], args.rounds, out)
    print(f"\nEvery RSS is at least this process's own peak, {floor_mb:.0f} MB (see run_step).", file=out)
    if len(trees) > 1:
        for people, same in agree.items():
            print(f"{people:,}: the trees gave out {'the same' if same else 'DIFFERENT'} seats and notices "
                  "(placements and publication files)", file=out)
    print("\nTargets", file=out)
    for label, items in checks.items():
        for c in items:
            print(f"  {label:<6} {c['people']:>7,}  {c['target']:<52} {c['measured']:<44} "
                  f"{'met' if c['met'] else 'NOT met'}", file=out)
    if profile:
        for key, lines in profile["steps"].items():
            print(f"\nProfile of {STEP_BY_KEY[key].label} at {profile['people']:,} ({profile['tree']}), "
                  f"{profile['wall_s'][key]:.1f} s under cProfile", file=out)
            print("\n".join(lines), file=out)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
