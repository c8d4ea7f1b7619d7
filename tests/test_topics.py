"""BERTopic topics: our embeddings only, Dutch lemma terms, determinism, and the topic tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config import TopicOptions
from pipeline.embed import HashEmbedder
from pipeline.topics.tables import topic_tables, write_topic_tables
from pipeline.topics.vectorizer import lemma_tokens
from tests.topic_texts import topic_texts


def test_lemma_tokens_drop_stop_words_and_lemmatise():
    assert lemma_tokens("De ondernemers en de afspraken, ja!") == ["ondernemer", "afspraak"]


def test_seed_words_come_from_plain_pattern_words(small_codebook):
    from pipeline.topics.model import seed_words

    seeds = seed_words(small_codebook)
    assert ["vertrouwen", "vertrouwd"][0] in seeds[0]
    assert not any(w.startswith("re:") or w == "*" for words in seeds for w in words)


def test_too_few_segments_is_a_user_error():
    from pipeline.errors import KwaliError
    from pipeline.topics.model import fit_topics

    with pytest.raises(KwaliError, match="too few segments"):
        fit_topics(["een", "twee"], np.zeros((2, 4)), HashEmbedder(4), TopicOptions())


@pytest.fixture(scope="module")
def fitted(small_codebook):
    from pipeline.topics.model import fit_topics

    texts, subjects = topic_texts(48)
    embedder = HashEmbedder(64)
    embeddings = embedder.embed(texts)
    options = TopicOptions(min_topic_size=8)
    first = fit_topics(texts, embeddings, embedder, options, small_codebook)
    second = fit_topics(texts, embeddings, embedder, options, small_codebook)
    return texts, subjects, embeddings, first, second


@pytest.mark.slow
def test_same_input_and_config_give_identical_topics(fitted):
    _, _, _, first, second = fitted
    assert first.topics == second.topics
    pd.testing.assert_frame_equal(first.info, second.info)


@pytest.mark.slow
def test_topics_separate_subjects_and_outliers_are_reduced(fitted):
    texts, subjects, _, first, _ = fitted
    assert -1 not in first.topics and len(set(first.topics)) >= 4
    # each topic is (nearly) pure in subject
    frame = pd.DataFrame({"topic": first.topics, "subject": subjects})
    purity = frame.groupby("topic")["subject"].agg(lambda s: s.value_counts().iloc[0] / len(s))
    assert purity.min() >= 0.9
    assert first.info["size"].sum() == len(texts)
    terms = " ".join(first.info["top_terms"])
    assert "huurprijs" in terms and " de;" not in terms


@pytest.mark.slow
def test_transform_assigns_new_segments_with_our_embeddings(fitted):
    from pipeline.topics.model import assign_topics

    texts, _, embeddings, first, _ = fitted
    assigned = assign_topics(first, texts[:16], embeddings[:16])
    assert -1 not in assigned
    assert sum(a == b for a, b in zip(assigned, first.topics[:16])) >= 12


@pytest.mark.slow
def test_tables_flag_uncovered_topics_and_write_csvs(fitted, small_codebook, tmp_path):
    texts, subjects, embeddings, first, _ = fitted
    n = len(texts)
    segments = pd.DataFrame({"segment_id": [f"s{i}" for i in range(n)], "document_id": [f"d{i % 4}" for i in range(n)],
                             "case_id": [f"c{i % 2}" for i in range(n)], "text": texts})
    # only the rent segments carry a code: every other topic is a candidate new code
    tags = pd.DataFrame({"segment_id": [f"s{i}" for i, s in enumerate(subjects) if s == "huur"],
                         "code_id": "trust.building"})
    cases = pd.DataFrame({"case_id": ["c0", "c1"], "city": ["Rotterdam", "Utrecht"]})
    documents = pd.DataFrame({"document_id": ["d0", "d1", "d2", "d3"],
                              "meta": [{"wave": "1"}, {"wave": "2"}, {"wave": "1"}, {}]})
    tables = topic_tables(segments, first.topics, embeddings, first.info, tags, cases, documents, small_codebook)
    rent_topics = set(pd.Series(first.topics)[[s == "huur" for s in subjects]])
    flagged = tables.topics.set_index("topic_id")["candidate_new_code"]
    assert not flagged[list(rent_topics)].any() and flagged.drop(list(rent_topics)).all()
    assert tables.time_key == "wave" and set(tables.over_time.index) == {"1", "2", "(none)"}
    assert set(tables.by_attribute) == {"city"}
    assert tables.case_by_topic.to_numpy().sum() == n
    written = write_topic_tables(tables, tmp_path)
    topics_csv = pd.read_csv(written["topics"])
    assert list(topics_csv.columns[:4]) == ["topic_id", "label", "size", "top_terms"]
    assert (topics_csv["example_quotes"].str.len() > 0).all()
    seg_csv = pd.read_csv(written["segment_topics"])
    assert list(seg_csv.columns[:2]) == ["segment_id", "topic_id"] and len(seg_csv) == n
    by_code = pd.read_csv(written["topic_by_code"])
    assert "trust.building" in by_code.columns and by_code["trust.building"].sum() == subjects.count("huur")
