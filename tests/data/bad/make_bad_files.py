"""Regenerate the hostile and broken workbooks in this folder, byte for byte.

Run: python tests/data/bad/make_bad_files.py

Every workbook is assembled from hand-written XML parts so that each file
contains exactly the trick it tests (openpyxl would refuse to write most of
them). Zip entries carry a fixed timestamp, so the output is reproducible.
"""

from __future__ import annotations

import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAMP = (2026, 1, 1, 0, 0, 0)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/xl/workbook.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
ROOT_RELS = (DECL + f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
             'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
             'Target="xl/workbook.xml"/></Relationships>')

# cellXfs: 0 general, 1 date (14), 2 datetime (22), 3 time (21), 4 dd.mm.yyyy, 5 "d mmmm yyyy" with a locale tag,
# 6 a number with a quoted "дн" suffix (not a date), 7 [h]:mm elapsed time, 8 [Red]0.00 (not a date).
STYLES = (DECL + f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="5">'
          '<numFmt numFmtId="164" formatCode="dd.mm.yyyy"/>'
          '<numFmt numFmtId="165" formatCode="[$-419]d mmmm yyyy"/>'
          '<numFmt numFmtId="166" formatCode="0.00 &quot;дн&quot;"/>'
          '<numFmt numFmtId="167" formatCode="[h]:mm"/>'
          '<numFmt numFmtId="168" formatCode="[Red]0.00"/></numFmts>'
          '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
          '<cellXfs count="9"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="21"/>'
          '<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="167"/><xf numFmtId="168"/>'
          '</cellXfs></styleSheet>')


def sheet_xml(rows_xml: str, *, before: str = "", after: str = "", prolog: str = DECL) -> str:
    return f'{prolog}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{before}<sheetData>{rows_xml}</sheetData>{after}</worksheet>'


def write_zip(path: Path, parts: list[tuple[str, bytes | str]]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode() if isinstance(data, str) else data)


def workbook_parts(sheets: list[tuple[str, str, str]], *, shared_strings: str | None = None,
                   workbook_pr: str = "", workbook_prolog: str = DECL) -> list[tuple[str, bytes | str]]:
    """Parts of a workbook; ``sheets`` holds (name, state, sheet XML)."""
    entries = "".join(f'<sheet name="{name}" sheetId="{i}" state="{state}" r:id="rId{i}"/>'
                      for i, (name, state, _xml) in enumerate(sheets, start=1))
    workbook = (f'{workbook_prolog}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{workbook_pr}'
                f'<sheets>{entries}</sheets></workbook>')
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(sheets) + 1))
    n = len(sheets)
    rels += f'<Relationship Id="rId{n + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
    if shared_strings is not None:
        rels += f'<Relationship Id="rId{n + 2}" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
    parts: list[tuple[str, bytes | str]] = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", DECL + f'<Relationships xmlns="{PKG_REL_NS}">{rels}</Relationships>'),
        ("xl/styles.xml", STYLES),
    ]
    if shared_strings is not None:
        parts.append(("xl/sharedStrings.xml", shared_strings))
    parts += [(f"xl/worksheets/sheet{i}.xml", xml) for i, (_n, _s, xml) in enumerate(sheets, start=1)]
    return parts


def simple_workbook(path: Path, rows_xml: str, **sheet_options) -> None:
    write_zip(path, workbook_parts([("Лист1", "visible", sheet_xml(rows_xml, **sheet_options))]))


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def number(ref: str, value: str, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    return f'<c r="{ref}"{s}><v>{value}</v></c>'


HEADER_ROW = '<row r="1">' + inline("A1", "ID VK") + inline("B1", "ФИО") + "</row>"
DATA_ROW = '<row r="2">' + number("A2", "101") + inline("B2", "Иванов Иван") + "</row>"

# -- the valid reference workbook -------------------------------------------------

SHARED = (DECL + f'<sst xmlns="{MAIN_NS}" count="5" uniqueCount="5">'
          '<si><t>Иванов Иван</t></si>'
          '<si><t xml:space="preserve">  с пробелами  </t></si>'
          '<si><r><rPr><b/></rPr><t>Жирный</t></r><r><t xml:space="preserve"> и обычный</t></r></si>'
          '<si><t>A &amp; B &lt;tag&gt;</t></si>'
          '<si><t>перенос_x000D_строки</t><rPh sb="0" eb="1"><t>ФОНЕТИКА</t></rPh></si>'
          '</sst>')

VALUES_ROWS = "".join([
    '<row r="1">' + inline("A1", "Что") + inline("B1", "Значение") + "</row>",
    '<row r="2">' + inline("A2", "целое") + number("B2", "42") + "</row>",
    '<row r="3">' + inline("A3", "дробное") + number("B3", "2.5") + "</row>",
    '<row r="4">' + inline("A4", "экспонента") + number("B4", "1.5E-3") + "</row>",
    '<row r="5">' + inline("A5", "общая строка") + '<c r="B5" t="s"><v>0</v></c></row>',
    '<row r="6">' + inline("A6", "пробелы") + '<c r="B6" t="s"><v>1</v></c></row>',
    '<row r="7">' + inline("A7", "форматированный текст") + '<c r="B7" t="s"><v>2</v></c></row>',
    '<row r="8">' + inline("A8", "сущности") + '<c r="B8" t="s"><v>3</v></c></row>',
    '<row r="9">' + inline("A9", "фонетика и _x") + '<c r="B9" t="s"><v>4</v></c></row>',
    '<row r="10">' + inline("A10", "строка формулы") + '<c r="B10" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row>',
    '<row r="11">' + inline("A11", "встроенный форматированный") +
    '<c r="B11" t="inlineStr"><is><r><t>раз</t></r><r><rPr><i/></rPr><t xml:space="preserve"> два</t></r></is></c></row>',
    '<row r="12">' + inline("A12", "истина") + '<c r="B12" t="b"><v>1</v></c></row>',
    '<row r="13">' + inline("A13", "ложь") + '<c r="B13" t="b"><v>0</v></c></row>',
    '<row r="14">' + inline("A14", "дата") + number("B14", "46371", 1) + "</row>",
    '<row r="15">' + inline("A15", "дата и время") + number("B15", "46371.4375", 2) + "</row>",
    '<row r="16">' + inline("A16", "время") + number("B16", "0.5625", 3) + "</row>",
    '<row r="17">' + inline("A17", "свой формат даты") + number("B17", "46371", 4) + "</row>",
    '<row r="18">' + inline("A18", "формат с локалью") + number("B18", "46371", 5) + "</row>",
    '<row r="19">' + inline("A19", "число с &quot;дн&quot;") + number("B19", "3", 6) + "</row>",
    '<row r="20">' + inline("A20", "[h]:mm") + number("B20", "0.25", 7) + "</row>",
    '<row r="21">' + inline("A21", "[Red]0.00") + number("B21", "46371", 8) + "</row>",
    '<row r="22">' + inline("A22", "28.02.1900") + number("B22", "59", 1) + "</row>",
    '<row r="23">' + inline("A23", "01.03.1900") + number("B23", "61", 1) + "</row>",
    '<row r="24">' + inline("A24", "01.01.1900") + number("B24", "1", 1) + "</row>",
    '<row r="25">' + inline("A25", "пропуск столбцов") + number("D25", "7") + "</row>",
    '<row r="26">' + inline("A26", "формула с результатом") + '<c r="B26"><f>B2*2</f><v>84</v></c></row>',
    '<row r="27">' + inline("A27", "хвост пустых") + '<c r="B27" t="inlineStr"><is><t></t></is></c><c r="C27" s="1"/></row>',
    '<row r="29" ht="20" customHeight="1"><c r="A29" s="1"/><c r="B29" s="2"/></row>',
    '<row r="30">' + inline("A30", "большое целое") + number("B30", "79161234567") + "</row>",
])

ERROR_ROWS = "".join([
    '<row r="1">' + inline("A1", "Ошибки") + "</row>",
    '<row r="2"><c r="A2" t="e"><v>#DIV/0!</v></c><c r="B2" t="e"><f>NA()</f><v>#N/A</v></c></row>',
    '<row r="3">' + number("A3", "60", 1) + number("B3", "1") + "</row>",
])


def make_valid(folder: Path) -> None:
    write_zip(folder / "valid.xlsx", workbook_parts(
        [("Значения", "visible", sheet_xml(VALUES_ROWS)), ("Ошибки", "visible", sheet_xml(ERROR_ROWS))],
        shared_strings=SHARED))
    rows_1904 = '<row r="1">' + number("A1", "0", 1) + number("B1", "44927", 1) + number("C1", "1.5", 2) + "</row>"
    write_zip(folder / "valid-1904.xlsx", workbook_parts(
        [("Лист1", "visible", sheet_xml(rows_1904))], workbook_pr='<workbookPr date1904="1"/>'))


# -- not a workbook at all ------------------------------------------------------


def ole2_container(stream_names: list[str]) -> bytes:
    """A minimal OLE2 (Compound File) header plus one directory sector naming the streams."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)  # minor, major version, byte order, sector shift
    struct.pack_into("<I", header, 48, 0)  # first directory sector
    directory = bytearray()
    for name in ["Root Entry", *stream_names]:
        entry = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        entry[0:len(encoded)] = encoded
        struct.pack_into("<HB", entry, 64, len(encoded), 5 if name == "Root Entry" else 2)
        directory += entry
    directory += bytes(512 - len(directory) % 512 if len(directory) % 512 else 0)
    return bytes(header) + bytes(directory)


def make_not_workbooks(folder: Path) -> None:
    (folder / "csv-renamed.xlsx").write_bytes("ID VK;ФИО;Баллы\n101;Иванов Иван;10\n102;Петрова Анна;7\n".encode())
    (folder / "old.xls").write_bytes(ole2_container(["Workbook", "\x05SummaryInformation"]))
    (folder / "encrypted.xlsx").write_bytes(ole2_container(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]))
    (folder / "empty.xlsx").write_bytes(b"")
    simple_workbook(folder / "_whole.tmp", HEADER_ROW + DATA_ROW)
    whole = (folder / "_whole.tmp").read_bytes()
    (folder / "_whole.tmp").unlink()
    (folder / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    write_zip(folder / "not-xlsx.zip.xlsx", [("readme.txt", "just a zip archive\n"), ("data/values.csv", "a,b\n1,2\n")])


# -- zip bombs -----------------------------------------------------------------


def make_zip_bombs(folder: Path) -> None:
    prefix = (DECL + f'<worksheet xmlns="{MAIN_NS}"><sheetData>').encode()
    suffix = b"</sheetData></worksheet>"

    def bomb(path: Path, megabytes: int) -> None:
        parts = workbook_parts([("Лист1", "visible", "")])[:-1]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, data in parts:
                info = zipfile.ZipInfo(name, STAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
            info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=False) as member:
                member.write(prefix)
                spaces = b" " * (1 << 20)
                for _ in range(megabytes):
                    member.write(spaces)
                member.write(suffix)

    # Honest sizes: 300 MB inflated, over the default 256 MB cap.
    bomb(folder / "zip-bomb.xlsx", 300)
    # Within the size cap, but at about 1000:1 far beyond the compression-ratio cap.
    bomb(folder / "zip-ratio.xlsx", 8)
    # Declared sizes lie: the sheet claims 1,000 bytes but inflates to 8 MB.
    make_lying_sizes(folder / "zip-ratio.xlsx", folder / "zip-lying-size.xlsx")


def make_lying_sizes(source: Path, target: Path) -> None:
    data = bytearray(source.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    lie = 1000
    # Local file header: signature, then uncompressed size at offset 22, name length at 26, name at 30.
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:
        name_length = struct.unpack_from("<H", data, at + 26)[0]
        if data[at + 30: at + 30 + name_length] == name:
            struct.pack_into("<I", data, at + 22, lie)
        at += 4
    # Central directory header: uncompressed size at offset 24, name length at 28, name at 46.
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46: at + 46 + name_length] == name:
            struct.pack_into("<I", data, at + 24, lie)
        at += 4
    target.write_bytes(bytes(data))


# -- XML entity and DTD tricks -------------------------------------------------------

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>\n")


def make_entity_tricks(folder: Path) -> None:
    laughs_sheet = sheet_xml(HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>',
                             prolog=DECL + LAUGHS)
    write_zip(folder / "billion-laughs.xlsx", workbook_parts([("Лист1", "visible", laughs_sheet)]))
    xxe = '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    strings = DECL + xxe + f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>'
    write_zip(folder / "xxe.xlsx", workbook_parts(
        [("Лист1", "visible", sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'))], shared_strings=strings))
    write_zip(folder / "dtd-in-workbook.xlsx", workbook_parts(
        [("Лист1", "visible", sheet_xml(HEADER_ROW))], workbook_prolog=DECL + LAUGHS))


# -- sheets that lie about their size, and cell contents ---------------------------------


def make_sheet_tricks(folder: Path) -> None:
    simple_workbook(folder / "huge-dimension.xlsx",
                    HEADER_ROW + DATA_ROW + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
                    before='<dimension ref="A1:XFD1048576"/>')
    simple_workbook(folder / "huge-dimension-empty-cell.xlsx",
                    HEADER_ROW + DATA_ROW + '<row r="1048576"><c r="XFD1048576" s="1"/></row>',
                    before='<dimension ref="A1:XFD1048576"/><cols><col min="1" max="16384" width="9"/></cols>')
    styled_rows = "".join(f'<row r="{n}" s="1" customFormat="1">'
                          + f'<c r="A{n}" s="1"/></row>'
                          for n in range(3, 50_003))
    simple_workbook(folder / "formatting-rows.xlsx", HEADER_ROW + DATA_ROW + styled_rows,
                    before='<dimension ref="A1:L50002"/>')
    simple_workbook(folder / "formula-no-value.xlsx",
                    '<row r="1">' + inline("A1", "ID VK") + inline("B1", "Баллы") + "</row>"
                    '<row r="2">' + number("A2", "101") + '<c r="B2"><f>SUM(C2:E2)</f></c></row>'
                    '<row r="3">' + number("A3", "102") + '<c r="B3"><f>C3*2</f><v></v></c></row>')
    simple_workbook(folder / "merged-in-data.xlsx",
                    '<row r="1">' + inline("A1", "Список участников") + "</row>"
                    '<row r="2">' + inline("A2", "ID VK") + inline("B2", "ФИО") + "</row>"
                    '<row r="3">' + number("A3", "101") + inline("B3", "Иванов Иван") + "</row>"
                    '<row r="4">' + number("A4", "102") + "</row>",
                    after='<mergeCells count="2"><mergeCell ref="A1:C1"/><mergeCell ref="B3:B4"/></mergeCells>')
    write_zip(folder / "hidden-sheet.xlsx", workbook_parts([
        ("Участники", "visible", sheet_xml(HEADER_ROW + DATA_ROW)),
        ("Черновик", "hidden", sheet_xml(HEADER_ROW + '<row r="2">' + number("A2", "999") + "</row>")),
        ("Служебный", "veryHidden", sheet_xml(HEADER_ROW)),
    ]))
    simple_workbook(folder / "hidden-columns.xlsx", HEADER_ROW + DATA_ROW,
                    before='<cols><col min="2" max="2" width="0" hidden="1"/><col min="4" max="16384" hidden="1"/></cols>')


def main(folder: Path = HERE) -> None:
    make_valid(folder)
    make_not_workbooks(folder)
    make_zip_bombs(folder)
    make_entity_tricks(folder)
    make_sheet_tricks(folder)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
