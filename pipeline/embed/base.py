"""The embedder protocol, a deterministic null embedder for tests, and the factory by name."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from pipeline.errors import KwaliError

Kind = Literal["query", "passage"]


class EmbedderUnavailable(KwaliError):
    """An embedder cannot be built here (package missing, model folder absent...)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors.

    Attributes:
        name: Identifies the model and its version; the embedding cache is keyed on it, so two
            embedders that give different vectors must never share a name.
        dim: Length of each vector.
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array of unit-length rows.

        ``kind`` says whether the texts are short descriptions we search with ("query": code
        definitions, examples) or the material searched ("passage": segments). Models trained
        with prefixes (e5) use it; others ignore it.
        """
        ...


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


class HashEmbedder:
    """Deterministic bag-of-words vectors from hashed lower-case words: the null embedder.

    It knows no meaning, only shared words; tests use it because it is instant and needs no
    model. Two texts with the same words get the same vector.

    Args:
        dim: Vector length.
    """

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.name = f"hash-{dim}"

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.blake2b(word.strip(".,;:!?\"'()").encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 32) & 1 else -1.0
        return normalise_rows(out)


def make_embedder(spec: str, device: str | None = None) -> Embedder:
    """Build an embedder from its short name.

    Args:
        spec: ``e5`` | ``use`` | ``tfidf`` | ``hash`` | ``st:<folder>`` (a local
            sentence-transformers model folder).
        device: For ``st:`` models: "cpu", "cuda"...; default: a GPU when there is one.

    Raises:
        EmbedderUnavailable: Unknown name, or the model cannot be loaded here.
    """
    if spec == "e5":
        from pipeline.embed.e5 import E5Embedder

        return E5Embedder()
    if spec == "use":
        from pipeline.embed.use import UseEmbedder

        return UseEmbedder()
    if spec == "tfidf":
        from pipeline.embed.tfidf import TfidfSvdEmbedder

        return TfidfSvdEmbedder()
    if spec == "hash":
        return HashEmbedder()
    if spec.startswith("st:"):
        from pipeline.embed.st import LocalSentenceTransformer

        return LocalSentenceTransformer(spec[3:], device=device)
    raise EmbedderUnavailable(
        f"unknown embedder {spec!r}; use e5, use, tfidf or st:/path/to/a/sentence-transformers/folder")
