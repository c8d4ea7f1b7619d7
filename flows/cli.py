"""The ``kwali`` command line: a thin shell over ``pipeline`` and the Prefect flows.

It lives beside the flows because ``kwali run`` starts the ``full-run`` flow; ``pipeline``
itself never imports Prefect. Every user error ends in one short message and exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.codebook import load_codebook
from pipeline.config import DEFAULT_CODEBOOK, IngestOptions, NlpOptions, RunConfig, SegmentOptions, TagOptions
from pipeline.errors import InvalidCodebook, KwaliError
from pipeline.models import Unit

app = typer.Typer(help="Kwali: reproducible, local coding of Dutch qualitative research material.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
codebook_app = typer.Typer(help="Work with codebooks.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

CodebookOpt = Annotated[Path, typer.Option("--codebook", "-c", help="Codebook YAML.")]


def _fail(exc: KwaliError) -> None:
    if isinstance(exc, InvalidCodebook):
        err.print(f"[bold red]The codebook has {len(exc.problems)} problem(s):[/]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
    else:
        err.print(f"[bold red]Error:[/] {exc}", highlight=False)
    raise typer.Exit(code=2)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False, disable=not err.is_terminal and "KWALI_PROGRESS" not in os.environ)


@app.command()
def run(
    corpus: Annotated[Path, typer.Argument(help="Study folder with transcripts and an optional cases.csv.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder for report and matrices.")],
    codebook: CodebookOpt = DEFAULT_CODEBOOK,
    unit: Annotated[Unit, typer.Option(help="Unit of analysis.")] = Unit.TURN,
    window: Annotated[int, typer.Option(help="Sentences per segment when --unit sentence.")] = 3,
    store: Annotated[str | None, typer.Option(help="Store URL (default: SQLite in the output folder).")] = None,
    text_column: Annotated[str, typer.Option(help="Survey CSV/XLSX: column with the answers.")] = "text",
    id_column: Annotated[str | None, typer.Option(help="Survey CSV/XLSX: column with the answer id.")] = None,
    case_column: Annotated[str | None, typer.Option(help="Survey CSV/XLSX: column with the case.")] = None,
    max_file_mb: Annotated[float, typer.Option(help="Skip source files larger than this.")] = 20.0,
    attribute: Annotated[str | None, typer.Option(help="Case attribute for the crosstab (e.g. city).")] = None,
    nlp_model: Annotated[str | None, typer.Option(help="Trained spaCy pipeline to use, or 'blank'.")] = None,
) -> None:
    """Ingest, tag, analyse and report a study folder (the full-run flow)."""
    try:
        if not corpus.is_dir():
            raise KwaliError(f"{corpus}: not a folder; give the study folder that holds the transcripts")
        config = RunConfig(
            corpus=corpus.resolve(), out=out_dir.resolve(), codebook=codebook.resolve(), store_url=store,
            ingest=IngestOptions(text_column=text_column, id_column=id_column, case_column=case_column,
                                 max_file_mb=max_file_mb),
            segment=SegmentOptions(unit=unit, window=window), nlp=NlpOptions(model=nlp_model), tag=TagOptions(),
            attribute=attribute,
        )
        book = load_codebook(config.codebook)  # stop before any processing on a bad codebook
        err.print(f"Codebook {book.id} {book.version}: {len(book.themes)} themes, {len(book.codes)} codes")
        from flows.full_run import full_run  # Prefect is slow to import: only when running

        with _progress() as bar:
            tasks: dict[str, int] = {}

            def report_progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done)

            summary = full_run(config, progress=report_progress)
    except KwaliError as exc:
        _fail(exc)
        return
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


@app.command()
def tag(
    input: Annotated[Path, typer.Option("--input", "-i", help="CSV (with header) or JSONL with id and text.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL output, one line per input row.")],
    codebook: CodebookOpt = DEFAULT_CODEBOOK,
    id_field: Annotated[str, typer.Option(help="Name of the id column/field.")] = "id",
    text_field: Annotated[str, typer.Option(help="Name of the text column/field.")] = "text",
    nlp_model: Annotated[str | None, typer.Option(help="Trained spaCy pipeline to use, or 'blank'.")] = None,
) -> None:
    """Code open answers: one JSON line per input row, same order."""
    from pipeline.tagfile import read_records, tag_records

    try:
        book = load_codebook(codebook)
        records = read_records(input, id_field, text_field)
        output.parent.mkdir(parents=True, exist_ok=True)
        coded = 0
        with output.open("w", encoding="utf-8") as handle, _progress() as bar:
            task_id = bar.add_task("tag", total=len(records))
            for row in tag_records(records, book, NlpOptions(model=nlp_model)):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                coded += bool(row["codes"])
                bar.advance(task_id)
    except KwaliError as exc:
        _fail(exc)
        return
    err.print(f"{len(records)} rows tagged, {coded} with at least one code -> {output}", highlight=False)


@codebook_app.command("check")
def codebook_check(file: Annotated[Path, typer.Argument(help="Codebook YAML to validate.")]) -> None:
    """Validate a codebook: every problem with file, line, what and how to fix."""
    try:
        book = load_codebook(file)
    except KwaliError as exc:
        _fail(exc)
        return
    patterns = sum(len(c.patterns) for c in book.codes)
    out.print(f"{file}: OK — {book.id} {book.version}, {len(book.themes)} themes, {len(book.codes)} codes, "
              f"{patterns} patterns", highlight=False)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
