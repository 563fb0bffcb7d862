import zipfile

import openpyxl

from openmosprom_cli.io.xlsx_out import new_workbook, save_workbook, text_cell


def test_text_cells_never_become_formulas_and_hold_any_character(tmp_path):
    wb = new_workbook()
    ws = wb.create_sheet("Лист")
    text_cell(ws, 1, 1, '=HYPERLINK("http://evil","x")')
    text_cell(ws, 2, 1, "a\x00b\x0bc")
    text_cell(ws, 3, 1, "Иванов")
    save_workbook(wb, tmp_path / "out.xlsx")
    sheet_xml = zipfile.ZipFile(tmp_path / "out.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    values = [row[0] for row in openpyxl.load_workbook(tmp_path / "out.xlsx")["Лист"].iter_rows(values_only=True)]
    assert values == ['=HYPERLINK("http://evil","x")', "a\\x00b\\x0bc", "Иванов"]
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")["Лист"]["A1"].quotePrefix
