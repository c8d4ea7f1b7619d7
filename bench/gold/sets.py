"""The development gold sets and how their unit texts are cut from the sources (stdlib only).

Four development sets and one test set, each a JSONL file of labels beside this module:

* ``seeds``: paragraphs of ../shared/corpora/seeds (offsets + sha1, see README.md);
* ``partypanel``: real Dutch open survey answers in ../shared/external/partypanel-nl, one unit per
  non-empty CSV cell (``row`` id + ``column``) or per line of the ROCK file (``line``, the inline
  ``[[code]]`` markers removed); only sha1 hashes are stored, never the answers;
* ``written``: paragraphs of written_dev.txt, interview-style Dutch written for Kwali in the field
  of neighbourhood entrepreneurs (our own text, so it lives in the repo; offsets + sha1);
* ``fieldnotes``: paragraphs of fieldnotes_dev.txt, a second written development set in the same
  field and format as ``written`` (interviews, reports, minutes and emails, local news, survey
  answers), by another writer; meant for tuning;
* ``heldout``: paragraphs of heldout_test.txt, a held-out TEST set in the same field and format as
  ``written`` (interviews, reports, policy memos, field notes). It is scored, never tuned on.

``load_set(name)`` returns rows with ``id``, ``text`` and ``labels`` and raises ``GoldError`` when a
source is missing or a hash does not match, so a score is never computed on shifted text.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
# KWALI_SHARED points elsewhere when the repository is checked out away from ../shared (a worktree).
SHARED = Path(os.environ.get("KWALI_SHARED") or HERE.parents[1].parent / "shared")
THEMES = ("trust", "temporality", "roles")
SETS = ("seeds", "partypanel", "written", "fieldnotes", "heldout")
MIN_WORDS_ANSWER = 4
# LimeSurvey bookkeeping columns: never answers.
_META_COLUMNS = {"id", "submitdate", "startdate", "datestamp", "startlanguage", "lastpage"}
_META_PREFIXES = ("Vraag.tijd", "Totaal", "Groep")
_ROCK_CODE = re.compile(r"\[\[[^\]]*\]\]")


class GoldError(Exception):
    """A gold set cannot be loaded: a source is missing or its text changed."""


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def source_folder(name: str) -> Path:
    """Where the source texts of a gold set live."""
    return {"seeds": SHARED / "corpora" / "seeds", "partypanel": SHARED / "external" / "partypanel-nl",
            "written": HERE, "fieldnotes": HERE, "heldout": HERE}[name]


def gold_file(name: str) -> Path:
    return HERE / {"seeds": "seeds_dev.jsonl", "partypanel": "partypanel_dev.jsonl",
                   "written": "written_dev.jsonl", "fieldnotes": "fieldnotes_dev.jsonl",
                   "heldout": "heldout_test.jsonl"}[name]


def answer_units(folder: Path, filename: str) -> dict[str, str]:
    """Units of one partypanel file: key ``row|column`` (CSV) or ``line`` (ROCK) -> text."""
    path = folder / filename
    units: dict[str, str] = {}
    if filename.endswith(".rock"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = _ROCK_CODE.sub("", line).strip()
            if len(text.split()) >= MIN_WORDS_ANSWER and not text.startswith("*"):
                units[str(number)] = text
        return units
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for column, value in row.items():
                if column in _META_COLUMNS or column.startswith(_META_PREFIXES):
                    continue
                if value and value != "NA" and len(value.split()) >= MIN_WORDS_ANSWER:
                    units[f"{row['id']}|{column}"] = value
    return units


def unit_key(record: dict) -> str:
    """The key of a gold record inside its source (offsets, row|column, or line)."""
    if "start" in record:
        return f"{record['start']}:{record['end']}"
    if "line" in record:
        return str(record["line"])
    return f"{record['row']}|{record['column']}"


def read_records(name: str) -> list[dict]:
    return [json.loads(line) for line in gold_file(name).read_text(encoding="utf-8").splitlines() if line.strip()]


def load_set(name: str, folder: Path | None = None) -> list[dict]:
    """Gold rows of one set with their text (sha1-checked) and an ``id``."""
    folder = folder or source_folder(name)
    if not folder.is_dir():
        raise GoldError(f"{name}: source folder {folder} not found")
    texts: dict[str, str] = {}
    answers: dict[str, dict[str, str]] = {}
    rows = []
    for record in read_records(name):
        filename = record["file"]
        if "start" in record:
            if filename not in texts:
                texts[filename] = (folder / filename).read_text(encoding="utf-8")
            text = texts[filename][record["start"]:record["end"]]
        else:
            if filename not in answers:
                answers[filename] = answer_units(folder, filename)
            text = answers[filename].get(unit_key(record), "")
        if sha1(text) != record["sha1"]:
            raise GoldError(f"{name}: {filename} {unit_key(record)} does not match its sha1")
        rows.append({**record, "text": text, "id": f"{filename}:{unit_key(record)}"})
    return rows
