"""The people registered in a season: the list, one person by ID, and each as JSON-ready fields."""

from __future__ import annotations

from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.models import Registrant
from openmosprom_cli.registrants.cells import canonical_id
from openmosprom_cli.season.folder import Season


def list_registrants(season: Season) -> list[Registrant]:
    from openmosprom_cli.store.registrants import load_registrants

    with season.reader() as conn:
        return load_registrants(conn)


def show_registrant(season: Season, registrant_id: str) -> Registrant:
    """One person by VK ID; an unknown ID raises :class:`MissingInputError` (exit 66)."""
    from openmosprom_cli.store.registrants import count_registrants, load_registrant

    with season.reader() as conn:
        found = load_registrant(conn, canonical_id(registrant_id))
        if found is None:
            count = count_registrants(conn)
    if found is None:
        raise MissingInputError(f"no registrant with ID {registrant_id!r} in this season ({count} registered)",
                                hint="See the IDs with `openmosprom registrants list`.")
    return found


def registrant_as_dict(r: Registrant) -> dict[str, object]:
    """Every field, JSON-ready: dates in ISO form."""
    return {
        "id": r.id, "full_name": r.full_name, "phone": r.phone, "email": r.email,
        "birth_date": r.birth_date.isoformat() if r.birth_date else None, "score": r.score,
        "registered_at": r.registered_at.isoformat() if r.registered_at else None,
        "choices": list(r.choices), "companions": r.companions, "passport": r.passport,
        "citizenship": r.citizenship,
    }
