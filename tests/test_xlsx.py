"""The own XLSX writer: read back with openpyxl and pandas, odd text, wide sheets, bad names."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipeline.xlsx import column_letter, validate_sheet_names, write_xlsx, xlsx_bytes


def interview_sheets() -> dict[str, pd.DataFrame]:
    counts = pd.DataFrame({"case": ["Amsterdam-01", "Utrecht-02", "Zwolle-03"],
                           "vertrouwen": np.array([2, 0, 7], dtype="int64"),
                           "tijd": np.array([1, 3, 0], dtype="int32")})
    shares = pd.DataFrame({"case": ["Amsterdam-01", "Utrecht-02", "Zwolle-03"],
                           "vertrouwen": [0.6667, 0.0, 0.1],
                           "tijd": np.array([0.3333, 1.0, 1e-05], dtype="float64")})
    return {"segmenten": counts, "aandeel": shares}


def test_column_letters_past_z():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == \
        ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
    with pytest.raises(ValueError):
        column_letter(-1)


def test_openpyxl_reads_values_types_bold_header_and_frozen_pane(tmp_path):
    path = tmp_path / "matrix.xlsx"
    write_xlsx(interview_sheets(), path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["segmenten", "aandeel"]
    sheet = book["segmenten"]
    assert [c.value for c in sheet[1]] == ["case", "vertrouwen", "tijd"]
    assert all(c.font.bold for c in sheet[1])
    assert not sheet["A2"].font.bold and not sheet["B2"].font.bold
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == \
        [["Amsterdam-01", 2, 1], ["Utrecht-02", 0, 3], ["Zwolle-03", 7, 0]]
    assert type(sheet["B2"].value) is int and type(sheet["C4"].value) is int
    assert sheet.freeze_panes == "A2"
    assert book["aandeel"].freeze_panes == "A2"
    assert book["aandeel"]["C4"].value == 1e-05 and type(book["aandeel"]["B2"].value) is float
    assert sheet.column_dimensions["A"].width >= len("Amsterdam-01")


def test_header_can_be_plain_and_unfrozen(tmp_path):
    path = tmp_path / "plain.xlsx"
    write_xlsx(interview_sheets(), path, bold_header=False, freeze_header=False)
    sheet = openpyxl.load_workbook(path)["segmenten"]
    assert not sheet["A1"].font.bold and sheet.freeze_panes is None


def test_pandas_reads_back_equal_frames(tmp_path):
    sheets = interview_sheets()
    path = tmp_path / "matrix.xlsx"
    write_xlsx(sheets, path)
    read = pd.read_excel(path, sheet_name=None)
    assert list(read) == list(sheets)
    for name, frame in sheets.items():
        pd.testing.assert_frame_equal(read[name], frame, check_dtype=False)
        assert [d.kind for d in read[name].dtypes] == [d.kind if d.kind != "i" else "i" for d in frame.dtypes]


def test_floats_keep_their_shortest_round_trip_form(tmp_path):
    values = [0.1, 1 / 3, 2.5e-12, 123456789.123, -0.0, 1e300]
    path = tmp_path / "floats.xlsx"
    write_xlsx({"f": pd.DataFrame({"x": values})}, path)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>0.1</v>" in xml and f"<v>{1 / 3!r}</v>" in xml
    assert [c.value for c in openpyxl.load_workbook(path)["f"]["A"][1:]] == values


def test_float32_is_written_in_its_own_shortest_form(tmp_path):
    path = tmp_path / "float32.xlsx"
    write_xlsx({"f": pd.DataFrame({"x": np.array([0.1, 2.5e-7, np.inf], dtype="float32"),
                                   "y": np.array([0.25, 3.0, 1.5], dtype="float64")})}, path)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="A2"><v>0.1</v></c>' in xml and '<c r="A3"><v>2.5e-07</v></c>' in xml
    assert '<c r="B4"><v>1.5</v></c>' in xml and 'r="A4"' not in xml
    assert [c.value for c in openpyxl.load_workbook(path)["f"]["A"][1:3]] == [0.1, 2.5e-07]


def test_missing_and_infinite_values_are_empty_cells(tmp_path):
    frame = pd.DataFrame({
        "float": [1.5, np.nan, np.inf, -np.inf],
        "object": ["tekst", None, float("nan"), pd.NA],
        "nullable": pd.array([1, None, 3, None], dtype="Int64"),
        "when": [pd.Timestamp("2024-05-01"), pd.NaT, pd.NaT, pd.NaT],
    })
    path = tmp_path / "gaps.xlsx"
    write_xlsx({"gaten": frame}, path)
    sheet = openpyxl.load_workbook(path)["gaten"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_row=5, max_col=4)]
    assert rows == [[1.5, "tekst", 1, "2024-05-01 00:00:00"], [None] * 4, [None, None, 3, None], [None] * 4]
    assert type(sheet["C2"].value) is int


def test_bools_numpy_scalars_and_other_objects(tmp_path):
    frame = pd.DataFrame({
        "vlag": [True, False],
        "gemengd": pd.Series([np.int16(-4), np.float32(0.5)], dtype=object),
        "los": [np.True_, {"code": "trust"}],
        "getal": [10**20, 7],
    })
    path = tmp_path / "mixed.xlsx"
    write_xlsx({"mix": frame}, path)
    sheet = openpyxl.load_workbook(path)["mix"]
    assert [sheet["A2"].value, sheet["A3"].value] == [True, False] and type(sheet["A2"].value) is bool
    assert sheet["B2"].value == -4 and type(sheet["B2"].value) is int and sheet["B3"].value == 0.5
    assert sheet["C2"].value is True and sheet["C3"].value == "{'code': 'trust'}"
    assert sheet["D2"].value == 10**20 and sheet["D3"].value == 7


def test_special_characters_survive(tmp_path):
    texts = ['A & B <c> "d" \'e\'', "  spaties aan beide kanten  ", "regel 1\nregel 2", "tab\there",
             "carriage\r\nreturn", "ĳsselmeer café – “quote” 😀", "_x0041_", "]]>", ""]
    frame = pd.DataFrame({"tekst & <kop>": texts})
    path = tmp_path / "tekens.xlsx"
    write_xlsx({"Tekens & co": frame}, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Tekens & co"]
    sheet = book["Tekens & co"]
    assert sheet["A1"].value == "tekst & <kop>"
    assert [c.value for c in sheet["A"][1:]] == texts
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  spaties aan beide kanten  </t>' in xml
    assert "<t>regel 1\nregel 2</t>" in xml


def test_characters_xml_forbids_are_dropped(tmp_path):
    frame = pd.DataFrame({"kop\x01": ["bel\x07 en\x00 nul", "vorm\x0cfeed\x1f", "lone \ud800 surrogate", "\ufffe"]})
    path = tmp_path / "controle.xlsx"
    write_xlsx({"c": frame}, path)
    sheet = openpyxl.load_workbook(path)["c"]
    assert [c.value for c in sheet["A"]] == ["kop", "bel en nul", "vormfeed", "lone  surrogate", ""]


def test_wide_sheet_has_correct_references(tmp_path):
    columns = ["case", *(f"code_{j:02d}" for j in range(1, 35))]
    frame = pd.DataFrame([[f"c{i}", *(i * 100 + j for j in range(1, 35))] for i in range(3)], columns=columns)
    path = tmp_path / "breed.xlsx"
    write_xlsx({"breed": frame}, path)
    sheet = openpyxl.load_workbook(path)["breed"]
    assert sheet.max_column == 35 and sheet.max_row == 4
    assert sheet["Z1"].value == "code_25" and sheet["AA1"].value == "code_26" and sheet["AI1"].value == "code_34"
    assert sheet["AI4"].value == 234 and sheet["AA3"].value == 126
    pd.testing.assert_frame_equal(pd.read_excel(path), frame)
    assert 'dimension ref="A1:AI4"' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()


def test_empty_frame_writes_the_header_only(tmp_path):
    path = tmp_path / "leeg.xlsx"
    write_xlsx({"leeg": pd.DataFrame(columns=["case", "trust"]), "niets": pd.DataFrame()}, path)
    book = openpyxl.load_workbook(path)
    assert [c.value for c in book["leeg"][1]] == ["case", "trust"] and book["leeg"].max_row == 1
    assert book["niets"]["A1"].value is None
    read = pd.read_excel(path, sheet_name="leeg")
    assert list(read.columns) == ["case", "trust"] and read.empty


@pytest.mark.parametrize(("names", "message"), [
    ([], "at least one sheet"),
    ([""], "1 to 31"),
    (["x" * 32], "1 to 31"),
    (["a/b"], "forbids"),
    (["vraag?"], "forbids"),
    (["[oud]"], "forbids"),
    (["Share", "share"], "unique ignoring case"),
    (["'quoted'"], "apostrophe"),
    (["tab\x01"], "control character"),
    ([3], "must be a string"),
])
def test_bad_sheet_names_raise_clear_errors(tmp_path, names, message):
    with pytest.raises(ValueError, match=message):
        validate_sheet_names(names)
    path = tmp_path / "fout.xlsx"
    with pytest.raises(ValueError, match=message):
        write_xlsx({name: pd.DataFrame({"a": [1]}) for name in names}, path)
    assert not list(tmp_path.iterdir())


def test_a_table_must_be_a_dataframe(tmp_path):
    with pytest.raises(TypeError, match="sheet 'codes': expected a pandas DataFrame, got Series"):
        write_xlsx({"codes": pd.Series([1, 2])}, tmp_path / "fout.xlsx")
    assert not list(tmp_path.iterdir())


def test_good_sheet_names_pass():
    assert validate_sheet_names(["x" * 31, "basis", "stad & regio", "it's"]) == ["x" * 31, "basis", "stad & regio",
                                                                                 "it's"]


def test_same_input_gives_the_same_bytes(tmp_path):
    write_xlsx(interview_sheets(), tmp_path / "a.xlsx")
    write_xlsx(interview_sheets(), tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    changed = interview_sheets()
    changed["segmenten"].loc[0, "tijd"] = 5
    write_xlsx(changed, tmp_path / "c.xlsx")
    assert (tmp_path / "c.xlsx").read_bytes() != (tmp_path / "a.xlsx").read_bytes()


def test_zip_holds_the_expected_parts_deflated(tmp_path):
    path = tmp_path / "delen.xlsx"
    write_xlsx(interview_sheets(), path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                                           "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                                           "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]
    assert all(i.compress_type == zipfile.ZIP_DEFLATED and i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)


def test_replaces_an_existing_workbook_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "matrix.xlsx"
    path.write_bytes(b"oude inhoud")
    write_xlsx(interview_sheets(), path)
    assert zipfile.is_zipfile(path)
    assert [p.name for p in tmp_path.iterdir()] == ["matrix.xlsx"]


def test_a_failing_write_keeps_the_old_workbook(tmp_path, monkeypatch):
    path = tmp_path / "matrix.xlsx"
    write_xlsx(interview_sheets(), path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("schijf vol")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="schijf vol"):
        write_xlsx({"nieuw": pd.DataFrame({"a": [1]})}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["matrix.xlsx"]


def _office() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _has_calc() -> bool:
    # soffice without its Calc part (only libreoffice-writer-nogui) cannot load any workbook.
    office = _office()
    return office is not None and any(Path(office).resolve().parent.glob("libsclo.*"))


@pytest.mark.slow
@pytest.mark.skipif(_office() is None, reason="LibreOffice (soffice) is not on PATH")
@pytest.mark.skipif(not _has_calc(), reason="LibreOffice Calc is missing (apt-get install libreoffice-calc-nogui)")
def test_libreoffice_opens_the_workbook(tmp_path):
    columns = ["case", *(f"code_{j}" for j in range(30))]
    frame = pd.DataFrame([[f"geval {i}", *(float(i * j) / 7 for j in range(30))] for i in range(5)], columns=columns)
    frame.loc[2, "code_3"] = math.nan
    path = tmp_path / "lo.xlsx"
    write_xlsx({"share": frame, "tekst & zo": pd.DataFrame({"t": ["  café <b> & ĳs  "]})}, path)
    out = tmp_path / "out"
    # A profile of its own, so a LibreOffice that is already running elsewhere does not interfere.
    subprocess.run([_office(), "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                    "--outdir", str(out), str(path)], check=True, timeout=120, capture_output=True)
    share = pd.read_csv(out / "lo-share.csv")
    assert list(share.columns) == columns
    pd.testing.assert_frame_equal(share, frame, check_dtype=False)  # CSV shows 0.0 as 0
    assert (out / "lo-tekst & zo.csv").read_text(encoding="utf-8").splitlines() == ["t", "  café <b> & ĳs  "]


def test_xlsx_bytes_are_the_written_file(tmp_path):
    table = pd.DataFrame({"code": ["vertrouwen", "rollen"], "n": [3, 1]})
    target = tmp_path / "tabel.xlsx"
    write_xlsx({"blad": table}, target)
    assert xlsx_bytes({"blad": table}) == target.read_bytes()
    assert pd.read_excel(io.BytesIO(xlsx_bytes({"blad": table})), sheet_name="blad").equals(table)
