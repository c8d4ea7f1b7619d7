"""Segmentation: units, stable ids and exact offsets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import SegmentOptions
from pipeline.models import Document, Turn, Unit
from pipeline.segment import paragraph_spans, segment_document

TEXT = (
    "Hoe is het collectief begonnen?\n\n"
    "Het begon in 2019. We zaten met vijf makers in een loods. Niemand wist hoe lang het zou duren.\n\n"
    "Ja.\n\n"
    "Daarna kwamen er steeds meer mensen bij. Nu zijn we met veertig."
)


def make_doc(text=TEXT):
    first_end = text.index("?") + 1
    turns = [Turn(0, first_end, "Interviewer"), Turn(first_end + 2, len(text), "Respondent")]
    return Document("a.txt", "case-a", text, turns, "0" * 64)


def test_turn_unit_gives_one_segment_per_turn_with_speaker():
    segs = segment_document(make_doc(), SegmentOptions(unit=Unit.TURN))
    assert [s.speaker for s in segs] == ["Interviewer", "Respondent"]
    assert all(s.text == TEXT[s.start:s.end] for s in segs)


def test_paragraph_unit_merges_short_paragraphs_into_the_next():
    segs = segment_document(make_doc(), SegmentOptions(unit=Unit.PARAGRAPH, min_words=3))
    texts = [s.text for s in segs]
    assert texts[1].startswith("Het begon")
    assert texts[2].startswith("Ja.\n\nDaarna")  # "Ja." alone is too short to be a unit
    assert all(s.text == TEXT[s.start:s.end] for s in segs)


def test_sentence_windows():
    segs = segment_document(make_doc(), SegmentOptions(unit=Unit.SENTENCE, window=2, min_words=1))
    respondent = [s.text for s in segs if s.speaker == "Respondent"]
    assert respondent[0] == "Het begon in 2019. We zaten met vijf makers in een loods."
    assert all(s.text == TEXT[s.start:s.end] for s in segs)


def test_ids_survive_an_edit_elsewhere_and_change_with_own_text():
    before = segment_document(make_doc(), SegmentOptions(unit=Unit.PARAGRAPH))
    edited = TEXT.replace("Hoe is het collectief begonnen?", "Hoe en wanneer is het collectief ooit begonnen?")
    after = segment_document(make_doc(edited), SegmentOptions(unit=Unit.PARAGRAPH))
    assert before[0].id != after[0].id
    assert [s.id for s in before[1:]] == [s.id for s in after[1:]]
    assert before[1].start != after[1].start


def test_repeated_text_gets_distinct_ids():
    text = "Ja, precies zo is het.\n\nJa, precies zo is het."
    doc = Document("b.txt", "b", text, [Turn(0, len(text))], "0" * 64)
    segs = segment_document(doc, SegmentOptions(unit=Unit.PARAGRAPH))
    assert len({s.id for s in segs}) == 2


words = st.sampled_from(["ik", "wij", "vertrouwen", "Gemeente", "loods.", "ja?", "tijdelijk!", "zzp'er", "ŉ", "é"])
separators = st.sampled_from([" ", "  ", "\n", "\n\n", "\n \n", ". ", "\t"])
texts = st.lists(st.tuples(words, separators), min_size=1, max_size=60).map(lambda p: "".join(a + b for a, b in p))


@settings(max_examples=150, deadline=None)
@given(text=texts, unit=st.sampled_from(list(Unit)), window=st.integers(1, 4), min_words=st.integers(1, 4))
def test_offsets_round_trip_for_every_unit(text, unit, window, min_words):
    doc = Document("p.txt", "p", text, [Turn(s, e) for s, e in paragraph_spans(text, 0, len(text))], "0" * 64)
    segs = segment_document(doc, SegmentOptions(unit=unit, window=window, min_words=min_words))
    last_end = 0
    for seg in segs:
        assert seg.text == text[seg.start:seg.end]
        assert seg.text == seg.text.strip() and seg.text
        assert seg.start >= last_end
        last_end = seg.end
    # nothing is lost: every word of the text is in some segment
    assert sum(len(s.text.split()) for s in segs) == len(text.split())
