"""Assemble a report's data from a study's store: after a run, or later, without re-running.

``report_data`` is what the run's report step calls; ``load_report_data`` opens a study folder
(``kwali.sqlite`` + ``run_config.json``, as ``kwali run`` writes them), finds its latest
completed run and calls the same function, so a re-rendered report shows what the run's own
report showed, unless the caller asks for other codes (``--codes human``) or decisions were
made since.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from pipeline import __version__
from pipeline import store as st
from pipeline.analysis import Matrices, build_matrices, strongest_quotes
from pipeline.analysis.agreement import code_agreement, decision_counts
from pipeline.analysis.code_source import apply_code_source
from pipeline.analysis.matrices import CROSSTAB_MEASURES, attribute_columns, crosstab
from pipeline.codebook import Codebook
from pipeline.config import RunConfig
from pipeline.errors import InvalidInput
from pipeline.models import SkippedFile
from pipeline.report.render import ReportData
from pipeline.store import Store

CONFIG_FILE = "run_config.json"
#: Optional topic-model output beside the store; one row per topic, any columns.
TOPICS_FILE = Path("topics") / "topics.csv"


@dataclass
class StudyFrames:
    """What one run covers, read from the store in the analysis contract's shapes."""

    document_ids: list[str]
    documents: pd.DataFrame
    segments: pd.DataFrame
    tags: pd.DataFrame
    cases: pd.DataFrame
    decisions: pd.DataFrame


def human_decisions(store: Store, document_ids: list[str]) -> pd.DataFrame:
    """Current decisions on these documents by people: decisions of machine users are left out."""
    decisions = store.decisions_frame(document_ids)
    with store.engine.connect() as conn:
        machines = set(conn.execute(select(st.users.c.name).where(st.users.c.role == "machine")).scalars())
    return decisions[~decisions["coder"].isin(machines)].reset_index(drop=True)


def load_frames(store: Store, run_id: str, codebook_sha256: str) -> StudyFrames:
    """Read a run's documents, segments, tags, cases and current human decisions."""
    doc_ids = store.run_document_ids(run_id)
    segments = store.segments_frame(doc_ids)
    tags = store.tags_frame(doc_ids, codebook_sha256)
    cases = store.cases_frame(sorted(set(segments["case_id"])) if not segments.empty else [])
    return StudyFrames(doc_ids, store.documents_frame(doc_ids), segments, tags, cases,
                       human_decisions(store, doc_ids))


def _overview(frames: StudyFrames) -> list[dict[str, Any]]:
    segments = frames.segments
    seg_counts = segments.groupby("document_id").size().to_dict() if not segments.empty else {}
    speakers = (segments.dropna(subset=["speaker"]).groupby("document_id")["speaker"]
                .agg(lambda s: sorted(set(s))).to_dict() if not segments.empty else {})
    return [dict(id=r.document_id, case=r.case_id, format=r.format, n_words=int(r.n_words),
                 n_segments=int(seg_counts.get(r.document_id, 0)), speakers=speakers.get(r.document_id, []))
            for r in frames.documents.itertuples()]


def _crosstabs(segments: pd.DataFrame, tags: pd.DataFrame, cases: pd.DataFrame, codebook: Codebook,
               first: str | None) -> dict[str, dict[str, pd.DataFrame]]:
    """One crosstab per case attribute, the run's chosen attribute first."""
    if "case_id" not in cases.columns:
        return {}
    attributes = attribute_columns(cases)
    if first in attributes:
        attributes = [first] + [a for a in attributes if a != first]
    tags = tags[tags["segment_id"].isin(segments["segment_id"])]
    return {a: {m: crosstab(segments, tags, cases, codebook, a, "theme", m) for m in CROSSTAB_MEASURES}
            for a in attributes}


def read_topics(study_dir: Path) -> pd.DataFrame | None:
    """The study's topic table (``topics/topics.csv``), or None when no topic model was run."""
    path = study_dir / TOPICS_FILE
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path, encoding="utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the topic table ({exc}); it must be a UTF-8 CSV with a header, "
                           "one row per topic") from None


def read_case_by_topic(study_dir: Path) -> pd.DataFrame | None:
    """The study's case x topic counts (``topics/case_by_topic.csv``), or None without topics."""
    path = study_dir / TOPICS_FILE.parent / "case_by_topic.csv"
    if not path.is_file():
        return None
    table = pd.read_csv(path, encoding="utf-8", index_col=0)
    table.columns = [f"topic {c}" for c in table.columns]
    return table


def report_data(frames: StudyFrames, config: RunConfig, run_id: str, codebook: Codebook, codebook_sha256: str,
                skipped: list[SkippedFile], *, matrices: Matrices | None = None, codes: str = "machine",
                nlp_description: str = "", topics: pd.DataFrame | None = None,
                case_by_topic: pd.DataFrame | None = None) -> ReportData:
    """Everything a report shows, from a run's frames.

    Args:
        frames: The run's data (``load_frames``).
        config: The run's configuration.
        run_id: The run.
        codebook: The codebook the tags were made with.
        codebook_sha256: Its hash.
        skipped: Files the run could not use.
        matrices: Matrices already built from machine tags (the run's analyse step); rebuilt
            when None or when ``codes`` is not "machine".
        codes: "machine", "human" or "consensus" (see ``apply_code_source``).
        nlp_description: The NLP pipeline, for the methods appendix.
        topics: Topic table, when a topic model ran.
        case_by_topic: Segments per case and topic, when a topic model ran.

    Returns:
        The report's data.
    """
    tags, source = apply_code_source(frames.tags, frames.decisions, codebook, codes)
    if matrices is None or codes != "machine":
        matrices = build_matrices(frames.segments, tags, frames.cases, codebook, attribute=config.attribute)
    quotes = strongest_quotes(frames.segments, tags, per_code=config.quotes_per_code, codebook=codebook)
    uncased = [r.document_id for r in frames.documents.itertuples() if (r.meta or {}).get("case_source") == "own"]
    code_ids = [code.id for code in codebook.codes]
    decided = frames.decisions[frames.decisions["code_id"].isin(code_ids)]
    return ReportData(
        study=config.corpus.name,
        kwali_version=__version__,
        config=config.model_dump(mode="json"),
        codebook=codebook,
        codebook_sha256=codebook_sha256,
        documents=_overview(frames),
        cases=frames.cases,
        skipped=skipped,
        uncased=uncased,
        matrices=matrices,
        quotes=quotes,
        methods={"run_id": run_id, "nlp": nlp_description, "unit": config.segment.unit.value,
                 "taggers": ", ".join(config.tag.methods), "min_score": config.tag.min_score},
        crosstabs=_crosstabs(frames.segments, tags, frames.cases, codebook, matrices.attribute),
        code_source=source,
        decision_counts=decision_counts(decided),
        agreement=code_agreement(decided, [c for c in code_ids if c in set(decided["code_id"])]),
        topics=topics,
        case_by_topic=case_by_topic,
    )


def latest_completed_run(store: Store) -> dict[str, Any] | None:
    """The most recently finished run with status "completed", as a dict, or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(st.runs).where(st.runs.c.status == "completed")
                           .order_by(st.runs.c.finished_at.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def _stored_codebook(store: Store, sha: str) -> Codebook:
    with store.engine.connect() as conn:
        content = conn.execute(select(st.codebooks.c.content).where(st.codebooks.c.sha256 == sha)).scalar()
    if content is None:
        raise InvalidInput(f"the store has no codebook with hash {sha[:12]}…; re-run `kwali run` on the study")
    return Codebook.model_validate(content)


@lru_cache(maxsize=8)
def _describe_nlp(nlp_options_json: str) -> str:
    # Building the pipeline is the one way to know which model "default" resolves to here;
    # cached, because re-rendering several reports in one process should not rebuild it.
    from pipeline.config import NlpOptions
    from pipeline.nlp import build_nlp, pipeline_description

    options = NlpOptions.model_validate_json(nlp_options_json)
    try:
        return pipeline_description(build_nlp(options))
    except Exception:  # noqa: BLE001 - a model uninstalled since the run must not stop a report
        return f"{options.model or 'default'} (not loadable now; as configured for the run)"


def load_report_data(study_dir: str | Path, codes: str = "machine", quotes_per_code: int | None = None) -> ReportData:
    """The report data of a study folder's latest completed run, read from its store.

    Args:
        study_dir: A run's output folder: ``run_config.json`` and (unless the config names
            another store) ``kwali.sqlite``.
        codes: "machine", "human" or "consensus".
        quotes_per_code: Quotes per case and code; default: the run's setting.

    Returns:
        The data, ready for ``render_report``.

    Raises:
        InvalidInput: The folder is not a study output folder, or it has no completed run.
    """
    folder = Path(study_dir)
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise InvalidInput(f"{folder}: no {CONFIG_FILE} here; give the output folder of a run "
                           "(the --out folder of `kwali run`)")
    try:
        config = RunConfig.model_validate_json(config_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InvalidInput(f"{config_path}: not a Kwali run configuration ({exc})") from None
    # The folder may have moved since the run: its own store file wins over the recorded path.
    local = folder / "kwali.sqlite"
    url = config.store_url or f"sqlite:///{local.resolve()}"
    if config.store_url is None and not local.is_file():
        raise InvalidInput(f"{folder}: no kwali.sqlite here; give the output folder of a run")
    store = Store(url)
    try:
        run = latest_completed_run(store)
        if run is None:
            raise InvalidInput(f"{folder}: the store has no completed run; finish one with `kwali run` first")
        codebook = _stored_codebook(store, run["codebook_sha256"])
        frames = load_frames(store, run["id"], run["codebook_sha256"])
    finally:
        store.close()
    config = RunConfig.model_validate(run["config"]) if run.get("config") else config
    if quotes_per_code is not None:
        if quotes_per_code < 1:
            raise InvalidInput(f"quotes per code must be at least 1, got {quotes_per_code}")
        config = config.model_copy(update={"quotes_per_code": quotes_per_code})
    skipped = [SkippedFile(**s) for s in run.get("skipped") or []]
    return report_data(frames, config, run["id"], codebook, run["codebook_sha256"], skipped, codes=codes,
                       nlp_description=_describe_nlp(config.nlp.model_dump_json()), topics=read_topics(folder),
                       case_by_topic=read_case_by_topic(folder))
