"""`--help` stays fast by importing little: no Rich, no SQLite, no core stage, no package metadata.

Its speed is measured in benchmarks/bench_help.py; this checks what makes it, without timing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("rich", "sqlite3", "importlib.metadata", "email", "openmosprom_cli.allocation",
         "openmosprom_cli.season.folder", "openmosprom_cli.registrants", "openmosprom_cli.rosters",
         "openmosprom_cli.mail", "openmosprom_cli.io", "openmosprom_cli.models", "openmosprom_cli.settings")

PROBE = """
import json, sys
from openmosprom_cli.cli.main import app
try:
    app(ARGS, prog_name="openmosprom")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["rosters", "--help"], ["registrants", "import", "--help"]])
def test_help_imports_nothing_heavy(args):
    result = subprocess.run([sys.executable, "-c", PROBE.replace("ARGS", repr(args))], capture_output=True, text=True)
    assert "Usage: openmosprom" in result.stdout
    loaded = json.loads(result.stderr.strip().splitlines()[-1])
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    assert heavy == []
