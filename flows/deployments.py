"""The flows ``kwali serve`` offers in the Prefect UI, with flat, typed, described parameters.

The UI builds its "Run" form from these signatures and docstrings, so each parameter is a plain
str, int, bool, Literal or list of Literals (no nested config object) and the flow builds the
``RunConfig`` itself. Every flow is thin: it calls the tasks of ``flows.full_run``.

- ``full-run``: the whole study, incremental (only new or changed documents are redone).
- ``ingest``: read new or changed files into the study store.
- ``annotate``: ingest, then tag what is not tagged with this codebook and these settings yet.
- ``analyse`` / ``report``: redo the matrices (and the report) of the latest run, e.g. after
  choosing another case attribute, without touching the documents.
- ``topics``: fit BERTopic topics over the latest run's segments and redo its report with them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import flows  # noqa: F401  (analytics off before prefect is imported)
from prefect import flow

from flows import full_run as fr
from flows.runners import thread_runner
from pipeline import incremental
from pipeline.config import DEFAULT_CODEBOOK, IngestOptions, RunConfig, SegmentOptions, TagOptions
from pipeline.errors import KwaliError
from pipeline.models import Unit
from pipeline.run import RunSummary

UnitName = Literal["turn", "paragraph", "sentence"]
Method = Literal["rules"]
RunnerName = Literal["threads", "dask"]
EmbedderName = Literal["e5", "use", "tfidf"]
DEFAULT_CODEBOOK_TEXT = str(DEFAULT_CODEBOOK)


def output_folder(study_folder: str, output_name: str) -> Path:
    """Where a study's outputs go: ``<output_name>`` beside the study folder (or an absolute path).

    Beside, not inside: the study folder is read recursively, and a report inside it would be
    ingested as a transcript on the next run.
    """
    study = Path(study_folder).expanduser().resolve()
    return (study.parent / (output_name or f"{study.name}-kwali")).resolve()


def build_config(study_folder: str, codebook: str, unit: UnitName, window: int, output_name: str,
                 methods: list[Method], attribute: str, text_column: str = "text") -> RunConfig:
    """The run's ``RunConfig`` from the form's flat parameters.

    Raises:
        KwaliError: The study folder or codebook does not exist.
    """
    study = Path(study_folder).expanduser()
    if not study.is_dir():
        raise KwaliError(f"{study_folder}: study folder not found; give the full path of the folder that "
                         "holds the transcripts (and cases.csv)")
    book = Path(codebook).expanduser()
    if not book.is_file():
        raise KwaliError(f"{codebook}: codebook not found; give the full path of a codebook YAML")
    return RunConfig(corpus=study.resolve(), out=output_folder(study_folder, output_name), codebook=book.resolve(),
                     ingest=IngestOptions(text_column=text_column),
                     segment=SegmentOptions(unit=Unit(unit), window=window),
                     tag=TagOptions(methods=list(methods) or ["rules"]), attribute=attribute or None)


@flow(name="kwali-full-run", log_prints=True, task_runner=thread_runner())
def full_run_flow(study_folder: str, codebook: str = DEFAULT_CODEBOOK_TEXT, unit: UnitName = "turn",
                  window: int = 3, output_name: str = "", methods: list[Method] = ["rules"],  # noqa: B006
                  attribute: str = "", fresh: bool = False, runner: RunnerName = "threads",
                  dask_address: str = "") -> str:
    """Run a study end to end: ingest, tag, analyse and write the report.

    Args:
        study_folder: Full path of the study folder with the transcripts and an optional cases.csv.
        codebook: Full path of the codebook YAML (default: the wijkeconomie codebook).
        unit: Unit of analysis: speaker turn, paragraph, or a window of sentences.
        window: Sentences per segment when the unit is sentence.
        output_name: Output folder, created beside the study folder (default: the study folder name + "-kwali").
        methods: Taggers to run.
        attribute: Case attribute for the crosstab, e.g. city (default: the first in cases.csv).
        fresh: Ignore earlier runs: read and tag every document again.
        runner: Where tasks run: threads on this machine, or a Dask cluster (worker processes).
        dask_address: Dask scheduler, e.g. tcp://host:8786, for the dask runner (default: a local cluster).
    """
    config = build_config(study_folder, codebook, unit, window, output_name, methods, attribute)
    if runner == "threads" and not dask_address:
        summary: RunSummary = fr.full_run.fn(config, fresh=fresh)
    else:  # a subflow, since the task runner belongs to a flow
        summary = runner_flow(runner, dask_address)(config, fresh=fresh)
    print(f"Report: {summary.outputs['report (HTML)']}")
    return str(summary.outputs["report (HTML)"])


@flow(name="kwali-ingest", log_prints=True, task_runner=thread_runner())
def ingest_flow(study_folder: str, unit: UnitName = "turn", window: int = 3, output_name: str = "",
                fresh: bool = False) -> int:
    """Read new or changed files of a study into its store (documents and segments).

    Args:
        study_folder: Full path of the study folder with the transcripts and an optional cases.csv.
        unit: Unit of analysis: speaker turn, paragraph, or a window of sentences.
        window: Sentences per segment when the unit is sentence.
        output_name: Output folder, created beside the study folder (default: the study folder name + "-kwali").
        fresh: Ignore earlier runs: read every file again.
    """
    config = build_config(study_folder, DEFAULT_CODEBOOK_TEXT, unit, window, output_name, ["rules"], "")
    stats = fr.RunStats(fresh=fresh)
    if fresh:
        fr.forget_task(config)
    plan = fr.prepare_task(config)
    ids, skipped = fr.ingest_all(config, plan, stats)
    print(f"{len(ids)} documents in the store ({len(stats.read)} files read, {len(stats.reused)} unchanged), "
          f"{len(skipped) + len(plan.skipped)} files skipped")
    return len(ids)


@flow(name="kwali-annotate", log_prints=True, task_runner=thread_runner())
def annotate_flow(study_folder: str, codebook: str = DEFAULT_CODEBOOK_TEXT, unit: UnitName = "turn",
                  window: int = 3, output_name: str = "", methods: list[Method] = ["rules"],  # noqa: B006
                  fresh: bool = False) -> int:
    """Tag a study's documents with a codebook; unchanged files are not read again.

    Args:
        study_folder: Full path of the study folder with the transcripts and an optional cases.csv.
        codebook: Full path of the codebook YAML (default: the wijkeconomie codebook).
        unit: Unit of analysis: speaker turn, paragraph, or a window of sentences.
        window: Sentences per segment when the unit is sentence.
        output_name: Output folder, created beside the study folder (default: the study folder name + "-kwali").
        methods: Taggers to run.
        fresh: Ignore earlier runs: read and tag every document again.
    """
    config = build_config(study_folder, codebook, unit, window, output_name, methods, "")
    stats = fr.RunStats(fresh=fresh)
    if fresh:
        fr.forget_task(config)
    plan = fr.prepare_task(config)
    ids, _ = fr.ingest_all(config, plan, stats)
    failed = fr.annotate_all(config, plan, ids, stats)
    print(f"{stats.tagged} documents tagged, {len(ids) - stats.tagged - len(failed)} already up to date, "
          f"{len(failed)} failed")
    return stats.tagged


def _latest(study_folder: str, codebook: str, unit: UnitName, window: int, output_name: str, attribute: str):
    config = build_config(study_folder, codebook, unit, window, output_name, ["rules"], attribute)
    plan, skipped = incremental.latest_plan(config)
    return config, plan, skipped


@flow(name="kwali-analyse", log_prints=True)
def analyse_flow(study_folder: str, codebook: str = DEFAULT_CODEBOOK_TEXT, output_name: str = "",
                 attribute: str = "") -> str:
    """Rebuild the matrices of the study's latest run (documents and tags are not touched).

    Args:
        study_folder: Full path of the study folder that was run before.
        codebook: Full path of the codebook YAML the run used.
        output_name: Output folder beside the study folder (default: the study folder name + "-kwali").
        attribute: Case attribute for the crosstab, e.g. city (default: the first in cases.csv).
    """
    config, plan, _ = _latest(study_folder, codebook, "turn", 3, output_name, attribute)
    fr.analyse_task(config, plan)
    print(f"Matrices of run {plan.run_id}: {config.out / 'matrices'}")
    return str(config.out / "matrices")


@flow(name="kwali-report", log_prints=True)
def report_flow(study_folder: str, codebook: str = DEFAULT_CODEBOOK_TEXT, output_name: str = "",
                attribute: str = "") -> str:
    """Rebuild the matrices and the report of the study's latest run (documents are not touched).

    Args:
        study_folder: Full path of the study folder that was run before.
        codebook: Full path of the codebook YAML the run used.
        output_name: Output folder beside the study folder (default: the study folder name + "-kwali").
        attribute: Case attribute for the crosstab, e.g. city (default: the first in cases.csv).
    """
    config, plan, skipped = _latest(study_folder, codebook, "turn", 3, output_name, attribute)
    analysis = fr.analyse_task(config, plan)
    summary = fr.report_task(config, plan, skipped, analysis)
    from flows.artifacts import publish

    publish(summary, analysis.matrices, fr.RunStats())
    print(f"Report: {summary.outputs['report (HTML)']}")
    return str(summary.outputs["report (HTML)"])


@flow(name="kwali-topics", log_prints=True)
def topics_flow(study_folder: str, codebook: str = DEFAULT_CODEBOOK_TEXT, output_name: str = "",
                embedder: EmbedderName = "e5", local_model: str = "", min_topic_size: int = 10,
                guided: bool = True, update_report: bool = True) -> str:
    """Fit topics over the segments of the study's latest run; compare them with the codes.

    Args:
        study_folder: Full path of the study folder that was run before.
        codebook: Full path of the codebook YAML the run used.
        output_name: Output folder beside the study folder (default: the study folder name + "-kwali").
        embedder: Sentence embeddings: e5 (best for Dutch), use (faster) or tfidf (no model).
        local_model: Full path of a local sentence-transformers model folder; replaces the embedder.
        min_topic_size: Smallest topic, in segments.
        guided: Seed topics with the codebook's pattern words.
        update_report: Redo the report with a topics chapter.
    """
    if min_topic_size < 2:
        raise KwaliError(f"min_topic_size {min_topic_size}: a topic needs at least 2 segments")
    if local_model and not Path(local_model).expanduser().is_dir():
        raise KwaliError(f"{local_model}: local model folder not found; give the full path of a "
                         "sentence-transformers model folder, or leave it empty to use the embedder")
    config, plan, skipped = _latest(study_folder, codebook, "turn", 3, output_name, "")
    chosen = f"st:{Path(local_model).expanduser().resolve()}" if local_model else embedder
    config = config.model_copy(update={
        "tag": config.tag.model_copy(update={"embedder": chosen}),
        "topics": config.topics.model_copy(update={"enabled": True, "min_topic_size": min_topic_size,
                                                   "guided": guided})})
    from flows.topics import topics

    written = topics(config, plan.run_id, plan.codebook_sha256)
    print(f"Topics of run {plan.run_id}: {config.out / 'topics'} ({', '.join(sorted(written))})")
    if not update_report:
        return str(config.out / "topics")
    analysis = fr.analyse_task(config, plan)
    summary = fr.report_task(config, plan, skipped, analysis)
    print(f"Report: {summary.outputs['report (HTML)']}")
    return str(summary.outputs["report (HTML)"])


def runner_flow(runner: str, dask_address: str = ""):
    """The full-run flow set to run its tasks on ``runner`` (see ``flows.runners``).

    Raises:
        KwaliError: An unknown runner, or a Dask address with the threads runner.
    """
    from flows.runners import with_runner

    return with_runner(fr.full_run, runner, dask_address or None)


#: Deployment name -> flow, in the order the UI lists them.
DEPLOYED = {"full-run": full_run_flow, "ingest": ingest_flow, "annotate": annotate_flow,
            "analyse": analyse_flow, "report": report_flow, "topics": topics_flow}


def deployments() -> list:
    """One runner deployment per flow, named as in ``DEPLOYED``."""
    from prefect.types.entrypoint import EntrypointType

    # A module path, not a file path: runs start in a subprocess whose working folder may differ.
    return [f.to_deployment(name=name, description=(f.__doc__ or "").strip().splitlines()[0], tags=["kwali"],
                            entrypoint_type=EntrypointType.MODULE_PATH) for name, f in DEPLOYED.items()]
