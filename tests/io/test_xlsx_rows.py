"""A batch's row template filled in at once gives what ``str.format`` gives row by row."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.io.xlsx_rows import _filled

_LITERALS = st.text(max_size=5).map(lambda t: t.replace("{", "{{").replace("}", "}}"))


@given(values=st.lists(st.tuples(st.text(max_size=6), st.integers(), st.floats(allow_nan=False)), max_size=20),
       literal=_LITERALS)
def test_a_row_template_is_filled_as_format_fills_it(values, literal):
    """Parsed once, each field formatted once: the same text as ``template.format`` row by row, whatever the
    values hold (braces included), with the row number repeated and a field under two specs."""
    template = (f'<row r="{{0}}">{literal}<c r="A{{0}}">{{1}}</c>{{2}}<c r="C{{0}}"><v>{{3:.16G}}</v></c>'
                f'<c r="D{{0}}">{{3}}</c></row>')
    numbers = range(7, 7 + len(values))
    args = [numbers, *map(list, zip(*values, strict=True))] if values else [numbers, [], [], []]
    assert _filled(template, args, len(values)) == "".join(map(template.format, *args))


@given(literal=_LITERALS, rows=st.integers(0, 5))
def test_a_template_without_fields_is_its_text_once_a_row(literal, rows):
    assert _filled(literal, [range(rows)], rows) == literal.format() * rows


@pytest.mark.parametrize("template", ["{0!r}", "{name}", "{0:{1}}", "{}"])
def test_a_field_no_row_template_has_is_refused(template):
    with pytest.raises(ValueError):
        _filled(template, [["a"], ["b"]], 1)
