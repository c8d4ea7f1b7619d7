#!/usr/bin/env python3
"""Verify the partypanel, written and fieldnotes development gold sets and the heldout test set (stdlib only).

For every record: the source exists, the unit exists (offsets on a paragraph boundary, or the CSV
row/column, or the ROCK line), sha1 and word count match, labels are known themes, a rationale is
given; every unit of the source is coded exactly once. Prints counts; exits 1 on any problem.

    python3 bench/gold/verify_sets.py [partypanel] [written] [fieldnotes] [heldout]
"""
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sets import THEMES, answer_units, read_records, sha1, source_folder, unit_key  # noqa: E402


def paragraphs(text):
    """{(start, end)} of the whitespace-stripped blocks between blank lines."""
    spans, pos = set(), 0
    for match in list(re.finditer(r"\n\s*\n", text)) + [None]:
        stop = match.start() if match else len(text)
        block = text[pos:stop]
        start, end = pos + len(block) - len(block.lstrip()), pos + len(block.rstrip())
        if end > start:
            spans.add((start, end))
        if match:
            pos = match.end()
    return spans


def verify(name):
    folder = source_folder(name)
    errors, themes, seen, sources = [], Counter(), set(), {}
    records = read_records(name)
    for number, record in enumerate(records, 1):
        filename = record["file"]
        path = folder / filename
        if not path.is_file():
            errors.append(f"line {number}: missing source {path}")
            continue
        if filename not in sources:
            if "start" in record:
                text = path.read_text(encoding="utf-8")
                sources[filename] = {f"{s}:{e}": text[s:e] for s, e in paragraphs(text)}
            else:
                sources[filename] = answer_units(folder, filename)
        key = (filename, unit_key(record))
        if key in seen:
            errors.append(f"line {number}: duplicate unit {key}")
        seen.add(key)
        text = sources[filename].get(unit_key(record))
        if text is None:
            errors.append(f"line {number}: {key} is not a unit of the source")
            continue
        if sha1(text) != record["sha1"]:
            errors.append(f"line {number}: sha1 mismatch for {key}")
        if len(text.split()) != record["words"]:
            errors.append(f"line {number}: word count {record['words']} != {len(text.split())}")
        if [t for t in record["labels"] if t not in THEMES]:
            errors.append(f"line {number}: unknown labels {record['labels']}")
        if not record.get("rationale", "").strip():
            errors.append(f"line {number}: no rationale")
        themes.update(record["labels"])
    for filename, units in sources.items():
        missing = [k for k in units if (filename, k) not in seen]
        if missing:
            errors.append(f"{filename}: {len(missing)} unit(s) not coded, e.g. {missing[:3]}")
    none = sum(not r["labels"] for r in records)
    print(f"{name}: {len(records)} units, " + ", ".join(f"{t} {themes[t]}" for t in THEMES) + f", no theme {none}")
    return errors


def main(names):
    errors = []
    for name in names or ("partypanel", "written", "fieldnotes", "heldout"):
        errors += [f"{name}: {e}" for e in verify(name)]
    for error in errors:
        print("  " + error, file=sys.stderr)
    if errors:
        sys.exit(1)
    print("OK: all units, hashes and labels verified")


if __name__ == "__main__":
    main(sys.argv[1:])
