"""Accounts that may be one person: clusters that share a normalised phone, an email, or a full name together
with a birth date, each with its evidence. Pure: records in, clusters out.

A shared phone or email alone is a family as often as a duplicate, so only
the organizer decides those. A group whose accounts share the phone, the full
name and the birth date all at once is *strict*: the only kind that
``[duplicates] auto_merge`` may merge by itself. The evidence names what is
shared and shows it masked, so the list can be read aloud or pasted without
spreading the values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openmosprom_cli.io.values import normalize_header
from openmosprom_cli.models import Registrant

PHONE, EMAIL, NAME_AND_BIRTH = "phone", "email", "name and birth date"
_NOT_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class Evidence:
    kind: str                  # PHONE | EMAIL | NAME_AND_BIRTH
    shown: str                 # the shared value, masked
    ids: tuple[str, ...]       # the accounts that share it


@dataclass(frozen=True)
class Cluster:
    """Accounts linked by shared evidence, directly or through one another."""

    ids: tuple[str, ...]               # the suggested one to keep first, then by priority
    evidence: tuple[Evidence, ...]
    strict: tuple[tuple[str, ...], ...]  # groups within it sharing phone, full name and birth date at once

    @property
    def keep(self) -> str:
        return self.ids[0]


def normalised_phone(phone: str) -> str:
    """The ten digits after the country code of a Russian number; "" when it is not one."""
    digits = _NOT_DIGITS.sub("", phone or "")
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    return digits if len(digits) == 10 else ""


def normalised_email(email: str) -> str:
    return (email or "").strip().casefold()


def normalised_name(name: str) -> str:
    """Case, ё and the order of the words aside: «Иванова Анна» is «анна иванова»."""
    return " ".join(sorted(normalize_header(name).split()))


def keeping_order(person: Registrant) -> tuple:
    """Which account of a cluster to keep first: the highest score, then the earliest registration, then the ID."""
    return (-float(person.score), person.registered_at is None, person.registered_at or dt.datetime.min,
            len(person.id), person.id)


def mask_phone(digits: str) -> str:
    return f"+7 {digits[:3]} ***-**-{digits[-2:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _keys(person: Registrant) -> list[tuple[str, str, str]]:
    """(kind, key, masked) of what can link this account to another."""
    found = []
    phone = normalised_phone(person.phone)
    if phone:
        found.append((PHONE, phone, mask_phone(phone)))
    email = normalised_email(person.email)
    if "@" in email:
        found.append((EMAIL, email, mask_email(email)))
    name = normalised_name(person.full_name)
    if name and person.birth_date is not None:
        found.append((NAME_AND_BIRTH, f"{name}|{person.birth_date.isoformat()}", "the same full name and birth date"))
    return found


def strict_key(person: Registrant) -> str | None:
    """Phone, full name and birth date together; None when any is missing."""
    phone, name = normalised_phone(person.phone), normalised_name(person.full_name)
    if not phone or not name or person.birth_date is None:
        return None
    return f"{phone}|{name}|{person.birth_date.isoformat()}"


def find_clusters(people: Iterable[Registrant]) -> tuple[Cluster, ...]:
    """Every cluster of two or more accounts, the largest first; within one, the account to keep first."""
    people = list(people)
    by_id = {p.id: p for p in people}
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    shown: dict[tuple[str, str], str] = {}
    for person in people:
        for kind, key, masked in _keys(person):
            groups[(kind, key)].append(person.id)
            shown[(kind, key)] = masked
    parent = {p.id: p.id for p in people}

    def root(rid: str) -> str:
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    shared = {k: ids for k, ids in groups.items() if len(ids) > 1}
    for ids in shared.values():
        for other in ids[1:]:
            a, b = root(ids[0]), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = defaultdict(list)
    for rid in parent:
        members[root(rid)].append(rid)
    strict: dict[str, list[str]] = defaultdict(list)
    for person in people:
        strict_id = strict_key(person)
        if strict_id is not None:
            strict[strict_id].append(person.id)
    clusters = []
    for ids in members.values():
        if len(ids) < 2:
            continue
        ordered = tuple(sorted(ids, key=lambda rid: keeping_order(by_id[rid])))
        inside = set(ids)
        evidence = tuple(sorted((Evidence(kind, shown[(kind, key)], tuple(sorted(found, key=ordered.index)))
                                 for (kind, key), found in shared.items() if found[0] in inside),
                                key=lambda e: (e.kind, e.ids)))
        groups_inside = tuple(tuple(sorted(g, key=ordered.index)) for g in strict.values()
                              if len(g) > 1 and g[0] in inside)
        clusters.append(Cluster(ordered, evidence, tuple(sorted(groups_inside))))
    return tuple(sorted(clusters, key=lambda c: (-len(c.ids), c.ids)))


def shared_evidence(people: Sequence[Registrant]) -> tuple[str, ...]:
    """What every account of ``people`` shares with the first (kinds only), for the merge's record."""
    first = {kind: key for kind, key, _ in _keys(people[0])}
    kinds = []
    for kind, key in first.items():
        if all(any(k == kind and v == key for k, v, _ in _keys(p)) for p in people[1:]):
            kinds.append(kind)
    return tuple(kinds)
