"""``kwali report``: re-render a study's report from its store, in HTML, Markdown, Word or PDF."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import app, err, fail, out
from pipeline.errors import KwaliError


class ReportFormat(str, Enum):
    html = "html"
    md = "md"
    docx = "docx"
    pdf = "pdf"


class CodeSourceName(str, Enum):
    machine = "machine"
    human = "human"
    consensus = "consensus"


@app.command()
def report(
    study: Annotated[Path, typer.Argument(help="A run's output folder (kwali.sqlite + run_config.json).")],
    format: Annotated[list[ReportFormat] | None, typer.Option(
        "--format", "-f", help="Report format; repeat for several (default: html).")] = None,
    template: Annotated[Path | None, typer.Option(
        help="Folder with your own templates; any it lacks come from reports/templates.")] = None,
    codes: Annotated[CodeSourceName, typer.Option(
        help="Count machine proposals, or human (consensus) decisions where they exist.")] = CodeSourceName.machine,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write (default: STUDY).")] = None,
    quotes_per_code: Annotated[int | None, typer.Option(
        help="Quotes per case and code (default: the run's setting, 3).")] = None,
) -> None:
    """Render the report of a study's latest completed run, without re-running the pipeline.

    With --codes human or consensus, the matrices counted from those codes are written too, into
    matrices-human/ or matrices-consensus/ (same file names as matrices/, basis named in each file).
    """
    from pipeline.report.figure_cache import CACHE_DIR as FIGURE_CACHE_DIR
    from pipeline.report.matrix_files import write_report_matrices
    from pipeline.report.quote_chapter import CACHE_DIR as QUOTE_CACHE_DIR
    from pipeline.report.render import render_report
    from pipeline.report.study import load_report_data

    formats = [f.value for f in (format or [ReportFormat.html])]
    # Reports on human codes get their own names, so they never overwrite the run's own report.
    basename = "report" if codes is CodeSourceName.machine else f"report-{codes.value}"
    try:
        data = load_report_data(study, codes=codes.value, quotes_per_code=quotes_per_code)
        source = data.code_source
        if codes is not CodeSourceName.machine and source.decisions == 0:
            err.print(f"No {codes.value} decisions in this study: the report counts machine proposals.",
                      highlight=False)
        # A report on the run's own codes shows the run's figures and quotes: take them from the
        # study's caches instead of drawing them again. Other codes would evict the run's entries.
        caches = ({"figure_cache": study / FIGURE_CACHE_DIR, "quote_cache": study / QUOTE_CACHE_DIR}
                  if codes is CodeSourceName.machine else {})
        written = render_report(data, out_dir or study, templates_dir=template, formats=formats, basename=basename,
                                **caches)
        # The run's matrices/ count machine proposals; a report on other codes gets its own.
        matrices = write_report_matrices(data, out_dir or study) if codes is not CodeSourceName.machine else []
    except KwaliError as exc:
        fail(exc)
    for name in formats:
        out.print(f"report ({name}): {written[name]}", markup=False, highlight=False)
    if matrices:
        out.print(f"matrices ({codes.value} codes): {matrices[0].parent}", markup=False, highlight=False)
