"""Fit BERTopic on precomputed segment embeddings, deterministically."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook
from pipeline.config import TopicOptions
from pipeline.embed.base import Embedder
from pipeline.errors import KwaliError
from pipeline.topics.backend import KwaliBackend
from pipeline.topics.vectorizer import lemma_tokens, lemma_vectorizer

PLAIN_WORD = re.compile(r"^[^\W\d_][\w'-]*$")


@dataclass
class TopicResult:
    """A fitted topic model and what it says about the segments it was fitted on.

    Attributes:
        topics: Topic id per input text (-1 = outlier, when outliers are not reduced).
        info: One row per topic: topic_id, label, size, top_terms (";"-separated).
        model: The fitted BERTopic model (for ``assign_topics`` on new segments).
    """

    topics: list[int]
    info: pd.DataFrame
    model: object
    outliers_reduced: bool = False
    centroids: dict[int, np.ndarray] = field(default_factory=dict)


def seed_words(codebook: Codebook) -> list[list[str]]:
    """Per code, the lemmas of its plain pattern words (regexes and wildcards are left out)."""
    seeds = []
    for code in codebook.codes:
        words: list[str] = []
        for pattern in code.patterns:
            for token in pattern.pattern.split():
                for alternative in token.split("|"):
                    if PLAIN_WORD.match(alternative):
                        words.extend(w for w in lemma_tokens(alternative) if w not in words)
        if words:
            seeds.append(words)
    return seeds


def _build(options: TopicOptions, n: int, embedder: Embedder, codebook: Codebook | None):
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    umap_model = UMAP(n_neighbors=max(2, min(options.n_neighbors, n - 1)), n_components=options.n_components,
                      min_dist=0.0, metric="cosine", random_state=options.seed, low_memory=True)
    hdbscan_model = HDBSCAN(min_cluster_size=options.min_topic_size, metric="euclidean",
                            cluster_selection_method="eom", prediction_data=True)
    seeds = seed_words(codebook) if (codebook is not None and options.guided) else None
    return BERTopic(embedding_model=KwaliBackend(embedder), umap_model=umap_model, hdbscan_model=hdbscan_model,
                    vectorizer_model=lemma_vectorizer(),
                    seed_topic_list=seeds or None, top_n_words=options.top_n_words, calculate_probabilities=False)


def _info(model, topics: Sequence[int], top_n: int) -> pd.DataFrame:
    sizes = pd.Series(list(topics)).value_counts()
    rows = []
    for topic_id in sorted(sizes.index):
        words = [w for w, score in (model.get_topic(topic_id) or []) if w and score > 0][:top_n]
        label = "outliers" if topic_id == -1 else f"{topic_id}: " + ", ".join(words[:3])
        rows.append(dict(topic_id=int(topic_id), label=label, size=int(sizes[topic_id]), top_terms="; ".join(words)))
    return pd.DataFrame(rows, columns=["topic_id", "label", "size", "top_terms"])


def fit_topics(texts: Sequence[str], embeddings: np.ndarray, embedder: Embedder, options: TopicOptions,
               codebook: Codebook | None = None) -> TopicResult:
    """Cluster segments into topics with BERTopic on our own embeddings.

    Args:
        texts: Segment texts.
        embeddings: Their vectors from ``embedder`` (``kind="passage"``), one row per text.
        embedder: The same embedder, for seed words and topic vectors (never a hub model).
        options: Topic options (sizes, seed, guided, outlier reduction).
        codebook: Seeds guided topics with its pattern words when ``options.guided``.

    Raises:
        KwaliError: Too few segments to find topics.
    """
    texts = list(texts)
    needed = max(3 * options.min_topic_size, options.n_components + 2)
    if len(texts) < needed:
        raise KwaliError(f"too few segments for topics ({len(texts)}); need at least {needed}, "
                         "or pass a smaller --min-topic-size")
    # A copy: guided topic modelling nudges the embeddings it is given in place, which would
    # make a second fit on the same array differ from the first.
    original = np.asarray(embeddings, dtype=np.float32)
    embeddings = original.copy()
    model = _build(options, len(texts), embedder, codebook)
    topics, _ = model.fit_transform(texts, embeddings=embeddings)
    topics = [int(t) for t in topics]
    if options.reduce_outliers and -1 in topics and len(set(topics)) > 1:
        topics = [int(t) for t in model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=embeddings,
                                                        threshold=options.outlier_threshold)]
        model.update_topics(texts, topics=topics, vectorizer_model=lemma_vectorizer(),
                            top_n_words=options.top_n_words)
    array = np.asarray(topics)
    centroids = {int(t): original[array == t].mean(axis=0) for t in sorted(set(topics)) if t != -1}
    return TopicResult(topics, _info(model, topics, options.top_n_words), model, options.reduce_outliers, centroids)


def assign_topics(result: TopicResult, texts: Sequence[str], embeddings: np.ndarray) -> list[int]:
    """Topics of new segments under a fitted model (our embeddings passed in, never recomputed)."""
    embeddings = np.array(embeddings, dtype=np.float32, copy=True)
    topics, _ = result.model.transform(list(texts), embeddings=embeddings)
    topics = [int(t) for t in topics]
    if result.outliers_reduced and -1 in topics and result.centroids:
        # As at fit time, an outlier joins the topic whose centre is most similar.
        ids = sorted(result.centroids)
        centres = np.vstack([result.centroids[i] for i in ids])
        nearest = np.argmax(embeddings @ centres.T, axis=1)
        topics = [ids[nearest[i]] if t == -1 else t for i, t in enumerate(topics)]
    return topics
