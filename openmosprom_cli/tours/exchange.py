"""The season's tours as a file, exported for publishing in the VK mini-app and for editing.

The export is what gets published, so it is in Russian. It goes through the
one table writer: its CSV form uses ``;`` between cells and UTF-8 with a BOM,
which is what Excel with Russian regional settings opens directly (``,`` is the
decimal separator there). An edited export comes back through
:mod:`openmosprom_cli.tours.edits`.
"""

from __future__ import annotations

from pathlib import Path

from openmosprom_cli.errors import CannotCreateError, MissingInputError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.writer import Column as WriterColumn
from openmosprom_cli.io.writer import Sheet, write_table
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

EXPORT_SHEET = "Экскурсии"
# Who may come (age, passport, citizenship) is published with each tour: the mini-app says it before anyone registers.
EXPORT_HEADERS = ("ID экскурсии", "Площадка", "Дата", "Начало", "Длительность, мин", "Размер группы", "Адрес",
                  "Минимальный возраст", "Паспорт обязателен", "Только граждане РФ", "Примечание")
YES_NO_HEADERS = ("Паспорт обязателен", "Только граждане РФ")
EXPORT_COLUMNS = tuple(WriterColumn(h, yes_no=h in YES_NO_HEADERS) for h in EXPORT_HEADERS)

def export_tours(season: Season, out: Path) -> Path:
    """Write the tours for publishing and editing: ``.xlsx``, or ``.csv`` (``;``-separated, UTF-8 with BOM)."""
    out = Path(out)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise CannotCreateError(_("cannot write {file}: the export must end in .xlsx or .csv").format(file=out.name))
    with season.reader() as conn:
        tours = load_tours(conn)
        sites = load_sites(conn)
    if not tours:
        raise MissingInputError(_("the season has no tours yet"),
                                hint=_("Generate them first: openmosprom slots generate"))
    rows = (_export_row(t, sites[t.site_id]) for t in tours)
    # Published for everyone: no personal data, so the file follows the umask.
    return write_table(out, Sheet(EXPORT_SHEET, EXPORT_COLUMNS, rows, print_ready=True), private=False)


def export_note(tour: Tour, site: Site) -> str:
    return "; ".join(part for part in (tour.note, site.notes) if part)


def _export_row(tour: Tour, site: Site) -> tuple:
    note = export_note(tour, site)
    return (tour.tour_id, site.name or site.site_id, tour.date, tour.start, tour.duration_min, tour.capacity,
            site.address, site.min_age, site.passport_required, site.citizens_only, note)
