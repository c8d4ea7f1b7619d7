"""What a researcher sees in the Prefect UI after a run: the case x theme matrix as a table
artifact and a Markdown summary (what was read, reused, skipped and why; where the report is).

The builders are plain functions (tested without Prefect); ``publish`` hands them to Prefect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.analysis import Matrices
from pipeline.run import RunSummary

if TYPE_CHECKING:
    from flows.full_run import RunStats

TABLE_KEY = "case-by-theme"
SUMMARY_KEY = "run-summary"


def case_theme_rows(matrices: Matrices, measure: str = "segments") -> list[dict[str, Any]]:
    """The case x theme matrix as table rows: one per case, a column per theme."""
    frame = matrices.case_by_theme[measure]
    rows = []
    for case, values in frame.iterrows():
        row: dict[str, Any] = {"case": str(case)}
        row.update({str(theme): (v.item() if hasattr(v, "item") else v) for theme, v in values.items()})
        rows.append(row)
    return rows


def theme_totals(matrices: Matrices) -> dict[str, int]:
    """Tagged segments per theme over all cases."""
    frame = matrices.case_by_theme["segments"]
    return {str(theme): int(frame[theme].sum()) for theme in frame.columns}


def summary_markdown(summary: RunSummary, matrices: Matrices, stats: RunStats) -> str:
    """The run summary shown as a Markdown artifact."""
    lines = [f"# Kwali run {summary.run_id}", ""]
    lines += [
        "| | |", "|---|---:|",
        f"| documents in the report | {summary.documents} |",
        f"| source files read (new or changed) | {len(stats.read)} |",
        f"| source files reused (unchanged) | {len(stats.reused)} |",
        f"| documents (re)tagged | {stats.tagged} |",
        f"| segments | {summary.segments} |",
        f"| tags | {summary.tags} |",
        f"| skipped files | {len(summary.skipped)} |",
        "",
    ]
    if stats.fresh:
        lines += ["Fresh run: everything was read and tagged again.", ""]
    lines += ["## Tagged segments per theme", "", "| theme | segments |", "|---|---:|"]
    lines += [f"| {theme} | {n} |" for theme, n in theme_totals(matrices).items()]
    lines.append("")
    if summary.skipped:
        lines += ["## Skipped", ""]
        lines += [f"- `{s.path}`: {s.reason}" for s in summary.skipped]
        lines.append("")
    if summary.uncased:
        lines += ["## Without a row in cases.csv (own case)", ""]
        lines += [f"- `{d}`" for d in summary.uncased]
        lines.append("")
    lines += ["## Outputs", ""]
    lines += [f"- {name}: `{path}`" for name, path in summary.outputs.items()]
    return "\n".join(lines) + "\n"


def publish(summary: RunSummary, matrices: Matrices, stats: RunStats) -> None:
    """Attach the table and the summary to the current flow run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_table_artifact(case_theme_rows(matrices), key=TABLE_KEY,
                          description="Case x theme: segments tagged with each theme, per case.")
    create_markdown_artifact(summary_markdown(summary, matrices, stats), key=SUMMARY_KEY,
                             description="What this run read, reused, skipped and wrote.")
