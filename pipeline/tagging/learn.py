"""Learn the supervised tagger from the review app's decisions, save it, and load it for tagging.

``learn`` trains ``SupervisedTagger`` on the labels of ``decision_labels`` (positives and
negatives per code; codes nobody decided on a segment are not counted for it), compares each
code's cross-validated F1 with what the other taggers (rules + semantic, as the ensemble runs
them) score on the same examples, and marks the code *used* only where the learned model wins.

The model file is plain JSON (no pickle: loading a file never runs code): codebook hash,
embedder, per code its counts, scores, gate and logistic-regression weights, and the training
examples with their vectors, because the tagger cites the nearest example as evidence. It holds
interview excerpts, so treat it like the study store. ``load_learned`` refuses a model made
with another codebook or embedder (``ModelMismatch``), since its weights live in that
embedder's vector space and its labels are that codebook's codes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language

from pipeline import __version__
from pipeline.codebook import Codebook
from pipeline.config import NlpOptions, TagOptions
from pipeline.embed import CachedEmbedder, MemoryVectorStore, make_embedder
from pipeline.embed.base import Embedder
from pipeline.embed.cache import VectorStore
from pipeline.errors import InvalidInput, ModelMismatch
from pipeline.tagging.decision_labels import DecisionLabels, label_counts
from pipeline.tagging.supervised import SupervisedTagger

FORMAT = "kwali-learned-model"
FORMAT_VERSION = 1
#: Suffix that marks a ``TagOptions.training`` file as a learned model (CSV/JSONL are examples).
MODEL_SUFFIX = ".json"


@dataclass(frozen=True)
class CodeResult:
    """What ``kwali learn`` says about one code.

    Attributes:
        code_id: The code.
        positives: Segments where the code applies.
        negatives: Segments where it is known not to apply.
        cv_f1: Cross-validated F1 of the learned model; None when too few examples to learn.
        other_f1: F1 of the other taggers on the same examples; None when not learned.
        used: Whether the ensemble uses the learned model for this code.
    """

    code_id: str
    positives: int
    negatives: int
    cv_f1: float | None
    other_f1: float | None
    used: bool


class _Logistic:
    """A fitted binary logistic regression rebuilt from its weights (what the model file keeps)."""

    def __init__(self, coef: Sequence[float], intercept: float):
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(np.asarray(X, dtype=np.float64) @ self.coef + self.intercept)))
        return np.column_stack([1.0 - p, p])


def is_model_file(path: Path) -> bool:
    """Whether a training path names a learned model (JSON) rather than coded examples."""
    return path.suffix.lower() == MODEL_SUFFIX


def _fresh_embedder(spec: str, vectors: VectorStore | None) -> CachedEmbedder:
    # Its own instance: a TF-IDF embedder is fitted on the training texts here, and the semantic
    # tagger must not refit the space the weights live in.
    return CachedEmbedder(make_embedder(spec), vectors or MemoryVectorStore())


def learn(labels: DecisionLabels, codebook: Codebook, nlp: Language, options: TagOptions,
          vectors: VectorStore | None = None) -> tuple[SupervisedTagger, list[CodeResult]]:
    """Train the supervised tagger on decision labels and gate each code against the other taggers.

    Args:
        labels: From ``decision_labels.derive_labels``.
        codebook: The codebook the decisions' codes belong to.
        nlp: spaCy pipeline for the rule tagger in the comparison.
        options: Embedder, thresholds and ``min_score``.
        vectors: Embedding cache (the study store); default: in memory.

    Returns:
        The fitted tagger and one result per code with any decision.

    Raises:
        InvalidInput: No usable decisions, or no code with enough positives and negatives.
        EmbedderUnavailable: The embedder cannot be built here.
    """
    from pipeline.tagging.build import label_f1, other_taggers

    examples = labels.examples
    if not examples:
        raise InvalidInput("no usable decisions in this store: review segments in `kwali review` (accept, reject, "
                           "or mark a segment reviewed) first" + (
                               f"; {labels.disagreements} disagreeing pair(s) wait for a consensus decision"
                               if labels.disagreements else ""))
    texts = [e.text for e in examples]
    positives = [set(e.positives) for e in examples]
    negatives = [set(e.negatives) for e in examples]
    tagger = SupervisedTagger(codebook, _fresh_embedder(options.embedder, vectors), min_score=options.min_score)
    counts = label_counts(examples)
    if not any(min(p, n) >= tagger.min_positive for p, n in counts.values()):
        shown = ", ".join(f"{c} {p}+/{n}-" for c, (p, n) in counts.items())
        raise InvalidInput(f"no code has at least {tagger.min_positive} positive and {tagger.min_positive} negative "
                           f"segments to learn from ({shown}); review more segments first")
    tagger.fit(texts, positives, negatives)
    # The semantic tagger refits an embedder that learns its space (TF-IDF), so it gets its own.
    shared = tagger.embedder if not getattr(tagger.embedder, "needs_fit", False) else None
    others = other_taggers(codebook, nlp, options, shared or _fresh_embedder(options.embedder, vectors),
                           fit_texts=texts)
    other_f1 = label_f1(others, texts, positives, nlp, negatives)
    results = []
    for code_id, (pos, neg) in tagger.counts_.items():
        learned = code_id in tagger.cv_f1_
        cv = tagger.cv_f1_.get(code_id)
        other = other_f1.get(code_id, 0.0) if learned else None
        results.append(CodeResult(code_id, pos, neg, cv, other, learned and cv > other))
    return tagger, results


def _vectors_json(matrix: np.ndarray) -> dict[str, Any]:
    matrix = np.ascontiguousarray(matrix, dtype="<f4")
    return {"shape": list(matrix.shape), "float32_base64": base64.b64encode(matrix.tobytes()).decode("ascii")}


def _vectors_from(blob: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(blob["float32_base64"]), dtype="<f4").reshape(blob["shape"]).copy()


def save_model(path: Path, tagger: SupervisedTagger, results: Sequence[CodeResult], labels: DecisionLabels,
               codebook: Codebook, embedder_spec: str) -> Path:
    """Write a learned model as JSON (see the module docstring) and return the path."""
    by_code = {r.code_id: r for r in results}
    codes = {}
    for code_id, (pos, neg) in tagger.counts_.items():
        entry: dict[str, Any] = {"positives": pos, "negatives": neg, "used": by_code[code_id].used}
        if code_id in tagger.estimators_:
            estimator = tagger.estimators_[code_id]
            entry.update(cv=tagger.cv_scores_[code_id], other_f1=by_code[code_id].other_f1,
                         coef=[float(x) for x in np.ravel(estimator.coef_)],
                         intercept=float(np.ravel(estimator.intercept_)[0]))
        codes[code_id] = entry
    examples = labels.examples
    content = {
        "format": FORMAT, "version": FORMAT_VERSION, "kwali_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "codebook": {"sha256": codebook.sha256(), "id": codebook.id, "version": codebook.version},
        "embedder": {"spec": embedder_spec, "name": tagger.embedder.name},
        "params": {"C": tagger.C, "cv": tagger.cv, "min_positive": tagger.min_positive,
                   "min_score": tagger.min_score, "seed": tagger.seed},
        "decisions": {"source": labels.source, "coders": list(labels.coders), "used": labels.decisions,
                      "disagreements_left_out": labels.disagreements, "consensus_overrides": labels.overridden},
        "codes": codes,
        "examples": [{"segment_id": e.segment_id, "text": e.text, "positives": sorted(e.positives),
                      "negatives": sorted(e.negatives)} for e in examples],
        "vectors": _vectors_json(tagger.train_vectors_),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


@dataclass
class LearnedModel:
    """A model read back from its file.

    Attributes:
        tagger: The fitted supervised tagger (learned codes only).
        used: Codes the ensemble should take from it (the gate decided at learn time).
        training: (text, positives) per training example, for embedders that fit on texts.
        meta: The file's header fields (codebook, embedder, decisions).
    """

    tagger: SupervisedTagger
    used: set[str]
    training: list[tuple[str, set[str]]]
    meta: dict[str, Any]


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InvalidInput(f"{path}: model file not found; make one with `kwali learn STUDY --out {path}`")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not a Kwali model file ({exc}); make one with `kwali learn`") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise InvalidInput(f"{path}: not a Kwali model file (no \"format\": \"{FORMAT}\"); a training file must be "
                           "a CSV/JSONL of coded examples or the .json that `kwali learn` writes")
    if content.get("version") != FORMAT_VERSION:
        raise InvalidInput(f"{path}: model file version {content.get('version')} is not supported by this Kwali "
                           f"(expects {FORMAT_VERSION}); re-run `kwali learn`")
    return content


def load_learned(path: Path, codebook: Codebook, embedder_spec: str, vectors: VectorStore | None = None,
                 min_score: float | None = None, shared: Embedder | None = None) -> LearnedModel:
    """Read a model file for tagging with ``codebook`` and the embedder ``embedder_spec``.

    Args:
        path: The file ``save_model`` wrote.
        codebook: The codebook tagging uses; must be the one the model was trained with.
        embedder_spec: The embedder tagging uses (e5, use, tfidf, st:...); must match too.
        vectors: Embedding cache for new texts; default: in memory.
        min_score: Probability threshold for proposing a code; default: the model's own.
        shared: An embedder of ``embedder_spec`` already built (and cached) to reuse, unless it
            learns its space from texts (TF-IDF): then the model gets its own, fitted on its
            training texts.

    Raises:
        InvalidInput: Missing or unreadable file.
        ModelMismatch: The codebook or embedder differs from the model's.
        EmbedderUnavailable: The embedder cannot be built here.
    """
    content = _read(path)
    book, emb = content["codebook"], content["embedder"]
    if book["sha256"] != codebook.sha256():
        raise ModelMismatch(
            f"{path}: the model was learned with codebook {book['id']} version {book['version']} "
            f"(sha256 {book['sha256'][:12]}…), but tagging uses {codebook.id} version {codebook.version} "
            f"(sha256 {codebook.sha256()[:12]}…); tag with the model's codebook, or run `kwali learn` again "
            "with --codebook set to this one")
    if emb["spec"] != embedder_spec:
        raise ModelMismatch(f"{path}: the model was learned on {emb['spec']!r} embeddings, but tagging uses "
                            f"{embedder_spec!r}; pass --embedder {emb['spec']} (or set tag.embedder), or run "
                            f"`kwali learn --embedder {embedder_spec}` again")
    examples = content["examples"]
    texts = [e["text"] for e in examples]
    train_vectors = _vectors_from(content["vectors"])
    embedder = shared if shared is not None and not getattr(shared, "needs_fit", False) else None
    if embedder is None:
        embedder = _fresh_embedder(embedder_spec, vectors)
        if getattr(embedder, "needs_fit", False):
            embedder.fit(texts)
    if embedder.name != emb["name"]:
        raise ModelMismatch(f"{path}: the model was learned with embedder {emb['name']}, this machine has "
                            f"{embedder.name}; run `kwali learn` again here")
    if texts and not np.allclose(embedder.embed(texts[:3], "passage"), train_vectors[:3], atol=1e-3):
        raise ModelMismatch(f"{path}: embedder {emb['name']} gives other vectors here than when the model was "
                            "learned (another library version?); run `kwali learn` again here")
    params = content["params"]
    tagger = SupervisedTagger(codebook, embedder, C=params["C"], cv=params["cv"],
                              min_positive=params["min_positive"],
                              min_score=params["min_score"] if min_score is None else min_score,
                              seed=params["seed"])
    learned = {code: entry for code, entry in content["codes"].items() if "coef" in entry}
    tagger.labels_ = sorted(learned)
    tagger.estimators_ = {code: _Logistic(e["coef"], e["intercept"]) for code, e in learned.items()}
    tagger.counts_ = {code: (e["positives"], e["negatives"]) for code, e in content["codes"].items()}
    tagger.cv_scores_ = {code: e["cv"] for code, e in learned.items()}
    tagger.cv_f1_ = {code: e["cv"]["f1"] for code, e in learned.items()}
    tagger.cv_predictions_ = {}
    tagger.train_texts_ = texts
    tagger.train_vectors_ = train_vectors
    tagger.train_labels_ = [set(e["positives"]) for e in examples]
    used = {code for code, e in learned.items() if e["used"]}
    meta = {k: content[k] for k in ("codebook", "embedder", "decisions", "created_at", "kwali_version")}
    return LearnedModel(tagger, used, [(t, set(e["positives"])) for t, e in zip(texts, examples)], meta)



@dataclass(frozen=True)
class LearnSummary:
    """What ``learn_from_store`` did: the labels it used, one result per code, and the file."""

    labels: DecisionLabels
    results: list[CodeResult]
    path: Path
    embedder_name: str


def learn_from_store(url: str, out: Path, options: TagOptions, codebook: Codebook | None = None,
                     source: str = "human", coders: Sequence[str] | None = None,
                     nlp_options: NlpOptions | None = None) -> LearnSummary:
    """Read a store's decisions, learn the supervised tagger and save it to ``out``.

    Args:
        url: The study store's SQLAlchemy URL (read; its embedding cache is filled).
        out: Where the model file goes.
        options: Embedder and thresholds.
        codebook: The codebook of the decisions; default: the one of the store's latest run.
        source: "human" or "consensus" (see ``decision_labels``).
        coders: Only these coders' decisions (consensus always counts); None = all.
        nlp_options: spaCy pipeline for the rule tagger in the comparison.

    Raises:
        InvalidInput: No codebook, no usable decisions, or too few to learn any code.
        EmbedderUnavailable: The embedder cannot be built here.
    """
    from pipeline.nlp import build_nlp
    from pipeline.store import Store
    from pipeline.tagging.decision_labels import derive_labels, read_decisions, store_codebook

    store = Store(url)
    try:
        if codebook is None:
            found = store_codebook(store.engine)
            if found is None:
                raise InvalidInput(f"{url}: the store holds no codebook; pass --codebook FILE")
            codebook = found[1]
        labels = derive_labels(read_decisions(store.engine), [c.id for c in codebook.codes], source, coders)
        tagger, results = learn(labels, codebook, build_nlp(nlp_options or NlpOptions()), options, store)
    finally:
        store.close()
    path = save_model(out, tagger, results, labels, codebook, options.embedder)
    return LearnSummary(labels, results, path, tagger.embedder.name)
