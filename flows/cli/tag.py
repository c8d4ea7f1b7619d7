"""``kwali tag``: code open answers from a CSV or JSONL file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import DEFAULT_CODEBOOK_PATH, CodebookOpt, app, err, fail, progress
from pipeline.codebook import load_codebook
from pipeline.config import NlpOptions, TagOptions
from pipeline.errors import KwaliError


@app.command()
def tag(
    input: Annotated[Path, typer.Option("--input", "-i", help="CSV (with header) or JSONL with id and text.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL output, one line per input row.")],
    codebook: CodebookOpt = DEFAULT_CODEBOOK_PATH,
    id_field: Annotated[str, typer.Option(help="Name of the id column/field.")] = "id",
    text_field: Annotated[str, typer.Option(help="Name of the text column/field.")] = "text",
    nlp_model: Annotated[str | None, typer.Option(help="Trained spaCy pipeline to use, or 'blank'.")] = None,
    # Rules is the default because it scores best on the development set (README, "Which embedder").
    method: Annotated[str, typer.Option(help="rules | semantic | supervised | ensemble.")] = "rules",
    embedder: Annotated[str, typer.Option(help="e5 | use | tfidf | st:/path/to/local/model.")] = "e5",
    training: Annotated[Path | None, typer.Option(help="Coded examples (CSV/JSONL: id, text, labels) "
                                                       "for the supervised tagger, or a model file "
                                                       "from `kwali learn` (.json).")] = None,
) -> None:
    """Code open answers: one JSON line per input row, same order."""
    from pipeline.tagfile import read_records, tag_records

    try:
        book = load_codebook(codebook)
        records = read_records(input, id_field, text_field)
        output.parent.mkdir(parents=True, exist_ok=True)
        coded = 0
        with output.open("w", encoding="utf-8") as handle, progress() as bar:
            task_id = bar.add_task("tag", total=len(records))
            options = TagOptions(embedder=embedder, training=training)
            for row in tag_records(records, book, NlpOptions(model=nlp_model), options, method=method):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                coded += bool(row["codes"])
                bar.advance(task_id)
    except KwaliError as exc:
        fail(exc)
    err.print(f"{len(records)} rows tagged, {coded} with at least one code -> {output}", highlight=False)
