"""The prize part of ``openmosprom audit``: re-derive the current draw from its stored inputs and seed, and check
every rule on the stored awards, independently of the draw that made them.

- the inputs and the result are those the fingerprints recorded;
- stock: no item given more often than it was in stock;
- tiers: every winner qualifies for what they got (top N, score, age);
- prizes per person: at most ``max_per_person``, each item once;
- priority order: every winner's stored rank is their place in the ranking;
- no justified envy: nobody who took a turn qualified for an item that went to
  someone ranked below them, while they had room or preferred it to one of theirs;
- exclusions: no excluded person won; every account merged away and (with
  ``exclude_cancelled``) everyone cancelled by the draw's last change was left out;
- the result equals the re-derived one;
- a redraw kept every award of the draw it redid, or took it from a winner who
  lost it, with the same catalogue, people and seed.

Apart from violations it lists what needs the organizer's attention: winners
excluded, merged away or (with ``exclude_cancelled``) cancelled since the draw.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from openmosprom_cli.allocation.checks import Violation
from openmosprom_cli.i18n import Msg
from openmosprom_cli.prizes.draw import CANCELLED, MERGED, DrawInput, draw, qualifies, ranking, result_fingerprint
from openmosprom_cli.prizes.records import HELD, Award, Contestant
from openmosprom_cli.store.changes import load_cancellations, load_changes
from openmosprom_cli.store.merges import load_merges
from openmosprom_cli.store.prizes import DrawRow, load_awards, load_current_draw, load_draw, load_draws

# Named apart from the seats' checks, since the audit lists both. Every check's name and every violation's
# message is a Msg: shown in the interface's language.
CHECKS = (Msg("prize inputs fingerprint"), Msg("prize result fingerprint"), Msg("prize stock"), Msg("prize tiers"),
          Msg("prizes per person"), Msg("prize priority order"), Msg("no justified envy of prizes"),
          Msg("prize exclusions"), Msg("prizes equal the re-derived ones"), Msg("chain of prize draws"))


@dataclass(frozen=True)
class PrizeAudit:
    draw_id: int
    created_at: str
    kind: str
    seed: str
    inputs_fingerprint: str
    result_fingerprint: str
    contestants: int
    awards: int
    checks: tuple[str, ...]
    violations: tuple[Violation, ...]
    attention: tuple[str, ...] = ()        # Msgs
    draws_checked: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations


def audit_prizes(conn: sqlite3.Connection, *, all_draws: bool = False, exclusions: Sequence[str] = ()
                 ) -> PrizeAudit | None:
    """The current draw's audit (and every earlier draw's with ``all_draws``); None before the first draw.

    ``exclusions`` are the IDs of ``prizes-excluded.csv`` as it is now, for the attention list.
    """
    current = load_current_draw(conn)
    if current is None:
        return None
    draws = load_draws(conn) if all_draws else [current]
    merges = load_merges(conn)
    changes = load_changes(conn)
    violations: list[Violation] = []
    checked = []
    for row in draws:
        found = audit_draw(conn, row, merges, changes)
        if row.draw_id != current.draw_id:
            found = [Violation(v.check, Msg("draw {draw}: {message}", draw=row.draw_id, message=v.message),
                               v.registrant_id) for v in found]
        violations += found
        checked.append(row.draw_id)
    awards = load_awards(conn, current.draw_id)
    return PrizeAudit(current.draw_id, current.created_at, current.kind, current.seed, current.inputs_fingerprint,
                      current.result_fingerprint, int(current.summary.get("contestants", 0)), len(awards), CHECKS,
                      tuple(violations), _attention(conn, current, awards, merges, exclusions), tuple(checked))


def audit_draw(conn: sqlite3.Connection, row: DrawRow, merges, changes) -> list[Violation]:
    stored = load_awards(conn, row.draw_id)
    violations: list[Violation] = []
    try:
        inputs = DrawInput.from_json(row.snapshot)
    except (KeyError, TypeError, ValueError) as exc:
        return [Violation(CHECKS[0], Msg("the stored inputs cannot be read ({reason})", reason=repr(exc)))]
    if inputs.fingerprint() != row.inputs_fingerprint:
        violations.append(Violation(CHECKS[0], Msg("the stored inputs have fingerprint {actual}, not the recorded "
                                                   "{recorded}: they changed after the draw",
                                                   actual=inputs.fingerprint(), recorded=row.inputs_fingerprint)))
    if result_fingerprint(stored) != row.result_fingerprint:
        violations.append(Violation(CHECKS[1], Msg("the stored awards have fingerprint {actual}, not the recorded "
                                                   "{recorded}: they changed after the draw",
                                                   actual=result_fingerprint(stored), recorded=row.result_fingerprint)))
    violations += check_awards(inputs, row.seed, stored)
    violations += _check_exclusions(inputs, row, merges, changes)
    try:
        derived = draw(inputs, row.seed).awards
    except ValueError as exc:
        violations.append(Violation(CHECKS[8], Msg("the stored inputs cannot be drawn ({reason})", reason=str(exc))))
    else:
        if sorted(map(_key, derived)) != sorted(map(_key, stored)):
            extra = sorted(set(map(_key, stored)) - set(map(_key, derived)))
            missing = sorted(set(map(_key, derived)) - set(map(_key, stored)))
            violations.append(Violation(CHECKS[8], Msg("the stored awards differ from the re-derived ones: "
                                                       "{extra} not due ({extra_ids}), {missing} missing "
                                                       "({missing_ids})", extra=len(extra), extra_ids=_few(extra),
                                                       missing=len(missing), missing_ids=_few(missing))))
    if row.kind == "redraw" and row.based_on is not None:
        violations += _check_chain(conn, row, inputs)
    return violations


def _key(a: Award) -> tuple[str, str, int, str]:
    return (a.registrant_id, a.item_id, a.rank, a.how)


def _few(keys: Sequence[tuple], shown: int = 3) -> str:
    text = ", ".join(f"{k[0]} {k[1]}" for k in keys[:shown])
    return text + (" …" if len(keys) > shown else "") if keys else Msg("none")


def check_awards(inputs: DrawInput, seed: str, awards: Sequence[Award]) -> list[Violation]:
    """Stock, tiers, prizes per person, priority and envy, checked on ``awards`` walked on their own."""
    violations: list[Violation] = []
    items = {i.item_id: i for i in inputs.items}
    people = {c.id: c for c in inputs.contestants}
    order = ranking(inputs.contestants, seed)
    rank_of = {rid: i for i, rid in enumerate(order, start=1)}
    held = set(inputs.held)
    excluded = {rid for rid, _ in inputs.excluded}

    given = Counter(a.item_id for a in awards)
    for item_id, count in sorted(given.items()):
        item = items.get(item_id)
        if item is None:
            violations.append(Violation(CHECKS[2], Msg("{item} was given but is not in the catalogue",
                                                       item=repr(item_id))))
        elif count > item.stock:
            violations.append(Violation(CHECKS[2], Msg("{item}: {count} given, {stock} in stock", item=repr(item.name),
                                                       count=count, stock=item.stock)))
    mine: dict[str, list[Award]] = defaultdict(list)
    for a in awards:
        mine[a.registrant_id].append(a)
        person, item = people.get(a.registrant_id), items.get(a.item_id)
        if a.registrant_id in excluded:
            violations.append(Violation(CHECKS[7], Msg("{id} is excluded but won {item}", id=a.registrant_id,
                                                       item=repr(a.item_id)), a.registrant_id))
            continue
        if person is None or item is None:
            violations.append(Violation(CHECKS[3], Msg("{id} won {item} but is not in the draw", id=a.registrant_id,
                                                       item=repr(a.item_id)), a.registrant_id))
            continue
        if rank_of[a.registrant_id] != a.rank:
            violations.append(Violation(CHECKS[5], Msg("{id} is stored at rank {stored}; the ranking puts them at "
                                                       "{rank}", id=a.registrant_id, stored=a.rank,
                                                       rank=rank_of[a.registrant_id]), a.registrant_id))
        if a.how == HELD:
            if (a.registrant_id, a.item_id) not in held:
                violations.append(Violation(CHECKS[3], Msg("{id}'s {item} is stored as kept, but the draw kept no "
                                                           "such award", id=a.registrant_id, item=repr(a.item_id)),
                                            a.registrant_id))
        elif not qualifies(item, rank_of[a.registrant_id], person):
            violations.append(Violation(CHECKS[3], Msg("{id} (rank {rank}, {points} points) does not qualify for "
                                                       "{item} ({who})", id=a.registrant_id,
                                                       rank=rank_of[a.registrant_id], points=f"{person.score:g}",
                                                       item=repr(item.name), who=item.who), a.registrant_id))
    for rid, theirs in sorted(mine.items()):
        if len(theirs) > inputs.max_per_person:
            violations.append(Violation(CHECKS[4], Msg("{id} won {count} prizes; at most {most} per person", id=rid,
                                                       count=len(theirs), most=inputs.max_per_person), rid))
    violations += _envy(inputs, rank_of, people, mine, awards)
    return violations


def _envy(inputs: DrawInput, rank_of: dict[str, int], people: dict[str, Contestant],
          mine: dict[str, list[Award]], awards: Sequence[Award]) -> list[Violation]:
    """Someone who took a turn, qualified for an item that went to someone ranked below them, and had room for it
    or preferred it to an item of theirs.

    Per item, the people it could have gone to instead are a prefix of the ranking (ranked above its last winner,
    within its top N, and, scores falling along the ranking, at or above its threshold): counted at once for those
    with room, and checked for the winners without room, who are few.
    """
    last: dict[str, int] = {}
    for a in awards:
        if a.how != HELD and a.registrant_id in rank_of:
            last[a.item_id] = max(last.get(a.item_id, 0), rank_of[a.registrant_id])
    if not last:
        return []
    forfeited = set(inputs.forfeited)
    depth = max(last.values())
    ahead = [people[rid] for rid, r in sorted(rank_of.items(), key=lambda kv: kv[1])
             if r < depth and rid not in forfeited and people[rid].score > 0]
    ranks = np.array([rank_of[c.id] for c in ahead], dtype=np.int64)
    falling = -np.array([c.score for c in ahead], dtype=np.float64)      # ascending along the ranking
    ages = np.array([c.age_class for c in ahead], dtype=np.int64)
    has_room = np.array([len(mine.get(c.id, ())) < inputs.max_per_person for c in ahead], dtype=bool)
    # Prefix counts of people with room who are old enough, one per minimum age of the catalogue.
    room_of_age = {m: np.concatenate(([0], np.cumsum(has_room & (ages >= m))))
                   for m in {i.min_age for i in inputs.items}}
    catalogue_rank = {i.item_id: i.rank for i in inputs.items}
    # The winners without room who chose something (kept awards are no choice), with the position of their worst
    # choice in their own order: their preferences first, then the catalogue's.
    full = [n for n, c in enumerate(ahead) if not has_room[n] and any(a.how != HELD for a in mine.get(c.id, ()))]
    worst = {n: max(_position(ahead[n], a.item_id, catalogue_rank) for a in mine[ahead[n].id] if a.how != HELD)
             for n in full}
    full_at = np.array(full, dtype=np.int64)
    # Above this catalogue rank an unlisted item is worse than their worst choice.
    below_worst = np.array([worst[n] - len(ahead[n].preferences) for n in full], dtype=np.int64)
    listers: dict[str, list[int]] = {}
    for n in full:
        for item_id in ahead[n].preferences:
            listers.setdefault(item_id, []).append(n)
    held_items = {(a.registrant_id, a.item_id) for a in awards}
    index_of = {c.id: n for n, c in enumerate(ahead)}
    holders: dict[str, list[int]] = {}
    for rid, item_id in held_items:
        if rid in index_of:
            holders.setdefault(item_id, []).append(index_of[rid])
    violations: list[Violation] = []

    def envies(n: int, item, why: Msg) -> None:
        violations.append(Violation(CHECKS[6], Msg("{id} (rank {rank}) qualified for {item} and {why}, but it went "
                                                   "to rank {winner}", id=ahead[n].id, rank=int(ranks[n]),
                                                   item=repr(item.name), why=why, winner=last[item.item_id]),
                                    ahead[n].id))

    for item in sorted(inputs.items, key=lambda i: i.rank):
        below = last.get(item.item_id)
        if below is None:
            continue
        end = int(np.searchsorted(ranks, below))
        if item.top_n is not None:
            end = min(end, int(np.searchsorted(ranks, item.top_n, side="right")))
        if item.min_score is not None:
            end = min(end, int(np.searchsorted(falling, -item.min_score, side="right")))
        # Those who hold the item already envy nobody for it.
        holding = [n for n in holders.get(item.item_id, ()) if n < end and has_room[n] and ages[n] >= item.min_age]
        if room_of_age[item.min_age][end] > len(holding):
            n = next(n for n in np.flatnonzero(has_room[:end] & (ages[:end] >= item.min_age)).tolist()
                     if n not in holding)
            envies(n, item, Msg("had room for it"))
        within = full_at < end
        candidates = full_at[within & (ages[full_at] >= item.min_age) & (below_worst > item.rank)]
        listed = [n for n in listers.get(item.item_id, ()) if n < end]
        for n in dict.fromkeys([*candidates.tolist(), *listed]):
            if (ahead[n].id, item.item_id) not in held_items and ages[n] >= item.min_age \
                    and _position(ahead[n], item.item_id, catalogue_rank) < worst[n]:
                envies(n, item, Msg("preferred it to a prize of theirs"))
        if len(violations) >= 20:
            break
    return violations


def _position(person: Contestant, item_id: str, catalogue_rank: dict[str, int]) -> int:
    if item_id in person.preferences:
        return person.preferences.index(item_id)
    return len(person.preferences) + catalogue_rank[item_id]


def _check_exclusions(inputs: DrawInput, row: DrawRow, merges, changes) -> list[Violation]:
    why = dict(inputs.excluded)
    contestants = {c.id for c in inputs.contestants}
    violations = []
    merged_then = {m.dropped_id for m in merges if m.change_id <= row.last_change}
    for rid in sorted(merged_then - set(why)):
        if rid in contestants:
            violations.append(Violation(CHECKS[7], Msg("{id} was merged away as a duplicate before the draw, but "
                                                       "took part", id=rid), rid))
    for rid in sorted(r for r, w in why.items() if w == MERGED and r not in merged_then):
        violations.append(Violation(CHECKS[7], Msg("{id} was left out as merged away, but no merge before the draw "
                                                   "says so", id=rid), rid))
    cancelled_then = _cancelled_at(changes, row.last_change)
    if inputs.exclude_cancelled:
        for rid in sorted(cancelled_then & contestants):
            violations.append(Violation(CHECKS[7], Msg("{id} had cancelled before the draw, and exclude_cancelled "
                                                       "is on, but took part", id=rid), rid))
    for rid in sorted(r for r, w in why.items() if w == CANCELLED and (r not in cancelled_then
                                                                       or not inputs.exclude_cancelled)):
        violations.append(Violation(CHECKS[7], Msg("{id} was left out as cancelled, but was not cancelled before "
                                                   "the draw with exclude_cancelled on", id=rid), rid))
    return violations


def _cancelled_at(changes, upto: int) -> set[str]:
    cancelled: set[str] = set()
    for change in changes:
        if change.change_id > upto:
            break
        if change.kind == "cancel" and change.registrant_id:
            cancelled.add(change.registrant_id)
        elif change.kind == "reinstate" and change.registrant_id:
            cancelled.discard(change.registrant_id)
    return cancelled


def _check_chain(conn: sqlite3.Connection, row: DrawRow, inputs: DrawInput) -> list[Violation]:
    base = load_draw(conn, row.based_on) if row.based_on is not None else None
    if base is None:
        return [Violation(CHECKS[9], Msg("the redraw names draw {draw}, which is not stored", draw=row.based_on))]
    violations = []
    base_inputs = DrawInput.from_json(base.snapshot)
    same = {k: v for k, v in inputs.to_json().items() if k not in ("held", "forfeited")}
    if same != {k: v for k, v in base_inputs.to_json().items() if k not in ("held", "forfeited")} \
            or base.seed != row.seed:
        violations.append(Violation(CHECKS[9], Msg("the redraw's catalogue, people or seed differ from draw "
                                                   "{draw}'s", draw=base.draw_id)))
    held = set(inputs.held)
    forfeited = set(inputs.forfeited)
    for a in load_awards(conn, base.draw_id):
        if (a.registrant_id, a.item_id) not in held and a.registrant_id not in forfeited:
            violations.append(Violation(CHECKS[9], Msg("{id}'s {item} of draw {draw} was neither kept nor lost as "
                                                       "unclaimed", id=a.registrant_id, item=repr(a.item_id),
                                                       draw=base.draw_id), a.registrant_id))
    for rid, item_id in sorted(held):
        if rid in forfeited:
            violations.append(Violation(CHECKS[9], Msg("{id} both keeps {item} and lost their prize", id=rid,
                                                       item=repr(item_id)), rid))
    return violations


def _attention(conn: sqlite3.Connection, row: DrawRow, awards: Sequence[Award], merges,
               exclusions: Sequence[str]) -> tuple[str, ...]:
    try:
        inputs = DrawInput.from_json(row.snapshot)
    except (KeyError, TypeError, ValueError):
        return ()
    inputs_excluded = {rid for rid, _ in inputs.excluded}
    winners = sorted({a.registrant_id for a in awards})
    merged_now = {m.dropped_id for m in merges}
    listed = set(exclusions)
    cancelled = load_cancellations(conn) if inputs.exclude_cancelled else {}
    found = []
    for rid in winners:
        if rid in inputs_excluded:
            continue
        if rid in merged_now:
            found.append(Msg("{id} won a prize but was merged away as a duplicate since the draw", id=rid))
        elif rid in listed:
            found.append(Msg("{id} won a prize but is in prizes-excluded.csv since the draw", id=rid))
        elif rid in cancelled:
            found.append(Msg("{id} won a prize but cancelled since the draw (exclude_cancelled is on)", id=rid))
    return tuple(found)
