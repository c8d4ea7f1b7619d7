"""Embedding cache keyed on (model, text hash): a re-run never embeds unchanged text again."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from pipeline.embed.base import Embedder, Kind


class VectorStore(Protocol):
    """Where cached vectors live: ``pipeline.store.Store`` or ``MemoryVectorStore``."""

    def get_embeddings(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        ...

    def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        ...


class MemoryVectorStore:
    """An in-process vector store (for ``kwali tag`` without a study store, and tests)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], np.ndarray] = {}

    def get_embeddings(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self._data[(model, k)] for k in keys if (model, k) in self._data}

    def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        for key, vector in vectors.items():
            self._data[(model, key)] = vector


def text_key(text: str, kind: Kind) -> str:
    """Cache key of a text: the kind is part of it because e5 embeds query and passage apart."""
    return hashlib.sha256(f"{kind}\x1f{text}".encode("utf-8")).hexdigest()


class CachedEmbedder:
    """Wraps an embedder: looks every text up in a vector store first, embeds only the misses.

    Duplicate texts within one call are embedded once. ``hits`` and ``misses`` count texts, for
    benchmarks and tests.

    Args:
        embedder: The embedder to wrap (its ``name`` is the cache's model key).
        store: A ``VectorStore``.
    """

    def __init__(self, embedder: Embedder, store: VectorStore):
        self.embedder = embedder
        self.store = store
        self.hits = 0
        self.misses = 0

    @property
    def name(self) -> str:
        return self.embedder.name

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def __getattr__(self, item: str):  # fit, needs_fit... of the wrapped embedder
        if item in ("embedder", "store"):
            raise AttributeError(item)
        return getattr(self.embedder, item)

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        texts = list(texts)
        keys = [text_key(t, kind) for t in texts]
        unique = list(dict.fromkeys(keys))
        found = self.store.get_embeddings(self.name, unique)
        missing = [k for k in unique if k not in found]
        if missing:
            first_text = {}
            for key, text in zip(keys, texts):
                first_text.setdefault(key, text)
            vectors = self.embedder.embed([first_text[k] for k in missing], kind)
            fresh = {k: vectors[i] for i, k in enumerate(missing)}
            self.store.put_embeddings(self.name, fresh)
            found.update(fresh)
        fresh_keys = set(missing)
        self.hits += sum(k not in fresh_keys for k in keys)
        self.misses += len(missing)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

