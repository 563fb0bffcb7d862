"""Every command documents itself with an example, and --help stays fast."""

import re
import subprocess
import sys

import click
import pytest
import typer

from openmosprom_cli.cli.main import app
from openmosprom_cli.errors import EXIT_STATUSES
from tests.paths import REPO


def _commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path, command


ALL_COMMANDS = list(_commands(typer.main.get_command(app)))


def test_there_are_commands():
    names = {" ".join(path) for path, _ in ALL_COMMANDS}
    assert {"init", "demo"} <= names


@pytest.mark.parametrize("path,command", ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_every_command_has_help_with_an_example(path, command):
    assert command.help, f"{' '.join(path)} has no help"
    assert "Example" in command.help and "openmosprom " in command.help, f"{' '.join(path)} help has no example"


@pytest.mark.parametrize("path,command", ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_every_option_is_documented(path, command):
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in {"help"}:
            assert param.help, f"{' '.join(path)} option {param.opts} has no help"


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from openmosprom_cli.cli.main import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('pandas', 'openpyxl', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_module_entry_point_works():
    result = subprocess.run([sys.executable, "-m", "openmosprom_cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("openmosprom ")


@pytest.mark.parametrize("path,command", ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_every_argument_is_documented_and_shown(path, command, cli):
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if not arguments:
        return
    output = " ".join(cli(*path, "--help").output.split())
    for argument in arguments:
        assert getattr(argument, "help", None), f"{' '.join(path)} argument {argument.name} has no help"
        first_words = " ".join(argument.help.split()[:3])
        assert first_words in output, f"{' '.join(path)} --help does not show {argument.name}'s help"


# -- documentation that stays true ---------------------------------------------------------

_STATUS = re.compile(r"\bexit(?:s| status(?:es)?)?\s+(?:is\s+)?(\d+)|\b(\d+) when\b", re.I)


def _statuses_named(text: str) -> set[int]:
    return {int(a or b) for a, b in _STATUS.findall(" ".join(text.split()))}


@pytest.mark.parametrize("path,command", ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_every_exit_status_named_in_help_is_one_the_tool_defines(path, command):
    named = _statuses_named(command.help or "")
    for param in command.params:
        named |= _statuses_named(getattr(param, "help", None) or "")
    assert named <= set(EXIT_STATUSES), f"{' '.join(path)} names exit statuses {sorted(named - set(EXIT_STATUSES))}"


def test_the_readme_names_only_exit_statuses_the_tool_defines():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Exit statuses"):][:1500]
    named = {int(n) for n in re.findall(r"\b(\d{1,3})\b", section.split("\n\n")[0])}
    assert named <= set(EXIT_STATUSES), sorted(named - set(EXIT_STATUSES))


@pytest.mark.parametrize("path", [p for p, _ in ALL_COMMANDS], ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_the_readme_names_every_command(path):
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"openmosprom {' '.join(path)}" in readme, f"README.md never mentions `openmosprom {' '.join(path)}`"


def test_a_status_pattern_finds_what_help_texts_say():
    assert _statuses_named("Exit status 75 when the server is down, 65 when it rejects the login.") == {75, 65}
    assert _statuses_named("An unknown ID exits 66.") == {66}
