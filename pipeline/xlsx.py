"""A small XLSX writer for tables: one sheet per DataFrame, header row bold and frozen.

Kwali rewrites its matrix workbooks on every run, and openpyxl spends most of that time on cell
objects and styles it does not need here. A workbook of plain tables is a handful of short XML
parts in a zip, so this module writes those parts as strings, column by column.

What a sheet holds:
    * Row 1: the column names as text, bold (``bold_header``), frozen so it stays visible.
    * Below: one row per DataFrame row (the index is not written; ``reset_index`` first).
      Strings are inline strings, ints and floats numbers (floats in their shortest
      round-trip form), bools booleans. None, NaN, NA, NaT and +/-inf become empty cells
      (a spreadsheet has no infinity). Anything else is written as its ``str()``.

Characters XML 1.0 forbids (control characters other than tab, LF and CR, lone surrogates,
U+FFFE and U+FFFF) are dropped from text: OOXML's own ``_xHHHH_`` escape is decoded by Excel
and LibreOffice but not by openpyxl or pandas, which would then show the escape itself, and a
table of counts has no use for such characters. Text that happens to look like ``_x0041_`` is
written as is, as openpyxl does (Excel would show it as "A").

The bytes are the same for the same tables (fixed zip timestamps), and the file is written
beside the target first and then moved into place, so a killed run never leaves half a workbook.
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["column_letter", "validate_sheet_names", "write_xlsx", "xlsx_bytes"]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: Zip entries get this timestamp (the earliest a zip can hold), so equal input gives equal bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Deflate level: the parts are small and repetitive, level 1 already shrinks them ~10x.
_COMPRESSLEVEL = 1

_FORBIDDEN_SHEET_CHARS = set("[]:*?/\\")
_MAX_SHEET_NAME = 31
#: Everything outside XML 1.0's Char production.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# CR is escaped as a character reference: XML parsers turn a literal CR into LF.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;"})

#: First-column width (in characters) is its longest text, clamped to this range.
_MIN_WIDTH, _MAX_WIDTH = 8, 60


@functools.lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based column index: 0 -> "A", 25 -> "Z", 26 -> "AA"."""
    if index < 0:
        raise ValueError(f"column index must be >= 0, got {index}")
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def validate_sheet_names(names: Iterable[Any]) -> list[str]:
    """Check sheet names the way Excel does, all at once.

    Args:
        names: The sheet names, in order.

    Returns:
        The names as a list.

    Raises:
        ValueError: No names, or a name that is not a string, is empty or longer than 31
            characters, contains one of ``[]:*?/\\`` or a character XML cannot hold, starts
            or ends with an apostrophe, or equals an earlier name ignoring case.
    """
    names = list(names)
    if not names:
        raise ValueError("a workbook needs at least one sheet; got no tables to write")
    seen: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"sheet name must be a string, got {name!r} ({type(name).__name__})")
        if not 1 <= len(name) <= _MAX_SHEET_NAME:
            raise ValueError(f"sheet name {name!r} has {len(name)} characters; Excel allows 1 to "
                             f"{_MAX_SHEET_NAME}")
        bad = sorted(_FORBIDDEN_SHEET_CHARS.intersection(name))
        if bad:
            raise ValueError(f"sheet name {name!r} contains {''.join(bad)!r}; Excel forbids any of "
                             "[ ] : * ? / \\ in sheet names")
        if _NOT_XML_CHAR.search(name):
            raise ValueError(f"sheet name {name!r} contains a control character; remove it")
        if name.startswith("'") or name.endswith("'"):
            raise ValueError(f"sheet name {name!r} starts or ends with an apostrophe, which Excel forbids")
        folded = name.casefold()
        if folded in seen:
            raise ValueError(f"sheet name {name!r} repeats {seen[folded]!r}; sheet names must be "
                             "unique ignoring case")
        seen[folded] = name
    return names


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, bold_header: bool = True,
               freeze_header: bool = True) -> bytes:
    """The XLSX workbook of these tables, one sheet per table in mapping order, as bytes.

    Args:
        sheets: Sheet name -> table. Column names become the header row; the index is not
            written.
        bold_header: Header cells in bold.
        freeze_header: Freeze the header row, so it stays in view while scrolling down.

    Returns:
        The workbook file's bytes (the same for the same tables).

    Raises:
        ValueError: A sheet name Excel would refuse (see ``validate_sheet_names``), or no
            sheets at all.
        TypeError: A table is not a DataFrame.
    """
    names = validate_sheet_names(sheets)
    for name in names:
        if not isinstance(sheets[name], pd.DataFrame):
            raise TypeError(f"sheet {name!r}: expected a pandas DataFrame, got {type(sheets[name]).__name__}")
    parts = [
        ("[Content_Types].xml", _content_types(len(names))),
        ("_rels/.rels", _root_rels()),
        ("xl/workbook.xml", _workbook(names)),
        ("xl/_rels/workbook.xml.rels", _workbook_rels(len(names))),
        ("xl/styles.xml", _STYLES),
    ]
    for number, name in enumerate(names, start=1):
        parts.append((f"xl/worksheets/sheet{number}.xml",
                      _worksheet(sheets[name], bold_header, freeze_header, selected=number == 1)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSLEVEL) as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # as written on Unix, so Windows gives the same bytes too
            archive.writestr(info, text.encode("utf-8"), compresslevel=_COMPRESSLEVEL)
    return buffer.getvalue()


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path, *, bold_header: bool = True,
               freeze_header: bool = True) -> None:
    """Write tables as an XLSX workbook (``xlsx_bytes``), through a temporary file beside it.

    Args:
        sheets: Sheet name -> table, as for ``xlsx_bytes``.
        path: The workbook to (over)write; its folder must exist.
        bold_header: Header cells in bold.
        freeze_header: Freeze the header row.

    Raises:
        ValueError: A sheet name Excel would refuse, or no sheets at all.
        TypeError: A table is not a DataFrame.
    """
    data = xlsx_bytes(sheets, bold_header=bold_header, freeze_header=freeze_header)
    path = Path(path)
    # The process id keeps two processes writing the same workbook from sharing a temporary file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- package parts ---------------------------------------------------------------------------


def _content_types(n_sheets: int) -> str:
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
                        for i in range(1, n_sheets + 1))
    return (
        f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>"
    )


def _root_rels() -> str:
    return (
        f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )


def _workbook(names: list[str]) -> str:
    entries = "".join(f'<sheet name="{_escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, name in enumerate(names, start=1))
    return (f'{_XML_DECL}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{entries}</sheets></workbook>')


def _workbook_rels(n_sheets: int) -> str:
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheets = "".join(f'<Relationship Id="rId{i}" Type="{base}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                     for i in range(1, n_sheets + 1))
    styles = f'<Relationship Id="rId{n_sheets + 1}" Type="{base}/styles" Target="styles.xml"/>'
    return f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}">{sheets}{styles}</Relationships>'


# Cell format 0 is the normal font, 1 the bold one. The two fills are the ones Excel expects to
# find first (none, gray125) whether or not a cell uses them.
_STYLES = (
    f'{_XML_DECL}<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


# --- worksheets ------------------------------------------------------------------------------


def _drop_forbidden(text: str) -> str:
    return _NOT_XML_CHAR.sub("", text) if _NOT_XML_CHAR.search(text) else text


def _escape(text: str) -> str:
    return _drop_forbidden(text).translate(_ESCAPES)


def _inline(ref: str, text: str, style: str = "") -> str:
    text = _drop_forbidden(text)
    # Without xml:space="preserve" Excel trims spaces at the ends of the text.
    space = ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()) else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text.translate(_ESCAPES)}</t></is></c>'


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes: not a missing scalar
        return False


def _cell(ref: str, value: Any) -> str:
    """One cell of any value ("" for an empty cell, which is simply left out)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _inline(ref, value)
    if isinstance(value, (bool, np.bool_)):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, np.integer)):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            return ""
        # numpy's str() of a float32 is the shortest text for *its* precision: 0.1, not the
        # 0.10000000149011612 that repr(float(value)) would give.
        text = str(value) if isinstance(value, np.floating) and value.dtype.itemsize < 8 else repr(float(value))
        return f'<c r="{ref}"><v>{text}</v></c>'
    if _is_missing(value):
        return ""
    return _inline(ref, str(value))


def _column_values(table: pd.DataFrame) -> list[tuple[str, list[Any]]]:
    """Per column: how to write it ("i", "f", "b" or "any") and its values as Python objects.

    Columns of one numpy dtype come out of the frame in one ``to_numpy`` call; selecting them
    one by one costs more in pandas than writing their cells.
    """
    dtypes = table.dtypes.tolist()
    columns: list[tuple[str, list[Any]] | None] = [None] * len(dtypes)
    by_dtype: dict[np.dtype, list[int]] = {}
    for j, dtype in enumerate(dtypes):
        if isinstance(dtype, np.dtype) and (dtype.kind in "iub" or dtype == np.float64):
            by_dtype.setdefault(dtype, []).append(j)
        elif isinstance(dtype, np.dtype) and dtype.kind == "f":
            columns[j] = ("any", list(table.iloc[:, j].to_numpy()))  # numpy scalars: see _cell
        else:
            columns[j] = ("any", table.iloc[:, j].tolist())
    for dtype, positions in by_dtype.items():
        kind = "i" if dtype.kind in "iu" else dtype.kind
        block = table.iloc[:, positions].to_numpy(dtype=dtype).T.tolist()
        for j, values in zip(positions, block):
            columns[j] = (kind, values)
    return columns  # type: ignore[return-value]


def _column_cells(kind: str, values: list[Any], letter: str) -> list[str]:
    """The cells of one column, rows 2.. (the header is row 1)."""
    rows = range(2, len(values) + 2)
    if kind == "i":
        return [f'<c r="{letter}{r}"><v>{v}</v></c>' for r, v in zip(rows, values)]
    if kind == "f":
        return [f'<c r="{letter}{r}"><v>{v!r}</v></c>' if math.isfinite(v) else "" for r, v in zip(rows, values)]
    if kind == "b":
        return [f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>' for r, v in zip(rows, values)]
    return [_cell(f"{letter}{r}", v) for r, v in zip(rows, values)]


def _first_column_width(table: pd.DataFrame) -> float:
    texts = [str(table.columns[0]), *(str(v) for v in table.iloc[:, 0].tolist() if not _is_missing(v))]
    longest = max(len(text) for text in texts)
    return float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH))


def _worksheet(table: pd.DataFrame, bold_header: bool, freeze_header: bool, selected: bool) -> str:
    n_rows, n_columns = table.shape
    letters = [column_letter(j) for j in range(n_columns)]
    style = ' s="1"' if bold_header else ""
    header = "".join(_inline(f"{letter}1", str(name), style) for letter, name in zip(letters, table.columns))
    lines = [f'<row r="1">{header}</row>'] if n_columns else []
    if n_rows and n_columns:
        columns = [_column_cells(kind, values, letter)
                   for (kind, values), letter in zip(_column_values(table), letters)]
        lines.extend(f'<row r="{r}">{"".join(cells)}</row>' for r, cells in enumerate(zip(*columns), start=2))
    dimension = f"A1:{letters[-1]}{n_rows + 1}" if n_columns else "A1"
    tab = ' tabSelected="1"' if selected else ""
    if freeze_header:
        view = (f'<sheetView{tab} workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>')
    else:
        view = f'<sheetView{tab} workbookViewId="0"/>'
    cols = (f'<cols><col min="1" max="1" width="{_first_column_width(table)}" customWidth="1"/></cols>'
            if n_columns else "")
    return (f'{_XML_DECL}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><dimension ref="{dimension}"/>'
            f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>{cols}'
            f'<sheetData>{"".join(lines)}</sheetData></worksheet>')
