"""The framework matrix: cells summarise the strongest quotes and cite document and position."""

from __future__ import annotations

import pandas as pd

from pipeline.analysis.quotes import Quote
from pipeline.report.framework import framework_matrix, quote_anchor, snippet


def quote(case, code, text, evidence_word=None, rank=1, start=100, segment=None):
    evidence = ()
    if evidence_word:
        at = text.index(evidence_word)
        evidence = ({"text": evidence_word, "start": at, "end": at + len(evidence_word)},)
    return Quote(case_id=case, code_id=code, theme_id=code.split(".")[0], segment_id=segment or f"{case}-{rank}",
                 document_id=f"{case}.txt", speaker="R", start=start, end=start + len(text), text=text, score=0.9,
                 polarity="positive", evidence=evidence, rank=rank)


def test_snippet_is_the_sentence_that_holds_the_evidence():
    q = quote("c1", "trust.building", "Ja. Nou, kijk. Wij vertrouwen elkaar blind sinds de brand. Verder niks.",
              "vertrouwen")
    assert snippet(q) == "Wij vertrouwen elkaar blind sinds de brand."


def test_snippet_without_evidence_is_the_first_sentence_and_long_text_is_cut_at_a_word():
    q = quote("c1", "trust.building", "Eerst " + "heel " * 60 + "lang. Tweede zin.")
    text = snippet(q, limit=40)
    assert text.startswith("Eerst heel") and text.endswith("…") and len(text) <= 42 and "Tweede" not in text


def test_snippet_starts_near_evidence_deep_in_a_long_sentence():
    text = "Toen " + "we " * 80 + "eindelijk vertrouwen kregen in de gemeente was het te laat."
    s = snippet(quote("c1", "trust.building", text, "vertrouwen"), limit=80)
    assert s.startswith("… ") and "vertrouwen" in s


def test_matrix_cells_count_segments_and_reference_every_quote(small_codebook):
    counts = pd.DataFrame({"trust.building": [2, 0], "trust.distrust": [0, 1], "roles.leader": [0, 0],
                           "roles.role": [0, 0]}, index=pd.Index(["c1", "c2"], name="case"))
    quotes = [quote("c1", "trust.building", "Wij vertrouwen elkaar.", "vertrouwen", rank=1),
              quote("c1", "trust.building", "Vertrouwen groeit.", "Vertrouwen", rank=2, start=500),
              quote("c1", "trust.building", "Nog meer vertrouwen.", "vertrouwen", rank=3, start=900),
              quote("c2", "trust.distrust", "Ik wantrouw ze.", "wantrouw")]
    framework = framework_matrix(quotes, counts, small_codebook)
    assert framework.codes_as_rows
    assert [b.theme_id for b in framework.blocks] == ["trust"]  # roles has no coded segment
    assert set(framework.omitted_codes) == {"roles.leader", "roles.role"}
    block = framework.blocks[0]
    assert [c["id"] for c in block.columns] == ["c1", "c2"]
    building = block.rows[0]["cells"]
    assert building[0].count == 2 and len(building[0].refs) == 3 and len(building[0].snippets) == 2
    assert building[0].refs[1].position == "c1.txt:500–518"
    assert building[0].refs[0].anchor == quote_anchor(quotes[0])
    assert building[1].count == 0 and building[1].refs == ()


def test_many_cases_turn_the_matrix_so_cases_are_rows(small_codebook):
    cases = [f"c{i}" for i in range(8)]
    counts = pd.DataFrame({"trust.building": [1] * 8, "trust.distrust": [0] * 8, "roles.leader": [0] * 8,
                           "roles.role": [0] * 8}, index=pd.Index(cases, name="case"))
    framework = framework_matrix([], counts, small_codebook)
    assert not framework.codes_as_rows
    block = framework.blocks[0]
    assert [r["id"] for r in block.rows] == cases and [c["id"] for c in block.columns] == ["trust.building"]


def test_anchor_is_a_valid_html_id():
    assert quote_anchor(quote("c1", "trust.building", "x", segment="ab12")) == "q-ab12-trust-building"
