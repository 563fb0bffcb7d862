"""Tables readable in 80 columns (issue 15, point 2): an ID is never cut, names wrap instead of ending in "…",
and when even that is too wide the columns of lowest priority are left out, and named."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from openmosprom_cli.cli.common import FIXED, ID, NUMBER, new_table

LONG_FILE = "yuvelirnyj-zavod-moskovskij-imeni-kogo-to.xlsx"
LONG_NAME = "Ювелирный завод «Московский» имени Героя Социалистического Труда"


def _printed(table, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, highlight=False).print(table)
    return out.getvalue()


def _roster_table():
    table = new_table(title="Rosters of allocation run 3 (seed 2026)")
    table.add_column("File", kind=ID, priority=9)
    table.add_column("Site", priority=6)
    for header in ("Tours", "People", "Seats", "Standby", "Waiting"):
        table.add_column(header, kind=NUMBER, priority=5)
    table.add_column("vs last", kind=FIXED, priority=4)
    table.add_column("Access", kind=FIXED, priority=1)
    table.add_row(LONG_FILE, LONG_NAME, "3", "45", "60", "9", "12", "unchanged", "owner")
    table.add_row("estet.xlsx", "Эстет", "3", "45", "60", "9", "12", "new", "all")
    return table


@pytest.mark.parametrize("width", [80, 60, 50])
def test_a_narrow_table_keeps_ids_whole_wraps_names_and_names_the_columns_left_out(width):
    shown = _printed(_roster_table(), width)
    assert all(len(line) <= width for line in shown.splitlines())
    assert LONG_FILE in shown and "estet.xlsx" in shown           # on one line, never folded
    assert "…" not in shown
    assert "Not shown at this width:" in shown and "Access" in shown.split("Not shown at this width:")[1]


def test_the_name_wraps_at_its_spaces_rather_than_being_cut():
    shown = _printed(_roster_table(), 80)
    words = [word for line in shown.splitlines() for word in line.replace("│", " ").split()]
    for word in LONG_NAME.split():
        assert word in words


def test_a_wide_console_shows_every_column_and_no_note():
    shown = _printed(_roster_table(), 200)
    for header in ("File", "Site", "Tours", "People", "Seats", "Standby", "Waiting", "vs last", "Access"):
        assert header in shown
    assert LONG_NAME in shown and "Not shown" not in shown


def test_the_lowest_priority_goes_first_and_of_equal_ones_the_rightmost():
    shown = _printed(_roster_table(), 80)
    left_out = shown.split("Not shown at this width:")[1]
    assert "Access" in left_out and "File" not in shown.split("Not shown")[1]
    assert "File" in shown.split("Not shown")[0] and "Site" in shown.split("Not shown")[0]


# -- the commands, on the demo season (tests/cli/conftest.py), in 80 columns ----------------------------------------

def _narrow(cli, *args):
    result = cli(*args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    # The tables fit; a sentence with a long path is left to the terminal to wrap (soft wrap).
    tables = [line for line in result.output.splitlines() if line[:1] in set("┏┃┡│└")]
    assert tables and all(len(line) <= 80 for line in tables), result.output
    assert "…" not in result.output
    return result.output


def test_rosters_export_and_email_show_every_site_id_and_file_name_whole(cli, demo_season):
    where = demo_season.path
    exported = _narrow(cli, "rosters", "export", "-w", where)
    emailed = _narrow(cli, "rosters", "email", "-w", where)
    for site in demo_season.rosters.sites:
        assert site.path.name in exported
        assert site.site_id in emailed
    for header in ("File", "People", "Seats"):
        assert header in exported


def test_schedules_import_shows_every_site_whole(cli, demo_season):
    shown = _narrow(cli, "schedules", "import", demo_season.path / "schedules", "-w", demo_season.path)
    for site in demo_season.schedules.sites:
        assert site.site_id in shown
    assert "Tours" in shown and "Status" in shown


def test_slots_list_and_registrants_list_keep_their_ids_whole(cli, demo_season):
    where = demo_season.path
    tours = _narrow(cli, "slots", "list", "-w", where)
    for tour in demo_season.tours.result.tours:
        assert tour.tour_id in tours
    people = _narrow(cli, "registrants", "list", "-w", where)
    assert "ID" in people and "Full name" in people
