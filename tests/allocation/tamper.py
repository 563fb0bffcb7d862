"""Editing the current run's stored columns behind the season's back, as tampering would: the audit must notice.

The fingerprints recorded with the run are left as they were.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from typing import Any

from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.result_columns import ResultColumns
from openmosprom_cli.allocation.snapshot_columns import SnapshotColumns
from openmosprom_cli.allocation.stored import current_run, load_result
from openmosprom_cli.store.runs import INPUTS, RESULT, save_columns


def snapshot_document(season) -> dict[str, Any]:
    """The current run's stored inputs in their JSON form (:meth:`AllocationInput.to_json`)."""
    with season.reader() as conn:
        return copy.deepcopy(dict(current_run(conn).inputs))


def snapshot_text(season) -> str:
    """Everything the current run's stored inputs say, as one text (the purges included)."""
    with season.reader() as conn:
        run = current_run(conn)
        return json.dumps({**run.inputs, "purges": [p.to_json() for p in run.purges]}, ensure_ascii=False)


def edit_inputs(season, change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
    """Change the stored applicants (JSON form, by ID) and store the inputs again."""
    with season.transaction() as conn:
        run = current_run(conn)
        document = copy.deepcopy(dict(run.inputs))
        change({a["id"]: a for a in document["applicants"]})
        edited = SnapshotColumns.of(AllocationInput.from_json(document), run.snapshot_columns.purges)
        save_columns(conn, run.run_id, INPUTS, edited.stored())


def edit_result(season, change: Callable[[ResultColumns], ResultColumns]) -> None:
    """Replace the stored result's columns by what ``change`` makes of them."""
    with season.transaction() as conn:
        run = current_run(conn)
        save_columns(conn, run.run_id, RESULT, change(load_result(conn, run.run_id).columns).stored())


def forge_head(season, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the stored inputs' head (everything but the applicants) and record its new fingerprint too,
    as a forger hiding the edit would: only what the inputs say about the world can give it away."""
    with season.transaction() as conn:
        run = current_run(conn)
        columns = run.snapshot_columns
        head = copy.deepcopy(columns.head)
        change(head)
        edited = dataclasses.replace(columns, head=head)
        save_columns(conn, run.run_id, INPUTS, edited.stored())
        conn.execute("UPDATE allocation_runs SET inputs_fingerprint = ? WHERE run_id = ?",
                     (edited.fingerprint(), run.run_id))
