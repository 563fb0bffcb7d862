"""Migration 5: allocation runs stored as columns.

Release 0.1 kept a run's result as one JSON row per person (``outcomes``) and
one row per waitlist place (``waitlist``). From this step on a run's result and
inputs are arrays in ``run_columns`` (allocation/result_columns.py and
allocation/snapshot_columns.py read them); this module moves the old rows over.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from array import array

RUN_COLUMNS = """
-- Everything of a run that grows with its registrants, as columns: one array or JSON value per row
-- (allocation/result_columns.py and allocation/snapshot_columns.py name and read them).
CREATE TABLE run_columns (
    run_id INTEGER NOT NULL REFERENCES allocation_runs(run_id) ON DELETE CASCADE,
    part TEXT NOT NULL,            -- inputs | result
    name TEXT NOT NULL,
    kind TEXT NOT NULL,            -- a numpy dtype, little-endian ('<i4', '|i1', '<f8'…), or 'json'
    shape TEXT NOT NULL,           -- JSON list of dimensions
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, part, name)
);
-- 1: the inputs as a JSON snapshot in `inputs`, the result fingerprinted as JSON rows (release 0.1);
-- 2: inputs and result in run_columns, both fingerprints over the arrays.
ALTER TABLE allocation_runs ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
"""

# The outcome codes as release 0.1 stored them, in the order of models.OUTCOME_TEXT when the columns came.
_CODES_AT_COLUMNS = ("placed", "full", "below_min_age", "no_birth_date", "no_passport", "companions_not_allowed",
                     "not_citizen", "unknown_choice", "limit_reached", "overlaps", "not_reached", "held",
                     "holds_seat")


def results_as_columns(conn: sqlite3.Connection) -> None:
    """Each run's per-person JSON outcomes and its waitlist rows become the columns of its result.

    The run keeps format 1: its fingerprint is recomputed from the columns in
    the JSON form it was made of, so the audit still checks it against the
    value recorded when it ran.
    """
    for (run_id,) in conn.execute("SELECT run_id FROM allocation_runs ORDER BY run_id").fetchall():
        people = [(rid, json.loads(text)) for rid, text in conn.execute(
            "SELECT registrant_id, outcomes FROM outcomes WHERE run_id = ? ORDER BY priority, registrant_id",
            (run_id,))]
        waitlist = conn.execute("SELECT tour_id, registrant_id FROM waitlist WHERE run_id = ? "
                                "ORDER BY tour_id, position", (run_id,)).fetchall()
        place = {rid: i for i, (rid, _) in enumerate(people)}
        for _, rid in waitlist:     # on a waitlist without an outcome: only in a damaged run, which the audit names
            if rid not in place:
                place[rid] = len(people)
                people.append((rid, []))
        outcomes = [o for _, rows in people for o in rows]
        tours = sorted({str(o["tour_id"]) for o in outcomes if o.get("tour_id") is not None}
                       | {tour_id for tour_id, _ in waitlist})
        choices = sorted({str(o.get("choice", "")) for o in outcomes})
        codes = [*_CODES_AT_COLUMNS, *sorted({str(o.get("code", "")) for o in outcomes} - set(_CODES_AT_COLUMNS))]
        width = max((len(rows) for _, rows in people), default=0)
        tour_index, choice_index, code_index = ({v: i for i, v in enumerate(vs)} for vs in (tours, choices, codes))
        choice, code, tour = array("i", [-1]) * (len(people) * width), array("b", [-1]) * (len(people) * width), \
            array("i", [-1]) * (len(people) * width)
        for p, (_, rows) in enumerate(people):
            for j, o in enumerate(rows):
                choice[p * width + j] = choice_index[str(o.get("choice", ""))]
                code[p * width + j] = code_index[str(o.get("code", ""))]
                tour[p * width + j] = tour_index[str(o["tour_id"])] if o.get("tour_id") is not None else -1
        columns = {
            "people": _json_column([rid for rid, _ in people]), "tours": _json_column(tours),
            "choices": _json_column(choices), "codes": _json_column(codes),
            "choice": _int_column(choice, (len(people), width)), "code": _int_column(code, (len(people), width)),
            "tour": _int_column(tour, (len(people), width)),
            "waitlist_tour": _int_column(array("i", [tour_index[t] for t, _ in waitlist]), (len(waitlist),)),
            "waitlist_person": _int_column(array("i", [place[rid] for _, rid in waitlist]), (len(waitlist),)),
        }
        conn.executemany("INSERT INTO run_columns (run_id, part, name, kind, shape, data) "
                         "VALUES (?, 'result', ?, ?, ?, ?)",
                         [(run_id, name, *column) for name, column in columns.items()])
    conn.execute("DROP TABLE outcomes")
    conn.execute("DROP TABLE waitlist")


def _json_column(value: object) -> tuple[str, str, bytes]:
    return "json", "[]", json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _int_column(values: array, shape: tuple[int, ...]) -> tuple[str, str, bytes]:
    if sys.byteorder != "little":
        values = array(values.typecode, values)
        values.byteswap()
    kind = "|i1" if values.itemsize == 1 else f"<i{values.itemsize}"
    return kind, json.dumps(list(shape)), values.tobytes()
