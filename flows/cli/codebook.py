"""``kwali codebook ...``: validate (and later import/export) codebooks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import codebook_app, fail, out
from pipeline.codebook import load_codebook
from pipeline.errors import KwaliError


@codebook_app.command("check")
def codebook_check(file: Annotated[Path, typer.Argument(help="Codebook YAML to validate.")]) -> None:
    """Validate a codebook: every problem with file, line, what and how to fix."""
    try:
        book = load_codebook(file)
    except KwaliError as exc:
        fail(exc)
    patterns = sum(len(c.patterns) for c in book.codes)
    out.print(f"{file}: OK — {book.id} {book.version}, {len(book.themes)} themes, {len(book.codes)} codes, "
              f"{patterns} patterns", highlight=False)
