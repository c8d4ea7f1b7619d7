"""The ``full-run`` flow: ingest -> annotate -> analyse -> report.

Tasks run per source file (ingest) or per batch of documents (annotate), never per segment, and
pass ids and paths, not data: the store in between holds the documents, segments and tags.
"""

from __future__ import annotations

from collections.abc import Callable
import flows  # noqa: F401  (analytics off before prefect is imported)
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from pipeline import run as steps
from pipeline.analysis import Matrices
from pipeline.config import RunConfig
from pipeline.ingest import SourceFile
from pipeline.models import SkippedFile

ANNOTATE_BATCH = 10  # documents per annotate task: amortises loading spaCy and the matcher


@task(name="prepare", cache_policy=NO_CACHE)
def prepare_task(config: RunConfig) -> steps.RunPlan:
    return steps.prepare(config)


@task(name="ingest", task_run_name="ingest {source.rel}", cache_policy=NO_CACHE, retries=1,
      retry_delay_seconds=1)
def ingest_task(config: RunConfig, plan: steps.RunPlan, source: SourceFile) -> steps.IngestOutcome:
    return steps.ingest_source(config, plan, source)


@task(name="annotate", task_run_name="annotate batch {batch_no}", cache_policy=NO_CACHE)
def annotate_task(config: RunConfig, plan: steps.RunPlan, document_ids: list[str], batch_no: int) -> int:
    return steps.annotate_documents(config, plan, document_ids)


@task(name="analyse", cache_policy=NO_CACHE)
def analyse_task(config: RunConfig, plan: steps.RunPlan) -> Matrices:
    return steps.analyse(config, plan)


@task(name="report", cache_policy=NO_CACHE)
def report_task(config: RunConfig, plan: steps.RunPlan, skipped: list[SkippedFile],
                matrices: Matrices) -> steps.RunSummary:
    return steps.report(config, plan, skipped, matrices)


Progress = Callable[[str, int, int], None]


@flow(name="full-run", log_prints=True, validate_parameters=False)
def full_run(config: RunConfig, progress: Progress | None = None) -> steps.RunSummary:
    """Run a study end to end and write its report, matrices and run config.

    Args:
        config: The run's configuration (saved next to the outputs).
        progress: Optional callback ``(step, done, total)`` for a progress bar.
    """
    plan = prepare_task(config)
    skipped: list[SkippedFile] = list(plan.skipped)
    document_ids: list[str] = []
    futures = [ingest_task.submit(config, plan, source) for source in plan.sources]
    for done, future in enumerate(as_completed(futures), start=1):
        outcome = future.result()
        if outcome.skipped:
            skipped.append(outcome.skipped)
        document_ids.extend(outcome.document_ids)
        if progress:
            progress("ingest", done, len(futures))
    document_ids.sort()
    batches = [document_ids[i:i + ANNOTATE_BATCH] for i in range(0, len(document_ids), ANNOTATE_BATCH)]
    annotate_futures = [annotate_task.submit(config, plan, batch, no) for no, batch in enumerate(batches, 1)]
    for done, future in enumerate(as_completed(annotate_futures), start=1):
        future.result()
        if progress:
            progress("annotate", done, len(annotate_futures))
    matrices = analyse_task(config, plan)
    if config.topics.enabled:
        from flows.topics import topics

        topics(config, plan.run_id, plan.codebook_sha256)
    skipped.sort(key=lambda s: s.path)
    return report_task(config, plan, skipped, matrices)
