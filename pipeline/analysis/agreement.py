"""Inter-coder agreement per code at segment level: percent agreement and Cohen's kappa.

The unit is the segment. For one code and one pair of coders, the units are the segments that
*both* coders looked at: segments on which each of them recorded at least one current decision
(on any code). On such a segment, a coder "applies" the code when their current decision for it
is an accept; a reject, or no decision for that code, counts as not applied. This is how a
coder who only records the codes they apply (as imported CAQDAS codings do) is read, and it keeps
segments that one coder never saw out of the comparison.

Measures are plain functions of two 0/1 vectors, kept in ``MEASURES``; another coefficient
(Krippendorff's alpha, say) plugs in by adding a function there.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np
import pandas as pd

from pipeline.analysis import reliability
from pipeline.errors import InvalidInput

DECISION_COLUMNS = ("segment_id", "code_id", "coder", "verdict")
AGREEMENT_COLUMNS = ("code_id", "coder_a", "coder_b", "units", "applied_a", "applied_b", "both")


def percent_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of units on which the two coders made the same call (0..1; NaN without units)."""
    return reliability.percent_agreement(pd.DataFrame({"a": a, "b": b}))


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa for two coders and a binary code: (p_o - p_e) / (1 - p_e).

    NaN when there are no units or when both coders made one and the same call on every unit
    (kappa is undefined there; reporting 1 or 0 would be a guess). The formula lives in
    ``pipeline.analysis.reliability``, checked there against scikit-learn.
    """
    return reliability.cohen_kappa(a, b)


#: Name -> function of two equally long 0/1 arrays; each becomes a column of ``code_agreement``.
MEASURES: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "percent_agreement": percent_agreement,
    "cohen_kappa": cohen_kappa,
}


def _validate(decisions: pd.DataFrame) -> None:
    missing = [c for c in DECISION_COLUMNS if c not in decisions.columns]
    if missing:
        raise InvalidInput(f"the decisions table lacks column(s) {missing}; build it with the store's "
                           "decisions_frame()")


def coders(decisions: pd.DataFrame) -> list[str]:
    """Coders with at least one decision, sorted."""
    _validate(decisions)
    return sorted(set(decisions["coder"].astype(str)))


def code_agreement(decisions: pd.DataFrame, code_ids: list[str] | None = None,
                   measures: dict[str, Callable[[np.ndarray, np.ndarray], float]] | None = None) -> pd.DataFrame:
    """Agreement per code and coder pair.

    Args:
        decisions: Current decisions (``DECISION_COLUMNS``; verdict "accept" or "reject"), one
            per (segment, code, coder).
        code_ids: Codes to report, in this order; default: every code with a decision, sorted.
        measures: Name -> function; default ``MEASURES``.

    Returns:
        One row per (code, coder pair) with ``AGREEMENT_COLUMNS`` plus one column per measure:
        ``units`` segments both coders looked at, ``applied_a``/``applied_b`` how many of them
        each coder gave the code, ``both`` how many both did. Empty (with those columns) when
        fewer than two coders decided anything.
    """
    _validate(decisions)
    measures = MEASURES if measures is None else measures
    columns = [*AGREEMENT_COLUMNS, *measures]
    names = coders(decisions)
    if len(names) < 2:
        return pd.DataFrame(columns=columns)
    decisions = decisions.assign(coder=decisions["coder"].astype(str),
                                 verdict=decisions["verdict"].map(lambda v: getattr(v, "value", v)))
    seen = {name: set(group["segment_id"]) for name, group in decisions.groupby("coder")}
    accepted = decisions[decisions["verdict"] == "accept"]
    applied = {key: set(group["segment_id"]) for key, group in accepted.groupby(["code_id", "coder"])}
    if code_ids is None:
        code_ids = sorted(set(decisions["code_id"]))
    rows = []
    for code_id in code_ids:
        for coder_a, coder_b in combinations(names, 2):
            units = sorted(seen[coder_a] & seen[coder_b])
            if not units:
                continue
            a = np.array([u in applied.get((code_id, coder_a), ()) for u in units], dtype=np.int8)
            b = np.array([u in applied.get((code_id, coder_b), ()) for u in units], dtype=np.int8)
            row = {"code_id": code_id, "coder_a": coder_a, "coder_b": coder_b, "units": len(units),
                   "applied_a": int(a.sum()), "applied_b": int(b.sum()), "both": int((a & b).sum())}
            row.update({name: fn(a, b) for name, fn in measures.items()})
            rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def decision_counts(decisions: pd.DataFrame) -> pd.DataFrame:
    """Current decisions per coder: accepts, rejects, segments and codes touched.

    Returns:
        Columns coder, decisions, accept, reject, segments, codes; one row per coder, sorted.
    """
    _validate(decisions)
    columns = ["coder", "decisions", "accept", "reject", "segments", "codes"]
    if decisions.empty:
        return pd.DataFrame(columns=columns)
    verdict = decisions["verdict"].map(lambda v: getattr(v, "value", v))
    frame = decisions.assign(coder=decisions["coder"].astype(str), accept=verdict == "accept",
                             reject=verdict == "reject")
    rows = [{"coder": name, "decisions": len(group), "accept": int(group["accept"].sum()),
             "reject": int(group["reject"].sum()), "segments": group["segment_id"].nunique(),
             "codes": group["code_id"].nunique()}
            for name, group in frame.groupby("coder", sort=True)]
    return pd.DataFrame(rows, columns=columns)
