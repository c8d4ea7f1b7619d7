"""Choosing the strongest quotes and marking their evidence safely."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.analysis.quotes import escape_markdown, evidence_spans, mark_evidence, strongest_quotes
from pipeline.models import Evidence, Polarity

SEGMENT_COLUMNS = ["segment_id", "document_id", "case_id", "speaker", "start", "end", "text", "n_words"]
TAG_COLUMNS = ["segment_id", "code_id", "theme_id", "score", "method", "polarity", "evidence"]


def ev(start: int, end: int, text: str) -> dict:
    return {"text": text, "start": start, "end": end, "pattern": text, "negated_by": None}


def segments() -> pd.DataFrame:
    rows = [
        # a, b, c tie on score 0.8; b has more evidence; c is shorter than a; d ties with c but
        # comes later in the document.
        ("a", "int_01.txt", "c1", "R", 100, 136, "We vertrouwen elkaar echt volkomen.", 5),
        ("b", "int_01.txt", "c1", "R", 200, 250, "Vertrouwen en afspraken nakomen, dat is het hier.", 8),
        ("c", "int_01.txt", "c1", None, 300, 320, "Vertrouwen is goed.", 3),
        ("d", "int_02.txt", "c1", "R", 50, 70, "Vertrouwen is fijn.", 3),
        ("e", "int_01.txt", "c1", "R", 400, 420, "Gewoon vertrouwen.", 2),
        ("f", "int_03.txt", "c2", "Ahmed", 10, 40, "Ik vertrouw de bank niet meer.", 6),
    ]
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)


def tags() -> pd.DataFrame:
    rows = [
        ("a", "trust.general", "trust", 0.8, "rules", "positive", [ev(3, 13, "vertrouwen")]),
        ("b", "trust.general", "trust", 0.8, "rules", "positive",
         [ev(0, 10, "Vertrouwen"), ev(14, 23, "afspraken")]),
        ("c", "trust.general", "trust", 0.8, "rules", "positive", [ev(0, 10, "Vertrouwen")]),
        ("d", "trust.general", "trust", 0.8, "rules", "positive", [ev(0, 10, "Vertrouwen")]),
        # e has a weak rules tag but a strong semantic one: the strongest tag represents it.
        ("e", "trust.general", "trust", 0.3, "rules", "positive", [ev(7, 17, "vertrouwen")]),
        ("e", "trust.general", "trust", 0.95, "semantic", "positive", []),
        ("f", "trust.general", "trust", 0.7, "rules", Polarity.NEGATIVE,
         [Evidence(text="vertrouw", start=3, end=11, pattern="vertrouwen", negated_by="niet")]),
        ("a", "time.long", "time", 0.5, "rules", "positive", []),
    ]
    return pd.DataFrame(rows, columns=TAG_COLUMNS)


def test_quotes_rank_by_score_then_evidence_then_length_then_document_order():
    quotes = strongest_quotes(segments(), tags(), per_code=5)
    c1_trust = [q.segment_id for q in quotes if q.case_id == "c1" and q.code_id == "trust.general"]
    assert c1_trust == ["e", "b", "c", "d", "a"]


def test_per_code_limits_quotes_per_case_and_code():
    quotes = strongest_quotes(segments(), tags(), per_code=2)
    keys = [(q.case_id, q.code_id, q.segment_id, q.rank) for q in quotes]
    # Without a codebook codes are ordered by id: time.long before trust.general.
    assert keys == [("c1", "time.long", "a", 1), ("c1", "trust.general", "e", 1),
                    ("c1", "trust.general", "b", 2), ("c2", "trust.general", "f", 1)]


def test_quote_carries_document_offsets_best_tag_and_all_methods():
    quote = next(q for q in strongest_quotes(segments(), tags(), per_code=1) if q.segment_id == "e")
    assert (quote.document_id, quote.start, quote.end, quote.speaker) == ("int_01.txt", 400, 420, "R")
    assert quote.score == 0.95 and quote.evidence == ()
    assert quote.methods == ("rules", "semantic")


def test_quote_normalises_enum_polarity_and_evidence_records():
    quote = next(q for q in strongest_quotes(segments(), tags()) if q.case_id == "c2")
    assert quote.polarity == "negative"
    assert quote.evidence[0]["negated_by"] == "niet"
    assert quote.text[quote.evidence[0]["start"]:quote.evidence[0]["end"]] == "vertrouw"


def test_missing_speaker_becomes_none():
    quote = next(q for q in strongest_quotes(segments(), tags(), per_code=5) if q.segment_id == "c")
    assert quote.speaker is None


def test_codebook_orders_codes(tmp_path):
    from pipeline.codebook import load_codebook

    path = tmp_path / "cb.yaml"
    path.write_text(
        "id: cb\nlabel: cb\nversion: 1\nthemes:\n"
        "  - {id: trust, label: V, definition: d, codes: [{id: trust.general, label: V, definition: d}]}\n"
        "  - {id: time, label: T, definition: d, codes: [{id: time.long, label: T, definition: d}]}\n",
        encoding="utf-8")
    quotes = strongest_quotes(segments(), tags(), per_code=1, codebook=load_codebook(path))
    assert [(q.case_id, q.code_id) for q in quotes] == [("c1", "trust.general"), ("c1", "time.long"),
                                                        ("c2", "trust.general")]


def test_no_tags_no_quotes():
    assert strongest_quotes(segments(), tags().iloc[0:0]) == []


def test_mark_evidence_html_escapes_text_and_marks_by_offsets():
    text = 'Hij zei <script>alert("x")</script> & vertrouwen'
    start = text.index("vertrouwen")
    marked = mark_evidence(text, [ev(start, start + 10, "vertrouwen")], "html")
    assert "<script>" not in marked
    assert marked == ("Hij zei &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
                      "<mark>vertrouwen</mark>")


def test_mark_evidence_span_over_escaped_characters():
    text = "a <b> c"
    assert mark_evidence(text, [(2, 5)], "html") == "a <mark>&lt;b&gt;</mark> c"


def test_overlapping_and_touching_spans_are_merged():
    text = "geen vertrouwen meer"
    assert evidence_spans(text, [(0, 10), (5, 15)]) == [(0, 15)]
    # Touching spans too: "**huur****contract**" would not render as bold in Markdown.
    assert mark_evidence("huurcontract", [(0, 4), (4, 12)], "markdown") == "**huurcontract**"
    assert mark_evidence(text, [(5, 15), (0, 9)], "html") == "<mark>geen vertrouwen</mark> meer"


def test_spans_are_clipped_trimmed_and_wrong_offsets_skipped():
    text = "Ik vertrouw hem"
    assert evidence_spans(text, [(2, 11), (12, 99), (-3, 0)]) == [(3, 11), (12, 15)]
    # Evidence text that does not match its offsets points at the wrong words: leave it out.
    assert evidence_spans(text, [ev(0, 2, "hem")]) == []


def test_mark_evidence_markdown_bolds_and_escapes():
    text = "Zo *moet* het <script>: vertrouwen | 100%"
    start = text.index("vertrouwen")
    marked = mark_evidence(text, [ev(start, start + 10, "vertrouwen")], "markdown")
    assert marked == r"Zo \*moet\* het \<script\>: **vertrouwen** \| 100%"
    assert escape_markdown("a_b [c](d)") == r"a\_b \[c\](d)"


def test_mark_evidence_rejects_unknown_style():
    with pytest.raises(ValueError):
        mark_evidence("x", [], "latex")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab <>&\"'*_|\n")), max_size=30),
       spans=st.lists(st.tuples(st.integers(-5, 35), st.integers(-5, 35)), max_size=4))
def test_marking_never_changes_the_text(text, spans):
    # Offsets are sacred: removing the marks and unescaping gives back exactly the quote.
    marked = mark_evidence(text, spans, "html")
    assert html.unescape(re.sub(r"</?mark>", "", marked)) == text
    assert marked.count("<mark>") == marked.count("</mark>") == len(evidence_spans(text, spans))
    assert "<" not in re.sub(r"</?mark>", "", marked)
