"""Topic tables: topics, segment topics, topic x code overlap, and topics per case, attribute
and time; with candidate new codes (topics no code covers) and example quotes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook

TIME_KEYS = ("wave", "date", "year")


@dataclass
class TopicTables:
    """Everything the topics step writes (all small: topics x something).

    Attributes:
        topics: topic_id, label, size, top_terms, best_code, best_share, candidate_new_code,
            example_quotes.
        segment_topics: segment_id, document_id, case_id, topic_id.
        topic_by_code: Segments per topic (rows) tagged with each code (columns).
        case_by_topic: Segments per case (rows) and topic (columns).
        by_attribute: Attribute name -> attribute value x topic counts.
        over_time: Wave/date/year value x topic counts, when documents carry one (else None).
        time_key: Which of wave/date/year ``over_time`` uses.
    """

    topics: pd.DataFrame
    segment_topics: pd.DataFrame
    topic_by_code: pd.DataFrame
    case_by_topic: pd.DataFrame
    by_attribute: dict[str, pd.DataFrame] = field(default_factory=dict)
    over_time: pd.DataFrame | None = None
    time_key: str | None = None


def _examples(texts: list[str], embeddings: np.ndarray, members: np.ndarray, n: int = 2,
              max_chars: int = 240) -> str:
    """The segments closest to the topic's centroid, shortened, joined with ' | '."""
    centroid = embeddings[members].mean(axis=0)
    order = members[np.argsort(-(embeddings[members] @ centroid), kind="stable")][:n]
    return " | ".join(texts[i][:max_chars] + ("…" if len(texts[i]) > max_chars else "") for i in order)


def topic_tables(segments: pd.DataFrame, topics: list[int], embeddings: np.ndarray, info: pd.DataFrame,
                 tags: pd.DataFrame, cases: pd.DataFrame, documents: pd.DataFrame | None = None,
                 codebook: Codebook | None = None, uncovered_share: float = 0.2) -> TopicTables:
    """Relate topics to codes, cases, attributes and time.

    Args:
        segments: The store's segments frame (segment_id, document_id, case_id, text, ...), in
            the order of ``topics`` and ``embeddings``.
        topics: Topic id per segment.
        embeddings: Segment vectors (for example quotes nearest each topic's centre).
        info: ``TopicResult.info``.
        tags: The store's tags frame (segment_id, code_id, ...).
        cases: Case attributes (case_id + one column per attribute).
        documents: The store's documents frame (document_id, meta), for wave/date/year.
        codebook: Orders the code columns.
        uncovered_share: Topics whose best code tags less than this share are candidate codes.
    """
    seg = segments[["segment_id", "document_id", "case_id"]].copy()
    seg["topic_id"] = list(topics)
    texts = segments["text"].tolist()
    code_ids = [c.id for c in codebook.codes] if codebook is not None else sorted(set(tags.get("code_id", [])))
    tagged = tags[["segment_id", "code_id"]].drop_duplicates() if not tags.empty else pd.DataFrame(
        columns=["segment_id", "code_id"])
    joined = seg.merge(tagged, on="segment_id", how="inner")
    topic_ids = sorted(set(topics))
    by_code = (pd.crosstab(joined["topic_id"], joined["code_id"]) if not joined.empty
               else pd.DataFrame(index=topic_ids))
    by_code = by_code.reindex(index=topic_ids, columns=code_ids, fill_value=0)
    by_code.index.name = "topic_id"
    sizes = seg.groupby("topic_id").size()
    rows = []
    for topic_id in topic_ids:
        counts = by_code.loc[topic_id]
        best = str(counts.idxmax()) if counts.sum() else ""
        share = float(counts.max() / sizes[topic_id]) if counts.sum() else 0.0
        members = np.flatnonzero(seg["topic_id"].to_numpy() == topic_id)
        rows.append(dict(topic_id=topic_id, best_code=best, best_share=round(share, 3),
                         candidate_new_code=bool(topic_id != -1 and share < uncovered_share),
                         example_quotes=_examples(texts, embeddings, members)))
    topics_table = info.merge(pd.DataFrame(rows), on="topic_id", how="left")
    case_by_topic = pd.crosstab(seg["case_id"], seg["topic_id"])
    by_attribute: dict[str, pd.DataFrame] = {}
    case_attrs = cases.set_index("case_id") if not cases.empty else pd.DataFrame()
    for column in case_attrs.columns:
        values = seg["case_id"].map(case_attrs[column])
        if values.notna().any():
            by_attribute[str(column)] = pd.crosstab(values.fillna("(none)"), seg["topic_id"])
    over_time, time_key = None, None
    meta = {} if documents is None or documents.empty else dict(zip(documents["document_id"], documents["meta"]))
    for key in TIME_KEYS:
        values = seg["document_id"].map(lambda d, k=key: (meta.get(d) or {}).get(k))
        if values.isna().all() and column_present(case_attrs, key):
            values = seg["case_id"].map(case_attrs[key])
        if values.notna().any():
            over_time, time_key = pd.crosstab(values.fillna("(none)").astype(str), seg["topic_id"]), key
            over_time.index.name = key
            break
    return TopicTables(topics_table, seg, by_code.reset_index(), case_by_topic, by_attribute, over_time, time_key)


def column_present(frame: pd.DataFrame, column: str) -> bool:
    return not frame.empty and column in frame.columns


def write_topic_tables(tables: TopicTables, out: Path) -> dict[str, Path]:
    """Write the tables as CSV under ``out/topics/``; returns name -> path."""
    folder = out / "topics"
    folder.mkdir(parents=True, exist_ok=True)
    written = {"topics": folder / "topics.csv", "segment_topics": folder / "segment_topics.csv",
               "topic_by_code": folder / "topic_by_code.csv", "case_by_topic": folder / "case_by_topic.csv"}
    tables.topics.to_csv(written["topics"], index=False)
    tables.segment_topics[["segment_id", "topic_id", "document_id", "case_id"]].to_csv(
        written["segment_topics"], index=False)
    tables.topic_by_code.to_csv(written["topic_by_code"], index=False)
    tables.case_by_topic.to_csv(written["case_by_topic"])
    for name, frame in tables.by_attribute.items():
        path = folder / f"{name}_by_topic.csv"
        frame.to_csv(path)
        written[f"{name}_by_topic"] = path
    if tables.over_time is not None:
        path = folder / "time_by_topic.csv"
        tables.over_time.to_csv(path)
        written["time_by_topic"] = path
    return written
