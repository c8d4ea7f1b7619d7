"""Embedders (each on tiny Dutch inputs) and the embedding cache in the store."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed import CachedEmbedder, Embedder, HashEmbedder, MemoryVectorStore, make_embedder
from pipeline.embed.base import EmbedderUnavailable
from pipeline.errors import KwaliError
from pipeline.store import Store

PAIRS = [
    ("We kunnen blind op elkaar rekenen.", "Ik vertrouw mijn collega's volledig."),
    ("De huur van het pand is flink verhoogd.", "Onze huurprijs stijgt weer."),
]
UNRELATED = "De kat ligt in de zon te slapen."


def check_vectors(embedder: Embedder, texts: list[str]) -> np.ndarray:
    vectors = embedder.embed(texts)
    assert vectors.shape == (len(texts), embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    return vectors


@pytest.mark.parametrize("name", ["e5", "use"])
def test_bundled_models_put_paraphrases_closer_than_unrelated_text(name):
    embedder = make_embedder(name)
    assert isinstance(embedder, Embedder)
    for a, b in PAIRS:
        va, vb, vu = check_vectors(embedder, [a, b, UNRELATED])
        assert va @ vb > va @ vu


def test_e5_embeds_queries_and_passages_differently():
    embedder = make_embedder("e5")
    text = "Afspraak is afspraak."
    assert not np.allclose(embedder.embed([text], "query"), embedder.embed([text], "passage"))
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_tfidf_embedder_must_be_fitted_and_names_its_fit():
    embedder = make_embedder("tfidf")
    with pytest.raises(KwaliError, match="not fitted"):
        embedder.embed(["tekst"])
    texts = [a for a, _ in PAIRS] + [b for _, b in PAIRS] + [UNRELATED]
    embedder.fit(texts)
    vectors = check_vectors(embedder, ["Het huurcontract van het pand.", "We rekenen op elkaar."])
    assert vectors.shape[1] <= len(texts)
    other = make_embedder("tfidf").fit(texts[:-1])
    assert other.name != embedder.name  # different fit, different cache key


def test_hash_embedder_is_deterministic():
    a, b = HashEmbedder(), HashEmbedder()
    assert np.array_equal(a.embed(["Een zin over huur."]), b.embed(["Een zin over huur."]))


def test_unknown_embedder_and_missing_model_folder_are_user_errors(tmp_path):
    with pytest.raises(EmbedderUnavailable, match="unknown embedder"):
        make_embedder("bert-large")
    with pytest.raises(EmbedderUnavailable, match="never downloads"):
        make_embedder(f"st:{tmp_path / 'geen-model'}")


@pytest.mark.slow
def test_local_sentence_transformers_folder_loads_offline(tmp_path):
    from sentence_transformers import SentenceTransformer
    try:
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    except ImportError:  # older sentence-transformers
        from sentence_transformers.models import StaticEmbedding
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    words = "we vertrouwen elkaar de gemeente subsidie huur pand".split()
    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(words)}}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    weights = np.random.default_rng(0).normal(size=(len(vocab), 8)).astype(np.float32)
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)], device="cpu").save(
        str(tmp_path / "mijn-model"))
    embedder = make_embedder(f"st:{tmp_path / 'mijn-model'}")
    vectors = check_vectors(embedder, ["we vertrouwen elkaar", "de gemeente subsidie"])
    assert embedder.dim == 8 and embedder.name.startswith("st/mijn-model-")
    assert not np.allclose(vectors[0], vectors[1])


class CountingEmbedder(HashEmbedder):
    def __init__(self):
        super().__init__(16)
        self.calls: list[list[str]] = []

    def embed(self, texts, kind="passage"):
        self.calls.append(list(texts))
        return super().embed(texts, kind)


def test_cache_in_the_store_survives_reopening_and_never_re_embeds(tmp_path):
    url = f"sqlite:///{tmp_path / 'kwali.sqlite'}"
    inner = CountingEmbedder()
    store = Store(url)
    first = CachedEmbedder(inner, store).embed(["a b", "c d", "a b"])
    assert inner.calls == [["a b", "c d"]]  # duplicates embedded once
    store.close()
    store = Store(url)
    cached = CachedEmbedder(inner, store)
    again = cached.embed(["c d", "a b", "e f"])
    store.close()
    assert inner.calls[-1] == ["e f"] and cached.hits == 2 and cached.misses == 1
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])


def test_cache_keys_on_model_and_kind():
    vectors = MemoryVectorStore()
    inner = CountingEmbedder()
    CachedEmbedder(inner, vectors).embed(["x"], "query")
    CachedEmbedder(inner, vectors).embed(["x"], "passage")
    CachedEmbedder(HashEmbedder(32), vectors).embed(["x"])
    assert len(inner.calls) == 2
    assert len(vectors._data) == 3
