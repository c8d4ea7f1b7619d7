"""Semantic tagger: zero-shot codes from definitions and examples, calibrated per embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.codebook import load_codebook
from pipeline.embed import CachedEmbedder, HashEmbedder, MemoryVectorStore, make_embedder
from pipeline.models import Segment
from pipeline.tagging import Tagger
from pipeline.tagging.semantic import Calibration, SemanticTagger, code_prototypes, default_threshold

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# None of these shares a content word with the code it is about.
TEXTS = {
    "trust.building": "Wat we afspreken, dat doen we ook: daar kun je op bouwen.",
    None: "Het regent vandaag de hele dag.",
    "roles.leader": "Marieke neemt altijd het initiatief en krijgt iedereen mee.",
    "space.rent": "De verhuurder wil volgend jaar veel meer geld voor de ruimte.",
}


@pytest.fixture(scope="module")
def book():
    return load_codebook(FIXTURES / "codebook_semantic.yaml")


def segments(texts):
    return [Segment(f"s{i}", "d", "c", i, 0, len(t), t) for i, t in enumerate(texts)]


def test_prototypes_come_from_definition_include_examples_and_exclude(book):
    kinds = [p.kind for p in code_prototypes(book.codes[0])]
    assert kinds == ["definition", "include", "include", "example", "example", "exclude"]


def test_calibration_maps_threshold_to_half_and_is_monotone():
    cal = Calibration(center=0.8, scale=0.02, threshold=1.0)
    z = cal.z(np.array([0.8, 0.82, 0.86]))
    assert np.allclose(z, [0.0, 1.0, 3.0])
    scores = cal.score(z)
    assert scores[1] == pytest.approx(0.5) and scores[0] < scores[1] < scores[2]


@pytest.mark.parametrize("name", ["e5", "use"])
def test_calibration_is_per_embedder(book, name):
    tagger = SemanticTagger(book, make_embedder(name))
    tagger.raw_scores(["Een zin."])
    cal = tagger.calibration_
    # e5 crowds similarities into a narrow high band, USE spreads them around zero.
    assert (cal.center > 0.6) == (name == "e5")
    assert cal.threshold == default_threshold(tagger.embedder.name)


@pytest.mark.parametrize("name", ["e5", "use"])
def test_codes_are_found_without_their_words(book, name):
    tagger = SemanticTagger(book, make_embedder(name))
    assert isinstance(tagger, Tagger)
    texts = list(TEXTS.values())
    tags = tagger.tag_batch(segments(texts), [None] * len(texts))
    for (expected, _), found in zip(TEXTS.items(), tags):
        if expected is None:
            assert found == []
        else:
            best = max(found, key=lambda t: t.score)
            assert best.code_id == expected and best.method == "semantic" and best.score >= 0.5


def test_evidence_names_the_nearest_description_and_spans_the_segment(book):
    tagger = SemanticTagger(book, make_embedder("use"))
    text = TEXTS["space.rent"]
    (tag,) = [t for t in tagger.tag_texts(segments([text]))[0] if t.code_id == "space.rent"]
    (evidence,) = tag.evidence
    assert (evidence.start, evidence.end, evidence.text) == (0, len(text), text)
    assert evidence.pattern.startswith("~") and "z=" in evidence.pattern


def test_tagger_embeds_codebook_once_and_segments_through_the_cache(book):
    cached = CachedEmbedder(HashEmbedder(), MemoryVectorStore())
    tagger = SemanticTagger(book, cached, threshold=0.0)
    tagger.tag_texts(segments(["een", "twee"]))
    misses = cached.misses
    tagger.tag_texts(segments(["een", "twee"]))
    assert cached.misses == misses and cached.hits >= 2


def test_max_codes_limits_tags_per_segment(book):
    tagger = SemanticTagger(book, HashEmbedder(), min_score=0.0, threshold=-100.0, max_codes=2)
    assert len(tagger.tag_texts(segments(["iets"]))[0]) == 2
