"""Rule tagger: lemma matching, compounds, negation, exclusions, scores and evidence."""

from __future__ import annotations

import pytest

from pipeline.models import Polarity, Segment
from pipeline.tagging import NullTagger, RuleTagger, Tagger, annotate


@pytest.fixture(scope="module")
def tagger(small_codebook, nlp):
    return RuleTagger(small_codebook, nlp)


def tag(tagger, nlp, text):
    segment = Segment("s", "d", "c", 0, 0, len(text), text)
    return tagger.tag_doc(segment, nlp(text))


def codes(tags):
    return {(t.code_id, t.polarity.value) for t in tags}


def test_taggers_share_the_protocol(tagger):
    assert isinstance(tagger, Tagger)
    assert isinstance(NullTagger(), Tagger)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Er is veel vertrouwen tussen de leden.", {("trust.building", "positive")}),
        ("Er is geen vertrouwen meer in de gemeente.", {("trust.building", "negative")}),
        ("Ik vertrouw ze niet.", {("trust.building", "negative")}),
        ("Het ontbreekt aan vertrouwen.", {("trust.building", "negative")}),
        ("Het gaat niet alleen om vertrouwen.", {("trust.building", "positive")}),
        ("Er heerst wantrouwen.", {("trust.distrust", "negative")}),
        ("Er is geen wantrouwen.", {("trust.distrust", "positive")}),
        ("Die vertrouwensband is sterk.", {("trust.building", "positive")}),
        ("Dit is vertrouwelijke informatie.", set()),
        ("We zijn de afspraken altijd nagekomen.", {("trust.building", "positive")}),
        ("Zij is echt de kartrekker van het geheel.", {("roles.leader", "positive")}),
    ],
)
def test_codes_and_polarity(tagger, nlp, text, expected):
    assert codes(tag(tagger, nlp, text)) == expected


def test_negation_does_not_cross_punctuation(tagger, nlp):
    tags = tag(tagger, nlp, "Nee, vertrouwen is er genoeg.")
    assert codes(tags) == {("trust.building", "positive")}


def test_weak_patterns_need_company(tagger, nlp):
    assert tag(tagger, nlp, "Dat is mijn rol.") == []
    (found,) = tag(tagger, nlp, "Mijn rol en mijn taak zijn duidelijk.")
    assert found.code_id == "roles.role"
    assert found.score == pytest.approx(0.51)


def test_evidence_points_into_the_segment(tagger, nlp):
    text = "Eerlijk gezegd: er is geen vertrouwen, maar wel een vertrouwensband."
    (found,) = tag(tagger, nlp, text)
    assert [e.text for e in found.evidence] == ["vertrouwen", "vertrouwensband"]
    for ev in found.evidence:
        assert text[ev.start:ev.end] == ev.text
    assert found.evidence[0].negated_by == "geen"
    assert found.evidence[1].negated_by is None
    # one positive and one negative match of equal weight: positive wins the tie
    assert found.polarity is Polarity.POSITIVE


def test_longest_overlapping_match_wins(tagger, nlp):
    (found,) = tag(tagger, nlp, "De afspraak netjes nakomen, dat vinden we belangrijk.")
    assert [e.pattern for e in found.evidence] == ["afspraak * * nakomen"]


def test_annotate_streams_in_batches(tagger, nlp):
    texts = ["vertrouwen"] * 5 + ["niets"] * 4
    segs = [Segment(str(i), "d", "c", i, 0, len(t), t) for i, t in enumerate(texts)]
    out = list(annotate(iter(segs), nlp, [tagger, NullTagger()], batch_size=2))
    assert [s.id for s, _ in out] == [s.id for s in segs]
    assert [len(t) for _, t in out] == [1] * 5 + [0] * 4


def test_a_repeated_cue_counts_once(tagger, nlp):
    # three times the same weak word is one weak cue, not three independent ones
    assert tag(tagger, nlp, "Mijn rol, jouw rol en hun rol.") == []
    (found,) = tag(tagger, nlp, "Mijn rol, jouw rol en mijn taak.")
    assert found.score == pytest.approx(0.51)
    assert [e.text for e in found.evidence] == ["rol", "rol", "taak"]
