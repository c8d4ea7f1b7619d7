"""TF-IDF over character n-grams, reduced by SVD: the fallback that needs no model at all."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from pipeline.embed.base import Kind, normalise_rows
from pipeline.errors import KwaliError


class TfidfSvdEmbedder:
    """Character 3-5-gram TF-IDF + truncated SVD (latent semantic analysis).

    Unlike the neural models this one learns its space from texts: call ``fit`` first (the
    semantic tagger fits it on the codebook's texts plus whatever segments it is given up
    front; topics fit it on all segments). The name carries a hash of the fitted texts, so the
    cache never mixes vectors from two different fits. Char n-grams catch Dutch compounds and
    inflections ("huurcontracten" shares most n-grams with "huurcontract").

    Args:
        dim: Number of SVD components (fewer when the fit texts cannot support that many).
        seed: Random state of the SVD, for identical vectors on every run.
    """

    needs_fit = True

    def __init__(self, dim: int = 256, seed: int = 0):
        self.dim = dim
        self.seed = seed
        self.name = f"tfidf-svd-{dim}-unfitted"

    def fit(self, texts: Sequence[str]) -> TfidfSvdEmbedder:
        """Learn the vocabulary and the SVD basis from ``texts``; returns self."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = sorted(set(t for t in texts if t.strip()))
        if len(texts) < 3:
            raise KwaliError("the TF-IDF embedder needs at least 3 distinct texts to fit on")
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=1, sublinear_tf=True,
                                           lowercase=True, dtype=np.float32)
        matrix = self.vectorizer_.fit_transform(texts)
        n_components = max(2, min(self.dim, matrix.shape[0] - 1, matrix.shape[1] - 1))
        self.svd_ = TruncatedSVD(n_components=n_components, random_state=self.seed, algorithm="randomized",
                                 n_iter=7)
        self.svd_.fit(matrix)
        digest = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:12]
        self.dim = n_components
        self.name = f"tfidf-svd-{n_components}-{digest}"
        return self

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        if not hasattr(self, "svd_"):
            raise KwaliError("the TF-IDF embedder was not fitted; call fit(texts) first")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise_rows(self.svd_.transform(self.vectorizer_.transform(texts)))
