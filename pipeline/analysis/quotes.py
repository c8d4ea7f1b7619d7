"""The strongest quotes per case and code, and safe highlighting of their evidence.

A quote is a whole segment, so its document offsets point at exactly the text shown; evidence
offsets are relative to that text. Highlighting escapes the text piece by piece between the
evidence offsets, so an offset never lands inside an escape sequence and no text from an
interview can turn into markup.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, Literal

import pandas as pd

from pipeline.analysis.matrices import CASE_ID, polarity_values, validate_segments, validate_tags
from pipeline.codebook import Codebook
from pipeline.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Quote:
    """One segment shown as evidence for a code in a case.

    Attributes:
        case_id: Case of the segment.
        code_id: The code the quote illustrates.
        theme_id: Theme of that code.
        segment_id: The segment, so the quote can be traced to the store and the matrices.
        document_id: Source document.
        speaker: Speaker of the segment, if known.
        start: Offset of the segment in the document's normalised text.
        end: End offset (exclusive).
        text: The segment's text (``document.text[start:end]``).
        score: Score of the strongest tag for this segment and code.
        polarity: "positive" or "negative", from that tag.
        evidence: That tag's evidence dicts (text, start, end, pattern, negated_by), offsets
            relative to ``text``.
        methods: Every method that proposed this code for this segment.
        rank: 1 for the strongest quote of the case and code, 2 for the next...
    """

    case_id: str
    code_id: str
    theme_id: str
    segment_id: str
    document_id: str
    speaker: str | None
    start: int
    end: int
    text: str
    score: float
    polarity: str
    evidence: tuple[dict[str, Any], ...]
    methods: tuple[str, ...] = ()
    rank: int = 1


def evidence_list(value: Any) -> list[dict[str, Any]]:
    """Normalise one tag's evidence to a list of dicts.

    Accepts a list of dicts or ``Evidence`` records, a JSON string of such a list (as a store
    may return it), or nothing (None/NaN).

    Raises:
        InvalidInput: The value is none of these.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise InvalidInput(f"tag evidence is not valid JSON: {value[:80]!r}") from None
        if isinstance(value, list) and all(type(item) is dict for item in value):
            return value  # freshly parsed: nobody else holds these dicts, no copy needed
    items = []
    for item in list(value):
        if is_dataclass(item) and not isinstance(item, type):
            items.append(asdict(item))
        elif isinstance(item, Mapping):
            items.append(dict(item))
        else:
            raise InvalidInput(f"tag evidence items must be mappings with text/start/end, got {item!r}")
    return items


def _evidence_count(value: Any) -> int:
    if isinstance(value, (list, tuple)):
        return len(value)
    return len(evidence_list(value))


def _optional_text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def strongest_quotes(segments: pd.DataFrame, tags: pd.DataFrame, per_code: int = 3,
                     codebook: Codebook | None = None) -> list[Quote]:
    """Pick, per (case, code), the ``per_code`` highest-scoring segments.

    Several tags on one (segment, code) make one candidate, represented by its best tag
    (highest score, then most evidence). Candidates are ranked by score, then amount of
    evidence (more is easier to check), then length (shorter reads better in a report), then
    document order (document id, offset), so the choice is the same on every run.

    Args:
        segments: Segments (``SEGMENT_COLUMNS``).
        tags: Tags (``TAG_COLUMNS``); tags of segments not in ``segments`` are ignored.
        per_code: Quotes kept per case and code.
        codebook: When given, codes come out in codebook order and tags of codes outside it are
            left out; otherwise codes are ordered by id.

    Returns:
        Quotes ordered by case id, code, then rank.
    """
    validate_segments(segments)
    validate_tags(tags)
    if per_code < 1:
        raise ValueError(f"per_code must be at least 1, got {per_code}")
    code_order = {code.id: i for i, code in enumerate(codebook.codes)} if codebook is not None else None
    # Only the evidence count ranks candidates; the evidence itself is normalised for the chosen
    # quotes alone (a tenth of the tags), which halves the time of this function.
    candidates = tags.assign(polarity=polarity_values(tags), n_evidence=tags["evidence"].map(_evidence_count))
    if codebook is not None:
        # As in the matrices, the codebook (not the tag) decides which theme a code is in.
        candidates = candidates[candidates["code_id"].isin(code_order)]
        candidates = candidates.assign(theme_id=candidates["code_id"].map(codebook.theme_of()))
    if candidates.empty:
        return []
    # Plain dict over the columns: a groupby with a Python aggregate took ~0.1 s per report.
    by_pair: dict[tuple[Any, Any], set[str]] = {}
    for pair in zip(candidates["segment_id"], candidates["code_id"], candidates["method"].map(str)):
        by_pair.setdefault(pair[:2], set()).add(pair[2])
    methods = pd.DataFrame([(seg, code, tuple(sorted(found))) for (seg, code), found in by_pair.items()],
                           columns=["segment_id", "code_id", "methods"])
    best = (candidates.sort_values(["score", "n_evidence"], ascending=[False, False], kind="stable")
            .drop_duplicates(["segment_id", "code_id"], keep="first")
            .merge(methods, on=["segment_id", "code_id"]))
    segs = segments.drop_duplicates("segment_id")[
        ["segment_id", "document_id", CASE_ID, "speaker", "start", "end", "text"]]
    ranked = best.merge(segs, on="segment_id", how="inner")
    ranked = ranked.assign(
        length=ranked["text"].str.len(),
        code_rank=ranked["code_id"].map(code_order) if code_order is not None else ranked["code_id"],
    ).sort_values(
        [CASE_ID, "code_rank", "score", "n_evidence", "length", "document_id", "start"],
        ascending=[True, True, False, False, True, True, True], kind="stable",
    )
    ranked = ranked.assign(rank=ranked.groupby([CASE_ID, "code_id"]).cumcount() + 1)
    ranked = ranked[ranked["rank"] <= per_code]
    columns = (CASE_ID, "code_id", "theme_id", "segment_id", "document_id", "speaker", "start", "end", "text",
               "score", "polarity", "evidence", "methods", "rank")
    # Column lists zipped, not to_dict("records"): that boxes every cell and took a third of the time.
    return [
        Quote(case_id=str(case), code_id=str(code), theme_id=str(theme), segment_id=str(segment),
              document_id=str(document), speaker=_optional_text(speaker), start=int(start), end=int(end),
              text=str(text), score=float(score), polarity=str(polarity), evidence=tuple(evidence_list(evidence)),
              methods=methods, rank=int(rank))
        for (case, code, theme, segment, document, speaker, start, end, text, score, polarity, evidence, methods,
             rank) in zip(*(ranked[column].tolist() for column in columns))
    ]


# --- highlighting ----------------------------------------------------------------------------

# CommonMark lets a backslash escape any ASCII punctuation; these are the characters that could
# start emphasis, a link, raw HTML, an entity, a heading or a table cell inside a quote.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&#~])")


def escape_markdown(text: str) -> str:
    """Escape text so that Markdown (including raw HTML in it) shows it literally."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def evidence_spans(text: str, evidence: Iterable[Mapping[str, Any] | tuple[int, int]]) -> list[tuple[int, int]]:
    """Clean, merged (start, end) spans of ``evidence`` within ``text``.

    Spans are clipped to the text and trimmed of surrounding whitespace (Markdown bold must hug
    its words). An evidence dict whose ``text`` differs from ``text[start:end]`` has a wrong
    offset and is skipped rather than highlighting the wrong words. Overlapping or touching
    spans are merged, so marks never nest.
    """
    spans = []
    for item in evidence:
        if isinstance(item, Mapping):
            start, end = item.get("start"), item.get("end")
            if start is None or end is None:
                continue
            start, end = int(start), int(end)
            expected = item.get("text")
            if expected is not None and text[start:end] != expected:
                continue
        else:
            start, end = (int(v) for v in item)
        start, end = max(0, start), min(len(text), end)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark_evidence(text: str, evidence: Iterable[Mapping[str, Any] | tuple[int, int]],
                  style: Literal["html", "markdown"] = "html") -> str:
    """Escape ``text`` and mark its evidence spans.

    Args:
        text: A quote's text.
        evidence: Evidence dicts (offsets relative to ``text``) or (start, end) pairs.
        style: "html" (``<mark>`` around evidence, text HTML-escaped) or "markdown" (``**bold**``,
            text Markdown-escaped).

    Returns:
        Safe markup: HTML to insert as-is, or Markdown.
    """
    if style == "html":
        escape, opening, closing = (lambda s: html.escape(s, quote=True)), "<mark>", "</mark>"
    elif style == "markdown":
        escape, opening, closing = escape_markdown, "**", "**"
    else:
        raise ValueError(f"style must be 'html' or 'markdown', got {style!r}")
    pieces = []
    position = 0
    for start, end in evidence_spans(text, evidence):
        pieces += [escape(text[position:start]), opening, escape(text[start:end]), closing]
        position = end
    pieces.append(escape(text[position:]))
    return "".join(pieces)
