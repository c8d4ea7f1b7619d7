"""The Dutch spaCy pipeline: a trained one when installed, else blank nl + simplemma.

No trained Dutch pipeline ships on PyPI, so the default is ``spacy.blank("nl")`` with a
sentencizer and a lemmatiser backed by simplemma (spaCy's own lookup tables leave common forms
such as "ondernemers" and "afspraken" unlemmatised). Lemmas are lower-cased in every set-up so
that codebook patterns match regardless of which pipeline produced them.
"""

from __future__ import annotations

from functools import lru_cache

import simplemma
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.config import NlpOptions
from pipeline.errors import InvalidInput

TRAINED_PIPELINES = ("nl_core_news_lg", "nl_core_news_md", "nl_core_news_sm")


@lru_cache(maxsize=200_000)
def lemma_of(word: str) -> str:
    """Lower-case Dutch lemma of one word form (cached: corpora repeat words a lot)."""
    lower = word.lower()
    if not any(ch.isalpha() for ch in lower):
        return lower
    return simplemma.lemmatize(lower, lang="nl").lower()


class SimplemmaLemmatizer:
    """spaCy component (Doc -> Doc) that sets ``token.lemma_`` from simplemma."""

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            token.lemma_ = lemma_of(token.text)
        return doc


class LowercaseLemmas:
    """spaCy component (Doc -> Doc) that lower-cases lemmas a trained pipeline produced."""

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            token.lemma_ = (token.lemma_ or token.text).lower()
        return doc


@Language.factory("kwali_simplemma")
def _make_simplemma(nlp: Language, name: str) -> SimplemmaLemmatizer:
    return SimplemmaLemmatizer()


@Language.factory("kwali_lowercase_lemmas")
def _make_lowercase(nlp: Language, name: str) -> LowercaseLemmas:
    return LowercaseLemmas()


def installed_trained_pipeline() -> str | None:
    """Name of the largest trained Dutch spaCy pipeline installed, if any."""
    for name in TRAINED_PIPELINES:
        if spacy.util.is_package(name):
            return name
    return None


def build_nlp(options: NlpOptions | None = None) -> Language:
    """Build the Dutch pipeline described by ``options``.

    Args:
        options: ``model=None`` picks a trained pipeline when installed, else the blank one;
            ``model="blank"`` forces the blank one; any other value is loaded by name or path.

    Returns:
        A spaCy ``Language`` whose docs have sentences and lower-case lemmas.

    Raises:
        InvalidInput: The named pipeline is not installed.
    """
    options = options or NlpOptions()
    name = options.model
    if name is None:
        name = installed_trained_pipeline() or "blank"
    if name == "blank":
        nlp = spacy.blank("nl")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("kwali_simplemma")
        return nlp
    try:
        # Only what tagging needs: the parser and NER cost time and memory for nothing here.
        nlp = spacy.load(name, exclude=["ner", "parser"])
    except OSError as exc:
        raise InvalidInput(
            f"spaCy pipeline {name!r} is not installed ({exc}). Install it with pip from a local "
            f"wheel, or leave the model setting empty to use the built-in blank Dutch pipeline."
        ) from None
    if "sentencizer" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    nlp.add_pipe("kwali_lowercase_lemmas", last=True)
    return nlp


def pipeline_description(nlp: Language) -> str:
    """Short description for the methods section: language, components, model name."""
    meta = nlp.meta
    return f"{meta.get('lang', '?')}_{meta.get('name', 'pipeline')} {meta.get('version', '')}: " + ", ".join(
        nlp.pipe_names
    )
