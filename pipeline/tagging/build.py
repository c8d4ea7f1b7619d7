"""Build the tagger a ``TagOptions.methods`` entry names, with a cached embedder."""

from __future__ import annotations

from collections.abc import Sequence

from spacy.language import Language

from pipeline.codebook import Codebook
from pipeline.config import TagOptions
from pipeline.embed import CachedEmbedder, MemoryVectorStore, make_embedder
from pipeline.embed.cache import VectorStore
from pipeline.errors import InvalidInput
from pipeline.tagging.base import Tagger, annotate
from pipeline.tagging.ensemble import EnsembleTagger, choose_supervised_labels
from pipeline.tagging.rules import RuleTagger
from pipeline.tagging.semantic import SemanticTagger
from pipeline.tagging.supervised import SupervisedTagger, read_labelled

METHODS = ("rules", "semantic", "supervised", "ensemble")


def _label_f1(tagger: Tagger, texts: Sequence[str], labels: Sequence[set[str]], nlp: Language) -> dict[str, float]:
    """F1 per label of a tagger on labelled texts (theme labels: any code of the theme)."""
    from pipeline.models import Segment, Unit, stable_id

    segments = [Segment(stable_id("train", str(i)), "train", "train", i, 0, len(t), t, unit=Unit.PARAGRAPH)
                for i, t in enumerate(texts)]
    predicted = []
    for _, tags in annotate(segments, nlp, [tagger]):
        predicted.append({t.code_id for t in tags} | {t.theme_id for t in tags})
    out = {}
    for label in {x for row in labels for x in row}:
        tp = sum(label in g and label in p for g, p in zip(labels, predicted))
        fp = sum(label not in g and label in p for g, p in zip(labels, predicted))
        fn = sum(label in g and label not in p for g, p in zip(labels, predicted))
        out[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return out


def build_tagger(method: str, codebook: Codebook, nlp: Language, options: TagOptions,
                 vectors: VectorStore | None = None, fit_texts: Sequence[str] = (),
                 training: Sequence[tuple[str, set[str]]] | None = None) -> Tagger:
    """The tagger for one method.

    Args:
        method: rules | semantic | supervised | ensemble.
        codebook: The codebook.
        nlp: The spaCy pipeline segments are processed with.
        options: Tagging options (embedder, thresholds, training file).
        vectors: Where embeddings are cached (the study store); default: in memory.
        fit_texts: Texts an embedder that learns its space (TF-IDF) may fit on.
        training: (text, labels) pairs; default: read from ``options.training`` when set.

    Raises:
        InvalidInput: Unknown method, or supervised without training data.
        EmbedderUnavailable: The embedder cannot be built.
    """
    if method not in METHODS:
        raise InvalidInput(f"unknown tagging method {method!r}; use one of {', '.join(METHODS)}")
    if method == "rules":
        return RuleTagger(codebook, nlp, options.negation_window, options.min_score)
    if training is None and options.training is not None:
        training = [(text, labels) for _, text, labels in read_labelled(options.training)]
    if method == "supervised" and not training:
        raise InvalidInput("method 'supervised' needs coded examples: pass --training FILE "
                           "(CSV/JSONL with id, text, labels)")
    embedder = CachedEmbedder(make_embedder(options.embedder), vectors or MemoryVectorStore())
    semantic = SemanticTagger(codebook, embedder, options.min_score, options.semantic_threshold,
                              fit_texts=list(fit_texts) + [t for t, _ in training or ()])
    if method == "semantic":
        return semantic
    supervised = None
    if training:
        supervised = SupervisedTagger(codebook, embedder, min_score=options.min_score).fit(
            [t for t, _ in training], [labels for _, labels in training])
    if method == "supervised":
        return supervised
    # Members of the ensemble report everything they see; the ensemble applies the threshold.
    members: list[Tagger] = [RuleTagger(codebook, nlp, options.negation_window, 0.0),
                             SemanticTagger(codebook, embedder, 0.3, options.semantic_threshold,
                                            fit_texts=semantic.fit_texts)]
    themes = [t.id for t in codebook.themes]
    if supervised is None:
        return EnsembleTagger(members, min_score=options.min_score, themes=themes)
    others = EnsembleTagger(members, min_score=options.min_score, themes=themes)
    other_f1 = _label_f1(others, [t for t, _ in training], [labels for _, labels in training], nlp)
    trusted = choose_supervised_labels(supervised.cv_f1_, other_f1)
    return EnsembleTagger(members + [supervised], min_score=options.min_score, supervised_labels=trusted,
                          themes=themes)
