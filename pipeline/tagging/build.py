"""Build the tagger a ``TagOptions.methods`` entry names, with a cached embedder."""

from __future__ import annotations

from collections.abc import Sequence

from spacy.language import Language

from pipeline.codebook import Codebook
from pipeline.config import TagOptions
from pipeline.embed import CachedEmbedder, MemoryVectorStore, make_embedder
from pipeline.embed.base import Embedder
from pipeline.embed.cache import VectorStore
from pipeline.errors import InvalidInput
from pipeline.tagging.base import Tagger, annotate
from pipeline.tagging.ensemble import EnsembleTagger, choose_supervised_labels
from pipeline.tagging.learn import is_model_file, load_learned
from pipeline.tagging.rules import RuleTagger
from pipeline.tagging.semantic import SemanticTagger
from pipeline.tagging.supervised import SupervisedTagger, read_labelled

METHODS = ("rules", "semantic", "supervised", "ensemble")


def label_f1(tagger: Tagger, texts: Sequence[str], labels: Sequence[set[str]], nlp: Language,
             negatives: Sequence[set[str]] | None = None) -> dict[str, float]:
    """F1 per label of a tagger on labelled texts (theme labels: any code of the theme).

    Args:
        negatives: Labels known not to apply per text; when given, a text counts for a label
            only when it is a positive or a negative of it (as in ``SupervisedTagger.fit``).
    """
    from pipeline.models import Segment, Unit, stable_id

    segments = [Segment(stable_id("train", str(i)), "train", "train", i, 0, len(t), t, unit=Unit.PARAGRAPH)
                for i, t in enumerate(texts)]
    predicted = []
    for _, tags in annotate(segments, nlp, [tagger]):
        predicted.append({t.code_id for t in tags} | {t.theme_id for t in tags})
    out = {}
    for label in {x for row in labels for x in row}:
        rows = [(g, p) for i, (g, p) in enumerate(zip(labels, predicted))
                if negatives is None or label in g or label in negatives[i]]
        tp = sum(label in g and label in p for g, p in rows)
        fp = sum(label not in g and label in p for g, p in rows)
        fn = sum(label in g and label not in p for g, p in rows)
        out[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return out


def other_taggers(codebook: Codebook, nlp: Language, options: TagOptions, embedder: Embedder,
                  fit_texts: Sequence[str] = ()) -> EnsembleTagger:
    """The ensemble without a supervised member: what a learned model must beat per label."""
    # Members of the ensemble report everything they see; the ensemble applies the threshold.
    members: list[Tagger] = [RuleTagger(codebook, nlp, options.negation_window, 0.0),
                             SemanticTagger(codebook, embedder, 0.3, options.semantic_threshold,
                                            fit_texts=list(fit_texts))]
    return EnsembleTagger(members, min_score=options.min_score, themes=[t.id for t in codebook.themes])


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
        training: (text, labels) pairs; default: read from ``options.training`` when set: coded
            examples (CSV/JSONL), or a model file from ``kwali learn`` (JSON), used as learned
            with the codes it was gated to.

    Raises:
        InvalidInput: Unknown method, or supervised without training data.
        ModelMismatch: A learned model made with another codebook or embedder.
        EmbedderUnavailable: The embedder cannot be built.
    """
    if method not in METHODS:
        raise InvalidInput(f"unknown tagging method {method!r}; use one of {', '.join(METHODS)}")
    if method == "rules":
        return RuleTagger(codebook, nlp, options.negation_window, options.min_score)
    embedder = CachedEmbedder(make_embedder(options.embedder), vectors or MemoryVectorStore())
    learned = None
    if training is None and options.training is not None:
        if is_model_file(options.training):
            learned = load_learned(options.training, codebook, options.embedder, vectors, options.min_score,
                                   shared=embedder)
            training = learned.training
        else:
            training = [(text, labels) for _, text, labels in read_labelled(options.training)]
    if method == "supervised" and not training:
        raise InvalidInput("method 'supervised' needs coded examples: pass --training FILE "
                           "(CSV/JSONL with id, text, labels, or a model from `kwali learn`)")
    semantic = SemanticTagger(codebook, embedder, options.min_score, options.semantic_threshold,
                              fit_texts=list(fit_texts) + [t for t, _ in training or ()])
    if method == "semantic":
        return semantic
    supervised = None
    if learned is not None:
        supervised = learned.tagger
    elif training:
        # An embedder that learns its space (TF-IDF) gets its own instance: the semantic tagger
        # refits the shared one, which would move the space the weights were learned in.
        own = (CachedEmbedder(make_embedder(options.embedder), vectors or MemoryVectorStore())
               if getattr(embedder, "needs_fit", False) else embedder)
        supervised = SupervisedTagger(codebook, own, min_score=options.min_score).fit(
            [t for t, _ in training], [labels for _, labels in training])
    if method == "supervised":
        return supervised
    others = other_taggers(codebook, nlp, options, embedder, semantic.fit_texts)
    if supervised is None:
        return others
    if learned is not None:
        trusted = learned.used  # gated when learned, against the other taggers on the decisions
    else:
        other_f1 = label_f1(others, [t for t, _ in training], [labels for _, labels in training], nlp)
        trusted = choose_supervised_labels(supervised.cv_f1_, other_f1)
    return EnsembleTagger(others.taggers + [supervised], min_score=options.min_score, supervised_labels=trusted,
                          themes=[t.id for t in codebook.themes])
