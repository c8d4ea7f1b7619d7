"""Supervised tagger: one logistic regression per label on sentence embeddings.

Trained from coded examples: a labelled CSV/JSONL, or the review app's decisions (``kwali
learn``, see ``pipeline.tagging.learn``). A label is a code id or, when coders worked at theme
level (as in the development gold set), a theme id. Each label's cross-validated F1 is kept
(``cv_f1_``) so the ensemble can use this tagger only for the labels where it beats the others.

The estimator follows scikit-learn's contract: ``__init__`` only stores parameters, ``fit``
returns self, learned state ends in ``_``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from spacy.tokens import Doc

from pipeline.codebook import Codebook
from pipeline.embed.base import Embedder
from pipeline.errors import InvalidInput
from pipeline.jsonl import read_objects
from pipeline.models import Evidence, Segment, Tag


def read_labelled(path: Path) -> list[tuple[str, str, set[str]]]:
    """Read (id, text, labels) from a CSV (columns id, text, labels; labels split on ';') or
    JSONL (fields id, text, labels: a list).

    Raises:
        InvalidInput: Missing file, column or field, or bad JSON.
    """
    if not path.is_file():
        raise InvalidInput(f"{path}: training file not found (CSV or JSONL with id, text and labels)")
    out: list[tuple[str, str, set[str]]] = []
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"id", "text", "labels"} - set(reader.fieldnames or [])
            if missing:
                raise InvalidInput(f"{path}:1: missing column(s) {', '.join(sorted(missing))}; "
                                   "the training CSV needs id, text and labels (labels separated by ';')")
            for row in reader:
                labels = {x.strip() for x in (row["labels"] or "").split(";") if x.strip()}
                out.append((row["id"], row["text"] or "", labels))
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        for _, obj in read_objects(path, ("id", "text", "labels"), "each line needs id, text and labels (a list)"):
            out.append((str(obj["id"]), str(obj["text"]), set(obj["labels"])))
    else:
        raise InvalidInput(f"{path}: unknown training file format; use .csv or .jsonl")
    return out


class SupervisedTagger:
    """Logistic regression per label on embeddings, with cross-validated quality per label.

    Args:
        codebook: Maps labels to themes (a theme id as label is its own theme).
        embedder: Embedder for training and tagging texts.
        C: Inverse regularisation strength.
        cv: Cross-validation folds (fewer when a label has fewer positives).
        min_positive: Labels with fewer positive (or negative) examples are not learned.
        min_score: Tags below this probability are not proposed.
        seed: Random state of the fold split.
    """

    name = "supervised"

    def __init__(self, codebook: Codebook, embedder: Embedder, C: float = 1.0, cv: int = 5, min_positive: int = 3,
                 min_score: float = 0.5, seed: int = 0):
        self.codebook = codebook
        self.embedder = embedder
        self.C = C
        self.cv = cv
        self.min_positive = min_positive
        self.min_score = min_score
        self.seed = seed

    def _classifier(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)

    def fit(self, texts: Sequence[str], labels: Sequence[set[str]],
            negatives: Sequence[set[str]] | None = None) -> SupervisedTagger:
        """Learn one classifier per label that has enough positive and negative examples.

        Args:
            texts: Training texts.
            labels: The labels that apply to each text (its positives).
            negatives: The labels known NOT to apply to each text. When given, a text counts
                for a label only when it is a positive or a negative of it (coders' decisions
                say nothing about codes nobody looked at); when None, every text that lacks a
                label is a negative for it (a fully coded training file).
        """
        from sklearn.metrics import f1_score, precision_score, recall_score
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        if negatives is not None and len(negatives) != len(labels):
            raise ValueError(f"negatives has {len(negatives)} rows, labels {len(labels)}")
        if getattr(self.embedder, "needs_fit", False):
            self.embedder.fit(list(texts))
        X = self.embedder.embed(list(texts), "passage")
        candidates = sorted({label for row in labels for label in row}
                            | {label for row in negatives or () for label in row})
        self.labels_: list[str] = []
        self.estimators_: dict[str, object] = {}
        self.counts_: dict[str, tuple[int, int]] = {}
        self.cv_scores_: dict[str, dict[str, float]] = {}
        self.cv_f1_: dict[str, float] = {}
        self.cv_predictions_: dict[str, np.ndarray] = {}
        for label in candidates:
            known = np.array([negatives is None or label in row or label in negatives[i]
                              for i, row in enumerate(labels)], dtype=bool)
            y = np.array([label in row for row, seen in zip(labels, known) if seen], dtype=int)
            Xk = X[known]
            positives, negative_count = int(y.sum()), int(len(y) - y.sum())
            self.counts_[label] = (positives, negative_count)
            if min(positives, negative_count) < self.min_positive:
                continue
            folds = StratifiedKFold(n_splits=min(self.cv, positives, negative_count), shuffle=True,
                                    random_state=self.seed)
            predicted = cross_val_predict(self._classifier(), Xk, y, cv=folds, method="predict_proba")[:, 1]
            hard = (predicted >= self.min_score).astype(int)
            self.cv_predictions_[label] = predicted
            self.cv_scores_[label] = {"precision": float(precision_score(y, hard, zero_division=0)),
                                      "recall": float(recall_score(y, hard, zero_division=0)),
                                      "f1": float(f1_score(y, hard, zero_division=0)), "support": positives}
            self.cv_f1_[label] = self.cv_scores_[label]["f1"]
            self.estimators_[label] = self._classifier().fit(Xk, y)
            self.labels_.append(label)
        self.train_texts_ = list(texts)
        self.train_vectors_ = X
        self.train_labels_ = [set(row) for row in labels]
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability per text (rows) and learned label (columns, ``labels_`` order)."""
        X = self.embedder.embed(list(texts), "passage")
        return self._proba(X)

    def _proba(self, X: np.ndarray) -> np.ndarray:
        if not self.labels_:
            return np.zeros((len(X), 0))
        return np.column_stack([self.estimators_[label].predict_proba(X)[:, 1] for label in self.labels_])

    def tag_texts(self, segments: Sequence[Segment]) -> list[list[Tag]]:
        """Tags for segments; evidence is the nearest positive training example."""
        if not segments:
            return []
        X = self.embedder.embed([s.text for s in segments], "passage")
        proba = self._proba(X)
        sims = X @ self.train_vectors_.T
        theme_of = self.codebook.theme_of()
        themes = {t.id for t in self.codebook.themes}
        out: list[list[Tag]] = []
        for i, segment in enumerate(segments):
            tags = []
            for j, label in enumerate(self.labels_):
                if proba[i, j] < self.min_score:
                    continue
                positive = [k for k, row in enumerate(self.train_labels_) if label in row]
                k = max(positive, key=lambda k: sims[i, k])
                example = self.train_texts_[k]
                evidence = Evidence(segment.text, 0, len(segment.text),
                                    f"~example: {example[:160]} (cos={sims[i, k]:.2f})")
                theme = theme_of.get(label, label if label in themes else label.split(".")[0])
                tags.append(Tag(segment.id, label, theme, round(float(proba[i, j]), 4), self.name,
                                evidence=(evidence,)))
            out.append(tags)
        return out

    def tag_batch(self, segments: Sequence[Segment], docs: Sequence[Doc]) -> list[list[Tag]]:
        """Tags for each segment of a batch (see ``Tagger``)."""
        return self.tag_texts(segments)
