"""The tagger protocol and the streaming annotate step."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Protocol, runtime_checkable

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.models import Segment, Tag


@runtime_checkable
class Tagger(Protocol):
    """Proposes codes for a batch of segments.

    Attributes:
        name: Method name stored with every tag ("rules", "semantic", ...).
    """

    name: str

    def tag_batch(self, segments: Sequence[Segment], docs: Sequence[Doc]) -> list[list[Tag]]:
        """Return, for each segment (with its spaCy Doc), the tags proposed for it."""
        ...


class NullTagger:
    """A tagger that proposes nothing: for tests and for runs that only segment."""

    name = "null"

    def tag_batch(self, segments: Sequence[Segment], docs: Sequence[Doc]) -> list[list[Tag]]:
        return [[] for _ in segments]


def _batches(items: Iterable[Segment], size: int) -> Iterator[list[Segment]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def annotate(
    segments: Iterable[Segment],
    nlp: Language,
    taggers: Sequence[Tagger],
    batch_size: int = 64,
) -> Iterator[tuple[Segment, list[Tag]]]:
    """Run the NLP pipeline and every tagger over segments, streaming.

    Docs live only for one batch: a corpus of any size is never held in memory as Docs.

    Args:
        segments: Segments in any order; consumed lazily.
        nlp: A pipeline from ``pipeline.nlp.build_nlp``.
        taggers: Taggers to apply; their tags are concatenated.
        batch_size: Segments per ``nlp.pipe`` batch and per tagger call.

    Yields:
        Each segment with its tags.
    """
    for batch in _batches(segments, batch_size):
        docs = list(nlp.pipe((s.text for s in batch), batch_size=batch_size))
        per_segment: list[list[Tag]] = [[] for _ in batch]
        for tagger in taggers:
            for bucket, tags in zip(per_segment, tagger.tag_batch(batch, docs), strict=True):
                bucket.extend(tags)
        yield from zip(batch, per_segment)
