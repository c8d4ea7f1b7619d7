"""Codebook import and export beside the YAML loader: REFI .qdc, CSV, QualCoder code lists, YAML.

Every import ends in a ``Codebook`` that is written as YAML and loads again with
``pipeline.codebook.load_codebook``. CSV and the QualCoder list carry no patterns, examples or
include/exclude criteria: those stay empty until someone writes them.

CSV columns: ``id,label,theme,parent,definition``. A row with an empty ``theme`` is a theme; a
row with a ``theme`` is a code of that theme (``parent`` optionally names another code).
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Literal

import yaml
from pydantic import ValidationError

from pipeline.codebook import ID_FIX, ID_RE, Code, Codebook, Theme, load_codebook
from pipeline.errors import InvalidCodebook, Problem
from pipeline.exchange.code_tree import ImportedCodes, codes_to_codebook
from pipeline.exchange.qdc import read_qdc, write_qdc
from pipeline.exchange.qde_model import QdaCode, kwali_guid

Format = Literal["qdc", "yaml", "csv"]
CSV_COLUMNS = ["id", "label", "theme", "parent", "definition"]
UNCATEGORISED = "Zonder categorie"


def codebook_yaml(book: Codebook) -> str:
    """The codebook as YAML text that ``load_codebook`` reads back to the same codebook."""
    data = book.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("version", book.version)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def codebook_csv(book: Codebook) -> str:
    """The codebook as CSV (themes first, then codes), UTF-8 text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for theme in book.themes:
        writer.writerow([theme.id, theme.label, "", "", theme.definition])
    for theme in book.themes:
        for code in theme.codes:
            writer.writerow([code.id, code.label, theme.id, code.parent or "", code.definition])
    return buffer.getvalue()


def export_codebook(book: Codebook, fmt: Format) -> bytes:
    """The codebook in one of the exchange formats, as bytes to write."""
    if fmt == "qdc":
        return write_qdc(book)
    if fmt == "csv":
        return codebook_csv(book).encode("utf-8")
    return codebook_yaml(book).encode("utf-8")


def write_codebook_yaml(book: Codebook, target: str | Path) -> Path:
    """Write YAML and check that it loads with ``load_codebook`` (so nothing invalid is left behind)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = codebook_yaml(book)
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / target.name
        probe.write_text(text, encoding="utf-8")
        load_codebook(probe)
    target.write_text(text, encoding="utf-8")
    return target


def read_codebook_csv(path: Path) -> Codebook:
    """Read a CSV codebook (columns id,label,theme,parent,definition), reporting problems by line.

    Raises:
        InvalidCodebook: Missing columns, invalid or duplicate ids, unknown themes or parents.
    """
    shown = str(path)
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("id", "label", "theme") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidCodebook([Problem(shown, 1, f"missing column(s): {', '.join(missing)}",
                                       f"use the header {','.join(CSV_COLUMNS)}")])
    problems: list[Problem] = []
    themes: dict[str, dict] = {}
    codes: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        rid = (row.get("id") or "").strip()
        if not ID_RE.match(rid):
            problems.append(Problem(shown, line, f"id {rid!r} is not a valid id", ID_FIX))
        elif rid in seen:
            problems.append(Problem(shown, line, f"duplicate id {rid!r} (first on line {seen[rid]})",
                                    "give every theme and code its own id"))
        seen.setdefault(rid, line)
        if (row.get("theme") or "").strip():
            codes.append((line, row))
        else:
            themes[rid] = dict(row=row, codes=[])
    for line, row in codes:
        theme_id = row["theme"].strip()
        if theme_id not in themes:
            themes[theme_id] = dict(row={"id": theme_id, "label": theme_id}, codes=[])
        parent = (row.get("parent") or "").strip() or None
        if parent and parent not in {r["id"].strip() for _, r in codes}:
            problems.append(Problem(shown, line, f"unknown parent {parent!r}", "use the id of a code in this file"))
        themes[theme_id]["codes"].append(Code(
            id=row["id"].strip(), label=(row.get("label") or "").strip() or row["id"].strip(),
            definition=(row.get("definition") or "").strip() or f"Geen definitie; geïmporteerd uit {path.name}.",
            parent=parent))
    empty = [t for t, v in themes.items() if not v["codes"]]
    for t in empty:
        problems.append(Problem(shown, seen.get(t), f"theme {t!r} has no codes",
                                "add codes with this id in their 'theme' column, or remove the row"))
    if problems:
        raise InvalidCodebook(problems)
    try:
        return Codebook(id=_book_id(path), label=path.stem, version="1", themes=[
            Theme(id=t, label=(v["row"].get("label") or t).strip(),
                  definition=(v["row"].get("definition") or "").strip() or f"Geïmporteerd uit {path.name}.",
                  codes=v["codes"]) for t, v in themes.items()])
    except ValidationError as exc:
        raise InvalidCodebook([Problem(shown, None, str(e["msg"]), "check the file") for e in exc.errors()]) from None


def _book_id(path: Path) -> str:
    from pipeline.exchange.code_tree import slug

    base = slug(path.stem)
    return base if base[0].isalpha() else f"c_{base}"


def read_qualcoder_list(path: Path) -> ImportedCodes:
    """Read QualCoder's plain code list: one ``cat>>subcat>>code`` per line, optional tab + memo.

    Categories become themes (or parent codes); codes without a category go to a theme
    "Zonder categorie".
    """
    root: list[QdaCode] = []
    loose = QdaCode(guid=kwali_guid("qualcoder", path.name, "\x00loose"), name=UNCATEGORISED, codable=False)
    for raw in path.read_text(encoding="utf-8-sig").splitlines():
        if not raw.strip():
            continue
        name_path, _, memo = raw.partition("\t")
        parts = [p.strip() for p in name_path.split(">>") if p.strip()]
        if not parts:
            continue
        level = root if len(parts) > 1 else loose.children
        for depth, part in enumerate(parts):
            node = next((n for n in level if n.name == part), None)
            if node is None:
                node = QdaCode(guid=kwali_guid("qualcoder", path.name, *parts[:depth + 1]), name=part,
                               codable=depth == len(parts) - 1)
                level.append(node)
            level = node.children
        if memo.strip():
            node.description = memo.strip()
    if loose.children:
        root.append(loose)
    if not root:
        raise InvalidCodebook([Problem(str(path), None, "no codes found",
                                       "one code per line, categories joined with '>>'")])
    return codes_to_codebook(root, book_id=path.stem, label=path.stem, source=path.name)


def import_codebook(path: str | Path) -> tuple[Codebook, list[str]]:
    """Read a codebook from .qdc, .csv, a QualCoder .txt list, or Kwali YAML.

    Returns:
        The codebook and warnings (e.g. non-GUID guids in a .qdc).

    Raises:
        InvalidCodebook: The file has problems; each names its line where known.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidCodebook([Problem(str(path), None, "file not found", "check the path")])
    suffix = path.suffix.lower()
    if suffix in (".qdc", ".xml"):
        imported = read_qdc(path)
        return imported.codebook, imported.warnings
    if suffix in (".yaml", ".yml"):
        return load_codebook(path), []
    if suffix == ".csv":
        return read_codebook_csv(path), []
    if suffix in (".txt", ".tsv"):
        imported = read_qualcoder_list(path)
        return imported.codebook, imported.warnings
    raise InvalidCodebook([Problem(str(path), None, f"unknown codebook format {suffix!r}",
                                   "use .qdc (REFI-QDA), .csv, .txt (QualCoder code list) or .yaml")])
