"""Every command documents itself with an example, and --help stays fast."""

import subprocess
import sys

import click
import pytest
import typer

from openmosprom_cli.cli.main import app


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
