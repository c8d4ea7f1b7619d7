"""Training labels from review decisions: positives, negatives, consensus override, disagreements."""

from __future__ import annotations

import pytest

from pipeline.codebook import load_codebook
from pipeline.errors import InvalidInput
from pipeline.store import Store
from pipeline.tagging.decision_labels import (DecisionRow, derive_labels, label_counts, read_decisions,
                                              store_codebook)
from tests.learn_study import CODEBOOK, build_store, fill_store, segment_ids

CODES = [c.id for c in load_codebook(CODEBOOK).codes]
S = segment_ids()


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    store = Store(build_store(tmp_path_factory.mktemp("learn")))
    try:
        yield read_decisions(store.engine)
    finally:
        store.close()


def by_segment(labels):
    return {e.segment_id: (set(e.positives), set(e.negatives)) for e in labels.examples}


def test_machine_and_undone_decisions_are_not_read(rows):
    assert "kwali" not in {r.coder for r in rows}
    assert not [r for r in rows if r.code_id == "trust.distrust"]  # bram took it back
    assert len(rows) == 22  # 6 + 5 trust.building, 7 on segments 5-8, 3 markers, 1 consensus
    assert all(r.text for r in rows)


def test_accepts_are_positives_and_reviewed_codes_without_accept_are_negatives(rows):
    labels = by_segment(derive_labels(rows, CODES))
    others = set(CODES) - {"trust.building"}
    for i in range(5):
        assert labels[S[i]] == ({"trust.building"}, others)
    # anna rejected the machine's trust.building, both accepted roles.leader
    assert labels[S[6]] == ({"roles.leader"}, {"trust.building", "trust.distrust", "roles.role"})
    # only anna decided: her accept stands; marked-reviewed segments are negative for every code
    assert labels[S[8]][0] == {"roles.leader"}
    for i in (9, 10, 11):
        assert labels[S[i]] == (set(), set(CODES))


def test_consensus_overrides_the_coders(rows):
    result = derive_labels(rows, CODES)
    assert by_segment(result)[S[5]][0] == {"trust.building"}  # anna accept, bram reject, consensus accept
    assert result.overridden == 1
    assert "consensus" in result.coders


def test_disagreements_without_consensus_are_left_out_and_counted(rows):
    result = derive_labels(rows, CODES)
    assert result.disagreements == 1 and result.disagreement_pairs == [(S[7], "roles.leader")]
    positives, negatives = by_segment(result)[S[7]]
    assert "roles.leader" not in positives | negatives
    assert negatives == {"trust.building", "trust.distrust", "roles.role"}  # both agree these do not apply
    assert label_counts(result.examples) == {"roles.leader": (2, 9), "roles.role": (0, 12),
                                             "trust.building": (6, 6), "trust.distrust": (0, 12)}


def test_one_coder_only_has_no_disagreements(rows):
    result = derive_labels(rows, CODES, coders=["anna"])
    assert result.disagreements == 0 and result.coders == ("anna", "consensus")
    assert by_segment(result)[S[7]][0] == {"roles.leader"}


def test_consensus_source_uses_only_consensus_and_its_pairs(rows):
    result = derive_labels(rows, CODES, source="consensus")
    # consensus decided one pair and never marked a segment reviewed: no implicit negatives
    assert by_segment(result) == {S[5]: ({"trust.building"}, set())}


def test_consensus_reviewed_marker_gives_negatives_only_where_coders_are_silent():
    rows = [DecisionRow("a", "*", "consensus", "accept", "consensus", "tekst a"),
            DecisionRow("a", "x", "anna", "accept", "review", "tekst a"),
            DecisionRow("b", "*", "consensus", "accept", "consensus", "tekst b")]
    result = derive_labels(rows + [DecisionRow("b", "oud", "anna", "accept", "review", "tekst b")], ["x", "y"])
    # anna's decision on a code outside the codebook still marks b as reviewed by her
    assert by_segment(result) == {"a": ({"x"}, {"y"}), "b": (set(), {"x", "y"})}
    assert result.outside_codebook == 1


def test_unknown_coder_and_source_are_user_errors(rows):
    with pytest.raises(InvalidInput, match="no decisions by carla"):
        derive_labels(rows, CODES, coders=["carla"])
    with pytest.raises(InvalidInput, match="source must be"):
        derive_labels(rows, CODES, source="machine")


def test_store_codebook_is_the_stored_one(tmp_path):
    store = Store(build_store(tmp_path))
    try:
        sha, book = store_codebook(store.engine)
    finally:
        store.close()
    assert sha == load_codebook(CODEBOOK).sha256() and [c.id for c in book.codes] == CODES


def test_the_same_labels_on_every_database(store_url):
    store = Store(fill_store(store_url))
    try:
        result = derive_labels(read_decisions(store.engine), CODES)
    finally:
        store.close()
    assert result.decisions == 22 and result.disagreement_pairs == [(S[7], "roles.leader")]
    assert label_counts(result.examples) == {"roles.leader": (2, 9), "roles.role": (0, 12),
                                             "trust.building": (6, 6), "trust.distrust": (0, 12)}
