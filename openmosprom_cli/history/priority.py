"""The history as the priority policy reads it: for a run (``assign``), and again for its audit.

The policy itself is pure (:mod:`openmosprom_cli.allocation.policy`); this
module gives it the facts, from a history checked against its digests: an
edited history is refused, never used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openmosprom_cli.allocation.inputs import Applicant
from openmosprom_cli.allocation.policy import PersonFacts, PolicyRun, apply_policy, person_facts
from openmosprom_cli.history.seasons import load_history
from openmosprom_cli.models import Registrant
from openmosprom_cli.settings import PrioritySettings
from openmosprom_cli.store.history import iter_policy_rows


def policy_for_run(conn: sqlite3.Connection, settings: PrioritySettings,
                   people: Iterable[Registrant]) -> PolicyRun | None:
    """The applicants with the policy applied; None when ``[priority]`` is off. Refuses an edited history."""
    if not settings.enabled:
        return None
    history = load_history(conn)
    history.require_intact()
    seasons = [(s.season_key, s.digest) for s in history.seasons]
    facts = person_facts([key for key, _ in seasons], iter_policy_rows(conn), settings.no_show_seasons)
    cache: dict[str, bool] = {}
    return apply_policy([Applicant.of(p, citizen_cache=cache) for p in people], facts, settings, seasons)


def facts_for_audit(conn: sqlite3.Connection, record: Mapping[str, Any]) -> dict[str, PersonFacts] | None:
    """The facts the history gives now for the seasons a run used; None when it no longer holds them as they were
    (aged out, imported again since, or edited): then only the stored record can be checked."""
    history = load_history(conn)
    held = {s.season_key: s.digest for s in history.seasons if s.intact}
    used: Sequence[Sequence[str]] = record.get("seasons", ())
    if any(held.get(key) != digest for key, digest in used):
        return None
    keys = [key for key, _ in used]
    wanted = set(keys)
    rows = (row for row in iter_policy_rows(conn) if row[0] in wanted)
    return person_facts(keys, rows, int(record["settings"]["no_show_seasons"]))
