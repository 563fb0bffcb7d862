"""The people registered in a season: the list, one person by ID, and each as JSON-ready fields."""

from __future__ import annotations

from dataclasses import dataclass

from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.i18n import _, ngettext
from openmosprom_cli.models import Registrant
from openmosprom_cli.registrants.cells import canonical_id
from openmosprom_cli.season.folder import Season


def list_registrants(season: Season) -> list[Registrant]:
    from openmosprom_cli.store.registrants import load_registrants

    with season.reader() as conn:
        return load_registrants(conn)


@dataclass(frozen=True)
class RegistrantDetails:
    """One person as the export gave them: their record, and the prizes they prefer («Призы»), best first."""

    registrant: Registrant
    prizes: tuple[str, ...] = ()


def show_registrant(season: Season, registrant_id: str) -> RegistrantDetails:
    """One person by VK ID; an unknown ID raises :class:`MissingInputError` (exit 66)."""
    from openmosprom_cli.store.prizes import load_person_preferences
    from openmosprom_cli.store.registrants import count_registrants, load_registrant

    with season.reader() as conn:
        found = load_registrant(conn, canonical_id(registrant_id))
        if found is None:
            count = count_registrants(conn)
        else:
            prizes = load_person_preferences(conn, found.id)
    if found is None:
        raise MissingInputError(ngettext("no registrant with ID {id} in this season ({count} registered)",
                                         "no registrant with ID {id} in this season ({count} registered)",
                                         count).format(id=repr(registrant_id), count=count),
                                hint=_("See the IDs with `openmosprom registrants list`."))
    return RegistrantDetails(found, prizes)


