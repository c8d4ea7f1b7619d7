"""``kwali export qdpx``, ``kwali import qdpx``, ``kwali codebook export|import``: exchange with
NVivo, ATLAS.ti, MAXQDA, QualCoder and other REFI-QDA tools."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows.cli.common import app, codebook_app, err, fail, out
from pipeline.errors import KwaliError

export_app = typer.Typer(help="Export a study for other tools.", no_args_is_help=True)
import_app = typer.Typer(help="Import work done in other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")


class CodebookFormat(str, Enum):
    """Codebook file formats for export."""

    QDC = "qdc"
    YAML = "yaml"
    CSV = "csv"


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)


@export_app.command("qdpx")
def export_qdpx_cmd(
    study: Annotated[Path, typer.Argument(help="Study folder: the output folder of `kwali run` (kwali.sqlite).")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The .qdpx file to write.")],
) -> None:
    """Write a study as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder."""
    from pipeline.exchange import export_qdpx

    try:
        summary = export_qdpx(study, out_file)
    except KwaliError as exc:
        fail(exc)
    out.print(f"{summary.path}: {summary.sources} sources, {summary.selections} selections, "
              f"{summary.machine_codings} machine codings (user kwali), {summary.human_codings} coder codings, "
              f"{summary.users} users, {summary.cases} cases, {summary.notes} memos", highlight=False)
    if summary.unknown_codes:
        _warn([f"{summary.unknown_codes} coding(s) use codes that are not in the study's codebook; left out"])


@import_app.command("qdpx")
def import_qdpx_cmd(
    file: Annotated[Path, typer.Argument(help="A .qdpx file, or a bare project.qde/.xml "
                                              "(texts from a sources/ folder beside it).")],
    study: Annotated[Path | None, typer.Option("--study", "-s", help="Study folder to import into "
                                                 "(default: reports/<file name>).")] = None,
) -> None:
    """Import a REFI-QDA project: texts, selections, codebook, and codings as decisions by their users."""
    from pipeline.exchange import import_qdpx
    from pipeline.exchange.code_tree import slug

    target = study or Path("reports") / slug(file.stem)
    try:
        summary = import_qdpx(file, target)
    except KwaliError as exc:
        fail(exc)
    table = Table(title=f"Imported {file.name} ({summary.origin or 'unknown tool'}) into {target}", show_header=False)
    for label, value in [
        ("codes read", summary.codes), ("-> themes / codes", f"{summary.themes} / {summary.kwali_codes}"),
        ("text sources", summary.sources), ("documents stored", summary.documents),
        ("sources without text", summary.sources_without_text), ("selections", summary.selections),
        ("segments stored", summary.segments), ("codings read", summary.codings),
        ("decisions stored", summary.decisions), ("codings without text", summary.codings_without_text),
        ("users", summary.users), ("cases", summary.cases), ("notes", summary.notes),
    ]:
        table.add_row(label, str(value))
    out.print(table)
    if summary.codebook:
        out.print(f"codebook: {summary.codebook}", highlight=False)
    _warn(summary.warnings)


@codebook_app.command("export")
def codebook_export(
    codebook: Annotated[Path, typer.Argument(help="Codebook YAML.")],
    fmt: Annotated[CodebookFormat, typer.Option("--format", "-f", help="qdc (REFI-QDA), yaml or csv.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
) -> None:
    """Write a codebook as REFI-QDA .qdc (NVivo, ATLAS.ti, MAXQDA, QualCoder), YAML or CSV."""
    from pipeline.codebook import load_codebook
    from pipeline.exchange import export_codebook

    try:
        book = load_codebook(codebook)
        data = export_codebook(book, fmt.value)
    except KwaliError as exc:
        fail(exc)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(data)
    out.print(f"{out_file}: {len(book.themes)} themes, {len(book.codes)} codes ({fmt.value})", highlight=False)


@codebook_app.command("import")
def codebook_import(
    file: Annotated[Path, typer.Argument(help="A .qdc, .csv (id,label,theme,parent,definition), QualCoder .txt "
                                              "code list, or YAML codebook.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Codebook YAML to write.")],
) -> None:
    """Turn a codebook from another tool into a Kwali codebook YAML."""
    from pipeline.exchange import import_codebook, write_codebook_yaml

    try:
        book, warnings = import_codebook(file)
        write_codebook_yaml(book, out_file)
    except KwaliError as exc:
        fail(exc)
    _warn(warnings)
    out.print(f"{out_file}: {len(book.themes)} themes, {len(book.codes)} codes (from {file.name})", highlight=False)
