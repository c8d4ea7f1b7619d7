"""What a re-run may reuse from the store, and how to make it reuse nothing.

Incremental runs rest on the store: each document row keeps the sha256 of its source text and
fingerprints of the settings that produced its segments (``segmented_with``) and tags
(``tagged_with``). ``pipeline.run`` skips a document whose hashes match, so an edited transcript
is re-read and re-tagged alone, and a codebook change re-tags without re-reading. This module
adds the three operations orchestration needs on top of that: forget the fingerprints (a
``--fresh`` run), drop documents that failed from a run, and rebuild the plan of the latest run
so that analyse or report can be redone without touching the documents.
"""

from __future__ import annotations

from sqlalchemy import delete, desc, select, update

from pipeline.config import RunConfig
from pipeline.errors import KwaliError
from pipeline.models import SkippedFile
from pipeline.run import RunPlan, open_store, segment_fingerprint
from pipeline.store import documents, run_documents, runs


def forget_done_work(config: RunConfig) -> int:
    """Clear every document's fingerprints so the next run re-reads and re-tags everything.

    Documents, segments, tags and review decisions stay in the store (segment ids are stable,
    so decisions keep pointing at the same text); only the "already done" marks go.

    Returns:
        Number of documents that will be processed again.
    """
    store = open_store(config)
    try:
        with store.engine.begin() as conn:
            result = conn.execute(update(documents).values(segmented_with="", tagged_with=None))
            return result.rowcount or 0
    finally:
        store.close()


def drop_run_documents(config: RunConfig, run_id: str, document_ids: list[str]) -> None:
    """Take documents out of a run, so its matrices and report do not count them.

    Used for documents whose tagging failed: they are listed as skipped instead of showing up
    untagged as if nothing had been found in them.
    """
    if not document_ids:
        return
    store = open_store(config)
    try:
        with store.engine.begin() as conn:
            conn.execute(delete(run_documents).where(run_documents.c.run_id == run_id,
                                                     run_documents.c.document_id.in_(document_ids)))
    finally:
        store.close()


def latest_plan(config: RunConfig) -> tuple[RunPlan, list[SkippedFile]]:
    """The plan of the most recent run in the config's store that has documents.

    Raises:
        KwaliError: The store holds no run yet.
    """
    store = open_store(config)
    try:
        with store.engine.connect() as conn:
            with_docs = select(run_documents.c.run_id).distinct()
            row = conn.execute(select(runs).where(runs.c.id.in_(with_docs))
                               .order_by(desc(runs.c.started_at)).limit(1)).first()
    finally:
        store.close()
    if row is None:
        raise KwaliError(f"{config.resolved_store_url()}: no run with documents yet; run the full-run "
                         "or the ingest flow on this study first")
    skipped = [SkippedFile(s["path"], s["reason"]) for s in (row.skipped or [])]
    plan = RunPlan(row.id, [], skipped, row.codebook_sha256, row.fingerprint, segment_fingerprint(config))
    return plan, skipped
