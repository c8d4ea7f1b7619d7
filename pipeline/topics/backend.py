"""Adapter that lets BERTopic embed with a Kwali embedder (seed words, topic vectors)."""

from __future__ import annotations

import numpy as np
from bertopic.backend import BaseEmbedder

from pipeline.embed.base import Embedder


class KwaliBackend(BaseEmbedder):
    """A ``bertopic.backend.BaseEmbedder`` over a Kwali ``Embedder``.

    Giving BERTopic this backend (and our precomputed embeddings to fit and transform) means it
    never selects its own default model, which it would try to download.
    """

    def __init__(self, embedder: Embedder):
        super().__init__()
        self.embedder = embedder

    def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
        return self.embedder.embed(list(documents), "passage")
