"""What a report shows: ``ReportData`` and the document overview rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from pipeline import __version__
from pipeline.analysis.matrices import Matrices
from pipeline.analysis.code_source import CodeSource
from pipeline.analysis.quotes import Quote
from pipeline.codebook import Codebook
from pipeline.models import SkippedFile


@dataclass(frozen=True, slots=True)
class DocumentOverview:
    """One row of the report's document table.

    Attributes:
        document_id: Document id (path relative to the corpus folder).
        case_id: Case of the document.
        format: Source format ("txt", "docx", "vtt", ...).
        n_words: Words in the normalised text.
        n_segments: Segments cut from it.
        speakers: Distinct speaker labels in order of first appearance.
    """

    document_id: str
    case_id: str
    format: str
    n_words: int
    n_segments: int
    speakers: tuple[str, ...] = ()


def document_overview(documents: pd.DataFrame, segments: pd.DataFrame) -> list[DocumentOverview]:
    """Build the document table from the store's documents and segments frames.

    Args:
        documents: ``document_id``, ``case_id``, ``format``, ``n_words`` (one row per document).
        segments: Segments (the analysis contract), for segment counts and speakers.

    Returns:
        One overview per document, in the order of ``documents``.
    """
    rows = []
    by_document = {key: group for key, group in segments.groupby("document_id", sort=False)}
    for doc in documents.to_dict("records"):
        segs = by_document.get(doc["document_id"])
        speakers: tuple[str, ...] = ()
        if segs is not None:
            ordered = segs.sort_values("start")["speaker"].dropna().astype(str)
            speakers = tuple(dict.fromkeys(ordered))
        rows.append(DocumentOverview(
            document_id=str(doc["document_id"]), case_id=str(doc["case_id"]), format=str(doc.get("format") or ""),
            n_words=int(doc["n_words"]), n_segments=0 if segs is None else len(segs), speakers=speakers))
    return rows


def as_overview(row: DocumentOverview | Mapping[str, Any]) -> DocumentOverview:
    """Accept a document row as ``DocumentOverview`` or as a mapping.

    A mapping may use the short keys ``id`` and ``case`` or the long ``document_id`` and
    ``case_id``; ``format`` and ``speakers`` are optional.
    """
    if isinstance(row, DocumentOverview):
        return row
    return DocumentOverview(
        document_id=str(row["document_id"] if "document_id" in row else row["id"]),
        case_id=str(row["case_id"] if "case_id" in row else row["case"]),
        format=str(row.get("format") or ""), n_words=int(row["n_words"]), n_segments=int(row["n_segments"]),
        speakers=tuple(str(s) for s in row.get("speakers") or ()),
    )


@dataclass(kw_only=True)
class ReportData:
    """Everything a report shows; assembled by the flow from the store and the run.

    Attributes:
        study: Study name (title of the report).
        codebook: The codebook used.
        matrices: Matrices of the run (``build_matrices``).
        quotes: Strongest quotes (``strongest_quotes``).
        documents: Document table rows, as ``DocumentOverview`` or mappings (see
            ``as_overview``).
        cases: ``case_id`` plus attribute columns (may be empty).
        generated_at: When the report was made.
        kwali_version: Version of Kwali that made it.
        config: The run's full configuration (``RunConfig.model_dump(mode="json")``).
        codebook_sha256: Content hash of the codebook; computed when left empty.
        skipped: Source files that were not used, with reasons.
        uncased: Ids of documents without a row in cases.csv (each became its own case).
        methods: Further facts for the methods appendix (taggers, NLP model, unit...), shown
            as a key/value list.
        crosstabs: Attribute -> measure ("segments", "share") -> value x theme, one per case
            attribute; default: the one crosstab in ``matrices``.
        code_source: Which codes the numbers count (machine proposals or human decisions).
        decision_counts: Current human decisions per coder (``agreement.decision_counts``);
            None or empty when there are none.
        agreement: Agreement per code and coder pair (``agreement.code_agreement``); shown
            when decisions by two or more coders exist.
        topics: Topic model output (one row per topic, any columns); the topics chapter is
            shown only when this is given and not empty.
    """

    study: str
    codebook: Codebook
    matrices: Matrices
    quotes: list[Quote] = field(default_factory=list)
    documents: list[DocumentOverview | Mapping[str, Any]] = field(default_factory=list)
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)
    generated_at: datetime | str = field(default_factory=lambda: datetime.now(timezone.utc))
    kwali_version: str = __version__
    config: dict[str, Any] = field(default_factory=dict)
    codebook_sha256: str = ""
    skipped: list[SkippedFile] = field(default_factory=list)
    uncased: list[str] = field(default_factory=list)
    methods: dict[str, Any] = field(default_factory=dict)
    crosstabs: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    code_source: CodeSource = field(default_factory=lambda: CodeSource("machine"))
    decision_counts: pd.DataFrame | None = None
    agreement: pd.DataFrame | None = None
    topics: pd.DataFrame | None = None
    case_by_topic: pd.DataFrame | None = None


# --- values for the templates ----------------------------------------------------------------
