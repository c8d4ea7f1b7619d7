"""Counting machine proposals or human decisions: decisions overrule tags where they exist."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.analysis.code_source import apply_code_source
from pipeline.analysis.matrices import case_by_code

EVIDENCE = [{"text": "vertrouw", "start": 3, "end": 11, "pattern": "vertrouwen", "negated_by": None}]


@pytest.fixture
def tags():
    return pd.DataFrame(
        [("s1", "trust.general", "trust", 0.9, "rules", "positive", EVIDENCE),
         ("s2", "trust.general", "trust", 0.6, "rules", "negative", []),
         ("s3", "time.long", "time", 0.7, "rules", "positive", [])],
        columns=["segment_id", "code_id", "theme_id", "score", "method", "polarity", "evidence"])


def decisions(rows):
    return pd.DataFrame(rows, columns=["segment_id", "code_id", "coder", "verdict", "polarity", "source"])


def pairs(frame):
    return set(zip(frame["segment_id"], frame["code_id"]))


def test_machine_source_returns_the_tags_unchanged(tags, small_codebook):
    result, source = apply_code_source(tags, decisions([("s1", "trust.general", "anna", "reject", None, "review")]),
                                       small_codebook, "machine")
    assert result is tags and source.name == "machine" and source.decisions == 0


def test_human_decisions_remove_rejected_add_new_and_keep_undecided(tags, small_codebook):
    code = small_codebook.codes[0].id
    theme = small_codebook.theme_of()[code]
    tags = tags.assign(code_id=[code, code, "time.long"], theme_id=[theme, theme, "time"])
    rows = [("s1", code, "anna", "accept", None, "review"),       # confirmed: kept, evidence kept
            ("s2", code, "anna", "reject", None, "review"),       # rejected: gone
            ("s9", code, "anna", "accept", "negative", "review")]  # added by a human
    book_codes = {c.id for c in small_codebook.codes}
    tags = tags[tags["code_id"].isin(book_codes)]
    result, source = apply_code_source(tags, decisions(rows), small_codebook, "human")
    assert pairs(result) == {("s1", code), ("s9", code)}
    confirmed = result.set_index("segment_id").loc["s1"]
    assert confirmed["method"] == "human" and confirmed["score"] == 1.0 and confirmed["evidence"] == EVIDENCE
    assert result.set_index("segment_id").loc["s9", "polarity"] == "negative"
    assert (source.name, source.decisions, source.coders, source.decided_pairs, source.applied) == (
        "human", 3, ("anna",), 3, 2)


def test_a_tie_between_coders_keeps_the_code_and_a_majority_decides(tags, small_codebook):
    code = small_codebook.codes[0].id
    base = tags.assign(code_id=code, theme_id=small_codebook.theme_of()[code])
    tie = [("s1", code, "anna", "accept", None, "review"), ("s1", code, "bram", "reject", None, "review")]
    assert ("s1", code) in pairs(apply_code_source(base, decisions(tie), small_codebook, "human")[0])
    majority = tie + [("s1", code, "cem", "reject", None, "review")]
    assert ("s1", code) not in pairs(apply_code_source(base, decisions(majority), small_codebook, "human")[0])


def test_consensus_uses_only_consensus_decisions(tags, small_codebook):
    code = small_codebook.codes[0].id
    base = tags.assign(code_id=code, theme_id=small_codebook.theme_of()[code])
    rows = [("s1", code, "anna", "reject", None, "review"), ("s2", code, "lead", "reject", None, "consensus")]
    result, source = apply_code_source(base, decisions(rows), small_codebook, "consensus")
    assert pairs(result) == {("s1", code), ("s3", code)} and source.decisions == 1


def test_human_codes_feed_the_matrices(tags, small_codebook):
    code = small_codebook.codes[0].id
    base = tags.assign(code_id=code, theme_id=small_codebook.theme_of()[code])
    segments = pd.DataFrame([(s, "d.txt", "c1", None, 0, 5, "tekst", 1) for s in ("s1", "s2", "s3")],
                            columns=["segment_id", "document_id", "case_id", "speaker", "start", "end", "text",
                                     "n_words"])
    result, _ = apply_code_source(base, decisions([("s2", code, "anna", "reject", None, "review")]),
                                  small_codebook, "human")
    assert case_by_code(segments, base, small_codebook).at["c1", code] == 3
    assert case_by_code(segments, result, small_codebook).at["c1", code] == 2


def test_unknown_source_is_rejected(tags, small_codebook):
    with pytest.raises(ValueError, match="machine"):
        apply_code_source(tags, decisions([]), small_codebook, "robot")
