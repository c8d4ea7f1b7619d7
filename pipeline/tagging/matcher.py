"""An indexed token-pattern matcher for codebook patterns.

spaCy's ``Matcher`` evaluates every pattern's first-token predicate on every token, so its cost
grows with tokens x patterns; with a real codebook (about 900 patterns, a third of them regexes
for Dutch compounds) that made tagging 80x slower than tokenising (bench/annotate.py: 0.012x).
This matcher indexes patterns by what their first token must be, so each token only looks at
the patterns that can start there:

- word tests are looked up by the token's lemma and its lower-case form (a dict lookup);
- regex tests are evaluated once per distinct word form and cached (a corpus repeats its words),
  behind one combined expression that rejects most forms in a single call.

It speaks the same pattern language as ``pipeline.codebook.parse_pattern``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc


@dataclass(frozen=True, slots=True)
class TokenTest:
    """One position of a pattern: a set of words, a regex id, or an optional wildcard."""

    words: frozenset[str] = frozenset()
    regex: int = -1
    optional: bool = False


class PatternMatcher:
    """Finds all (key, start, end) token spans where an added pattern matches a Doc."""

    def __init__(self) -> None:
        self._patterns: list[tuple[str, tuple[TokenTest, ...]]] = []
        self._by_word: dict[str, list[int]] = defaultdict(list)
        self._by_regex: dict[int, list[int]] = defaultdict(list)
        self._regexes: list[re.Pattern[str]] = []
        self._regex_ids: dict[str, int] = {}
        self._combined: re.Pattern[str] | None = None
        self._form_cache: dict[str, tuple[int, ...]] = {}
        self._test_cache: dict[tuple[int, str], bool] = {}

    def regex_id(self, expression: str) -> int:
        """Id of a full-match regex over lower-case token text (shared between patterns)."""
        if expression not in self._regex_ids:
            self._regex_ids[expression] = len(self._regexes)
            self._regexes.append(re.compile(f"(?:{expression})"))
        return self._regex_ids[expression]

    def add(self, key: str, tests: Iterable[TokenTest]) -> None:
        """Add a pattern under ``key``. Leading and trailing optional tokens are dropped."""
        seq = list(tests)
        while seq and seq[0].optional:
            seq.pop(0)
        while seq and seq[-1].optional:
            seq.pop()
        if not seq:
            raise ValueError(f"pattern {key!r} has no token to match")
        index = len(self._patterns)
        self._patterns.append((key, tuple(seq)))
        first = seq[0]
        if first.regex >= 0:
            self._by_regex[first.regex].append(index)
            self._combined = None
            self._form_cache.clear()
        for word in first.words:
            self._by_word[word].append(index)

    def compile(self) -> None:
        """Build the combined regex of pattern-starting regexes now (done lazily otherwise)."""
        joined = "|".join(f"(?:{self._regexes[i].pattern})" for i in sorted(self._by_regex)) or "(?!)"
        self._combined = re.compile(joined)

    def _regexes_of(self, form: str) -> tuple[int, ...]:
        """Ids of the pattern-starting regexes that match ``form`` (cached per form)."""
        cached = self._form_cache.get(form)
        if cached is not None:
            return cached
        if self._combined is None:
            self.compile()
        found: tuple[int, ...] = ()
        if self._combined.fullmatch(form):  # type: ignore[union-attr]
            found = tuple(i for i in self._by_regex if self._regexes[i].fullmatch(form))
        self._form_cache[form] = found
        return found

    def _passes(self, test: TokenTest, lemma: str, lower: str) -> bool:
        if test.regex >= 0:
            key = (test.regex, lower)
            hit = self._test_cache.get(key)
            if hit is None:
                hit = self._test_cache[key] = self._regexes[test.regex].fullmatch(lower) is not None
            return hit
        return lemma in test.words or lower in test.words

    def _ends(self, seq: tuple[TokenTest, ...], pos: int, tokens: list[tuple[str, str]], at: int) -> list[int]:
        """All token indexes where ``seq[pos:]`` matched from token ``at`` can end."""
        if pos == len(seq):
            return [at]
        test = seq[pos]
        ends: list[int] = []
        if test.optional:
            ends.extend(self._ends(seq, pos + 1, tokens, at))
            if at < len(tokens):
                ends.extend(self._ends(seq, pos + 1, tokens, at + 1))
            return ends
        if at < len(tokens) and self._passes(test, *tokens[at]):
            return self._ends(seq, pos + 1, tokens, at + 1)
        return []

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        """Matches as (key, start token, end token), longest per pattern and start."""
        tokens = [(t.lemma_, t.lower_) for t in doc]
        by_word, by_regex = self._by_word, self._by_regex
        matches = []
        for i, (lemma, lower) in enumerate(tokens):
            regexes = self._regexes_of(lower)
            if lemma not in by_word and lower not in by_word and not regexes:
                continue  # the common case: nothing can start at this token
            candidates = set(by_word.get(lemma, ())) | set(by_word.get(lower, ()))
            for regex in regexes:
                candidates.update(by_regex.get(regex, ()))
            for index in sorted(candidates):
                key, seq = self._patterns[index]
                ends = self._ends(seq, 1, tokens, i + 1)
                if ends:
                    matches.append((key, i, max(ends)))
        return matches


def tests_from_spec(spec: list[dict[str, Any]], matcher: PatternMatcher, lemmas: dict[str, set[str]]) -> list[TokenTest]:
    """Convert ``parse_pattern`` token dicts into ``TokenTest``s.

    Args:
        spec: Output of ``pipeline.codebook.parse_pattern``.
        matcher: The matcher whose regex table the regex tests use.
        lemmas: For each pattern word, the forms to accept (the word and its lemma(s)).
    """
    tests = []
    for token in spec:
        if token.get("OP") == "?":
            tests.append(TokenTest(optional=True))
        elif "LOWER" in token:
            expression = token["LOWER"]["REGEX"].removeprefix("^(?:").removesuffix(")$")
            tests.append(TokenTest(regex=matcher.regex_id(expression)))
        else:
            words: set[str] = set()
            for word in token["LEMMA"]["IN"]:
                words |= lemmas.get(word, {word})
            tests.append(TokenTest(words=frozenset(words)))
    return tests
