"""The topics step of a run: embed the run's segments (cached), fit topics, write DIR/topics/."""

from __future__ import annotations

from pathlib import Path

from pipeline.codebook import Codebook, load_codebook
from pipeline.config import RunConfig
from pipeline.embed import CachedEmbedder, make_embedder
from pipeline.store import Store
from pipeline.topics.model import fit_topics
from pipeline.topics.tables import topic_tables, write_topic_tables


def run_topics(config: RunConfig, run_id: str, codebook_sha256: str, codebook: Codebook | None = None,
               ) -> dict[str, Path]:
    """Fit BERTopic on the segments of a run and write its topic tables.

    Embeddings come from ``config.tag.embedder`` through the store's cache, so a second run
    on the same segments embeds nothing.

    Returns:
        Table name -> written CSV path.
    """
    codebook = codebook or load_codebook(config.codebook)
    store = Store(config.resolved_store_url())
    try:
        doc_ids = store.run_document_ids(run_id)
        segments = store.segments_frame(doc_ids)
        tags = store.tags_frame(doc_ids, codebook_sha256)
        cases = store.cases_frame(sorted(set(segments["case_id"])) if not segments.empty else [])
        documents = store.documents_frame(doc_ids)
        embedder = CachedEmbedder(make_embedder(config.tag.embedder), store)
        texts = segments["text"].tolist()
        if getattr(embedder, "needs_fit", False):
            embedder.fit(texts)
        embeddings = embedder.embed(texts, "passage")
    finally:
        store.close()
    result = fit_topics(texts, embeddings, embedder, config.topics, codebook)
    tables = topic_tables(segments, result.topics, embeddings, result.info, tags, cases, documents, codebook,
                          config.topics.uncovered_share)
    return write_topic_tables(tables, config.out)
