"""Matrix files that follow the codes a report counts, with their basis named in every file.

The run writes ``matrices/`` from machine proposals. A report on human or consensus codes
(``kwali report --codes human``) writes its own matrices into ``matrices-human/`` or
``matrices-consensus/``, with the same file names, so a number in a paper can be traced to the
codes it was counted from: each CSV opens with a ``# Kwali matrix basis: ...`` comment line and
each XLSX has a "basis" sheet saying which decisions, run and codebook the counts come from.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pipeline.analysis.matrices import write_matrices
from pipeline.report.data import ReportData


def matrix_folder(codes: str) -> str:
    """Folder name of the matrices for a code source: ``matrices`` for machine, else ``matrices-<codes>``."""
    return "matrices" if codes == "machine" else f"matrices-{codes}"


def basis_note(data: ReportData) -> str:
    """One line naming what a report's matrices count (codes, decisions, coders, run, codebook)."""
    source = data.code_source
    if source.name == "machine":
        codes = "machine proposals (not reviewed)"
    elif source.decisions == 0:
        codes = f"{source.name} codes asked for, but no {source.name} decisions are recorded: machine proposals"
    else:
        which = "consensus" if source.name == "consensus" else "human"
        codes = (f"{which} codes: {source.decisions} current {which} decisions by {', '.join(source.coders)} decide "
                 f"{source.decided_pairs} (segment, code) pairs, {source.applied} of them coded; machine proposals "
                 "on pairs nobody decided")
    run = data.methods.get("run_id", "?")
    written = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return (f"Kwali matrix basis: {codes}. Study {data.study}, run {run}, codebook {data.codebook.id} version "
            f"{data.codebook.version} (sha256 {data.codebook_sha256[:12]}), written {written}.")


def write_report_matrices(data: ReportData, out_dir: str | Path) -> list[Path]:
    """Write the report's matrices into ``out_dir/matrices-<source>`` with their basis (see module).

    Args:
        data: Report data whose ``matrices`` were built from ``data.code_source``.
        out_dir: The study's (or report's) output folder.

    Returns:
        The written files.
    """
    return write_matrices(data.matrices, out_dir, folder=matrix_folder(data.code_source.name),
                          basis=basis_note(data))
