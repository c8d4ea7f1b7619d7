"""Survey readers: open answers in a CSV or Excel file, one text per row.

openpyxl is imported inside ``read`` so that importing Kwali stays fast and the dependency only
matters when an .xlsx file is read.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path

from pipeline.config import IngestOptions
from pipeline.errors import UnreadableFile
from pipeline.ingest.readers.base import RawText, _corrupt, _read_bytes, check_size, decode_text


class CsvReader:
    """Survey open answers in a CSV file (comma, semicolon or tab separated): one text per row."""

    suffixes = (".csv", ".tsv")

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        text, encoding = decode_text(_read_bytes(path, options), path)
        try:
            rows = read_csv_rows(text)
        except csv.Error as exc:
            raise _corrupt(path, "CSV", exc, "open it in a spreadsheet and save as CSV") from exc
        return _survey_rows(path, rows, options, {"format": "csv", "encoding": encoding})


def read_csv_rows(text: str) -> list[list[str]]:
    """Parse CSV text, picking the delimiter (, ; or tab) that splits the header row most."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(
        (",", ";", "\t"),
        key=lambda d: len(next(csv.reader([header], delimiter=d), [])),
    )
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


class XlsxReader:
    """Survey open answers in an Excel workbook (.xlsx): one text per row of one sheet."""

    suffixes = (".xlsx", ".xlsm")

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        check_size(path, options)
        import openpyxl

        fix = "it may be damaged or an old .xls; open it in Excel and save it as .xlsx"
        try:
            workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zip, XML and its own errors alike
            raise _corrupt(path, ".xlsx", exc, fix) from exc
        try:
            if options.sheet is not None and options.sheet not in workbook.sheetnames:
                sheets = ", ".join(repr(s) for s in workbook.sheetnames)
                raise UnreadableFile(
                    str(path), f"no sheet {options.sheet!r} (sheets: {sheets}); set --sheet"
                )
            sheet = workbook[options.sheet] if options.sheet else workbook.worksheets[0]
            rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            title = sheet.title
        except UnreadableFile:
            raise
        except Exception as exc:
            raise _corrupt(path, ".xlsx", exc, fix) from exc
        finally:
            workbook.close()
        return _survey_rows(path, rows, options, {"format": "xlsx", "sheet": title})


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


_RESERVED_KEYS = frozenset({"format", "encoding", "sheet", "row", "path", "title", "case_source"})
# How R, SPSS, Stata and spreadsheets write "no answer": such a cell is not an excerpt.
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", ".", "#n/a", "missing"})


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_MARKERS


def _survey_rows(
    path: Path, rows: list[list[str]], options: IngestOptions, base: dict[str, str]
) -> list[RawText]:
    """One RawText per row with a non-empty answer; other columns go into its metadata."""
    start = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if start is None:
        raise UnreadableFile(str(path), "empty file (no header row); add the answers or remove it")
    header = [c.strip().lstrip("\ufeff") for c in rows[start]]
    text_col = _column(path, header, options.text_column, "--text-column")
    id_col = _column(path, header, options.id_column, "--id-column")
    case_col = _column(path, header, options.case_column, "--case-column")
    texts: list[RawText] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[start + 1 :], start=1):
        cells = row + [""] * (len(header) - len(row))
        answer = cells[text_col]
        if _is_missing(answer):
            continue
        key = str(number) if id_col is None else cells[id_col].strip()
        if not key:
            raise UnreadableFile(
                str(path),
                f"row {number} has no value in the id column {header[id_col]!r}; fill it in, "
                "or leave out --id-column to number the rows",
            )
        if key in seen:
            raise UnreadableFile(
                str(path),
                f"id {key!r} occurs twice in column {header[id_col]!r} (rows {seen[key]} and "
                f"{number}); make the ids unique or leave out --id-column",
            )
        seen[key] = number
        metadata = {**base, "row": str(number)}
        for i, name in enumerate(header):
            if i != text_col and name and name not in _RESERVED_KEYS and not _is_missing(cells[i]):
                metadata.setdefault(name, cells[i].strip())
        case = None if case_col is None or _is_missing(cells[case_col]) else cells[case_col].strip()
        texts.append(RawText(key, answer, metadata, case))
    if not texts:
        raise UnreadableFile(
            str(path), f"no answers: column {header[text_col]!r} is empty in every row"
        )
    return texts


def _column(path: Path, header: list[str], name: str | None, flag: str) -> int | None:
    """Index of column ``name`` (exact, else case-insensitive) or UnreadableFile saying so."""
    if name is None:
        return None
    if name in header:
        return header.index(name)
    folded = [i for i, h in enumerate(header) if h.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    columns = ", ".join(repr(h) for h in header if h) or "none"
    raise UnreadableFile(
        str(path), f"no column {name!r} (columns: {columns}); name the right column with {flag}"
    )
