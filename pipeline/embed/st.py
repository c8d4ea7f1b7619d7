"""A sentence-transformers model from a local folder the user names: never downloaded."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.embed.base import EmbedderUnavailable, Kind, normalise_rows


def folder_fingerprint(folder: Path) -> str:
    """Hash of the model folder's file names and sizes: a changed model gets a new cache key."""
    parts = sorted(f"{p.relative_to(folder).as_posix()}:{p.stat().st_size}" for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:12]


class LocalSentenceTransformer:
    """Any sentence-transformers model saved in a local folder (``model.save(folder)``).

    Loaded with ``local_files_only=True`` and the hub switched off, so a typo in the path is an
    error here, not a silent download. Runs on a GPU when torch sees one.

    Args:
        folder: The model folder (holds ``modules.json`` or ``config.json``).
        device: "cpu", "cuda", ...; default: "cuda" when available, else "cpu".
        query_prefix: Prefix for ``kind="query"`` texts (e5-style models: "query: ").
        passage_prefix: Prefix for ``kind="passage"`` texts (e5-style models: "passage: ").
        batch_size: Texts per forward pass.
    """

    def __init__(self, folder: str | Path, device: str | None = None, query_prefix: str = "",
                 passage_prefix: str = "", batch_size: int = 32):
        folder = Path(folder).expanduser()
        if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
            raise EmbedderUnavailable(
                f"{folder}: not a sentence-transformers model folder (no modules.json or config.json); "
                "give the folder you saved with model.save(...) - Kwali never downloads models")
        import os

        os.environ["HF_HUB_OFFLINE"] = "1"  # belt and braces: no hub call even on a bad config
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EmbedderUnavailable("st: models need sentence-transformers and torch installed") from exc
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._model = SentenceTransformer(str(folder), device=self.device, local_files_only=True)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.name = f"st/{folder.name}-{folder_fingerprint(folder)}"

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        prefix = self.query_prefix if kind == "query" else self.passage_prefix
        texts = [prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                     show_progress_bar=False, normalize_embeddings=True)
        return normalise_rows(vectors)
