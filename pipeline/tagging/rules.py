"""Rule tagger: codebook patterns matched on spaCy lemmas, negation-aware.

A code's score combines the weights of its distinct matched patterns as independent evidence,
``1 - prod(1 - weight)``, so one strong term or a few different weak ones make a tag; a pattern
that matches twice counts once. A match preceded by
a negation word in the same clause ("geen vertrouwen", "gebrek aan transparantie") or followed
by a postposed "niet" ("ik vertrouw ze niet") keeps the code but flips its polarity: a segment
about missing trust is still about trust.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.codebook import Codebook, Pattern, parse_pattern
from pipeline.models import Evidence, Polarity, Segment, Tag
from pipeline.tagging.matcher import PatternMatcher, TokenTest, tests_from_spec

NEGATORS = frozenset(
    {"geen", "niet", "nooit", "niets", "niks", "nergens", "zonder", "gebrek", "nauwelijks",
     "amper", "allerminst", "onvoldoende", "weinig", "nimmer", "ontbreken", "ontbreekt", "ontbrak"}
)
# Words after which a negator does not negate what follows ("niet alleen vertrouwen, ook...").
NEGATION_BREAKERS = frozenset({"alleen", "enkel", "slechts", "zomaar", "meer", "minder", "zonder"})
POSTPOSED_NEGATORS = frozenset({"niet", "nooit"})


def _split_words(spec: list[dict[str, Any]], nlp: Language) -> list[dict[str, Any]]:
    """Spread a pattern word the tokenizer splits ("zzp'er-netwerk") over several tokens."""
    out: list[dict[str, Any]] = []
    for token in spec:
        words = token.get("LEMMA", {}).get("IN")
        if words and len(words) == 1:
            pieces = [t.text.lower() for t in nlp.make_doc(words[0])]
            if len(pieces) > 1:
                out.extend({"LEMMA": {"IN": [piece]}} for piece in pieces)
                continue
        out.append(token)
    return out


def compile_pattern(pattern: Pattern, nlp: Language, matcher: PatternMatcher) -> list[TokenTest]:
    """Turn a codebook pattern into matcher tests; words accept their form and their lemma."""
    spec = _split_words(parse_pattern(pattern.pattern), nlp)
    forms: dict[str, set[str]] = {}
    for token in spec:
        for word in token.get("LEMMA", {}).get("IN", []):
            doc = nlp(word)
            forms[word] = {word} | ({doc[0].lemma_.lower()} if len(doc) == 1 else set())
    return tests_from_spec(spec, matcher, forms)


class RuleTagger:
    """Tags segments with codes whose lexical patterns match.

    Args:
        codebook: The validated codebook.
        nlp: The pipeline the segments are processed with (for pattern lemmas and vocab).
        negation_window: Tokens before a match searched for a negation word.
        min_score: Tags scoring below this are not proposed.
    """

    name = "rules"

    def __init__(self, codebook: Codebook, nlp: Language, negation_window: int = 3, min_score: float = 0.5):
        self.codebook = codebook
        self.negation_window = negation_window
        self.min_score = min_score
        self._theme_of = codebook.theme_of()
        # Exclusion patterns live in the same matcher (keys "code#x<i>"): one pass per segment.
        self._matcher = PatternMatcher()
        self._patterns: dict[str, tuple[str, Pattern]] = {}
        for code in codebook.codes:
            for i, pattern in enumerate(code.patterns):
                key = f"{code.id}#{i}"
                self._patterns[key] = (code.id, pattern)
                self._matcher.add(key, compile_pattern(pattern, nlp, self._matcher))
            for i, pattern in enumerate(code.exclude_patterns):
                self._matcher.add(f"{code.id}#x{i}", compile_pattern(pattern, nlp, self._matcher))
        self._matcher.compile()

    def _negation(self, doc: Doc, start: int, end: int) -> str | None:
        sent = doc[start].sent
        for i in range(start - 1, max(sent.start, start - self.negation_window) - 1, -1):
            token = doc[i]
            if token.is_punct:
                break
            if token.lower_ in NEGATORS:
                following = doc[i + 1].lower_ if i + 1 < len(doc) else ""
                if following in NEGATION_BREAKERS and i + 1 < start:
                    return None
                return token.text
        for i in range(end, min(sent.end, end + self.negation_window)):
            token = doc[i]
            if token.is_punct:
                break
            if token.lower_ in POSTPOSED_NEGATORS:
                following = doc[i + 1].lower_ if i + 1 < len(doc) else ""
                return None if following in NEGATION_BREAKERS else token.text
        return None

    def tag_doc(self, segment: Segment, doc: Doc) -> list[Tag]:
        """Tags for one segment, given its spaCy Doc (``doc.text == segment.text``)."""
        found = self._matcher(doc)
        excluded: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for key, start, end in found:
            if key not in self._patterns:
                excluded[key.split("#", 1)[0]].append((start, end))
        by_code: dict[str, list[tuple[int, int, Pattern]]] = defaultdict(list)
        for key, start, end in found:
            if key not in self._patterns:
                continue
            code_id, pattern = self._patterns[key]
            if any(s < end and start < e for s, e in excluded.get(code_id, ())):
                continue
            by_code[code_id].append((start, end, pattern))
        tags = []
        for code_id, matches in by_code.items():
            # Longest match wins where a code's patterns overlap ("afspraak" in "afspraak nakomen");
            # of two equally long ones the stronger ("elkaar leren kennen" over "elkaar * kennen").
            matches.sort(key=lambda m: (-(m[1] - m[0]), -m[2].weight, m[0]))
            kept: list[tuple[int, int, Pattern]] = []
            for match in matches:
                if all(match[1] <= k[0] or k[1] <= match[0] for k in kept):
                    kept.append(match)
            kept.sort(key=lambda m: m[0])
            evidence = []
            miss = 1.0
            weight_by_polarity = {Polarity.POSITIVE: 0.0, Polarity.NEGATIVE: 0.0}
            counted: set[str] = set()
            for start, end, pattern in kept:
                span = doc[start:end]
                negator = self._negation(doc, start, end)
                negative = (pattern.polarity == "negative") != (negator is not None)
                weight_by_polarity[Polarity.NEGATIVE if negative else Polarity.POSITIVE] += pattern.weight
                # A cue repeated is one cue: "onzeker ... onzekerheid" must not add up like two
                # different signs of the theme would.
                if pattern.pattern not in counted:
                    counted.add(pattern.pattern)
                    miss *= 1.0 - pattern.weight
                evidence.append(Evidence(span.text, span.start_char, span.end_char, pattern.pattern, negator))
            score = round(1.0 - miss, 4)
            if score < self.min_score:
                continue
            polarity = (
                Polarity.NEGATIVE
                if weight_by_polarity[Polarity.NEGATIVE] > weight_by_polarity[Polarity.POSITIVE]
                else Polarity.POSITIVE
            )
            tags.append(Tag(segment.id, code_id, self._theme_of[code_id], score, self.name, polarity, tuple(evidence)))
        order = {code.id: i for i, code in enumerate(self.codebook.codes)}
        tags.sort(key=lambda t: order[t.code_id])
        return tags

    def tag_batch(self, segments: Sequence[Segment], docs: Sequence[Doc]) -> list[list[Tag]]:
        """Tags for each segment of a batch (see ``Tagger``)."""
        return [self.tag_doc(segment, doc) for segment, doc in zip(segments, docs, strict=True)]
