"""Why fewer tours than asked for can be chosen: the candidates each of the season's rules leaves, and the rules
that bind. The message is a warning with ``--allow-fewer``, so it is kept as a Msg."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openmosprom_cli.i18n import Msg
from openmosprom_cli.io.values import joined

if TYPE_CHECKING:
    from openmosprom_cli.tours.selection import GenerationParams


@dataclass(frozen=True)
class Funnel:
    """How many candidates survive each rule, for the failure message."""

    total: int
    unknown_site: int
    after_window: int
    after_blackouts: int
    after_exclusions: int
    after_overlaps: int
    after_site_daily: int


def shortfall_reason(params: GenerationParams, funnel: Funnel, achieved: int) -> str:
    """Why only ``achieved`` of the tours asked for can be chosen: how many candidates each rule leaves, and
    the rules that bind (a rule binds when fewer tours than asked are left after it and it took some away)."""
    window = f"{params.window_start:%d.%m.%Y}–{params.window_end:%d.%m.%Y}"
    known = funnel.total - funnel.unknown_site
    steps = [
        (known, Msg("{count} candidates of known sites exist", count=known)),
        (funnel.after_window, Msg("{count} lie inside the window {window}", count=funnel.after_window, window=window)),
        (funnel.after_blackouts, Msg("{count} are not on blackout dates", count=funnel.after_blackouts)),
        (funnel.after_exclusions, Msg("{count} are not excluded", count=funnel.after_exclusions)),
        (funnel.after_overlaps, Msg("{count} remain once tours of the same site may not overlap",
                                    count=funnel.after_overlaps)),
        (funnel.after_site_daily, Msg("{count} remain within each site's own limit of tours per day",
                                      count=funnel.after_site_daily)),
    ]
    rules = [Msg("the number of candidates"), Msg("the season window"), Msg("the blackout dates"),
             Msg("the excluded tours"), Msg("overlaps between tours of the same site"),
             Msg("the sites' limits of tours per day")]
    if params.daily_limit is not None:
        steps.append((achieved, Msg("{count} fit the programme's daily limit of {limit} tours", count=achieved,
                                    limit=params.daily_limit)))
        rules.append(Msg("the programme's daily limit"))
    binding: list[str] = []
    before: float = math.inf
    for (count, _step), rule in zip(steps, rules):
        if count < params.tours and count < before:
            binding.append(rule)
        before = count
    in_order = binding[0]
    for later in binding[1:]:
        in_order = Msg("{first}, then {then}", first=in_order, then=later)
    which = (Msg("The rule that binds: {rule}", rule=in_order) if len(binding) == 1
             else Msg("The rules that bind: {rules}", rules=in_order))
    return Msg("cannot choose {tours} tours, only {achieved} can be found: {funnel}. {which}.", tours=params.tours,
               achieved=achieved, funnel=joined([step for _count, step in steps]), which=which)
