"""The development gold sets of bench/gold: units, hashes and labels, and scoring one of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench" / "gold"))

import sets  # noqa: E402
import verify_sets  # noqa: E402


def test_written_set_units_hashes_and_labels_verify():
    assert verify_sets.verify("written") == []
    rows = sets.load_set("written")
    assert len(rows) >= 100
    assert sum("trust" in r["labels"] for r in rows) >= 30
    assert all(r["rationale"].strip() for r in rows)


@pytest.mark.parametrize("name, source", [("heldout", "heldout_test.txt"), ("fieldnotes", "fieldnotes_dev.txt")])
def test_written_sets_units_hashes_and_labels_verify(name, source):
    assert verify_sets.verify(name) == []
    rows = sets.load_set(name)
    assert len(rows) >= 120
    for theme in sets.THEMES:
        assert sum(theme in r["labels"] for r in rows) >= 30, theme
    assert sum(not r["labels"] for r in rows) >= 25
    assert all(r["rationale"].strip() and r["words"] >= 15 for r in rows)
    # every block of the source is a unit of at least 15 words, so nothing is left uncoded
    text = (sets.HERE / source).read_text(encoding="utf-8")
    spans = verify_sets.paragraphs(text)
    assert len(spans) == len(rows)
    assert all(len(text[s:e].split()) >= 15 for s, e in spans)


def test_heldout_is_a_registered_set_of_its_own():
    assert "heldout" in sets.SETS
    assert sets.gold_file("heldout").name == "heldout_test.jsonl"
    written = {r["sha1"] for r in sets.read_records("written")}
    assert not written & {r["sha1"] for r in sets.read_records("heldout")}


def test_fieldnotes_is_a_development_set_sharing_no_paragraph_with_written_or_heldout():
    assert sets.SETS.index("fieldnotes") < sets.SETS.index("heldout")
    assert sets.gold_file("fieldnotes").name == "fieldnotes_dev.jsonl"
    fieldnotes = [r["sha1"] for r in sets.read_records("fieldnotes")]
    assert len(set(fieldnotes)) == len(fieldnotes)
    # hashes only: the held-out text is never read here
    for other in ("written", "heldout"):
        assert not set(fieldnotes) & {r["sha1"] for r in sets.read_records(other)}, other


def test_partypanel_set_verifies_against_the_shared_answers(shared_dir, monkeypatch):
    monkeypatch.setattr(sets, "SHARED", shared_dir)
    monkeypatch.setattr(verify_sets, "source_folder", sets.source_folder)
    assert verify_sets.verify("partypanel") == []
    rows = sets.load_set("partypanel")
    assert len(rows) == len(sets.read_records("partypanel"))
    # only hashes are stored: the answers themselves never enter the repository
    text = sets.gold_file("partypanel").read_text(encoding="utf-8")
    assert all(r["text"][:40] not in text for r in rows if len(r["text"]) >= 40)


@pytest.mark.parametrize("name, filename", [("written", "written_dev.txt"), ("fieldnotes", "fieldnotes_dev.txt"),
                                            ("heldout", "heldout_test.txt")])
def test_a_changed_source_is_refused(tmp_path, name, filename):
    source = (sets.HERE / filename).read_text(encoding="utf-8")
    (tmp_path / filename).write_text(source.replace("e", "é", 1), encoding="utf-8")
    with pytest.raises(sets.GoldError, match="sha1"):
        sets.load_set(name, tmp_path)


def test_answer_units_skip_bookkeeping_and_short_cells(tmp_path):
    (tmp_path / "s.csv").write_text(
        'id,submitdate,answer,short\n1,"2018-06-12 10:00:00","Een antwoord van vijf woorden",ja\n', encoding="utf-8")
    (tmp_path / "r.rock").write_text("*Kopje met vier woorden*\nDit is een regel [[dct:x]]\n", encoding="utf-8")
    assert sets.answer_units(tmp_path, "s.csv") == {"1|answer": "Een antwoord van vijf woorden"}
    assert sets.answer_units(tmp_path, "r.rock") == {"2": "Dit is een regel"}


@pytest.mark.slow
def test_quality_bench_scores_the_written_set(tmp_path):
    out = tmp_path / "scores.json"
    done = subprocess.run([sys.executable, "bench/quality.py", "--gold", "written", "--method", "rules",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    scores = json.loads(out.read_text(encoding="utf-8"))
    assert set(scores) >= {"trust", "temporality", "roles", "macro"}
    # a floor, not the measured value: a codebook change that breaks the rules shows up here
    assert scores["macro"]["f1"] >= 0.8
