"""The native charts of an ``.xlsx`` as stored: the sheet of each, and its series' ranges and cached values."""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_REF = re.compile(r"^'?(?P<sheet>.+?)'?!\$(?P<c1>[A-Z]+)\$(?P<r1>\d+)(?::\$(?P<c2>[A-Z]+)\$(?P<r2>\d+))?$")


@dataclass(frozen=True)
class Ref:
    sheet: str
    first: str      # e.g. "A5"
    last: str

    @property
    def column(self) -> str:
        return re.sub(r"\d", "", self.first)

    @property
    def rows(self) -> tuple[int, int]:
        return int(re.sub(r"\D", "", self.first)), int(re.sub(r"\D", "", self.last))


def parse_ref(formula: str) -> Ref:
    m = _REF.match(formula)
    assert m, formula
    first = f"{m['c1']}{m['r1']}"
    return Ref(m["sheet"].replace("''", "'"), first, f"{m['c2']}{m['r2']}" if m["c2"] else first)


@dataclass(frozen=True)
class Series:
    name: Ref | None
    categories: Ref
    values: Ref
    category_cache: tuple[str, ...]
    value_cache: tuple[float, ...]


@dataclass(frozen=True)
class ChartPart:
    sheet: str
    kind: str        # barChart, lineChart, pieChart…
    title: str
    series: tuple[Series, ...]


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in z.namelist():
        return {}
    root = ET.fromstring(z.read(rels_name))
    return {r.get("Id"): posixpath.normpath(posixpath.join(folder, r.get("Target")))
            for r in root.iter(f"{PKG}Relationship")}


def charts_of(path: Path) -> list[ChartPart]:
    found = []
    with zipfile.ZipFile(path) as z:
        workbook = ET.fromstring(z.read("xl/workbook.xml"))
        book_rels = _rels(z, "xl/workbook.xml")
        for sheet in workbook.iter(f"{MAIN}sheet"):
            part = book_rels[sheet.get(f"{REL}id")]
            for drawing in _rels(z, part).values():
                if "drawings/" not in drawing:
                    continue
                for chart in _rels(z, drawing).values():
                    found.append(_chart(sheet.get("name"), ET.fromstring(z.read(chart))))
    return found


def _chart(sheet: str, root: ET.Element) -> ChartPart:
    title = "".join(t.text or "" for t in root.find(f"{C}chart/{C}title").iter(f"{A}t"))
    plot = root.find(f"{C}chart/{C}plotArea")
    kinds = [child for child in plot if child.tag.endswith("Chart")]
    series = []
    for kind in kinds:
        for ser in kind.iter(f"{C}ser"):
            name = ser.find(f"{C}tx/{C}strRef/{C}f")
            cat = ser.find(f"{C}cat")
            cat_f = cat.find(f".//{C}f")
            val = ser.find(f"{C}val")
            series.append(Series(
                parse_ref(name.text) if name is not None else None, parse_ref(cat_f.text),
                parse_ref(val.find(f".//{C}f").text),
                tuple(v.text or "" for v in cat.iter(f"{C}v")), tuple(float(v.text) for v in val.iter(f"{C}v"))))
    return ChartPart(sheet, kinds[0].tag.removeprefix(C), title, tuple(series))
