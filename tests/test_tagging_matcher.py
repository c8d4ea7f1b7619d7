"""The indexed pattern matcher: words by lemma or form, regexes, optional tokens."""

from __future__ import annotations

import pytest

from pipeline.codebook import Pattern
from pipeline.tagging.matcher import PatternMatcher, TokenTest
from pipeline.tagging.rules import compile_pattern


def find(nlp, patterns, text):
    matcher = PatternMatcher()
    for key, pattern in patterns.items():
        matcher.add(key, compile_pattern(Pattern(pattern=pattern), nlp, matcher))
    doc = nlp(text)
    return sorted((key, doc[s:e].text) for key, s, e in matcher(doc))


def test_words_match_on_lemma_and_on_form(nlp):
    assert find(nlp, {"a": "afspraak"}, "De afspraken waren helder.") == [("a", "afspraken")]
    assert find(nlp, {"w": "wachten"}, "We hebben lang gewacht en wachten nog.") == [("w", "gewacht"), ("w", "wachten")]


def test_regex_matches_whole_lower_case_token(nlp):
    assert find(nlp, {"h": "re:huur.*contract.*"}, "Het Huurcontract en de huurcontracten, geen contract.") == [
        ("h", "Huurcontract"), ("h", "huurcontracten")]
    assert find(nlp, {"t": "re:tijd"}, "tijdelijk") == []  # full match, not search


def test_optional_token_and_longest_end(nlp):
    patterns = {"k": "kar * trekken"}
    assert find(nlp, patterns, "de kar trekken") == [("k", "kar trekken")]
    assert find(nlp, patterns, "de kar zelf trekken") == [("k", "kar zelf trekken")]
    assert find(nlp, patterns, "de kar zelf maar trekken") == []


def test_multiword_with_regex_inside(nlp):
    assert find(nlp, {"x": "geen re:vertrouwens.*"}, "Er is geen vertrouwensband.") == [("x", "geen vertrouwensband")]


def test_leading_and_trailing_wildcards_are_dropped_and_empty_is_refused():
    matcher = PatternMatcher()
    matcher.add("k", [TokenTest(optional=True), TokenTest(words=frozenset({"a"})), TokenTest(optional=True)])
    with pytest.raises(ValueError):
        matcher.add("leeg", [TokenTest(optional=True)])


def test_regex_results_are_cached_per_form(nlp):
    matcher = PatternMatcher()
    matcher.add("h", compile_pattern(Pattern(pattern="re:huur.*"), nlp, matcher))
    doc = nlp("huur huur huurder")
    assert len(matcher(doc)) == 3
    assert set(matcher._form_cache) == {"huur", "huurder"}
