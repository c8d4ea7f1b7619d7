"""Cut documents into segments, the units that get coded: turns, paragraphs or sentence windows.

Every segment is a span of the document's normalised text; ``segment.text`` is always
``document.text[segment.start:segment.end]``. Segment ids come from the document, the unit and
the segment's own text (plus which occurrence of that text it is), so they survive edits
elsewhere in the document and a coder's decisions stay attached.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

import spacy
from spacy.language import Language

from pipeline.config import SegmentOptions
from pipeline.models import Document, Segment, Turn, Unit, stable_id

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@lru_cache(maxsize=1)
def _sentencizer() -> Language:
    # Rule-based and cheap; segmenting must not depend on which NLP model tags the text later.
    nlp = spacy.blank("nl")
    nlp.add_pipe("sentencizer")
    return nlp


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraph_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Blank-line separated paragraphs of ``text[start:end]`` as stripped absolute spans."""
    spans = []
    cursor = start
    for brk in _PARAGRAPH_BREAK.finditer(text, start, end):
        spans.append(_strip_span(text, cursor, brk.start()))
        cursor = brk.end()
    spans.append(_strip_span(text, cursor, end))
    return [(s, e) for s, e in spans if e > s]


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` as stripped absolute spans (paragraph breaks end one)."""
    spans: list[tuple[int, int]] = []
    for p_start, p_end in paragraph_spans(text, start, end):
        doc = _sentencizer()(text[p_start:p_end])
        for sent in doc.sents:
            s, e = _strip_span(text, p_start + sent.start_char, p_start + sent.end_char)
            if e > s:
                spans.append((s, e))
    return spans


def _merge_short(text: str, spans: list[tuple[int, int]], min_words: int) -> list[tuple[int, int]]:
    """Merge spans shorter than ``min_words`` into the following span (or the previous one)."""
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for s, e in spans:
        if pending is not None:
            s, pending = pending, None
        if len(text[s:e].split()) < min_words:
            pending = s
            continue
        merged.append((s, e))
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((pending, spans[-1][1]))
    return merged


def _turn_spans(doc: Document, turn: Turn, options: SegmentOptions) -> list[tuple[int, int]]:
    if options.unit is Unit.TURN:
        return [(turn.start, turn.end)]
    if options.unit is Unit.PARAGRAPH:
        spans = paragraph_spans(doc.text, turn.start, turn.end)
    else:
        sentences = sentence_spans(doc.text, turn.start, turn.end)
        spans = [
            (sentences[i][0], sentences[min(i + options.window, len(sentences)) - 1][1])
            for i in range(0, len(sentences), options.window)
        ]
    return _merge_short(doc.text, spans, options.min_words)


def segment_document(document: Document, options: SegmentOptions | None = None) -> list[Segment]:
    """Split a document into segments of the configured unit.

    Args:
        document: A normalised document with its turns.
        options: Unit (turn, paragraph, sentence window), window size and minimum words.

    Returns:
        Segments in document order; each one's text equals ``document.text[start:end]``.
    """
    options = options or SegmentOptions()
    seen: Counter[str] = Counter()
    segments: list[Segment] = []
    unit_key = options.unit.value if options.unit is not Unit.SENTENCE else f"sentence{options.window}"
    for turn in document.turns:
        for start, end in _turn_spans(document, turn, options):
            text = document.text[start:end]
            occurrence = seen[text]
            seen[text] += 1
            segments.append(
                Segment(
                    id=stable_id(document.id, unit_key, text, str(occurrence)),
                    document_id=document.id,
                    case_id=document.case_id,
                    index=len(segments),
                    start=start,
                    end=end,
                    text=text,
                    speaker=turn.speaker,
                    timestamp=turn.timestamp,
                    unit=options.unit,
                )
            )
    return segments


def iter_segments(documents: list[Document], options: SegmentOptions | None = None) -> Iterator[Segment]:
    """Segments of several documents, one document at a time."""
    for document in documents:
        yield from segment_document(document, options)
