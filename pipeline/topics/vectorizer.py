"""Dutch top terms for topics: lemmas, without stop words, numbers or one-letter tokens."""

from __future__ import annotations

import re
from functools import lru_cache

WORD_RE = re.compile(r"[^\W\d_][\w'-]*[^\W_]|[^\W\d_]", re.UNICODE)
# Interview talk adds fillers that spaCy's list of written Dutch does not hold.
# Light verbs that every topic shares ("gaan", "zeggen") say nothing about a topic either.
SPOKEN_STOP_WORDS = frozenset({"ja", "nee", "nou", "gewoon", "eigenlijk", "natuurlijk", "zeg", "he", "hè",
                               "oké", "ok", "uh", "eh", "ehm", "hm", "echt", "heel", "best", "wel", "even",
                               "lachen", "gaan", "komen", "zeggen", "maken", "denken", "zien", "doen", "willen",
                               "moeten", "kunnen", "zullen", "hebben", "zijn", "worden", "krijgen", "staan",
                               "zitten", "vinden", "weten", "laten", "mens", "ding", "soort", "keer", "beetje"})


@lru_cache(maxsize=1)
def dutch_stop_words() -> frozenset[str]:
    """spaCy's Dutch stop words plus common spoken fillers."""
    from spacy.lang.nl.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | SPOKEN_STOP_WORDS


@lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="nl").lower()


def lemma_tokens(text: str) -> list[str]:
    """Lower-case lemmas of a text's words, minus stop words ("ondernemers" -> "ondernemer")."""
    stop = dutch_stop_words()
    out = []
    for match in WORD_RE.finditer(text.lower()):
        word = match.group(0)
        if len(word) < 2 or word in stop:
            continue
        lemma = _lemma(word)
        if lemma not in stop and len(lemma) > 1:
            out.append(lemma)
    return out


def lemma_vectorizer(min_df: int = 1, ngram_range: tuple[int, int] = (1, 2)):
    """A CountVectorizer over ``lemma_tokens``, for BERTopic's c-TF-IDF.

    BERTopic fits it on one concatenated document per topic, so ``min_df`` counts topics, not
    segments: anything above 1 throws away exactly the words that set a topic apart.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(tokenizer=lemma_tokens, lowercase=False, token_pattern=None, min_df=min_df,
                           ngram_range=ngram_range)
