"""The topics step of a run: semantic tagging with the store cache, then DIR/topics/ CSVs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from pipeline import run as steps
from pipeline import store as st
from pipeline.config import RunConfig, TagOptions, TopicOptions
from pipeline.store import Store
from pipeline.topics.step import run_topics

ROOT = Path(__file__).resolve().parent.parent


def prepared_run(out: Path):
    config = RunConfig(corpus=ROOT / "corpora" / "demo", out=out,
                       tag=TagOptions(methods=["ensemble"], embedder="use"),
                       topics=TopicOptions(enabled=True, min_topic_size=5))
    plan = steps.prepare(config)
    ids = [d for source in plan.sources for d in steps.ingest_source(config, plan, source).document_ids]
    steps.annotate_documents(config, plan, ids)
    return config, plan


def embedding_rows(config) -> int:
    store = Store(config.resolved_store_url())
    try:
        with store.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(st.embeddings)).scalar_one()
    finally:
        store.close()


@pytest.mark.slow
def test_run_topics_writes_tables_and_re_runs_from_the_cache_identically(tmp_path):
    config, plan = prepared_run(tmp_path / "out")
    after_tagging = embedding_rows(config)
    assert after_tagging > 0  # the ensemble's semantic member cached its vectors in the store
    written = run_topics(config, plan.run_id, plan.codebook_sha256)
    assert {"topics", "segment_topics", "topic_by_code", "case_by_topic", "time_by_topic"} <= set(written)
    topics = pd.read_csv(written["topics"])
    segment_topics = pd.read_csv(written["segment_topics"])
    by_code = pd.read_csv(written["topic_by_code"])
    assert topics["size"].sum() == len(segment_topics) > 100
    assert set(segment_topics["topic_id"]) == set(topics["topic_id"])
    assert "trust.building" in by_code.columns and len(by_code) == len(topics)
    assert topics["candidate_new_code"].dtype == bool
    rows = embedding_rows(config)
    first = {name: Path(path).read_bytes() for name, path in written.items()}
    run_topics(config, plan.run_id, plan.codebook_sha256)
    assert embedding_rows(config) == rows  # nothing embedded again
    assert {name: Path(path).read_bytes() for name, path in written.items()} == first
    store = Store(config.resolved_store_url())
    try:
        tags = store.tags_frame(store.run_document_ids(plan.run_id), plan.codebook_sha256)
    finally:
        store.close()
    assert set(tags["method"]) == {"ensemble"}
