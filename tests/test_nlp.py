"""The Dutch NLP set-up: blank nl + simplemma by default, a trained pipeline by config switch."""

from __future__ import annotations

import pytest
import spacy

from pipeline.config import NlpOptions
from pipeline.errors import InvalidInput
from pipeline.nlp import build_nlp, lemma_of, pipeline_description


def test_blank_pipeline_lemmatises_forms_spacy_lookup_misses(nlp):
    doc = nlp("De ondernemers maakten afspraken met de gemeenten over de kinderen.")
    lemmas = {t.text: t.lemma_ for t in doc}
    assert lemmas["ondernemers"] == "ondernemer"
    assert lemmas["afspraken"] == "afspraak"
    assert lemmas["gemeenten"] == "gemeente"
    assert all(t.lemma_ == t.lemma_.lower() for t in doc)


def test_sentences_are_set(nlp):
    doc = nlp("Het begon in een loods. Nu zitten we in een hal! Mooi toch?")
    assert len(list(doc.sents)) == 3


def test_lemma_of_keeps_numbers_and_punctuation():
    assert lemma_of("2024") == "2024"
    assert lemma_of("—") == "—"
    assert lemma_of("Rollen") == lemma_of("rollen")


def test_a_trained_pipeline_is_used_when_named(tmp_path):
    # Stand-in for nl_core_news_*: any saved spaCy pipeline loads by path and gets lower-case lemmas.
    trained = spacy.blank("nl")
    trained.add_pipe("sentencizer")
    trained.to_disk(tmp_path / "nl_test_pipeline")
    nlp = build_nlp(NlpOptions(model=str(tmp_path / "nl_test_pipeline")))
    assert nlp.pipe_names[-1] == "kwali_lowercase_lemmas"
    doc = nlp("Vertrouwen Groeit.")
    assert [t.lemma_ for t in doc] == ["vertrouwen", "groeit", "."]
    assert "kwali_lowercase_lemmas" in pipeline_description(nlp)


def test_missing_trained_pipeline_is_a_clear_error():
    with pytest.raises(InvalidInput, match="nl_core_news_xx.*not installed"):
        build_nlp(NlpOptions(model="nl_core_news_xx"))
