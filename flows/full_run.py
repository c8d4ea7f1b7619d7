"""The ``full-run`` flow: ingest -> annotate -> analyse -> report.

Tasks run per batch of source files (ingest) or of documents (annotate), never per segment, and
pass ids and paths, not data: the store in between holds the documents, segments and tags. A
batch that fails is run again per file or document, so the culprit gets a task of its own.

Faults stay local: a file or document whose task fails is listed as skipped with the error and
the run goes on; steps that can fail for passing reasons (file system, a locked SQLite store)
are retried with exponential back-off. Re-runs are incremental through the store (see
``pipeline.incremental``); ``fresh=True`` makes a run redo everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flows  # noqa: F401  (analytics off before prefect is imported)
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import OperationalError

from flows.runners import thread_runner
from pipeline import incremental
from pipeline import run as steps
from pipeline.config import RunConfig
from pipeline.ingest import SourceFile
from pipeline.models import SkippedFile

ANNOTATE_BATCH = 10  # documents per annotate task: amortises loading spaCy and the matcher
INGEST_BATCH = 10  # files per ingest task: a task costs Prefect ~10 ms, a small transcript less
TRANSIENT = (OSError, OperationalError)  # worth a retry: network shares, "database is locked"
RETRIES = 2
BACKOFF = exponential_backoff(backoff_factor=0.5)  # 0.5 s, then 1 s


def is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors that may pass; a broken file fails the same way every time."""
    try:
        state.result()
    except TRANSIENT:
        return True
    except Exception:
        return False
    return False


def _ingest_name() -> str:
    from prefect.runtime import task_run

    names = [source.rel for source in task_run.parameters.get("sources") or []]
    if len(names) == 1:
        return f"ingest {names[0]}"
    return f"ingest {names[0]} … {names[-1]} ({len(names)} files)" if names else "ingest (nothing)"


def _annotate_name() -> str:
    from prefect.runtime import task_run

    ids = task_run.parameters.get("document_ids") or []
    if len(ids) == 1:
        return f"annotate {ids[0]}"
    return f"annotate {ids[0]} … {ids[-1]} ({len(ids)} docs)" if ids else "annotate (nothing)"


@task(name="prepare", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=BACKOFF,
      retry_condition_fn=is_transient)
def prepare_task(config: RunConfig) -> steps.RunPlan:
    return steps.prepare(config)


@task(name="forget", task_run_name="forget done work (fresh run)", cache_policy=NO_CACHE)
def forget_task(config: RunConfig) -> int:
    return incremental.forget_done_work(config)


@task(name="reuse", task_run_name="reuse unchanged files", cache_policy=NO_CACHE, retries=RETRIES,
      retry_delay_seconds=BACKOFF, retry_condition_fn=is_transient)
def reuse_task(config: RunConfig, plan: steps.RunPlan) -> tuple[list[steps.IngestOutcome], list[SourceFile]]:
    return incremental.reuse_unchanged(config, plan)


@task(name="untagged", task_run_name="find documents to tag", cache_policy=NO_CACHE, retries=RETRIES,
      retry_delay_seconds=BACKOFF, retry_condition_fn=is_transient)
def untagged_task(config: RunConfig, plan: steps.RunPlan, document_ids: list[str]) -> list[str]:
    return incremental.needs_tagging(config, plan, document_ids)


@task(name="ingest", task_run_name=_ingest_name, cache_policy=NO_CACHE, retries=RETRIES,
      retry_delay_seconds=BACKOFF, retry_condition_fn=is_transient)
def ingest_task(config: RunConfig, plan: steps.RunPlan, sources: list[SourceFile]) -> list[steps.IngestOutcome]:
    return steps.ingest_sources(config, plan, sources)


@task(name="annotate", task_run_name=_annotate_name, cache_policy=NO_CACHE, retries=RETRIES,
      retry_delay_seconds=BACKOFF, retry_condition_fn=is_transient)
def annotate_task(config: RunConfig, plan: steps.RunPlan, document_ids: list[str], batch_no: int) -> int:
    return steps.annotate_documents(config, plan, document_ids)


@task(name="analyse", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=BACKOFF,
      retry_condition_fn=is_transient)
def analyse_task(config: RunConfig, plan: steps.RunPlan) -> steps.Analysis:
    return steps.analyse(config, plan)


@task(name="report", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=BACKOFF,
      retry_condition_fn=is_transient)
def report_task(config: RunConfig, plan: steps.RunPlan, skipped: list[SkippedFile],
                analysis: steps.Analysis) -> steps.RunSummary:
    return steps.report(config, plan, skipped, analysis)


Progress = Callable[[str, int, int], None]


@dataclass
class RunStats:
    """What a run did beyond its summary: how much was redone and what failed."""

    read: list[str] = field(default_factory=list)     # source files read (new or changed)
    reused: list[str] = field(default_factory=list)   # source files unchanged since the last run
    tagged: int = 0                                    # documents (re)tagged
    failed: list[SkippedFile] = field(default_factory=list)
    fresh: bool = False


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def ingest_all(config: RunConfig, plan: steps.RunPlan, stats: RunStats,
               progress: Progress | None = None) -> tuple[list[str], list[SkippedFile]]:
    """Ingest every new or changed source file, in batches; a failing file is skipped with its error.

    A failed batch is run again file by file, so the culprit shows as its own failed task (named
    after the file) and the other files of the batch are still read. Unchanged files are found
    in one batch step and cost no task of their own (with thousands of files, per-file task
    overhead would dominate a re-run); they are still counted as reused.
    """
    skipped: list[SkippedFile] = []
    document_ids: list[str] = []
    reused, todo = reuse_task(config, plan)
    for outcome in reused:
        document_ids.extend(outcome.document_ids)
        stats.reused.append(outcome.source)
    done = len(reused)
    if progress and reused:
        progress("ingest", done, len(plan.sources))

    def take(outcome: steps.IngestOutcome, retried: bool = False) -> None:
        if outcome.skipped:
            skipped.append(outcome.skipped)
        document_ids.extend(outcome.document_ids)
        # A file retried alone after its batch failed may have been stored by that batch: it
        # was still read in this run, not left unchanged.
        (stats.reused if outcome.reused and not retried else stats.read).append(outcome.source)

    batches = [todo[i:i + INGEST_BATCH] for i in range(0, len(todo), INGEST_BATCH)]
    futures = {ingest_task.submit(config, plan, batch): batch for batch in batches}
    failed: list[SourceFile] = []
    for future in as_completed(list(futures)):
        try:
            outcomes = future.result()
        except Exception:  # one broken file must not stop a study of hundreds: find it below
            failed.extend(futures[future])
            continue
        for outcome in outcomes:
            take(outcome)
        done += len(futures[future])
        if progress:
            progress("ingest", done, len(plan.sources))
    singles = {ingest_task.submit(config, plan, [source]): source for source in failed}
    for future in as_completed(list(singles)):
        try:
            take(future.result()[0], retried=True)
        except Exception as exc:
            failure = SkippedFile(singles[future].rel, f"ingest failed: {_error(exc)}")
            skipped.append(failure)
            stats.failed.append(failure)
        done += 1
        if progress:
            progress("ingest", done, len(plan.sources))
    return sorted(document_ids), skipped


def annotate_all(config: RunConfig, plan: steps.RunPlan, document_ids: list[str], stats: RunStats,
                 progress: Progress | None = None) -> list[SkippedFile]:
    """Tag documents in batches; a failed batch is retried per document to isolate the culprit.

    Documents that still fail are taken out of the run and returned as skipped. Documents
    already tagged with this codebook and settings are left out in one batch step first, so
    they cost no task.
    """
    todo = untagged_task(config, plan, document_ids) if document_ids else []
    batches = [todo[i:i + ANNOTATE_BATCH] for i in range(0, len(todo), ANNOTATE_BATCH)]
    futures = {annotate_task.submit(config, plan, batch, no): batch for no, batch in enumerate(batches, 1)}
    failed_batches: list[list[str]] = []
    for done, future in enumerate(as_completed(list(futures)), start=1):
        try:
            stats.tagged += future.result()
        except Exception:
            failed_batches.append(futures[future])
        if progress:
            progress("annotate", done, len(futures))
    failures: list[SkippedFile] = []
    for batch in failed_batches:
        singles = {annotate_task.submit(config, plan, [doc], 0): doc for doc in batch}
        for future in as_completed(list(singles)):
            try:
                stats.tagged += future.result()
            except Exception as exc:
                failures.append(SkippedFile(singles[future], f"tagging failed: {_error(exc)}"))
    incremental.drop_run_documents(config, plan.run_id, [f.path for f in failures])
    stats.failed.extend(failures)
    return failures


@flow(name="full-run", log_prints=True, validate_parameters=False, task_runner=thread_runner())
def full_run(config: RunConfig, progress: Progress | None = None, fresh: bool = False,
             stats: RunStats | None = None) -> steps.RunSummary:
    """Run a study end to end and write its report, matrices and run config.

    Args:
        config: The run's configuration (saved next to the outputs).
        progress: Optional callback ``(step, done, total)`` for a progress bar.
        fresh: Ignore what earlier runs did: re-read and re-tag every document.
        stats: Filled with what the run redid, reused and failed (for the run summary).
    """
    stats = stats if stats is not None else RunStats()
    stats.fresh = fresh
    if fresh:
        forget_task(config)
    plan = prepare_task(config)
    document_ids, skipped = ingest_all(config, plan, stats, progress)
    failed = annotate_all(config, plan, document_ids, stats, progress)
    analysis = analyse_task(config, plan)
    if config.topics.enabled:
        from flows.topics import topics

        topics(config, plan.run_id, plan.codebook_sha256)
    skipped = sorted([*plan.skipped, *skipped, *failed], key=lambda s: s.path)
    summary = report_task(config, plan, skipped, analysis)
    from flows.artifacts import publish

    publish(summary, analysis.matrices, stats)
    return summary
