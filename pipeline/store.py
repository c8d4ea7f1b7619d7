"""The study store: documents, cases, segments, codebook versions, tags and runs in one database.

SQLite by default (one file per study, zero set-up); any SQLAlchemy URL works, so a team can
point Kwali at PostgreSQL. Every write that belongs together (a document with its segments; a
document's tags) is one transaction, so a run killed at any moment leaves the store consistent
and the next run picks up where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)

from pipeline.codebook import Codebook
from pipeline.models import Decision, Document, Segment, SkippedFile, Tag, Turn, Unit

# The tables live in pipeline.schema; they are re-exported here because callers (and tests) use
# ``pipeline.store.segments`` and friends alongside the Store.
from pipeline.schema import (  # noqa: E402,F401
    assignments,
    cases,
    codebooks,
    decisions,
    decisions_version_index,
    documents,
    embeddings,
    metadata,
    run_documents,
    runs,
    segments,
    settings,
    tags,
    users,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the report read while a run writes; foreign keys make deletes cascade.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """Access to one study's database.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///reports/demo/kwali.sqlite`` or
            ``postgresql+psycopg://user@host/db``.
        **engine_options: Passed to ``sqlalchemy.create_engine`` (pool sizes for a server).
    """

    def __init__(self, url: str, **engine_options: Any):
        self.url = url
        self.engine: Engine = create_engine(url, **engine_options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        decisions_version_index.create(self.engine, checkfirst=True)  # stores made before the index

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()

    # --- documents and segments ------------------------------------------------------------

    def document_state(self, ids: Sequence[str] | None = None) -> dict[str, tuple[str, str, str | None]]:
        """Map document id -> (sha256, segmented_with, tagged_with) for skip decisions.

        Args:
            ids: Only these documents (and only those stored); default: every document.
        """
        query = select(documents.c.id, documents.c.sha256, documents.c.segmented_with, documents.c.tagged_with)
        if ids is not None:
            query = query.where(documents.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return {r.id: (r.sha256, r.segmented_with, r.tagged_with) for r in conn.execute(query)}

    def save_document(self, document: Document, segment_list: Sequence[Segment], fingerprint: str) -> None:
        """Insert or replace a document with its segments (and drop its old tags), atomically."""
        turns = [asdict(t) for t in document.turns]
        row = dict(case_id=document.case_id, sha256=document.sha256, text=document.text, turns=turns,
                   meta=document.metadata, n_words=document.n_words, segmented_with=fingerprint,
                   tagged_with=None, updated_at=_now())
        with self.engine.begin() as conn:
            exists = conn.execute(select(documents.c.id).where(documents.c.id == document.id)).first()
            if exists:
                seg_ids = select(segments.c.id).where(segments.c.document_id == document.id)
                conn.execute(delete(tags).where(tags.c.segment_id.in_(seg_ids)))
                conn.execute(delete(segments).where(segments.c.document_id == document.id))
                conn.execute(update(documents).where(documents.c.id == document.id).values(**row))
            else:
                conn.execute(insert(documents).values(id=document.id, **row))
            if segment_list:
                conn.execute(insert(segments), [
                    dict(id=s.id, document_id=s.document_id, case_id=s.case_id, idx=s.index, unit=s.unit.value,
                         start=s.start, end=s.end, text=s.text, speaker=s.speaker, timestamp=s.timestamp,
                         n_words=s.n_words)
                    for s in segment_list
                ])

    def load_document(self, document_id: str) -> Document:
        """Read one document back."""
        with self.engine.connect() as conn:
            r = conn.execute(select(documents).where(documents.c.id == document_id)).one()
        return Document(id=r.id, case_id=r.case_id, text=r.text, turns=[Turn(**t) for t in r.turns],
                        sha256=r.sha256, metadata=dict(r.meta))

    def iter_segments(self, document_ids: Iterable[str]) -> Iterator[Segment]:
        """Segments of the given documents, in document order, one document at a time."""
        for document_id in document_ids:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(segments).where(segments.c.document_id == document_id).order_by(segments.c.idx)
                ).all()
            for r in rows:
                yield Segment(id=r.id, document_id=r.document_id, case_id=r.case_id, index=r.idx, start=r.start,
                              end=r.end, text=r.text, speaker=r.speaker, timestamp=r.timestamp, unit=Unit(r.unit))

    def save_tags(self, document_id: str, tag_list: Sequence[Tag], codebook_sha256: str, fingerprint: str) -> None:
        """Replace a document's tags for this codebook and mark it tagged, atomically."""
        with self.engine.begin() as conn:
            seg_ids = select(segments.c.id).where(segments.c.document_id == document_id)
            conn.execute(delete(tags).where(tags.c.segment_id.in_(seg_ids),
                                            tags.c.codebook_sha256 == codebook_sha256))
            if tag_list:
                conn.execute(insert(tags), [
                    dict(segment_id=t.segment_id, code_id=t.code_id, method=t.method,
                         codebook_sha256=codebook_sha256, theme_id=t.theme_id, score=t.score,
                         polarity=t.polarity.value, evidence=[asdict(e) for e in t.evidence])
                    for t in tag_list
                ])
            conn.execute(update(documents).where(documents.c.id == document_id).values(tagged_with=fingerprint))

    # --- users and decisions -------------------------------------------------------------

    def ensure_user(self, name: str, role: str, password_hash: str | None = None) -> None:
        """Create a user if missing (roles: lead, coder, machine, imported)."""
        with self.engine.begin() as conn:
            if not conn.execute(select(users.c.name).where(users.c.name == name)).first():
                conn.execute(insert(users).values(name=name, role=role, password_hash=password_hash,
                                                  created_at=_now()))

    def add_decisions(self, decision_list: Sequence[Decision]) -> int:
        """Store decisions in one transaction; each supersedes the coder's current one.

        Returns:
            Number of decisions stored.
        """
        with self.engine.begin() as conn:
            for d in decision_list:
                current = conn.execute(
                    select(decisions.c.id, decisions.c.version).where(
                        decisions.c.segment_id == d.segment_id, decisions.c.code_id == d.code_id,
                        decisions.c.coder == d.coder, decisions.c.superseded_by.is_(None))
                ).first()
                new_id = conn.execute(insert(decisions).values(
                    segment_id=d.segment_id, code_id=d.code_id, coder=d.coder, verdict=d.verdict.value,
                    polarity=d.polarity.value if d.polarity else None, memo=d.memo, source=d.source,
                    created_at=_now(), version=(current.version + 1) if current else 1,
                )).inserted_primary_key[0]
                if current:
                    conn.execute(update(decisions).where(decisions.c.id == current.id).values(superseded_by=new_id))
        return len(decision_list)

    def decisions_frame(self, document_ids: Sequence[str] | None = None, current_only: bool = True) -> pd.DataFrame:
        """Decisions (by default only each coder's current one) with their segment's document and case."""
        cols = [decisions.c.id, decisions.c.segment_id, decisions.c.code_id, decisions.c.coder, decisions.c.verdict,
                decisions.c.polarity, decisions.c.memo, decisions.c.source, decisions.c.created_at,
                decisions.c.version, decisions.c.superseded_by, segments.c.document_id, segments.c.case_id]
        query = select(*cols).join(segments, segments.c.id == decisions.c.segment_id)
        if current_only:
            query = query.where(decisions.c.superseded_by.is_(None))
        if document_ids is not None:
            query = query.where(segments.c.document_id.in_(list(document_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(decisions.c.id)).all()
        return _frame(rows, [c.name for c in cols])

    # --- embedding cache -----------------------------------------------------------------

    def get_embeddings(self, model: str, keys: Sequence[str]) -> dict[str, Any]:
        """Cached vectors (float32 numpy arrays) of ``model`` for those of ``keys`` it holds."""
        import numpy as np

        found: dict[str, Any] = {}
        keys = list(keys)
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
                rows = conn.execute(select(embeddings.c.text_sha, embeddings.c.vector).where(
                    embeddings.c.model == model, embeddings.c.text_sha.in_(keys[i:i + 500])))
                for r in rows:
                    found[r.text_sha] = np.frombuffer(r.vector, dtype="<f4")
        return found

    def put_embeddings(self, model: str, vectors: dict[str, Any]) -> None:
        """Store vectors of ``model`` by key (existing keys are left as they are)."""
        import numpy as np

        if not vectors:
            return
        with self.engine.begin() as conn:
            known = set()
            keys = list(vectors)
            for i in range(0, len(keys), 500):
                known.update(conn.execute(select(embeddings.c.text_sha).where(
                    embeddings.c.model == model, embeddings.c.text_sha.in_(keys[i:i + 500]))).scalars())
            rows = [dict(model=model, text_sha=k, dim=int(v.shape[-1]),
                         vector=np.asarray(v, dtype="<f4").tobytes()) for k, v in vectors.items() if k not in known]
            if rows:
                conn.execute(insert(embeddings), rows)

    def latest_codebook(self) -> tuple[str, Codebook] | None:
        """Hash and content of the codebook of the latest run (else the newest stored one)."""
        return latest_codebook(self.engine)

    # --- cases and codebooks ---------------------------------------------------------------

    def save_cases(self, attributes: dict[str, dict[str, str]]) -> None:
        """Insert or update case attributes."""
        with self.engine.begin() as conn:
            for case_id, attrs in attributes.items():
                if conn.execute(select(cases.c.id).where(cases.c.id == case_id)).first():
                    conn.execute(update(cases).where(cases.c.id == case_id).values(attributes=attrs))
                else:
                    conn.execute(insert(cases).values(id=case_id, attributes=attrs))

    def save_codebook(self, codebook: Codebook) -> str:
        """Store a codebook version (once per content hash) and return its hash."""
        sha = codebook.sha256()
        with self.engine.begin() as conn:
            if not conn.execute(select(codebooks.c.sha256).where(codebooks.c.sha256 == sha)).first():
                conn.execute(insert(codebooks).values(sha256=sha, id=codebook.id, version=codebook.version,
                                                      label=codebook.label,
                                                      content=codebook.model_dump(mode="json"),
                                                      created_at=_now()))
        return sha

    # --- runs ------------------------------------------------------------------------------

    def start_run(self, run_id: str, config: dict[str, Any], codebook_sha256: str, fingerprint: str,
                  version: str) -> None:
        """Record the start of a run."""
        with self.engine.begin() as conn:
            conn.execute(insert(runs).values(id=run_id, started_at=_now(), status="running", config=config,
                                             codebook_sha256=codebook_sha256, fingerprint=fingerprint,
                                             skipped=[], kwali_version=version))

    def add_run_documents(self, run_id: str, document_ids: Iterable[str]) -> None:
        """Remember which documents belong to a run (what its matrices and report cover)."""
        ids = sorted(set(document_ids))
        with self.engine.begin() as conn:
            known = set(conn.execute(select(run_documents.c.document_id)
                                     .where(run_documents.c.run_id == run_id)).scalars())
            new = [dict(run_id=run_id, document_id=d) for d in ids if d not in known]
            if new:
                conn.execute(insert(run_documents), new)

    def finish_run(self, run_id: str, status: str, skipped: Sequence[SkippedFile]) -> None:
        """Mark a run completed or failed and keep its list of skipped files."""
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished_at=_now(), status=status, skipped=[asdict(s) for s in skipped]))

    def run_info(self, run_id: str) -> dict[str, Any]:
        """A run's row as a dict."""
        with self.engine.connect() as conn:
            return dict(conn.execute(select(runs).where(runs.c.id == run_id)).one()._mapping)

    def run_document_ids(self, run_id: str) -> list[str]:
        """Ids of the documents a run covers, sorted."""
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(run_documents.c.document_id)
                                       .where(run_documents.c.run_id == run_id)).scalars())

    # --- frames for analysis ---------------------------------------------------------------

    def documents_frame(self, document_ids: Sequence[str]) -> pd.DataFrame:
        """One row per document: id, case_id, format, n_words, meta (no full text)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(documents.c.id, documents.c.case_id, documents.c.n_words, documents.c.meta)
                                .where(documents.c.id.in_(list(document_ids))).order_by(documents.c.id)).all()
        return pd.DataFrame([dict(document_id=r.id, case_id=r.case_id, n_words=r.n_words,
                                  format=(r.meta or {}).get("format", ""), meta=r.meta) for r in rows],
                            columns=["document_id", "case_id", "n_words", "format", "meta"])

    def segments_frame(self, document_ids: Sequence[str]) -> pd.DataFrame:
        """Segments of the given documents in the analysis contract's columns."""
        cols = [segments.c.id.label("segment_id"), segments.c.document_id, segments.c.case_id, segments.c.speaker,
                segments.c.start, segments.c.end, segments.c.text, segments.c.n_words, segments.c.idx,
                segments.c.timestamp]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).where(segments.c.document_id.in_(list(document_ids)))
                                .order_by(segments.c.document_id, segments.c.idx)).all()
        return _frame(rows, [c.name for c in cols])

    def tags_frame(self, document_ids: Sequence[str], codebook_sha256: str) -> pd.DataFrame:
        """Tags of the given documents under one codebook version."""
        cols = [tags.c.segment_id, tags.c.code_id, tags.c.theme_id, tags.c.score, tags.c.method,
                tags.c.polarity, tags.c.evidence]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*cols).join(segments, segments.c.id == tags.c.segment_id)
                .where(segments.c.document_id.in_(list(document_ids)), tags.c.codebook_sha256 == codebook_sha256)
                .order_by(segments.c.document_id, segments.c.idx, tags.c.code_id)
            ).all()
        return _frame(rows, [c.name for c in cols])

    def cases_frame(self, case_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Case attributes as columns, one row per case."""
        query = select(cases)
        if case_ids is not None:
            query = query.where(cases.c.id.in_(list(case_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(cases.c.id)).all()
        frame = pd.DataFrame([{"case_id": r.id, **(r.attributes or {})} for r in rows])
        return frame if not frame.empty else pd.DataFrame(columns=["case_id"])


def dumps(value: Any) -> str:
    """JSON for store-adjacent files, keeping Dutch characters readable."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def latest_codebook(engine: Engine) -> tuple[str, Codebook] | None:
    """Hash and content of the codebook of a store's latest run (else the newest stored one).

    A function of the engine as well as a ``Store`` method, for readers that hold only an engine.
    """
    with engine.connect() as conn:
        sha = conn.execute(select(runs.c.codebook_sha256).where(runs.c.codebook_sha256.is_not(None))
                           .order_by(runs.c.started_at.desc())).scalars().first()
        query = select(codebooks.c.sha256, codebooks.c.content)
        query = query.where(codebooks.c.sha256 == sha) if sha else query.order_by(codebooks.c.created_at.desc())
        row = conn.execute(query).first()
    return (row.sha256, Codebook.model_validate(row.content)) if row else None


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """Result rows as a DataFrame: built from plain tuples (a dict per row was ~3x slower)."""
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)

