"""``openmosprom explain``: one person's place in the priority order and what each of their choices gave them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from openmosprom_cli.allocation.priority import lottery_number
from openmosprom_cli.allocation.stored import current_run, load_person_result
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.models import ChoiceOutcome
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.registrants import load_registrant


@dataclass(frozen=True)
class Explanation:
    registrant_id: str
    full_name: str
    run_id: int
    seed: str
    priority: int                # 1 = chose first
    people: int
    score: float
    registered_at: dt.datetime | None
    lottery: int
    choices: tuple[ChoiceOutcome, ...]
    tours: tuple[str, ...]                       # tours granted
    waitlists: tuple[tuple[str, int], ...]       # (tour, position)
    # After a purge erased the birth date: (tour, met the minimum age) for each age-limited tour listed.
    age_verdicts: tuple[tuple[str, bool], ...] | None = None

    @property
    def birth_date_erased(self) -> bool:
        return self.age_verdicts is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "registrant_id": self.registrant_id, "full_name": self.full_name, "run_id": self.run_id,
            "seed": self.seed, "priority": self.priority, "people": self.people, "score": self.score,
            "registered_at": self.registered_at.isoformat() if self.registered_at else None,
            "lottery": self.lottery, "choices": [c.to_json() for c in self.choices], "tours": list(self.tours),
            "waitlists": [{"tour_id": t, "position": p} for t, p in self.waitlists],
            "birth_date_erased": self.birth_date_erased,
            "age_verdicts": dict(self.age_verdicts) if self.age_verdicts is not None else None,
        }


def explain(season: Season, registrant_id: str) -> Explanation:
    """One person's place in the priority order and, for each choice, what happened and why."""
    with season.reader() as conn:
        run = current_run(conn)
        if run is None:
            raise MissingInputError("there is no allocation yet",
                                    hint="Give out the seats with `openmosprom assign`.")
        mine = load_person_result(conn, run.run_id, registrant_id)
        registrant = load_registrant(conn, registrant_id)
    if mine is None:
        raise MissingInputError(
            f"registrant {registrant_id} was not part of allocation run {run.run_id}",
            hint="They registered after the run; run `openmosprom assign` again." if registrant is not None
            else "Check the ID with `openmosprom registrants list`.")
    applicant = next(a for a in run.inputs["applicants"] if a["id"] == registrant_id)
    return Explanation(
        registrant_id=registrant_id, full_name=registrant.full_name if registrant else "", run_id=run.run_id,
        seed=run.seed, priority=mine.priority, people=mine.people, score=float(applicant["score"]),
        registered_at=dt.datetime.fromisoformat(applicant["registered_at"]) if applicant["registered_at"] else None,
        lottery=lottery_number(run.seed, registrant_id), choices=mine.choices, tours=mine.tours,
        waitlists=mine.waitlists,
        age_verdicts=(tuple(sorted(applicant["age_ok"].items()))
                      if applicant.get("age_ok") is not None and not applicant["birth_date"] else None),
    )
