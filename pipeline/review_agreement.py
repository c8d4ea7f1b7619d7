"""The lead's agreement and disagreement pages on a large store: narrow reads, counted figures.

Reliability is computed at segment level and only over segments that carry decisions (a segment
nobody reviewed is no unit), so nothing here reads the store's segments or tags wholesale: the
current decisions come as four columns, the machine's tags only for segments with a decision
(through the tags' segment index), and segment texts only for the disagreement rows on the page
shown. The figures are ``pipeline.analysis.reliability_counts``'s, which equal the reference
implementation's (``pipeline.analysis.reliability``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select

from pipeline.analysis import reliability_counts as counted
from pipeline.codebook import Codebook
from pipeline.review import CONSENSUS, REVIEWED
from pipeline.review_store import ReviewStore
from pipeline.schema import decisions, segments, tags

#: Disagreement rows per page.
PER_PAGE = 100


def current_codings(store: ReviewStore) -> pd.DataFrame:
    """Every current decision as segment_id, code_id, coder, verdict (ordered by decision id).

    The same rows as ``Store.decisions_frame()`` (decisions on existing segments), without the
    columns the figures do not need.
    """
    query = (select(decisions.c.segment_id, decisions.c.code_id, decisions.c.coder, decisions.c.verdict)
             .join(segments, segments.c.id == decisions.c.segment_id)
             .where(decisions.c.superseded_by.is_(None)).order_by(decisions.c.id))
    with store.reader.connect() as conn:
        rows = conn.execute(query).all()
    columns = ["segment_id", "code_id", "coder", "verdict"]
    return pd.DataFrame({c: [r[i] for r in rows] for i, c in enumerate(columns)}, columns=columns, dtype=object)


def decided_tags(store: ReviewStore, codebook_sha256: str) -> pd.DataFrame:
    """The machine's tags (segment_id, code_id, score) under one codebook, on segments with a decision."""
    decided = select(decisions.c.segment_id).where(decisions.c.superseded_by.is_(None)).distinct()
    query = (select(tags.c.segment_id, tags.c.code_id, tags.c.score)
             .where(tags.c.segment_id.in_(decided), tags.c.codebook_sha256 == codebook_sha256))
    with store.reader.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame({"segment_id": [r[0] for r in rows], "code_id": [r[1] for r in rows],
                         "score": [float(r[2]) for r in rows]}, columns=["segment_id", "code_id", "score"])


def agreement(store: ReviewStore, codebook_sha256: str | None,
              codebook: Codebook | None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The lead page's tables: between coders, machine vs each coder, and the codes reported.

    Returns:
        (coders table, or empty with fewer than two coders; machine table; decided codes in
        codebook order, then other decided codes sorted).
    """
    frame = current_codings(store)
    codes = [c.id for c in codebook.codes] if codebook else []
    if frame.empty:
        return pd.DataFrame(), pd.DataFrame(), codes
    used = set(frame["code_id"])
    codes += sorted(used - set(codes) - {REVIEWED})
    decided = [c for c in codes if c in used]
    coders = pd.DataFrame()
    names = set(frame["coder"])
    if len(names) - int(CONSENSUS in names) >= 2:
        coders = counted.reliability_table(frame, decided)
    machine_tags = decided_tags(store, codebook_sha256) if codebook_sha256 else \
        pd.DataFrame(columns=["segment_id", "code_id", "score"])
    return coders, counted.machine_vs_coders(frame, machine_tags, decided), decided


@dataclass(frozen=True, slots=True)
class DisagreementPage:
    """One page of the disagreement list.

    Attributes:
        rows: segment_id, code_id, one value per coder, text, document_id, case_id, speaker and
            the current consensus decision (or None).
        coders: Coder columns.
        total: Disagreements in all.
        page: This page's number (1-based, clamped to the pages there are).
        pages: Number of pages (at least 1).
    """

    rows: list[dict[str, Any]]
    coders: list[str]
    total: int
    page: int
    pages: int


def disagreement_page(store: ReviewStore, page: int = 1, per_page: int = PER_PAGE) -> DisagreementPage:
    """The ``page``-th ``per_page`` (segment, code) pairs on which coders differ, in code then segment order."""
    frame = current_codings(store)
    coders = sorted(c for c in set(frame["coder"]) if c != CONSENSUS)
    split = counted.disagreements(frame, coders) if len(coders) >= 2 else pd.DataFrame()
    total = len(split)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    shown = split.iloc[(page - 1) * per_page: page * per_page].to_dict("records") if total else []
    rows: list[dict[str, Any]] = []
    if shown:
        ids = sorted({r["segment_id"] for r in shown})
        with store.reader.connect() as conn:
            texts = {r.id: r for r in conn.execute(
                select(segments.c.id, segments.c.document_id, segments.c.case_id, segments.c.speaker,
                       segments.c.text).where(segments.c.id.in_(ids)))}
        consensus = {(d["segment_id"], d["code_id"]): d for d in store.current_decisions(ids, [CONSENSUS])}
        for row in shown:
            seg = texts[row["segment_id"]]
            rows.append({**row, "text": seg.text, "document_id": seg.document_id, "case_id": seg.case_id,
                         "speaker": seg.speaker, "consensus": consensus.get((row["segment_id"], row["code_id"]))})
    return DisagreementPage(rows, coders, total, page, pages)
