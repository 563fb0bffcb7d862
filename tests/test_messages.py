"""The Russian interface: every message has its Russian text, and no message escapes translation.

Messages are marked with ``_()``, ``ngettext()`` or ``Msg()`` (openmosprom_cli/i18n.py) and collected by
scripts/messages.py. The second test reads the code: text given to an error, a problem, a warning, an
audit's violation, the console, a table header or an option's help must be one of those, never a bare
literal or f-string. A line that shows no words of ours (a file name, a value) may say so with
``# not a message``.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from openmosprom_cli.i18n import Msg, detect_language, weekday

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "openmosprom_cli"


def _messages_script():
    spec = importlib.util.spec_from_file_location("messages_script", ROOT / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_message_has_its_russian_text_and_the_catalogue_is_compiled():
    assert _messages_script().check() == []


# -- nothing escapes the catalogue ----------------------------------------------------------------------

INTERNAL_ERRORS = {"ValueError", "TypeError", "AssertionError", "KeyError", "NotImplementedError", "RuntimeError",
                   "AttributeError", "OSError", "StopIteration", "IndexError", "UnicodeError", "SystemExit"}
PRINTERS = {"print", "echo", "add_row"}       # console.print, typer.echo, a table's row
CARRIERS = {"Problem", "ValueProblem", "add", "append", "warn"}
WORDS = re.compile(r"[A-Za-zА-Яа-яЁё]{2,}")
EXEMPT = "# not a message"


def _text_of(node: ast.AST) -> str | None:
    """The words a literal or an f-string writes itself, or None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _untranslated(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []

    def flag(node: ast.AST, what: str) -> None:
        text = _text_of(node)
        if text is None or not WORDS.search(text):
            return
        line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
        if EXEMPT in line or EXEMPT in lines[getattr(node, "end_lineno", node.lineno) - 1]:
            return
        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what}: {text[:60]!r}")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            name = _call_name(node.exc)
            if name not in INTERNAL_ERRORS:
                for arg in node.exc.args:
                    flag(arg, f"raise {name}")
                for keyword in node.exc.keywords:
                    if keyword.arg in ("hint", "message"):
                        flag(keyword.value, f"raise {name} {keyword.arg}=")
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            carries = name in CARRIERS or name == "at" or (name in PRINTERS and isinstance(node.func, ast.Attribute))
            if carries:
                for arg in node.args:
                    flag(arg, name)
            elif name == "Violation":   # its message; its check is a code, put in words by cli/allocation.check_text
                for arg in node.args[1:2]:
                    flag(arg, name)
                for keyword in node.keywords:
                    if keyword.arg == "message":
                        flag(keyword.value, f"{name} message=")
            elif name in ("add_column", "new_table", "Table"):
                for arg in node.args[:1]:
                    flag(arg, name)
                for keyword in node.keywords:
                    if keyword.arg == "title":
                        flag(keyword.value, f"{name} title=")
            for keyword in node.keywords:
                if keyword.arg == "help" and name in ("Option", "Argument", "Typer", "command"):
                    flag(keyword.value, f"{name} help=")
    return found


def test_no_message_escapes_the_catalogue():
    found = [problem for path in sorted(PACKAGE.rglob("*.py")) for problem in _untranslated(path)]
    assert found == []


# -- choosing the language, and speaking it ----------------------------------------------------------

@pytest.mark.parametrize("argv,environ,expected", [
    ([], {}, "en"),
    ([], {"LANG": "ru_RU.UTF-8"}, "ru"),
    ([], {"LANG": "ru_RU.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
    ([], {"LANG": "en_US.UTF-8", "OPENMOSPROM_LANG": "ru"}, "ru"),
    (["--lang", "ru"], {"OPENMOSPROM_LANG": "en"}, "ru"),
    (["--lang=en"], {"LANG": "ru_RU.UTF-8"}, "en"),
    ([], {"OPENMOSPROM_LANG": "klingon"}, "en"),
])
def test_the_language_comes_from_the_option_the_variable_or_the_locale(argv, environ, expected):
    assert detect_language(argv, environ) == expected


def test_a_message_is_rendered_in_the_language_asked_for():
    message = Msg("row {row}", row=5)
    assert message.render("en") == "row 5"
    assert message.render("ru") == "строка 5"


def test_weekdays_follow_the_interface(monkeypatch):
    import datetime as dt

    from openmosprom_cli import i18n

    monday = dt.date(2026, 12, 14)
    assert weekday(monday) == "Mon"
    monkeypatch.setattr(i18n, "_language", "ru")
    assert weekday(monday) == "пн"


def run_in(language_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENMOSPROM_LANG", "LANG", "LC_ALL", "LANGUAGE")}
    return subprocess.run([sys.executable, "-m", "openmosprom_cli", *args], capture_output=True, text=True,
                          env={**env, **language_env}, cwd=ROOT)


def test_help_is_russian_in_a_russian_locale_and_english_otherwise():
    russian = run_in({"LANG": "ru_RU.UTF-8"}, "--help")
    assert "Использование:" in russian.stdout and "Команды" in russian.stdout
    english = run_in({"LANG": "C.UTF-8"}, "--help")
    assert "Usage:" in english.stdout and "Commands" in english.stdout
    assert "Использование:" in run_in({}, "--lang", "ru", "--help").stdout
