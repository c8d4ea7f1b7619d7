"""What a re-run may reuse from the store, and how to make it reuse nothing.

Incremental runs rest on the store: each document row keeps the sha256 of its source text and
fingerprints of the settings that produced its segments (``segmented_with``) and tags
(``tagged_with``). ``pipeline.run`` skips a document whose hashes match, so an edited transcript
is re-read and re-tagged alone, and a codebook change re-tags without re-reading. This module
adds the operations orchestration needs on top of that: find, in one batch, the files and
documents a re-run can reuse (so unchanged documents cost no task of their own), forget the
fingerprints (a ``--fresh`` run), drop documents that failed from a run, and rebuild the plan of
the latest run so that analyse or report can be redone without touching the documents.
"""

from __future__ import annotations

import shutil

from sqlalchemy import delete, desc, select, update

from pipeline.config import RunConfig
from pipeline.errors import KwaliError
from pipeline.ingest import SourceFile
from pipeline.models import SkippedFile
from pipeline.report.figure_cache import CACHE_DIR as FIGURE_CACHE_DIR
from pipeline.report.quote_chapter import CACHE_DIR as QUOTE_CACHE_DIR
from pipeline.run import IngestOutcome, RunPlan, open_store, segment_fingerprint
from pipeline.store import documents, run_documents, runs


def reuse_unchanged(config: RunConfig, plan: RunPlan) -> tuple[list[IngestOutcome], list[SourceFile]]:
    """Split the plan's sources into those the store already holds unchanged and those to read.

    One look at the store decides for every file, by the same rule as ``run.ingest_source``
    (same file hash, same segment settings); the unchanged files' documents are added to the
    run in one transaction. Only the rest need an ingest step of their own.

    Returns:
        Outcomes (``reused=True``) of the unchanged files, and the files still to ingest, both
        in the plan's order.
    """
    store = open_store(config)
    try:
        state = store.document_state()
        reused, todo = [], []
        for source in plan.sources:
            known = state.get(source.rel)
            if known and known[0] == source.sha256 and known[1] == plan.segment_fingerprint:
                reused.append(IngestOutcome(source=source.rel, document_ids=[source.rel], reused=True))
            else:
                todo.append(source)
        store.add_run_documents(plan.run_id, [o.source for o in reused])
    finally:
        store.close()
    return reused, todo


def needs_tagging(config: RunConfig, plan: RunPlan, document_ids: list[str]) -> list[str]:
    """The documents, of ``document_ids``, not yet tagged with this run's codebook and settings."""
    store = open_store(config)
    try:
        state = store.document_state()
    finally:
        store.close()
    return [d for d in document_ids if state.get(d, (None, None, None))[2] != plan.fingerprint]


def forget_done_work(config: RunConfig) -> int:
    """Clear every document's fingerprints so the next run re-reads and re-tags everything.

    Documents, segments, tags and review decisions stay in the store (segment ids are stable,
    so decisions keep pointing at the same text); only the "already done" marks go, and the
    report's cached figures and quote chapter parts, so that everything is drawn again.

    Returns:
        Number of documents that will be processed again.
    """
    shutil.rmtree(config.out / FIGURE_CACHE_DIR, ignore_errors=True)
    shutil.rmtree(config.out / QUOTE_CACHE_DIR, ignore_errors=True)
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
