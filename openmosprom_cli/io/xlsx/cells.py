"""What a cell holds: its kind from the ``t`` attribute, date styles, and Excel's date serials.

A cell that holds no usable value raises :class:`CellProblem`; the sheet reader
turns it into a problem at the cell's location and reads the cell as None.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import Msg
from openmosprom_cli.io.xlsx.xml_safety import parse_xml


class CellProblem(Exception):
    """Why a cell holds no usable value; the message is a Msg (a rejected row's reason is written in Russian)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- cell kinds ---------------------------------------------------------------

T_NUMBER, T_SHARED, T_STR, T_INLINE, T_BOOL, T_ERROR, T_ISO_DATE, T_UNKNOWN = range(8)
CELL_TYPES = {"n": T_NUMBER, "s": T_SHARED, "str": T_STR, "inlineStr": T_INLINE, "b": T_BOOL,
              "e": T_ERROR, "d": T_ISO_DATE}


# -- date styles --------------------------------------------------------------

_BUILTIN_DATE_FORMATS = {14: "date", 15: "date", 16: "date", 17: "date", 18: "time", 19: "time", 20: "time",
                         21: "time", 22: "datetime", 45: "time", 46: "time", 47: "time"}
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?![hHmMsS]+\])[^\]]*\]')


def format_kind(code: str) -> str | None:
    """Whether a custom number format shows a date, a time or both (text in quotes and [colours] ignored)."""
    section = _FORMAT_NOISE.sub("", code.split(";")[0]).lower()
    if "general" in section:
        return None
    has_date = any(ch in section for ch in "dy") or ("m" in section and not any(ch in section for ch in "hs"))
    has_time = any(ch in section for ch in "hs")
    if has_date and has_time:
        return "datetime"
    if has_date:
        return "date"
    if has_time:
        return "time"
    return None


def date_styles(styles_xml: bytes, name: str, error: Callable[..., BadDataError]) -> dict[int, str]:
    """Style index → "date", "time" or "datetime" for the cell formats that display dates."""
    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    depth = {"cellXfs": False}

    def on_style(tag: str, attrs: dict) -> None:
        if tag == "numFmt":
            with contextlib.suppress(ValueError):
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            depth["cellXfs"] = True
        elif tag == "cellStyleXfs":
            depth["cellXfs"] = False
        elif tag == "xf" and depth["cellXfs"]:
            try:
                xf_formats.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                xf_formats.append(0)

    parse_xml(styles_xml, name, on_style, error)
    kinds = {}
    for index, fmt_id in enumerate(xf_formats):
        kind = _BUILTIN_DATE_FORMATS.get(fmt_id) if fmt_id not in custom else format_kind(custom[fmt_id])
        if kind:
            kinds[index] = kind
    return kinds


# -- date values --------------------------------------------------------------

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
# Excel counts a phantom 29.02.1900, so serials before it are one day off from those after it.
_EPOCH_1900_EARLY = dt.datetime(1899, 12, 31)
_MAX_SERIAL = 2_958_465  # 9999-12-31


def serial_to_value(serial: float, kind: str, date1904: bool) -> object:
    if not 0 <= serial <= _MAX_SERIAL:
        raise CellProblem(Msg("holds {value}, which is not a date Excel can show", value=repr(serial)))
    if kind == "time" and serial < 1:
        millis = round(serial * 86_400_000)
        if millis >= 86_400_000:
            return dt.time(0)
        seconds, millis = divmod(millis, 1000)
        return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, millis * 1000)
    if date1904:
        epoch = _EPOCH_1904
    elif serial >= 61:
        epoch = _EPOCH_1900
    elif serial >= 60:
        raise CellProblem(Msg("holds 29.02.1900, a date that does not exist (Excel's 1900 leap-year bug)"))
    else:
        epoch = _EPOCH_1900_EARLY
    value = epoch + dt.timedelta(milliseconds=round(serial * 86_400_000))
    if kind == "date" and not (value.hour or value.minute or value.second or value.microsecond):
        return value.date()
    return value


def iso_value(text: str) -> object:
    text = text.strip()
    try:
        if "T" in text:
            return dt.datetime.fromisoformat(text.rstrip("Z"))
        if ":" in text:
            return dt.time.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CellProblem(Msg("holds {value}, which is not an ISO date", value=repr(text[:40]))) from None
