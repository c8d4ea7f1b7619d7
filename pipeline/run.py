"""The steps of a full run, each one a plain function that a Prefect task (or a test) calls.

Steps talk through the store and pass only ids and paths: ``prepare`` records the run and lists
the source files, ``ingest_source`` reads one file into documents and segments,
``annotate_documents`` tags a batch of documents, ``analyse`` writes the matrices and ``report``
renders the report (from the frames ``analyse`` read, handed over in an ``Analysis``). Each step
skips work the store already holds for the same source and config, so a re-run after a crash
completes what is missing and nothing more.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__, resources
from pipeline.analysis import Matrices, build_matrices, write_matrices
from pipeline.codebook import Codebook
from pipeline.config import RunConfig
from pipeline.errors import UnreadableFile
from pipeline.ingest import Cases, SourceFile, discover, load_cases, read_document
from pipeline.models import SkippedFile
from pipeline.nlp import build_nlp, pipeline_description
from pipeline.report import render_report
from pipeline.report.figure_cache import CACHE_DIR as FIGURE_CACHE_DIR
from pipeline.report.quote_chapter import CACHE_DIR as QUOTE_CACHE_DIR
from pipeline.report.study import StudyFrames, load_frames, read_case_by_topic, read_topics, report_data
from pipeline.segment import segment_document
from pipeline.store import Store
from pipeline.tagging import RuleTagger, annotate


@dataclass(frozen=True)
class RunPlan:
    """What ``prepare`` decided: the run id, the sources to read and what was skipped already."""

    run_id: str
    sources: list[SourceFile]
    skipped: list[SkippedFile]
    codebook_sha256: str
    fingerprint: str
    segment_fingerprint: str


@dataclass
class IngestOutcome:
    """Result of reading one source file."""

    source: str
    document_ids: list[str] = field(default_factory=list)
    skipped: SkippedFile | None = None
    reused: bool = False


@dataclass(frozen=True)
class Analysis:
    """What ``analyse`` hands to ``report``: the matrices and the run's data they were built from.

    The report reuses ``frames`` instead of reading the store a second time (a tenth of a
    re-run at 50 documents).
    """

    matrices: Matrices
    frames: StudyFrames


@dataclass(frozen=True)
class RunSummary:
    """What a finished run did, for the CLI and the Prefect artifact."""

    run_id: str
    documents: int
    segments: int
    tags: int
    skipped: list[SkippedFile]
    uncased: list[str]
    outputs: dict[str, Path]


def segment_fingerprint(config: RunConfig) -> str:
    """Hash of what decides a document's text and segments (not its tags)."""
    blob = config.ingest.model_dump_json() + config.segment.model_dump_json()
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def open_store(config: RunConfig) -> Store:
    """The store named by the config (default: SQLite file in the output folder)."""
    config.out.mkdir(parents=True, exist_ok=True)
    return Store(config.resolved_store_url())


def prepare(config: RunConfig, codebook: Codebook | None = None) -> RunPlan:
    """Validate inputs, record the run, save codebook and cases, list the source files.

    Raises:
        InvalidCodebook: The codebook has problems (nothing has been processed).
        InvalidInput: The corpus folder or its cases.csv is unusable.
    """
    codebook = codebook or resources.codebook(config.codebook)
    cases = load_cases(config.corpus)
    sources, skipped = discover(config.corpus, config.ingest)
    store = open_store(config)
    try:
        sha = store.save_codebook(codebook)
        store.save_cases(cases.attributes)
        fingerprint = config.fingerprint(sha)
        run_id = uuid.uuid4().hex[:12]
        store.start_run(run_id, config.model_dump(mode="json"), sha, fingerprint, __version__)
    finally:
        store.close()
    config.save(config.out)
    return RunPlan(run_id, sources, skipped, sha, fingerprint, segment_fingerprint(config))


def ingest_sources(config: RunConfig, plan: RunPlan, sources: Sequence[SourceFile]) -> list[IngestOutcome]:
    """``ingest_source`` for each file in turn, with one store and one read of cases.csv (a batch
    of files is one task in a flow)."""
    store = open_store(config)
    try:
        cases = load_cases(config.corpus)
        return [_ingest(store, cases, config, plan, source) for source in sources]
    finally:
        store.close()


def ingest_source(config: RunConfig, plan: RunPlan, source: SourceFile) -> IngestOutcome:
    """Read one source file into documents and segments in the store (one transaction each).

    A file whose content and settings are unchanged since it was last stored is not read again.
    A file that cannot be read comes back as ``skipped`` with the reason; it never raises.
    """
    return ingest_sources(config, plan, [source])[0]


def _ingest(store: Store, cases: Cases, config: RunConfig, plan: RunPlan, source: SourceFile) -> IngestOutcome:
    outcome = IngestOutcome(source=source.rel)
    # Only this file's documents: reading every document's state per file made ingest
    # quadratic in the size of the study.
    known = store.document_state([source.rel]).get(source.rel)
    if known and known[0] == source.sha256 and known[1] == plan.segment_fingerprint:
        outcome.document_ids.append(source.rel)
        outcome.reused = True
    else:
        try:
            docs = read_document(source, cases, config.ingest)
        except UnreadableFile as exc:
            outcome.skipped = SkippedFile(source.rel, exc.reason)
            return outcome
        ids = [doc.id for doc in docs]  # a survey file holds one document per answer
        state = store.document_state(ids if len(ids) <= 900 else None)  # within SQL's parameter limits
        for doc in docs:
            known = state.get(doc.id)
            if not (known and known[0] == doc.sha256 and known[1] == plan.segment_fingerprint):
                store.save_document(doc, segment_document(doc, config.segment), plan.segment_fingerprint)
            outcome.document_ids.append(doc.id)
    store.add_run_documents(plan.run_id, outcome.document_ids)
    return outcome


def annotate_documents(config: RunConfig, plan: RunPlan, document_ids: list[str],
                       codebook: Codebook | None = None) -> int:
    """Run NLP and the taggers over a batch of documents; store tags per document.

    Documents already tagged with the same codebook and settings are skipped.

    Returns:
        Number of documents (re)tagged.
    """
    store = open_store(config)
    try:
        state = store.document_state()
        todo = [d for d in document_ids if state.get(d, (None, None, None))[2] != plan.fingerprint]
        if not todo:
            return 0
        codebook = codebook or resources.codebook(config.codebook)
        if config.tag.methods == ["rules"]:
            # The pipeline and the indexed patterns are reused by later batches in this process.
            key = ("rules", *resources.nlp_key(config.nlp), codebook.sha256(), config.tag.model_dump_json())
            with resources.borrow(key, lambda: _rule_kit(config, codebook)) as (nlp, taggers):
                _tag_documents(store, config, plan, todo, nlp, taggers)
        else:  # embedding-based taggers cache their vectors in this study's store
            from pipeline.tagging.build import build_tagger

            with resources.borrow_nlp(config.nlp) as nlp:
                taggers = [build_tagger(m, codebook, nlp, config.tag, store) for m in config.tag.methods]
                _tag_documents(store, config, plan, todo, nlp, taggers)
        return len(todo)
    finally:
        store.close()


def _rule_kit(config: RunConfig, codebook: Codebook) -> tuple:
    nlp = build_nlp(config.nlp)
    return nlp, [RuleTagger(codebook, nlp, config.tag.negation_window, config.tag.min_score)]


def _tag_documents(store: Store, config: RunConfig, plan: RunPlan, document_ids: list[str], nlp, taggers) -> None:
    for document_id in document_ids:
        found = [tag for _, tag_list in annotate(store.iter_segments([document_id]), nlp, taggers,
                                                 config.nlp.batch_size) for tag in tag_list]
        store.save_tags(document_id, found, plan.codebook_sha256, plan.fingerprint)


def analyse(config: RunConfig, plan: RunPlan, codebook: Codebook | None = None) -> Analysis:
    """Build the case x code / case x theme matrices, co-occurrence and crosstab; write them.

    Returns:
        The matrices (small: cases x codes) and the run's frames, for the report step.
    """
    codebook = codebook or resources.codebook(config.codebook)
    store = open_store(config)
    try:
        frames = load_frames(store, plan.run_id, plan.codebook_sha256)
    finally:
        store.close()
    matrices = build_matrices(frames.segments, frames.tags, frames.cases, codebook, attribute=config.attribute)
    write_matrices(matrices, config.out)
    return Analysis(matrices, frames)


def report(config: RunConfig, plan: RunPlan, skipped: list[SkippedFile], analysis: Analysis,
           codebook: Codebook | None = None) -> RunSummary:
    """Render report.html and report.md, close the run and summarise it.

    Args:
        config: The run's configuration.
        plan: The run (``prepare``).
        skipped: Files the run could not use, for the report and the run record.
        analysis: What ``analyse`` built, from the same store: the report shows these matrices
            and reads nothing again (decisions coders make meanwhile show in the next report).
        codebook: The codebook; default: the config's.
    """
    codebook = codebook or resources.codebook(config.codebook)
    store = open_store(config)
    try:
        store.finish_run(plan.run_id, "completed", skipped)
    finally:
        store.close()
    frames, matrices = analysis.frames, analysis.matrices
    # The same assembly as `kwali report`, so a re-rendered report matches this one.
    data = report_data(frames, config, plan.run_id, codebook, plan.codebook_sha256, skipped, matrices=matrices,
                       nlp_description=_nlp_description(config), topics=read_topics(config.out),
                       case_by_topic=read_case_by_topic(config.out))
    rendered = render_report(data, config.out, figure_cache=config.out / FIGURE_CACHE_DIR,
                             quote_cache=config.out / QUOTE_CACHE_DIR)
    outputs = {"report (HTML)": rendered["html"], "report (Markdown)": rendered["md"],
               "matrices": config.out / "matrices", "run config": config.out / "run_config.json"}
    return RunSummary(plan.run_id, len(frames.document_ids), len(frames.segments), len(frames.tags), skipped,
                      data.uncased, outputs)


def _nlp_description(config: RunConfig) -> str:
    with resources.borrow_nlp(config.nlp) as nlp:
        return pipeline_description(nlp)
