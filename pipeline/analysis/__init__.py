"""Analysis: matrices (case x code, co-occurrence, crosstabs) and quotes from segments and tags."""

from pipeline.analysis.matrices import (
    Matrices,
    build_matrices,
    case_by_code,
    case_by_theme,
    cooccurrence,
    crosstab,
    write_matrices,
)
from pipeline.analysis.quotes import Quote, mark_evidence, strongest_quotes

__all__ = [
    "Matrices",
    "Quote",
    "build_matrices",
    "case_by_code",
    "case_by_theme",
    "cooccurrence",
    "crosstab",
    "mark_evidence",
    "strongest_quotes",
    "write_matrices",
]
