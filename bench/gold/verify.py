#!/usr/bin/env python3
"""Verify the seeds development gold set (stdlib only).

Checks, for every line of seeds_dev.jsonl:
  * the source file exists in ../shared/corpora/seeds (beside the repo);
  * sha1(text[start:end]) matches the stored hash;
  * start/end coincide with the whitespace-stripped boundaries of one
    paragraph (blocks split on the regex \\n\\s*\\n) of at least 15 words;
  * the stored word count matches and labels are known themes.
Prints counts per theme and per file; exits 1 on any mismatch.
"""
import hashlib
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
# KWALI_SHARED points elsewhere when the repository is checked out away from ../shared (a worktree).
SEEDS = Path(os.environ.get("KWALI_SHARED") or Path(__file__).resolve().parents[2].parent / "shared") / "corpora" / "seeds"
GOLD = HERE / "seeds_dev.jsonl"
THEMES = ("trust", "temporality", "roles")
MIN_WORDS = 15


def paragraph_spans(text):
    """Return {(start, end): words} for stripped paragraphs with >= MIN_WORDS words."""
    spans = {}
    pos = 0
    seps = list(re.finditer(r"\n\s*\n", text))
    for m in seps + [None]:
        stop = m.start() if m else len(text)
        block = text[pos:stop]
        s = pos + (len(block) - len(block.lstrip()))
        e = pos + len(block.rstrip())
        if e > s:
            n = len(text[s:e].split())
            if n >= MIN_WORDS:
                spans[(s, e)] = n
        if m:
            pos = m.end()
    return spans


def main():
    errors = []
    cache = {}
    themes = Counter()
    per_file = Counter()
    none = 0
    seen = set()
    prev = None
    rows = [l for l in GOLD.read_text(encoding="utf-8").splitlines() if l.strip()]
    for ln, line in enumerate(rows, 1):
        rec = json.loads(line)
        fn, s, e = rec["file"], rec["start"], rec["end"]
        key = (fn, s, e)
        if key in seen:
            errors.append(f"line {ln}: duplicate unit {key}")
        seen.add(key)
        if prev is not None and (fn, s) < prev:
            errors.append(f"line {ln}: not ordered by file then start")
        prev = (fn, s)
        if fn not in cache:
            path = SEEDS / fn
            if not path.is_file():
                errors.append(f"line {ln}: missing source {path}")
                continue
            text = path.read_text(encoding="utf-8")
            cache[fn] = (text, paragraph_spans(text))
        text, spans = cache[fn]
        got = hashlib.sha1(text[s:e].encode("utf-8")).hexdigest()
        if got != rec["sha1"]:
            errors.append(f"line {ln}: sha1 mismatch for {fn}[{s}:{e}]")
        if (s, e) not in spans:
            errors.append(f"line {ln}: {fn}[{s}:{e}] is not a stripped paragraph boundary")
        elif spans[(s, e)] != rec.get("words"):
            errors.append(f"line {ln}: word count {rec.get('words')} != {spans[(s, e)]}")
        bad = [x for x in rec["labels"] if x not in THEMES]
        if bad:
            errors.append(f"line {ln}: unknown labels {bad}")
        themes.update(rec["labels"])
        per_file[fn] += 1
        if not rec["labels"]:
            none += 1
    print(f"seeds folder: {SEEDS}")
    print(f"units: {len(rows)}")
    for fn in sorted(per_file):
        print(f"  {fn}: {per_file[fn]}")
    for t in THEMES:
        print(f"{t}: {themes[t]}")
    print(f"no theme: {none}")
    if errors:
        print(f"{len(errors)} error(s):", file=sys.stderr)
        for x in errors:
            print("  " + x, file=sys.stderr)
        sys.exit(1)
    print("OK: all offsets and hashes verified")


if __name__ == "__main__":
    main()
