"""``kwali run``: the full-run flow on a study folder."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from flows.cli.common import DEFAULT_CODEBOOK_PATH, CodebookOpt, app, err, fail, out, progress
from pipeline.codebook import load_codebook
from pipeline.config import IngestOptions, NlpOptions, RunConfig, SegmentOptions, TagOptions, TopicOptions
from pipeline.errors import KwaliError
from pipeline.models import Unit


class Runner(str, Enum):
    """Where tasks run."""

    THREADS = "threads"
    DASK = "dask"


@app.command()
def run(
    corpus: Annotated[Path, typer.Argument(help="Study folder with transcripts and an optional cases.csv.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder for report and matrices.")],
    codebook: CodebookOpt = DEFAULT_CODEBOOK_PATH,
    unit: Annotated[Unit, typer.Option(help="Unit of analysis.")] = Unit.TURN,
    window: Annotated[int, typer.Option(help="Sentences per segment when --unit sentence.")] = 3,
    store: Annotated[str | None, typer.Option(help="Store URL (default: SQLite in the output folder).")] = None,
    text_column: Annotated[str, typer.Option(help="Survey CSV/XLSX: column with the answers.")] = "text",
    id_column: Annotated[str | None, typer.Option(help="Survey CSV/XLSX: column with the answer id.")] = None,
    case_column: Annotated[str | None, typer.Option(help="Survey CSV/XLSX: column with the case.")] = None,
    max_file_mb: Annotated[float, typer.Option(help="Skip source files larger than this.")] = 20.0,
    attribute: Annotated[str | None, typer.Option(help="Case attribute for the crosstab (e.g. city).")] = None,
    nlp_model: Annotated[str | None, typer.Option(help="Trained spaCy pipeline to use, or 'blank'.")] = None,
    topics: Annotated[bool, typer.Option("--topics", help="Also fit BERTopic topics; writes DIR/topics/.")] = False,
    min_topic_size: Annotated[int, typer.Option(help="Smallest topic, in segments (with --topics).")] = 10,
    method: Annotated[str, typer.Option(help="Tagging: rules | semantic | ensemble (| supervised with "
                                                   "--training).")] = "rules",
    embedder: Annotated[str, typer.Option(help="e5 | use | tfidf | st:/path/to/local/model.")] = "e5",
    training: Annotated[Path | None, typer.Option(help="Coded examples (CSV/JSONL: id, text, labels).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore earlier runs: re-read and re-tag every document.")] = False,
    runner: Annotated[Runner, typer.Option(help="Task runner: threads on this machine, or a Dask cluster.")] = Runner.THREADS,
    dask_address: Annotated[str | None, typer.Option(
        help="Dask scheduler (tcp://host:8786) for --runner dask; default: a local cluster.")] = None,
) -> None:
    """Ingest, tag, analyse and report a study folder (the full-run flow)."""
    try:
        if not corpus.is_dir():
            raise KwaliError(f"{corpus}: not a folder; give the study folder that holds the transcripts")
        config = RunConfig(
            corpus=corpus.resolve(), out=out_dir.resolve(), codebook=codebook.resolve(), store_url=store,
            ingest=IngestOptions(text_column=text_column, id_column=id_column, case_column=case_column,
                                 max_file_mb=max_file_mb),
            segment=SegmentOptions(unit=unit, window=window), nlp=NlpOptions(model=nlp_model),
            tag=TagOptions(methods=[method], embedder=embedder, training=training.resolve() if training else None),
            topics=TopicOptions(enabled=topics, min_topic_size=min_topic_size), attribute=attribute,
        )
        book = load_codebook(config.codebook)  # stop before any processing on a bad codebook
        err.print(f"Codebook {book.id} {book.version}: {len(book.themes)} themes, {len(book.codes)} codes")
        if not os.environ.get("PREFECT_API_URL"):
            from flows.cli.serve import running_serve_api

            api_url = running_serve_api()
            if api_url:  # before Prefect is imported: it reads the address once
                os.environ["PREFECT_API_URL"] = api_url
                err.print(f"Reporting to the Prefect server of `kwali serve` at {api_url}: the run shows in its UI.",
                          highlight=False)
        from flows.full_run import full_run  # Prefect is slow to import: only when running
        from flows.runners import terminal_run, with_runner

        flow_to_run = with_runner(full_run, runner.value, dask_address)

        with terminal_run(), progress() as bar:
            tasks: dict[str, int] = {}

            def report_progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done)

            # A progress callback cannot travel to Dask workers (it holds the terminal's lock).
            summary = flow_to_run(config, progress=report_progress if runner is Runner.THREADS else None,
                                  fresh=fresh)
    except KwaliError as exc:
        fail(exc)
    except ValidationError as exc:
        fail(KwaliError("invalid option: " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())))
    table = Table(title=f"Run {summary.run_id}", show_header=False)
    table.add_row("documents", str(summary.documents))
    table.add_row("segments", str(summary.segments))
    table.add_row("tags", str(summary.tags))
    table.add_row("skipped files", str(len(summary.skipped)))
    out.print(table)
    for skipped in summary.skipped:
        out.print(f"  skipped {skipped.path}: {skipped.reason}", markup=False, highlight=False)
    for doc_id in summary.uncased:
        out.print(f"  no row in cases.csv, own case: {doc_id}", markup=False, highlight=False)
    for name, path in summary.outputs.items():
        out.print(f"{name}: {path}", markup=False, highlight=False)
    if config.topics.enabled:
        out.print(f"topics: {config.out / 'topics'}", markup=False, highlight=False)
