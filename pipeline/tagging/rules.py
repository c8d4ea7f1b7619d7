"""Rule tagger: codebook patterns matched on lemmas with spaCy's Matcher, negation-aware.

A code's score combines the weights of its distinct matches as independent evidence,
``1 - prod(1 - weight)``, so one strong term or a few weak ones make a tag. A match preceded by
a negation word in the same clause ("geen vertrouwen", "gebrek aan transparantie") or followed
by a postposed "niet" ("ik vertrouw ze niet") keeps the code but flips its polarity: a segment
about missing trust is still about trust.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from pipeline.codebook import Codebook, Pattern, parse_pattern
from pipeline.models import Evidence, Polarity, Segment, Tag

NEGATORS = frozenset(
    {"geen", "niet", "nooit", "niets", "niks", "nergens", "zonder", "gebrek", "nauwelijks",
     "amper", "allerminst", "onvoldoende", "weinig", "nimmer", "ontbreken", "ontbreekt", "ontbrak"}
)
# Words after which a negator does not negate what follows ("niet alleen vertrouwen, ook...").
NEGATION_BREAKERS = frozenset({"alleen", "enkel", "slechts", "zomaar", "meer", "minder", "zonder"})
POSTPOSED_NEGATORS = frozenset({"niet", "nooit"})


def _expand_token(spec: dict[str, Any], nlp: Language) -> list[dict[str, Any]]:
    """Give a word token the lemmas of its words, so pattern and text share one lemmatiser."""
    if "LEMMA" not in spec:
        return [spec]
    words: list[str] = spec["LEMMA"]["IN"]
    if len(words) == 1:
        pieces = [t.text.lower() for t in nlp.make_doc(words[0])]
        if len(pieces) > 1:  # "zzp'er-netwerk" style: the tokenizer splits it, so match the pieces
            return [{"LOWER": piece} for piece in pieces]
    forms = set(words)
    for word in words:
        doc = nlp(word)
        if len(doc) == 1:
            forms.add(doc[0].lemma_.lower())
    return [{"LEMMA": {"IN": sorted(forms)}}]


def compile_pattern(pattern: Pattern, nlp: Language) -> list[dict[str, Any]]:
    """Turn a codebook pattern into a spaCy Matcher pattern for ``nlp``'s lemmas."""
    compiled: list[dict[str, Any]] = []
    for spec in parse_pattern(pattern.pattern):
        compiled.extend(_expand_token(spec, nlp))
    return compiled


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
        self._matcher = Matcher(nlp.vocab, validate=True)
        self._excluder = Matcher(nlp.vocab, validate=True)
        self._patterns: dict[str, tuple[str, Pattern]] = {}
        for code in codebook.codes:
            for i, pattern in enumerate(code.patterns):
                key = f"{code.id}#{i}"
                self._patterns[key] = (code.id, pattern)
                self._matcher.add(key, [compile_pattern(pattern, nlp)])
            for i, pattern in enumerate(code.exclude_patterns):
                self._excluder.add(f"{code.id}#x{i}", [compile_pattern(pattern, nlp)])

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

    def _excluded_spans(self, doc: Doc) -> dict[str, list[tuple[int, int]]]:
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for match_id, start, end in self._excluder(doc):
            code_id = doc.vocab.strings[match_id].split("#", 1)[0]
            spans[code_id].append((start, end))
        return spans

    def tag_doc(self, segment: Segment, doc: Doc) -> list[Tag]:
        """Tags for one segment, given its spaCy Doc (``doc.text == segment.text``)."""
        excluded = self._excluded_spans(doc)
        by_code: dict[str, list[tuple[int, int, Pattern]]] = defaultdict(list)
        for match_id, start, end in self._matcher(doc):
            code_id, pattern = self._patterns[doc.vocab.strings[match_id]]
            if any(s < end and start < e for s, e in excluded.get(code_id, ())):
                continue
            by_code[code_id].append((start, end, pattern))
        tags = []
        for code_id, matches in by_code.items():
            # Longest match wins where a code's patterns overlap ("afspraak" in "afspraak nakomen").
            matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
            kept: list[tuple[int, int, Pattern]] = []
            for match in matches:
                if all(match[1] <= k[0] or k[1] <= match[0] for k in kept):
                    kept.append(match)
            kept.sort(key=lambda m: m[0])
            evidence = []
            miss = 1.0
            weight_by_polarity = {Polarity.POSITIVE: 0.0, Polarity.NEGATIVE: 0.0}
            for start, end, pattern in kept:
                span = doc[start:end]
                negator = self._negation(doc, start, end)
                negative = (pattern.polarity == "negative") != (negator is not None)
                weight_by_polarity[Polarity.NEGATIVE if negative else Polarity.POSITIVE] += pattern.weight
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
