"""The priority policy from earlier seasons (``[priority]`` in season.toml): scores adjusted by history.

Off by default. When on, each applicant's score, for the order of choosing
only, is adjusted from what the imported history says of their VK ID
(:mod:`openmosprom_cli.history`):

- **a no-show penalty**: for each of the last ``no_show_seasons`` imported
  seasons in which the person missed a tour they held (cancelled in time is
  not missing), ``no_show_points`` off; or, with ``no_show_penalty = "last"``,
  they choose after everyone without such a no-show, in their own order;
- **a newcomer bonus**, ``newcomer_bonus``, for those never placed in an
  earlier season (never having applied included);
- **a bonus for the unlucky**, ``never_placed_bonus`` for each earlier season
  they applied in without getting a seat, while they never got one.

"Last" is an adjustment too: everyone penalised loses the same ``shift``, the
spread of all other scores plus one, so that they come after everyone else
and keep their order among themselves.

The adjusted score is what the run allocates by, so it is part of the stored
inputs, with the policy, the seasons it used (each with its digest) and the
facts of everyone the history knows (:func:`policy_record`). ``explain``
shows each adjustment (:func:`adjustments_of`); the audit re-derives every
score from the record (:func:`audit_policy`), and the facts from the history
while the seasons it used are still held.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openmosprom_cli.allocation.inputs import POLICY_KEY, Applicant
from openmosprom_cli.i18n import _, ngettext
from openmosprom_cli.settings import PrioritySettings

NO_SHOW, NO_SHOW_LAST, NEWCOMER, NEVER_PLACED = "no_show", "no_show_last", "newcomer", "never_placed"


@dataclass(frozen=True)
class PersonFacts:
    """What the imported history says of one VK ID, as the policy reads it."""

    applied: int = 0            # earlier seasons they applied in
    placed: int = 0             # of them, seasons they were placed in
    recent_no_shows: int = 0    # of the last no_show_seasons seasons, those with a no-show

    def to_json(self) -> list[int]:
        return [self.applied, self.placed, self.recent_no_shows]

    @classmethod
    def from_json(cls, data: Sequence[int]) -> PersonFacts:
        return cls(int(data[0]), int(data[1]), int(data[2]))


NO_FACTS = PersonFacts()


@dataclass(frozen=True)
class Adjustment:
    kind: str          # no_show | no_show_last | newcomer | never_placed
    points: float      # added to the score (negative: taken off)
    seasons: int = 0   # how many seasons it counts, where it counts any


@dataclass(frozen=True)
class PolicySummary:
    """What ``assign`` prints of the policy it ran with."""

    settings: dict[str, Any]
    seasons: tuple[str, ...]     # the history seasons used, earliest first
    adjusted: int                # people whose score changed
    penalised: int
    newcomers: int
    never_placed: int
    shift: float                 # "last": what everyone penalised lost


@dataclass(frozen=True)
class PolicyRun:
    """The policy applied to one run's applicants."""

    applicants: tuple[Applicant, ...]        # with adjusted scores
    record: dict[str, Any]                   # stored with the run's inputs
    summary: PolicySummary


def settings_json(settings: PrioritySettings) -> dict[str, Any]:
    return {"no_show_penalty": settings.no_show_penalty, "no_show_points": settings.no_show_points,
            "no_show_seasons": settings.no_show_seasons, "newcomer_bonus": settings.newcomer_bonus,
            "never_placed_bonus": settings.never_placed_bonus}


# -- facts from the history ----------------------------------------------------------------------------------

def person_facts(seasons: Sequence[str], rows: Iterable[tuple[str, str, int, int]], no_show_seasons: int
                 ) -> dict[str, PersonFacts]:
    """Per VK ID, from ``(season key, ID, placed, missed)`` rows; ``seasons`` earliest first.

    "The next N seasons" counts the seasons imported, by their dates: a no-show
    counts while its season is one of the last ``no_show_seasons`` imported.
    """
    recent = set(seasons[-no_show_seasons:]) if no_show_seasons > 0 else set()
    applied: dict[str, int] = {}
    placed: dict[str, int] = {}
    missed: dict[str, int] = {}
    for key, rid, was_placed, was_missed in rows:
        applied[rid] = applied.get(rid, 0) + 1
        if was_placed:
            placed[rid] = placed.get(rid, 0) + 1
        if was_missed and key in recent:
            missed[rid] = missed.get(rid, 0) + 1
    return {rid: PersonFacts(n, placed.get(rid, 0), missed.get(rid, 0)) for rid, n in applied.items()}


# -- the adjustments -------------------------------------------------------------------------------------------

def adjustments_of(facts: PersonFacts, settings: Mapping[str, Any], shift: float = 0.0) -> tuple[Adjustment, ...]:
    """One person's adjustments, from their facts and the policy as stored (:func:`settings_json`)."""
    found = []
    if facts.recent_no_shows:
        if settings["no_show_penalty"] == "last":
            found.append(Adjustment(NO_SHOW_LAST, -shift, facts.recent_no_shows))
        elif settings["no_show_points"]:
            found.append(Adjustment(NO_SHOW, -settings["no_show_points"] * facts.recent_no_shows,
                                    facts.recent_no_shows))
    if not facts.placed:
        if settings["newcomer_bonus"]:
            found.append(Adjustment(NEWCOMER, float(settings["newcomer_bonus"])))
        if facts.applied and settings["never_placed_bonus"]:
            found.append(Adjustment(NEVER_PLACED, settings["never_placed_bonus"] * facts.applied, facts.applied))
    return tuple(found)


def _before_last(score: float, facts: PersonFacts, settings: Mapping[str, Any]) -> float:
    return score + sum(a.points for a in adjustments_of(facts, settings) if a.kind != NO_SHOW_LAST)


def last_shift(pre_scores: Iterable[float]) -> float:
    """What "last" takes off: the spread of the scores, plus one, in whole points."""
    values = list(pre_scores)
    return float(math.floor(max(values) - min(values)) + 1) if values else 1.0


def apply_policy(applicants: Sequence[Applicant], facts: Mapping[str, PersonFacts], settings: PrioritySettings,
                 seasons: Sequence[tuple[str, str]]) -> PolicyRun:
    """The applicants with adjusted scores, the record the run stores, and what ``assign`` prints.

    ``seasons``: (key, digest) of the history seasons the facts came from, earliest first.
    """
    policy = settings_json(settings)
    pre = [_before_last(a.score, facts.get(a.id, NO_FACTS), policy) for a in applicants]
    penalised_last = [policy["no_show_penalty"] == "last" and facts.get(a.id, NO_FACTS).recent_no_shows > 0
                      for a in applicants]
    shift = last_shift(pre) if any(penalised_last) else 0.0
    adjusted = []
    counts = {NO_SHOW: 0, NEWCOMER: 0, NEVER_PLACED: 0}
    changed = 0
    for applicant, score, last in zip(applicants, pre, penalised_last, strict=True):
        for adjustment in adjustments_of(facts.get(applicant.id, NO_FACTS), policy, shift):
            counts[NO_SHOW if adjustment.kind == NO_SHOW_LAST else adjustment.kind] += 1
        new = score - shift if last else score
        if new != applicant.score:
            changed += 1
            applicant = dataclasses.replace(applicant, score=new)
        adjusted.append(applicant)
    known = {a.id for a in applicants}
    # The base score of everyone the policy changed, so that the audit re-derives each score, not just trusts it.
    record = {"settings": policy, "shift": shift, "seasons": [list(s) for s in seasons],
              "facts": {rid: f.to_json() for rid, f in sorted(facts.items()) if rid in known},
              "base": {a.id: a.score for a, new in zip(applicants, adjusted, strict=True) if new.score != a.score}}
    summary = PolicySummary(policy, tuple(key for key, _ in seasons), changed, counts[NO_SHOW], counts[NEWCOMER],
                            counts[NEVER_PLACED], shift)
    return PolicyRun(tuple(adjusted), record, summary)


# -- reading it back: explain and the audit -----------------------------------------------------------------------

def policy_record(inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The policy stored with a run's inputs; None when the run used none."""
    record = inputs.get(POLICY_KEY)
    return record if isinstance(record, dict) else None


def person_adjustments(record: Mapping[str, Any], registrant_id: str) -> tuple[Adjustment, ...]:
    facts = record.get("facts", {}).get(registrant_id)
    return adjustments_of(PersonFacts.from_json(facts) if facts else NO_FACTS, record["settings"],
                          float(record.get("shift", 0.0)))


def derived_score(base: float, facts: PersonFacts, settings: Mapping[str, Any], shift: float) -> float:
    """The score the policy gives: the base, the adjustments, then the shift of "last" (as :func:`apply_policy`)."""
    pre = _before_last(base, facts, settings)
    last = any(a.kind == NO_SHOW_LAST for a in adjustments_of(facts, settings, shift))
    return pre - shift if last else pre


def audit_policy(inputs: Mapping[str, Any], current_facts: Mapping[str, PersonFacts] | None = None) -> list[str]:
    """What is wrong with a run's stored policy; empty when all holds, or when the run used none.

    Every applicant's score must be the one the policy gives from their base
    score and facts; the shift of "last" must be the one the scores give; and,
    given ``current_facts`` (the history as it stands, when it still holds the
    seasons the run used), the facts stored must be the history's.
    """
    record = policy_record(inputs)
    if record is None:
        return []
    try:
        settings = record["settings"]
        shift = float(record["shift"])
        stored = {rid: PersonFacts.from_json(f) for rid, f in record["facts"].items()}
        base = {rid: float(score) for rid, score in record["base"].items()}
        scores = {a["id"]: float(a["score"]) for a in inputs["applicants"]}
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        return [_("the stored priority policy cannot be read ({reason})").format(reason=repr(exc))]
    problems = []
    last = {rid for rid, f in stored.items() if any(a.kind == NO_SHOW_LAST for a in adjustments_of(f, settings))}
    if last & scores.keys():
        expected = last_shift(_before_last(base.get(rid, score), stored.get(rid, NO_FACTS), settings)
                              for rid, score in scores.items())
        if expected != shift:
            problems.append(_("the no-show penalty's stored shift is {stored}, but the scores give {expected}").format(
                stored=f"{shift:g}", expected=f"{expected:g}"))
    wrong = sorted(rid for rid, score in scores.items()
                   if derived_score(base.get(rid, score), stored.get(rid, NO_FACTS), settings, shift) != score)
    if wrong:
        problems.append(ngettext("{count} score is not what the policy gives from the base score and facts ({ids})",
                                 "{count} scores are not what the policy gives from their base score and facts "
                                 "(e.g. {ids})", len(wrong)).format(count=len(wrong), ids=", ".join(wrong[:5])))
    strays = sorted((set(stored) | set(base)) - set(scores))
    if strays:
        problems.append(ngettext("the policy holds {count} person who is not among the run's applicants ({ids})",
                                 "the policy holds {count} people who are not among the run's applicants "
                                 "(e.g. {ids})", len(strays)).format(count=len(strays), ids=", ".join(strays[:5])))
    if current_facts is not None:
        differ = sorted(rid for rid in scores if current_facts.get(rid, NO_FACTS) != stored.get(rid, NO_FACTS))
        if differ:
            problems.append(ngettext("the facts stored with the run differ from the history of the seasons it "
                                     "names, for {count} person ({ids})",
                                     "the facts stored with the run differ from the history of the seasons it "
                                     "names, for {count} people (e.g. {ids})", len(differ)).format(
                                         count=len(differ), ids=", ".join(differ[:5])))
    return problems
