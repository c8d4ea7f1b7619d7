"""Ensemble: one tag per code and segment, a combined score, and every tagger's evidence.

Scores combine as independent evidence, ``1 - prod(1 - weight_m * score_m)`` over the methods
that proposed the code, so a weak rule match (below the rule tagger's own threshold) plus a
close semantic neighbour can make a tag that neither makes alone. Evidence keeps each method's
matches, its pattern prefixed with the method ("rules: afspraak * nakomen", "semantic: ~example:
..."), so a coder sees why.

The supervised tagger is used only for the labels in ``supervised_labels`` (those where its
cross-validated F1 beat the other taggers, see ``choose_supervised_labels``). A supervised label
that is a theme id owns that theme: other taggers' codes of the theme are kept only when the
supervised model also says the theme applies, and when none remain a theme-level tag is made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from spacy.tokens import Doc

from pipeline.models import Polarity, Segment, Tag
from pipeline.tagging.base import Tagger

DEFAULT_WEIGHTS = {"rules": 1.0, "semantic": 0.5, "supervised": 1.0}


class EnsembleTagger:
    """Combines taggers into one tag per (segment, code).

    Args:
        taggers: The member taggers (their ``name`` selects the weight).
        weights: Weight per method name in (0, 1]; default ``DEFAULT_WEIGHTS``.
        min_score: Combined scores below this are not proposed.
        supervised_labels: Labels for which the "supervised" member is trusted; None = all.
        themes: Theme ids of the codebook (to recognise theme-level supervised labels).
    """

    name = "ensemble"

    def __init__(self, taggers: Sequence[Tagger], weights: Mapping[str, float] | None = None,
                 min_score: float = 0.5, supervised_labels: set[str] | None = None,
                 themes: Sequence[str] = ()):
        self.taggers = list(taggers)
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.min_score = min_score
        self.supervised_labels = supervised_labels
        self.themes = set(themes)

    def combine(self, segment_tags: Sequence[Sequence[Tag]], segment_id: str) -> list[Tag]:
        """Merge the member tags of one segment into ensemble tags."""
        by_code: dict[str, list[Tag]] = defaultdict(list)
        owned_themes: dict[str, bool] = {}
        for tags in segment_tags:
            for tag in tags:
                if tag.method == "supervised":
                    if self.supervised_labels is not None and tag.code_id not in self.supervised_labels:
                        continue
                    if tag.code_id in self.themes:
                        owned_themes[tag.code_id] = True
                        continue
                by_code[tag.code_id].append(tag)
        for theme in self.themes & (self.supervised_labels or set()):
            owned_themes.setdefault(theme, False)
        out: list[Tag] = []
        for code_id, members in by_code.items():
            theme = members[0].theme_id
            if theme in owned_themes and not owned_themes[theme]:
                continue  # the trusted supervised model says this theme does not apply
            miss = float(np.prod([1.0 - self.weights.get(t.method, 1.0) * t.score for t in members]))
            score = round(1.0 - miss, 4)
            if score < self.min_score and not (theme in owned_themes and owned_themes[theme]):
                continue
            rules = [t for t in members if t.method == "rules"]
            polarity = rules[0].polarity if rules else Polarity.POSITIVE
            evidence = tuple(replace(e, pattern=f"{t.method}: {e.pattern}") for t in members for e in t.evidence)
            out.append(Tag(segment_id, code_id, theme, score, self.name, polarity, evidence))
        for theme, applies in owned_themes.items():
            if applies and not any(t.theme_id == theme for t in out):
                source = next(t for tags in segment_tags for t in tags
                              if t.method == "supervised" and t.code_id == theme)
                evidence = tuple(replace(e, pattern=f"supervised: {e.pattern}") for e in source.evidence)
                out.append(Tag(segment_id, theme, theme, source.score, self.name, Polarity.POSITIVE, evidence))
        out.sort(key=lambda t: t.code_id)
        return out

    def tag_batch(self, segments: Sequence[Segment], docs: Sequence[Doc]) -> list[list[Tag]]:
        """Tags for each segment of a batch (see ``Tagger``)."""
        per_member = [tagger.tag_batch(segments, docs) for tagger in self.taggers]
        return [self.combine([member[i] for member in per_member], segment.id) for i, segment in enumerate(segments)]


def choose_supervised_labels(cv_f1: Mapping[str, float], other_f1: Mapping[str, float]) -> set[str]:
    """Labels where the supervised tagger's cross-validated F1 beats the other taggers' F1
    on the same training texts (a label the others never predict counts as F1 0)."""
    return {label for label, f1 in cv_f1.items() if f1 > other_f1.get(label, 0.0)}
