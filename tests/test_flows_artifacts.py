"""The run's UI artifacts are built from the matrices and the summary (no Prefect needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from flows.artifacts import case_theme_rows, summary_markdown, theme_totals
from flows.full_run import RunStats
from pipeline.analysis import Matrices
from pipeline.models import SkippedFile
from pipeline.run import RunSummary


def matrices() -> Matrices:
    by_theme = pd.DataFrame({"trust": [2, 0], "roles": [1, 3]}, index=pd.Index(["keilehaven", "werkspoor"], name="case"))
    return Matrices(case_by_code={}, case_by_theme={"segments": by_theme}, cooccurrence_codes=pd.DataFrame(),
                    cooccurrence_themes=pd.DataFrame())


def test_case_theme_rows_have_one_row_per_case_and_plain_ints():
    rows = case_theme_rows(matrices())
    assert rows == [{"case": "keilehaven", "trust": 2, "roles": 1}, {"case": "werkspoor", "trust": 0, "roles": 3}]
    assert all(type(v) is int for row in rows for k, v in row.items() if k != "case")
    assert theme_totals(matrices()) == {"trust": 2, "roles": 4}


def test_summary_lists_reuse_skipped_reasons_theme_counts_and_report_path():
    summary = RunSummary("abc123", 2, 10, 7, [SkippedFile("kapot.docx", "not a valid .docx file")], ["los.txt"],
                         {"report (HTML)": Path("/tmp/uit/report.html")})
    stats = RunStats(read=["a.txt"], reused=["b.txt"], tagged=1)
    text = summary_markdown(summary, matrices(), stats)
    assert "| source files read (new or changed) | 1 |" in text
    assert "| source files reused (unchanged) | 1 |" in text and "| documents (re)tagged | 1 |" in text
    assert "- `kapot.docx`: not a valid .docx file" in text
    assert "| roles | 4 |" in text and "`/tmp/uit/report.html`" in text and "`los.txt`" in text
