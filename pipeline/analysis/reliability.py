"""Inter-coder reliability at segment level: percent agreement, Cohen's kappa, Krippendorff's alpha.

The unit of analysis is a segment. For one code, a coder's value on a segment is 1 when the
coder's current decision accepts the code there, 0 when the coder reviewed the segment but did
not accept the code (rejected it, or left it out), and missing when the coder never reviewed the
segment. "Overall" pools every (segment, code) pair of the listed codes as one unit, so it weighs
every presence/absence judgement equally.

The machine can be compared with each coder the same way: its value is 1 where it proposed the
code with at least the given score, 0 elsewhere, on the segments that coder reviewed.

The coefficient functions take a ratings frame: one row per unit, one column per coder, any
hashable labels, missing values as NaN/None. They agree with scikit-learn's ``cohen_kappa_score``
and the ``krippendorff`` package (nominal level); both are checked in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

OVERALL = "(overall)"
MACHINE = "machine"


# --- coefficients on a ratings frame ---------------------------------------------------------

def _pairable(ratings: pd.DataFrame) -> pd.DataFrame:
    """Rows with at least two values: only those carry information about agreement."""
    return ratings[ratings.notna().sum(axis=1) >= 2]


def percent_agreement(ratings: pd.DataFrame) -> float:
    """Share of agreeing coder pairs among all pairs that coded the same unit.

    With two coders this is the share of units both coded on which they agree. Returns NaN when
    no unit has two values.
    """
    agree = total = 0
    for a, b in combinations(ratings.columns, 2):
        both = ratings[[a, b]].dropna()
        total += len(both)
        agree += int((both[a] == both[b]).sum())
    return agree / total if total else math.nan


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's kappa of two coders over the units both coded (missing values dropped pairwise).

    Returns NaN when there are no such units or when chance agreement is 1 (both coders used one
    and the same label everywhere), as scikit-learn does.
    """
    pair = pd.DataFrame({"a": list(a), "b": list(b)}).dropna()
    n = len(pair)
    if n == 0:
        return math.nan
    observed = float((pair["a"] == pair["b"]).mean())
    pa = pair["a"].value_counts() / n
    pb = pair["b"].value_counts() / n
    expected = float(sum(pa.get(label, 0.0) * pb.get(label, 0.0) for label in set(pa.index) | set(pb.index)))
    if expected >= 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha_nominal(ratings: pd.DataFrame) -> float:
    """Krippendorff's alpha for nominal data, any number of coders, missing values allowed.

    Built from the coincidence matrix: within each unit with ``m`` values, every ordered pair of
    values from different coders adds ``1 / (m - 1)``. Returns NaN when fewer than two pairable
    values exist or only one label occurs (no variation to disagree about).
    """
    pairable = _pairable(ratings)
    if pairable.empty:
        return math.nan
    stacked = pairable.stack().dropna()
    labels = sorted(pd.unique(stacked.to_numpy()), key=repr)
    if len(labels) < 2:
        return math.nan
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(pairable), len(labels)))  # units x labels: how many coders gave each label
    unit_pos = {unit: i for i, unit in enumerate(pairable.index)}
    for (unit, _coder), value in stacked.items():
        counts[unit_pos[unit], index[value]] += 1
    return alpha_from_counts(counts)


def alpha_from_counts(counts: np.ndarray) -> float:
    """Nominal alpha from a units x labels matrix of how many coders gave each label.

    Every unit must hold two or more values and every label must occur (callers drop the rest),
    so that this is the one place the coefficient is computed, whoever counted.
    """
    m = counts.sum(axis=1, keepdims=True)
    weighted = counts / (m - 1)
    coincidences = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n_c = coincidences.sum(axis=1)
    n = n_c.sum()
    observed_disagreement = coincidences.sum() - np.trace(coincidences)
    expected_pairs = n_c.sum() ** 2 - (n_c ** 2).sum()
    return float(1.0 - (n - 1) * observed_disagreement / expected_pairs)


# --- from decisions and tags to ratings --------------------------------------------------------

def _reviewed(decisions: pd.DataFrame) -> dict[str, set[str]]:
    # An undone decision (verdict "undone") is no proof that the coder looked at the segment.
    decisions = decisions[decisions["verdict"] != "undone"]
    return {coder: set(group["segment_id"]) for coder, group in decisions.groupby("coder")}


def presence_ratings(decisions: pd.DataFrame, code_id: str, coders: Sequence[str],
                     machine: pd.DataFrame | None = None, threshold: float = 0.5) -> pd.DataFrame:
    """Ratings frame (segments x coders, 1/0/NaN) for one code.

    Args:
        decisions: Current decisions with segment_id, code_id, coder, verdict.
        code_id: The code.
        coders: Coder columns, in order; ``"machine"`` adds the machine as a coder.
        machine: Tags (segment_id, code_id, score) for the machine column.
        threshold: Minimum score for a machine proposal to count as coding the segment.
    """
    reviewed = _reviewed(decisions)
    human = [c for c in coders if c != MACHINE]
    units = sorted(set().union(*(reviewed.get(c, set()) for c in human))) if human else []
    accepted = decisions[(decisions["code_id"] == code_id) & (decisions["verdict"] == "accept")]
    frame = pd.DataFrame(index=pd.Index(units, name="segment_id"), columns=list(coders), dtype=float)
    for coder in human:
        mine = reviewed.get(coder, set())
        yes = set(accepted.loc[accepted["coder"] == coder, "segment_id"])
        frame[coder] = [(1.0 if u in yes else 0.0) if u in mine else np.nan for u in units]
    if MACHINE in coders:
        proposed: set[str] = set()
        if machine is not None and not machine.empty:
            hits = machine[(machine["code_id"] == code_id) & (machine["score"] >= threshold)]
            proposed = set(hits["segment_id"])
        frame[MACHINE] = [1.0 if u in proposed else 0.0 for u in units]
    return frame


def _figures(ratings: pd.DataFrame) -> dict[str, float | int]:
    pairable = _pairable(ratings)
    kappa = (cohen_kappa(ratings.iloc[:, 0], ratings.iloc[:, 1]) if ratings.shape[1] == 2 else math.nan)
    return {"units": len(pairable), "percent_agreement": percent_agreement(ratings),
            "cohen_kappa": kappa, "krippendorff_alpha": krippendorff_alpha_nominal(ratings)}


def reliability_table(decisions: pd.DataFrame, code_ids: Sequence[str], coders: Sequence[str] | None = None,
                      machine: pd.DataFrame | None = None, threshold: float = 0.5) -> pd.DataFrame:
    """Reliability per code and overall among the given coders (and the machine, if listed).

    Args:
        decisions: Current decisions (``Store.decisions_frame()``).
        code_ids: Codes to report, in order.
        coders: Coders to compare; default every coder in ``decisions`` except "consensus".
            Cohen's kappa is given only when exactly two are compared.
        machine: Tags, needed when ``coders`` includes ``"machine"``.
        threshold: Minimum machine score.

    Returns:
        One row per code plus an ``(overall)`` row: code_id, units (segments with two or more
        values), percent_agreement, cohen_kappa, krippendorff_alpha.
    """
    if coders is None:
        coders = sorted(c for c in decisions["coder"].unique() if c != "consensus")
    coders = list(coders)
    rows, stacked = [], []
    for code_id in code_ids:
        ratings = presence_ratings(decisions, code_id, coders, machine, threshold)
        rows.append({"code_id": code_id, **_figures(ratings)})
        stacked.append(ratings.set_index(ratings.index.astype(str) + "\x1f" + code_id))
    overall = pd.concat(stacked) if stacked else pd.DataFrame(columns=coders, dtype=float)
    rows.append({"code_id": OVERALL, **_figures(overall)})
    return pd.DataFrame(rows, columns=["code_id", "units", "percent_agreement", "cohen_kappa",
                                       "krippendorff_alpha"])


def machine_vs_coders(decisions: pd.DataFrame, tags: pd.DataFrame, code_ids: Sequence[str],
                      threshold: float = 0.5) -> pd.DataFrame:
    """Machine against each human coder, per code and overall, on the segments that coder reviewed.

    Returns:
        ``reliability_table`` rows with a leading ``coder`` column.
    """
    frames = []
    for coder in sorted(c for c in decisions["coder"].unique() if c != MACHINE):
        table = reliability_table(decisions[decisions["coder"] == coder], code_ids, [coder, MACHINE], tags, threshold)
        frames.append(table.assign(coder=coder))
    columns = ["coder", "code_id", "units", "percent_agreement", "cohen_kappa", "krippendorff_alpha"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def disagreements(decisions: pd.DataFrame, coders: Sequence[str] | None = None) -> pd.DataFrame:
    """(segment, code) pairs on which coders who reviewed the segment differ.

    Returns:
        segment_id, code_id, and one column per coder with "accept", "absent" or NaN (not
        reviewed); only rows where at least two coders gave differing values.
    """
    if coders is None:
        coders = sorted(c for c in decisions["coder"].unique() if c != "consensus")
    coders = list(coders)
    rows = []
    # "*" is the review app's code-less "reviewed, nothing (more) applies" marker.
    for code_id in sorted(c for c in decisions["code_id"].unique() if c != "*"):
        ratings = _pairable(presence_ratings(decisions, code_id, coders))
        split = ratings[ratings.nunique(axis=1) > 1]
        for segment_id, values in split.iterrows():
            rows.append({"segment_id": segment_id, "code_id": code_id,
                         **{c: (None if pd.isna(v) else ("accept" if v == 1 else "absent")) for c, v in values.items()}})
    return pd.DataFrame(rows, columns=["segment_id", "code_id", *coders])
