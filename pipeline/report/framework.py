"""The framework matrix: per case and code, a short summary built from the strongest quotes.

Framework analysis compares cases code by code. Each cell holds the number of coded segments
and, for each of the strongest quotes, the sentence around its first piece of evidence (cut at a
word boundary), with a reference to the document and character span it comes from. Nothing is
paraphrased: every word in a cell is the interviewee's, so a reader can check it.

Forty codes do not fit across a page, so the matrix is cut into one block per theme, and its
orientation follows the study: with few cases the codes run down the side and the cases across;
with many cases, the other way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.analysis.quotes import Quote, evidence_spans
from pipeline.codebook import Codebook

#: Up to this many cases, cases become columns (and codes rows); above it, cases are rows.
MAX_CASE_COLUMNS = 5
#: Quotes per cell that contribute a sentence to its summary; all of them get a reference.
SNIPPETS_PER_CELL = 2
SNIPPET_CHARS = 140

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")


def quote_anchor(quote: Quote) -> str:
    """The HTML id of a quote in the quotes chapter (unique per segment and code)."""
    return f"q-{quote.segment_id}-{re.sub(r'[^A-Za-z0-9_-]+', '-', quote.code_id)}"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:-–")
    return cut + " …"


def snippet(quote: Quote, limit: int = SNIPPET_CHARS) -> str:
    """The sentence of a quote that holds its first evidence (else its first sentence), shortened."""
    text = quote.text
    spans = evidence_spans(text, quote.evidence)
    focus = spans[0][0] if spans else 0
    start = 0
    end = len(text)
    for match in _SENTENCE_END.finditer(text):
        if match.end() <= focus:
            start = match.end()
        elif match.start() >= focus:
            end = match.start()
            break
    sentence = text[start:end]
    offset = focus - start
    if len(sentence) > limit and offset > limit - 30:
        # The evidence sits deep in a long sentence: start a few words before it, not cut it off.
        begin = sentence.rfind(" ", 0, max(0, offset - 40)) + 1
        sentence = "… " + sentence[begin:]
    sentence = sentence.strip() or text.strip()
    return _shorten(sentence, limit)


@dataclass(frozen=True)
class QuoteRef:
    """A link from a matrix cell to one quote: document and character span."""

    anchor: str
    document_id: str
    start: int
    end: int
    snippet: str
    polarity: str

    @property
    def position(self) -> str:
        return f"{self.document_id}:{self.start}–{self.end}"


@dataclass(frozen=True)
class Cell:
    """One case x code cell: segment count, summary snippets and references to all its quotes."""

    count: int
    refs: tuple[QuoteRef, ...] = ()
    snippets: tuple[QuoteRef, ...] = ()


@dataclass
class FrameworkBlock:
    """One theme's part of the matrix, already oriented: row labels, column labels, cells."""

    theme_id: str
    theme_label: str
    corner: str
    columns: list[dict[str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Framework:
    """The framework matrix, as blocks per theme.

    Attributes:
        codes_as_rows: True when codes run down the side (few cases).
        blocks: One per theme with at least one coded segment.
        omitted_codes: Codes without any coded segment in any case (left out of the matrix).
    """

    codes_as_rows: bool
    blocks: list[FrameworkBlock]
    omitted_codes: list[str]


def framework_matrix(quotes: list[Quote], counts: pd.DataFrame, codebook: Codebook,
                     max_case_columns: int = MAX_CASE_COLUMNS) -> Framework:
    """Build the framework matrix.

    Args:
        quotes: Strongest quotes (``strongest_quotes``), ranked per case and code.
        counts: Case x code segment counts (``case_by_code(..., "segments")``).
        codebook: Gives themes, labels and order.
        max_case_columns: Up to this many cases, cases are columns.

    Returns:
        The matrix in blocks per theme; codes that no case has are listed, not shown.
    """
    by_cell: dict[tuple[str, str], list[Quote]] = {}
    for quote in sorted(quotes, key=lambda q: q.rank):
        by_cell.setdefault((quote.case_id, quote.code_id), []).append(quote)
    cases = [str(c) for c in counts.index]
    # A dict, not ``counts.at``: thousands of cells in a study of fifty cases.
    lookup = {(case_id, str(code_id)): int(n) for case_id, row in zip(cases, counts.to_numpy())
              for code_id, n in zip(counts.columns, row)}
    codes_as_rows = len(cases) <= max_case_columns
    omitted = []
    blocks = []
    for theme in codebook.themes:
        used = []
        for code in theme.codes:
            total = int(counts[code.id].sum()) if code.id in counts.columns else 0
            (used if total > 0 else omitted).append(code)
        if not used:
            continue

        def cell(case_id: str, code_id: str) -> Cell:
            n = lookup.get((case_id, code_id), 0)
            refs = tuple(QuoteRef(quote_anchor(q), q.document_id, q.start, q.end, snippet(q), q.polarity)
                         for q in by_cell.get((case_id, code_id), []))
            return Cell(n, refs, refs[:SNIPPETS_PER_CELL])

        if codes_as_rows:
            block = FrameworkBlock(theme.id, theme.label, "code", [{"id": c, "label": c} for c in cases])
            block.rows = [{"id": code.id, "label": code.label, "cells": [cell(c, code.id) for c in cases]}
                          for code in used]
        else:
            block = FrameworkBlock(theme.id, theme.label, "case",
                                   [{"id": code.id, "label": code.label} for code in used])
            block.rows = [{"id": c, "label": c, "cells": [cell(c, code.id) for code in used]} for c in cases]
        blocks.append(block)
    return Framework(codes_as_rows, blocks, [code.id for code in omitted])
