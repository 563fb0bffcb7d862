"""Running a draw, a redraw of unclaimed prizes, and recording hand-outs; each in one season transaction.

A draw sees the catalogue, everyone registered with their points as imported
and their «Призы», the exclusions (``prizes-excluded.csv``, merged duplicate
accounts, and with ``[prizes] exclude_cancelled`` the cancelled), and the
prizes already handed over, which it keeps. Like ``assign`` it stores the run
with its seed, the inputs it saw and both fingerprints, as the current draw.
A new draw that would take or change a prize someone holds asks first.

A redraw keeps the current draw's ranking and seed: the winners who did not
collect by the date given lose their prize (those whose tour comes later
keep it), and the prizes go to the next in order who qualify and have room.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.errors import BadDataError, Declined, Location, MissingInputError
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.prizes.current import earliest_tours, load_current_prizes
from openmosprom_cli.prizes.draw import (
    CANCELLED,
    EXCLUDED,
    MERGED,
    DrawInput,
    DrawResult,
    age_class,
    draw,
    item_json,
)
from openmosprom_cli.prizes.exclusions import read_exclusions
from openmosprom_cli.prizes.preferences import item_lookup, resolve_preferences
from openmosprom_cli.prizes.records import Award, Contestant, PrizeItem
from openmosprom_cli.registrants.cells import MOSCOW, canonical_id
from openmosprom_cli.season import clock
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.changes import last_change_id, load_cancellations, load_publications
from openmosprom_cli.store.merges import load_merges
from openmosprom_cli.store.prizes import (
    add_handout,
    insert_awards,
    insert_current_draw,
    load_awards,
    load_contestant_rows,
    load_current_draw,
    load_handouts,
    load_items,
    load_preferences,
    remove_handout,
    save_draw_summary,
)
from openmosprom_cli.store.registrants import load_registrant
from openmosprom_cli.store.tours import load_tours


@dataclass(frozen=True)
class ItemCount:
    item_id: str
    name: str
    stock: int
    given: int
    preferred: int          # of them, taken as the winner's own preference

    @property
    def left(self) -> int:
        return self.stock - self.given


@dataclass(frozen=True)
class PrizeLoss:
    """A prize someone held in the current draw that a new draw would take or change."""

    registrant_id: str
    item_id: str
    instead: tuple[str, ...]


@dataclass(frozen=True)
class DrawReport:
    draw_id: int
    created_at: str
    kind: str                                        # draw | redraw
    seed: str
    inputs_fingerprint: str
    result_fingerprint: str
    contestants: int
    excluded: tuple[tuple[str, int], ...]            # (why, people)
    winners: int
    items: tuple[ItemCount, ...]
    unknown_preferences: tuple[tuple[str, int], ...] = ()   # (name as written, people)
    kept: int = 0                                    # awards kept: handed over, or a redraw's standing ones
    forfeited: int = 0                               # a redraw: prizes not collected in time
    based_on: int | None = None
    warnings: tuple[str, ...] = ()                   # Msgs

    @property
    def given(self) -> int:
        return sum(i.given for i in self.items)


ConfirmLosses = Callable[[Sequence[PrizeLoss]], bool]


# -- a draw -------------------------------------------------------------------------------------

def run_draw(season: Season, seed: str | int | None = None, *,
             confirm: ConfirmLosses = lambda losses: False) -> DrawReport:
    """Draw the prizes and store the draw as the season's current one."""
    seed = str(seed if seed is not None else season.settings.allocation_seed)
    settings = season.settings.prizes
    exclusions = read_exclusions(season)
    with season.transaction() as conn:
        items = load_items(conn)
        if not items:
            raise MissingInputError(_("the season has no prize catalogue yet"),
                                    hint=_("Write one with `openmosprom prizes template FILE`, fill it in, and "
                                           "`openmosprom prizes import FILE`."))
        registrants = load_contestant_rows(conn)
        if not registrants:
            raise MissingInputError(_("the season has no registrants yet"),
                                    hint=_("Import the mini-app's export with `openmosprom registrants import FILE`."))
        why_out: dict[str, str] = {}
        for merge in load_merges(conn):
            why_out[merge.dropped_id] = MERGED
        if settings.exclude_cancelled:
            for rid in load_cancellations(conn):
                why_out.setdefault(rid, CANCELLED)
        for rid in exclusions.reasons:
            why_out.setdefault(rid, EXCLUDED)
        known = {r[0] for r in registrants}
        warnings = list(exclusions.warnings)
        strangers = sorted(set(exclusions.reasons) - known)
        if strangers:
            warnings.append(Msg("{count} ID(s) of prizes-excluded.csv are not registrants: {ids}",
                                count=len(strangers), ids=", ".join(strangers[:5])))
        today = clock.today()
        min_ages = sorted({i.min_age for i in items if i.min_age})
        lookup = item_lookup(items)
        preferences = load_preferences(conn)
        unknown: Counter[str] = Counter()
        contestants = []
        ages: dict[str | None, int] = {None: 0}
        for rid, score, registered_at, born in registrants:
            if rid in why_out:
                continue
            wanted: tuple[str, ...] = ()
            if rid in preferences:
                wanted, strange = resolve_preferences(preferences[rid], lookup)
                unknown.update(strange)
            if min_ages and born is not None and born not in ages:
                ages[born] = age_class(dt.date.fromisoformat(born), today, min_ages)
            contestants.append(Contestant(rid, float(score), _moment(registered_at),
                                          ages[born] if min_ages else 0, wanted))
        ids = {c.id for c in contestants}
        item_ids = {i.item_id for i in items}
        handouts = load_handouts(conn)
        handed = [key for key in handouts if key[0] in ids and key[1] in item_ids]
        # A prize handed over to someone no longer in the draw is gone all the same: out of the stock.
        gone = Counter(item for rid, item in handouts if rid not in ids and item in item_ids)
        if gone:
            warnings.append(Msg("{count} prize(s) were handed over to people no longer in the draw; they are taken "
                                "out of the stock", count=sum(gone.values())))
            items = [dataclasses.replace(i, stock=max(0, i.stock - gone[i.item_id])) for i in items]
        inputs = DrawInput(tuple(items), tuple(contestants), tuple(sorted((rid, why) for rid, why in why_out.items()
                                                                          if rid in known)),
                           settings.max_per_person, today, tuple(sorted(handed)), (), settings.exclude_cancelled)
        result = draw(inputs, seed)
        previous = load_current_draw(conn)
        if previous is not None:
            losses = _losses(load_awards(conn, previous.draw_id), result.awards)
            told = any(p.at >= previous.created_at for p in load_publications(conn))
            if losses and told and not confirm(losses):
                raise Declined(ngettext("nothing changed: this draw would take or change the prize of {count} "
                                        "winner who may have been told",
                                        "nothing changed: this draw would take or change the prizes of {count} "
                                        "winners who may have been told", len(losses)).format(count=len(losses)),
                               hint=_("Pass --yes to go ahead."))
        return _store(conn, inputs, result, kind="draw", last_change=last_change_id(conn), unknown=unknown,
                      warnings=warnings)


def _moment(stored: str | None) -> dt.datetime | None:
    """A stored registration time as the seats' priority reads it: naive, Moscow time."""
    if not stored:
        return None
    moment = dt.datetime.fromisoformat(stored)
    return moment if moment.tzinfo is None else moment.astimezone(MOSCOW).replace(tzinfo=None)


def _losses(before: Iterable[Award], after: Iterable[Award]) -> tuple[PrizeLoss, ...]:
    now: dict[str, set[str]] = {}
    for a in after:
        now.setdefault(a.registrant_id, set()).add(a.item_id)
    return tuple(PrizeLoss(a.registrant_id, a.item_id, tuple(sorted(now.get(a.registrant_id, ()))))
                 for a in before if a.item_id not in now.get(a.registrant_id, ()))


def _store(conn: sqlite3.Connection, inputs: DrawInput, result: DrawResult, *, kind: str, last_change: int,
           unknown: Mapping[str, int] | None = None, warnings: Sequence[str] = (), based_on: int | None = None,
           extra: Mapping[str, Any] | None = None) -> DrawReport:
    created_at = now_iso()
    fingerprint = result.fingerprint()
    snapshot_text, inputs_fingerprint = inputs.canonical()
    draw_id = insert_current_draw(conn, created_at=created_at, kind=kind, seed=result.seed,
                                  inputs_fingerprint=inputs_fingerprint, result_fingerprint=fingerprint,
                                  snapshot_text=snapshot_text, last_change=last_change, based_on=based_on)
    insert_awards(conn, draw_id, result.awards)
    given = Counter(a.item_id for a in result.awards)
    preferred = Counter(a.item_id for a in result.awards if a.how == "preferred")
    counts = tuple(ItemCount(i.item_id, i.name, i.stock, given[i.item_id], preferred[i.item_id])
                   for i in sorted(inputs.items, key=lambda i: i.rank))
    report = DrawReport(
        draw_id=draw_id, created_at=created_at, kind=kind, seed=result.seed,
        inputs_fingerprint=inputs_fingerprint, result_fingerprint=fingerprint,
        contestants=len(inputs.contestants),
        excluded=tuple(sorted(Counter(why for _, why in inputs.excluded).items())),
        winners=len({a.registrant_id for a in result.awards}), items=counts,
        unknown_preferences=tuple(sorted((unknown or {}).items(), key=lambda kv: (-kv[1], kv[0]))),
        kept=len(inputs.held), forfeited=len(inputs.forfeited), based_on=based_on, warnings=tuple(warnings))
    save_draw_summary(conn, draw_id, {
        # The items again, small, so that rosters and exports never decode the snapshot.
        "items": [item_json(i) for i in sorted(inputs.items, key=lambda i: i.rank)],
        "contestants": report.contestants, "winners": report.winners, "given": report.given,
        "excluded": dict(report.excluded), "kept": report.kept, "forfeited": report.forfeited, **(extra or {})})
    return report


# -- a redraw of unclaimed prizes -----------------------------------------------------------------

def run_redraw(season: Season, after: dt.date) -> DrawReport | None:
    """Give the prizes nobody collected by ``after`` to the next in order; None when every prize was collected
    or its collection is still ahead."""
    today = clock.today()
    if after > today:
        raise BadDataError.at(Location("--after", column=f"{after:%d.%m.%Y}"),
                              Msg("is after today ({today}): a prize is unclaimed only once its day is past",
                                  today=f"{today:%d.%m.%Y}"))
    with season.transaction() as conn:
        prizes = load_current_prizes(conn)
        if prizes is None:
            raise MissingInputError(_("there is no prize draw yet"),
                                    hint=_("Draw them with `openmosprom prizes draw`."))
        base = prizes.draw
        inputs = DrawInput.from_json(base.snapshot)
        tours = {t.tour_id: t for t in load_tours(conn)}
        first = earliest_tours(current_allocation(conn), tours)
        unclaimed = [a for a in prizes.awards if not prizes.is_handed(a)
                     and (a.registrant_id not in first or first[a.registrant_id].date <= after)]
        if not unclaimed:
            return None
        gone = {(a.registrant_id, a.item_id) for a in unclaimed}
        kept = tuple(sorted((a.registrant_id, a.item_id) for a in prizes.awards
                            if (a.registrant_id, a.item_id) not in gone))
        forfeited = tuple(sorted(set(inputs.forfeited) | {a.registrant_id for a in unclaimed}))
        again = dataclasses.replace(inputs, held=kept, forfeited=forfeited)
        result = draw(again, base.seed)
        return _store(conn, again, result, kind="redraw", last_change=base.last_change, based_on=base.draw_id,
                      extra={"after": after.isoformat(), "based_on": base.draw_id})


# -- hand-outs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Handout:
    registrant_id: str
    item_id: str
    name: str
    undone: bool = False


def mark_handed(season: Season, registrant_id: str, item: str | None = None, *, undo: bool = False) -> Handout:
    """Record that the person collected their prize (``item`` among several), or take the record back."""
    registrant_id = canonical_id(registrant_id)
    with season.transaction() as conn:
        prizes = load_current_prizes(conn)
        if prizes is None:
            raise MissingInputError(_("there is no prize draw yet"),
                                    hint=_("Draw them with `openmosprom prizes draw`."))
        mine = prizes.by_person().get(registrant_id, [])
        if not mine:
            known = load_registrant(conn, registrant_id) is not None
            raise BadDataError.at(Location("ID", column=registrant_id),
                                  Msg("won no prize in the current draw") if known
                                  else Msg("is not a registrant of this season"))
        award = _which(mine, item, prizes.item, registrant_id)
        if undo:
            remove_handout(conn, registrant_id, award.item_id)
        else:
            add_handout(conn, registrant_id, award.item_id, at=now_iso(), source="organizer")
        return Handout(registrant_id, award.item_id, prizes.item[award.item_id].name, undo)


def _which(mine: list[Award], item: str | None, items: Mapping[str, PrizeItem], registrant_id: str) -> Award:
    if item is None:
        if len(mine) > 1:
            raise BadDataError(ngettext("{id} won {count} prize ({items}); say which with --item",
                                        "{id} won {count} prizes ({items}); say which with --item", len(mine)).format(
                id=registrant_id, count=len(mine), items=", ".join(a.item_id for a in mine)))
        return mine[0]
    lookup = item_lookup(items[a.item_id] for a in mine)
    wanted, _ = resolve_preferences((item,), lookup)
    if not wanted:
        raise BadDataError.at(Location("--item", column=item),
                              Msg("is not a prize {id} won ({items})", id=registrant_id,
                                  items=", ".join(a.item_id for a in mine)))
    return next(a for a in mine if a.item_id == wanted[0])


def record_handouts(conn: sqlite3.Connection, handed: Iterable[tuple[str, str]], *, source: str,
                    at: str | None = None) -> int:
    """Record hand-outs inside the caller's transaction (a returned roster's «Приз выдан»); how many were new."""
    before = load_handouts(conn)
    new = [key for key in dict.fromkeys(handed) if key not in before]
    for registrant_id, item_id in new:
        add_handout(conn, registrant_id, item_id, at=at or now_iso(), source=source)
    return len(new)
