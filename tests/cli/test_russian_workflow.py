"""Issue 15's acceptance: a new user in an 80-column terminal with LANG=ru_RU.UTF-8 follows the README's workflow,
from ``init`` to ``rosters email``, entirely in Russian.

The workflow runs in real processes, as the user would run it, with the sample factories' workbooks and a sample
export of the VK mini-app (openmosprom_cli/demo). Two checks read what they print:

- none of the command line's own English messages appears (every message of cli/, season/, settings.py,
  privacy.py, demo/ and models.py, as scripts/messages.py finds them);
- no English word appears at all, but for IDs, file names, commands, options and a few names (ID, VK, SMTP...).
  That one also reads the messages of the other stages (the registrants' reasons, the warnings of the schedules),
  which are converted apart: until they all are, it is expected to fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from openmosprom_cli.demo.sample_registrants import generate_registrant_rows, write_registrant_export
from openmosprom_cli.demo.sample_schedules import write_sample_schedules
from openmosprom_cli.season.folder import open_season
from openmosprom_cli.store.changes import load_commitments
from openmosprom_cli.store.registrants import load_registrants
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours
from tests.paths import REPO

OURS = ("openmosprom_cli/cli/", "openmosprom_cli/season/", "openmosprom_cli/settings.py", "openmosprom_cli/privacy.py",
        "openmosprom_cli/demo/", "openmosprom_cli/models.py", "openmosprom_cli/errors.py")
COMMANDS = {"openmosprom", "init", "demo", "schedules", "template", "import", "list", "slots", "generate", "export",
            "cancel", "add", "registrants", "show", "reinstate", "duplicates", "merge", "assign", "explain", "audit",
            "move", "unassign", "publish", "rosters", "email", "outbox", "attendance", "report", "history", "prizes",
            "draw", "redraw", "handed", "exclude", "privacy", "purge", "cd", "auto_merge", "keep_seasons",
            "standby_share", "lock_timeout_s", "exclude_cancelled", "pickup", "seed", "max_tours_per_person"}
NAMES = {"ID", "VK", "SMTP", "TLS", "JSON", "CSV", "ISO", "UTF", "NNNN", "en",
         "ru", "LANG", "OPENMOSPROM_LANG", "OPENMOSPROM_WORKSPACE", "OPENMOSPROM_SMTP_PASSWORD", "Excel", "Windows",
         "none", "starttls", "ssl", "true", "false", "points", "last", "eml", "xlsx", "csv",
         "python", "openmosprom_cli",      # the tests run it as python -m openmosprom_cli
         "roster_email", "txt"}            # the file name of the email template


def _russian(args: list[str], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENMOSPROM_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(LANG="ru_RU.UTF-8", COLUMNS="80", OPENMOSPROM_TODAY="2026-11-30")
    result = subprocess.run([sys.executable, "-m", "openmosprom_cli", *args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def workflow(tmp_path_factory) -> tuple[str, Path]:
    """Everything the README's workflow prints, from ``init`` to ``rosters email``, and the season's folder."""
    root = tmp_path_factory.mktemp("russian")
    printed = [_russian(["--help"], root), _russian(["init", "season-2026", "--year", "2026"], root)]
    season = root / "season-2026"
    write_sample_schedules(season / "inbox", 2026)
    for args in (["schedules", "template", "estet.xlsx", "--site-id", "estet"], ["schedules", "import", "inbox/"],
                 ["schedules", "list"], ["slots", "generate"], ["slots", "list"], ["slots", "export", "tours.xlsx"]):
        printed.append(_russian(args, season))
    opened = open_season(season)
    with opened.reader() as conn:
        tours, sites = load_tours(conn), load_sites(conn)
    write_registrant_export(season / "export.csv", generate_registrant_rows(tours, sites, count=300, seed=15))
    printed.append(_russian(["registrants", "import", "export.csv", "--skip-invalid"], season))
    with opened.reader() as conn:
        someone = sorted(r.id for r in load_registrants(conn))[0]
    for args in (["registrants", "list"], ["assign"], ["explain", someone], ["audit"], ["publish"],
                 ["rosters", "export"], ["rosters", "email"], ["outbox", "list"], ["rosters", "email", "--help"]):
        printed.append(_russian(args, season))
    with opened.reader() as conn:
        told = sorted(c.registrant_id for c in load_commitments(conn))[0]
    printed.append(_russian(["explain", told], season))     # why the seat is kept, now that it was announced
    return "\n".join(printed), season


def _our_messages() -> list[str]:
    spec = importlib.util.spec_from_file_location("messages_script", REPO / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    found = module.messages_in_code()
    return [text for (msgid, plural), where in found.items() if any(w.startswith(OURS) for w in where)
            for text in (msgid, plural) if text]


def _english_phrases(message: str) -> list[str]:
    """The runs of at least two English words that a message prints itself (not a command, file or option)."""
    text = re.sub(r"\[/?[a-z ]*\]", "", message)                     # Rich markup
    text = re.sub(r"openmosprom(\s+[a-z][a-z-]*)*", " ", text)       # a command
    phrases = []
    for part in re.split(r"\{[^}]*\}|\n|[«»()`;:]", text):
        words = [w for w in part.split() if re.fullmatch(r"[A-Za-z][a-z']+[,.]?", w) and w.strip(",.") not in COMMANDS]
        if len(words) >= 2 and len(part.split()) == len(words):
            phrases.append(" ".join(words))
    return phrases


def test_the_command_lines_own_messages_are_all_in_russian(workflow):
    printed, _season = workflow
    flat = " ".join(printed.split())
    leaked = sorted({phrase for message in _our_messages() for phrase in _english_phrases(message)
                     if phrase in flat})
    assert leaked == []


def test_its_tables_fit_80_columns_and_keep_every_id_whole(workflow):
    printed, season = workflow
    tables = [line for line in printed.splitlines() if line[:1] in set("┏┃┡│└")]
    assert tables and all(len(line) <= 80 for line in tables)
    assert "…" not in printed
    with open_season(season).reader() as conn:
        tour_ids = [t.tour_id for t in load_tours(conn)]
    assert all(tour_id in printed for tour_id in tour_ids)


def _english_words(printed: str, season: Path) -> list[str]:
    with open_season(season).reader() as conn:
        known = set(load_sites(conn))
    text = re.sub(r"'[^'\n]*'", " ", printed)                                      # values quoted from the data
    text = re.sub(r"\S*[/@]\S*|\S+\.(xlsx|csv|eml|toml|db)\b", " ", text)      # paths, addresses, file names
    text = re.sub(r"\[[a-z_]+\]", " ", text)                                      # sections of season.toml
    text = re.sub(r"(?<!\S)--?[\w-]+", " ", text)                                 # options
    text = re.sub(r"\b[\w-]*\d[\w-]*\b", " ", text)                                # IDs, dates, fingerprints
    words = re.findall(r"[A-Za-z][A-Za-z_'-]*[A-Za-z]", text)
    return sorted({w for w in words if w not in COMMANDS | NAMES and w.lower() not in known
                   and not all(part in known for part in w.lower().split("-"))})


def test_a_new_user_reads_no_english_word_from_init_to_rosters_email(workflow):
    printed, season = workflow
    assert _english_words(printed, season) == []


def test_click_s_usage_words_are_russian_too(tmp_path, cli):
    shown = _russian(["rosters", "--help"], tmp_path)
    assert "rosters [ПАРАМЕТРЫ] КОМАНДА" in shown and "[АРГУМЕНТЫ]..." in shown and "[OPTIONS]" not in shown
    assert "[ПАРАМЕТРЫ]" in _russian(["rosters", "email", "--help"], tmp_path)
    assert "[OPTIONS]" in cli("rosters", "email", "--help").output


_EVERY_HELP = """
import typer
from typer.testing import CliRunner
from openmosprom_cli.cli.main import app

def paths(command, path):
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from paths(sub, [*path, name])

for path in paths(typer.main.get_command(app), []):
    print(CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"}).output)
"""
# Placeholders that are names in Russian too.
_NAMES_IN_CAPITALS = {"ID", "ID...", "VK", "CSV", "ISO", "JSON", "SMTP", "TLS", "UTF", "LANG"}


def test_every_command_s_help_names_its_values_in_russian(tmp_path):
    """What an argument or an option takes (a file, a tour, a date, a number) is named in Russian in the help of
    every command, not as click names it from the parameter or its type (FILE, TOUR, TEXT, INTEGER)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENMOSPROM_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(LANG="ru_RU.UTF-8")
    shown = subprocess.run([sys.executable, "-c", _EVERY_HELP], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300, check=True).stdout
    assert shown.count("Использование:") > 50
    assert "--site ТЕКСТ" in shown and "--year ЧИСЛО" in shown and "slots add [ПАРАМЕТРЫ] ПЛОЩАДКА ДАТА НАЧАЛО" in shown
    in_capitals = set(re.findall(r"(?<![\w$-])[A-Z][A-Z_]{1,}(?:\.\.\.)?(?![\w.])", shown))
    assert in_capitals <= _NAMES_IN_CAPITALS, sorted(in_capitals - _NAMES_IN_CAPITALS)
