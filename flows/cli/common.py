"""Shared pieces of the ``kwali`` command line: the Typer apps, consoles and error handling.

The CLI is a thin shell over ``pipeline`` and the Prefect flows; each command lives in its own
module of this package and registers itself on ``app`` (or a sub-app) when imported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.config import DEFAULT_CODEBOOK
from pipeline.errors import InvalidCodebook, KwaliError

app = typer.Typer(help="Kwali: reproducible, local coding of Dutch qualitative research material.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
codebook_app = typer.Typer(help="Work with codebooks.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

CodebookOpt = Annotated[Path, typer.Option("--codebook", "-c", help="Codebook YAML.")]
DEFAULT_CODEBOOK_PATH = DEFAULT_CODEBOOK


def fail(exc: KwaliError) -> NoReturn:
    """Print a user error (every codebook problem on its own line) and exit with code 2."""
    if isinstance(exc, InvalidCodebook):
        err.print(f"[bold red]The codebook has {len(exc.problems)} problem(s):[/]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
    else:
        err.print(f"[bold red]Error:[/] {exc}", highlight=False)
    raise typer.Exit(code=2)


def progress() -> Progress:
    """A progress bar on stderr (shown on a terminal, or when KWALI_PROGRESS is set)."""
    return Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False, disable=not err.is_terminal and "KWALI_PROGRESS" not in os.environ)
