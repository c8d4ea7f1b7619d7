"""The ``topics`` flow: BERTopic topics for a finished run, written to DIR/topics/.

Thin: one task calling ``pipeline.topics.step.run_topics``; the store passes the segments.
"""

from __future__ import annotations

from pathlib import Path

import flows  # noqa: F401  (analytics off before prefect is imported)
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pipeline.config import RunConfig
from pipeline.topics.step import run_topics


@task(name="fit-topics", cache_policy=NO_CACHE)
def topics_task(config: RunConfig, run_id: str, codebook_sha256: str) -> dict[str, Path]:
    return run_topics(config, run_id, codebook_sha256)


@flow(name="topics", log_prints=True, validate_parameters=False)
def topics(config: RunConfig, run_id: str, codebook_sha256: str) -> dict[str, Path]:
    """Fit topics over a run's segments and write topics.csv, segment_topics.csv, topic_by_code.csv.

    Args:
        config: The run's configuration (``config.topics`` and ``config.tag.embedder``).
        run_id: The run whose documents are modelled.
        codebook_sha256: Codebook version of the tags the topics are compared with.
    """
    return topics_task(config, run_id, codebook_sha256)
