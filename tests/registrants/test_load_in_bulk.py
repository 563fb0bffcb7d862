"""Loading everyone at once gives exactly the records :func:`load_registrants` gives, in its order."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmosprom_cli.models import Registrant
from openmosprom_cli.store.registrants import load_registrants, load_registrants_in_bulk, upsert_registrants

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)
_CHOICE = st.one_of(_TEXT, st.sampled_from(['a", "b', 'x\\"', "\\", '"', ", ", "[]", "t-1"]))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(people=st.lists(st.tuples(st.text(min_size=1, max_size=4), _TEXT, st.none() | st.dates(),
                                 st.none() | st.datetimes(), st.lists(_CHOICE, max_size=4)),
                       max_size=12, unique_by=lambda p: p[0]))
def test_bulk_loading_gives_the_same_records_in_the_same_order(season, people):
    records = [Registrant(rid, name, birth_date=born, registered_at=registered, choices=tuple(choices), score=1.5,
                          companions=1, passport="4510 123456")
               for rid, name, born, registered, choices in people]
    with season.transaction() as conn:
        conn.execute("DELETE FROM registrants")
        upsert_registrants(conn, records, now="2026-12-01T00:00:00")
        assert load_registrants_in_bulk(conn) == load_registrants(conn)


def test_choices_stored_by_another_writer_are_decoded(season):
    with season.transaction() as conn:
        upsert_registrants(conn, [Registrant("1", "А", birth_date=dt.date(2000, 1, 2))], now="2026-12-01T00:00:00")
        for stored in ('["a","b"]', '[ "a" ]', '["a", 1]', '["a", 1, "b"]', '["\\u0041"]'):
            conn.execute("UPDATE registrants SET choices = ?", (stored,))
            assert load_registrants_in_bulk(conn) == load_registrants(conn)
