"""The reliability figures of ``reliability`` counted with arrays, for many coders and thousands of units.

``pipeline.analysis.reliability`` states the method on readable pandas frames (one ratings frame per
code, one pair of columns at a time). On a review store with 20 coders and thousands of decided
segments that costs seconds per page: 190 coder pairs per code, a frame per coder for the machine
comparison, a Python loop over every value for alpha. Here the same figures come from boolean
units x coders matrices:

* the units of every code are the same segments (those a listed coder reviewed), and only units
  that two or more raters coded carry information, so the matrices hold only those rows, in the
  reference's order (sorted segment ids, codes in the given order for the pooled row);
* percent agreement and Cohen's kappa are ratios of integer counts (pairs that coded a unit,
  pairs that agree, label totals), taken from matrix products of the "accept" and "absent"
  indicators, and divided as the reference divides them;
* Krippendorff's alpha goes through ``reliability.alpha_from_counts`` with the same units x labels
  count matrix the reference builds.

So the tables are equal to the reference's, not merely close; the tests compare them exactly.
The functions take and return what their counterparts in ``reliability`` do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.analysis.reliability import MACHINE, OVERALL, alpha_from_counts

COLUMNS = ["code_id", "units", "percent_agreement", "cohen_kappa", "krippendorff_alpha"]


@dataclass(frozen=True, slots=True)
class _Presence:
    """Who coded what on the pairable units (rows) of some raters (columns).

    Attributes:
        units: Segment ids of the rows, sorted.
        coded: Rows x raters: the rater has a value on the unit (reviewed it; the machine: always).
        accepted: Code -> rows x raters: the rater's value is 1 (accepted; the machine: proposed).
    """

    units: list[str]
    coded: np.ndarray
    accepted: dict[str, np.ndarray]

    def ones(self, code_id: str) -> np.ndarray:
        found = self.accepted.get(code_id)
        return found if found is not None else np.zeros_like(self.coded)


def _presence(decisions: pd.DataFrame, code_ids: Sequence[str], raters: Sequence[str],
              machine: pd.DataFrame | None, threshold: float) -> _Presence:
    raters = list(raters)
    column = {c: i for i, c in enumerate(raters)}
    human = [c for c in raters if c != MACHINE]
    # As reliability._reviewed: an undone decision is no proof that the coder looked.
    live = decisions[(decisions["verdict"] != "undone") & decisions["coder"].isin(human)]
    seg_ids = live["segment_id"].to_numpy(dtype=object)
    units_all = sorted(set(seg_ids))
    position = {u: i for i, u in enumerate(units_all)}
    rows = np.fromiter((position[s] for s in seg_ids), dtype=np.intp, count=len(seg_ids))
    cols = np.fromiter((column[c] for c in live["coder"].to_numpy(dtype=object)), dtype=np.intp, count=len(seg_ids))
    coded = np.zeros((len(units_all), len(raters)), dtype=bool)
    coded[rows, cols] = True
    if MACHINE in column:
        coded[:, column[MACHINE]] = True
    keep = coded.sum(axis=1) >= 2  # rows with two or more values: the reference's _pairable
    new_row = np.cumsum(keep) - 1
    units = [u for u, k in zip(units_all, keep, strict=True) if k]
    coded = coded[keep]
    wanted = set(code_ids)
    accept = (live["verdict"] == "accept").to_numpy() & live["code_id"].isin(wanted).to_numpy() & keep[rows]
    accepted: dict[str, np.ndarray] = {}
    for code_id, r, c in zip(live["code_id"].to_numpy(dtype=object)[accept], new_row[rows[accept]], cols[accept],
                             strict=True):
        accepted.setdefault(code_id, np.zeros_like(coded))[r, c] = True
    if MACHINE in column and machine is not None and not machine.empty and units:
        at = {u: i for i, u in enumerate(units)}
        hits = machine[(machine["score"] >= threshold) & machine["code_id"].isin(wanted)
                       & machine["segment_id"].isin(at)]
        for code_id, segment_id in zip(hits["code_id"], hits["segment_id"], strict=True):
            accepted.setdefault(code_id, np.zeros_like(coded))[at[segment_id], column[MACHINE]] = True
    return _Presence(units, coded, accepted)


def _counts(coded: np.ndarray, ones: np.ndarray) -> dict[str, object]:
    """Integer tallies of one code (or the pooled codes): everything the figures divide."""
    zeros = coded & ~ones
    # Products of 0/1 matrices in float64 (BLAS; numpy's integer matmul is a slow loop): sums of
    # ones stay exact integers far beyond any number of units a study has (2**53).
    c, o, z = coded.astype(float), ones.astype(float), zeros.astype(float)
    both = c.T @ c  # raters x raters: units both coded
    agree = o.T @ o + z.T @ z  # ... and gave the same value
    upper = np.triu_indices(coded.shape[1], k=1)
    label_counts = np.column_stack([z.sum(axis=1), o.sum(axis=1)])  # labels 0.0, 1.0
    return {"units": coded.shape[0], "pairs": int(both[upper].sum()), "agree": int(agree[upper].sum()),
            "labels": label_counts, "zeros": zeros, "ones": ones, "coded": coded}


def _figures(tally: dict[str, object]) -> dict[str, float | int]:
    pairs, agree = tally["pairs"], tally["agree"]
    coded, ones, zeros = tally["coded"], tally["ones"], tally["zeros"]
    kappa = math.nan
    if coded.shape[1] == 2:
        both = coded[:, 0] & coded[:, 1]
        n = int(both.sum())
        if n:
            observed = int(((ones[:, 0] == ones[:, 1]) & both).sum()) / n
            a1, b1 = int((ones[:, 0] & both).sum()), int((ones[:, 1] & both).sum())
            a0, b0 = int((zeros[:, 0] & both).sum()), int((zeros[:, 1] & both).sum())
            # Summed in the reference's order (label 0.0, then 1.0), from 0 as Python's sum does.
            expected = 0 + (a0 / n) * (b0 / n) + (a1 / n) * (b1 / n)
            kappa = math.nan if expected >= 1.0 else (observed - expected) / (1.0 - expected)
    labels = tally["labels"]
    # C order, as the reference builds it: BLAS sums a product in another order for another
    # memory layout, and the last bit of alpha would differ.
    labels = np.ascontiguousarray(labels[:, labels.sum(axis=0) > 0])
    alpha = alpha_from_counts(labels) if tally["units"] and labels.shape[1] >= 2 else math.nan
    return {"units": tally["units"], "percent_agreement": agree / pairs if pairs else math.nan,
            "cohen_kappa": kappa, "krippendorff_alpha": alpha}


def _pooled(tallies: list[dict[str, object]], n_raters: int) -> dict[str, object]:
    if not tallies:
        empty = np.zeros((0, n_raters), dtype=bool)
        return _counts(empty, empty)
    return _counts(np.vstack([t["coded"] for t in tallies]), np.vstack([t["ones"] for t in tallies]))


def reliability_table(decisions: pd.DataFrame, code_ids: Sequence[str], coders: Sequence[str] | None = None,
                      machine: pd.DataFrame | None = None, threshold: float = 0.5) -> pd.DataFrame:
    """``reliability.reliability_table``, counted: the same arguments, an equal table.

    Args:
        decisions: Current decisions; only segment_id, code_id, coder and verdict are read.
        code_ids: Codes to report, in order.
        coders: Coders to compare; default every coder in ``decisions`` except "consensus".
        machine: Tags (segment_id, code_id, score), needed when ``coders`` includes ``"machine"``.
        threshold: Minimum machine score.
    """
    if coders is None:
        coders = sorted(c for c in decisions["coder"].unique() if c != "consensus")
    coders = list(coders)
    seen = _presence(decisions, code_ids, coders, machine, threshold)
    rows, tallies = [], []
    for code_id in code_ids:
        tally = _counts(seen.coded, seen.ones(code_id))
        tallies.append(tally)
        rows.append({"code_id": code_id, **_figures(tally)})
    rows.append({"code_id": OVERALL, **_figures(_pooled(tallies, len(coders)))})
    return pd.DataFrame(rows, columns=COLUMNS)


def machine_vs_coders(decisions: pd.DataFrame, tags: pd.DataFrame, code_ids: Sequence[str],
                      threshold: float = 0.5) -> pd.DataFrame:
    """``reliability.machine_vs_coders``, counted: the machine against each coder (consensus too)."""
    frames = []
    for coder, mine in decisions.groupby("coder", sort=True):
        if coder != MACHINE:
            frames.append(reliability_table(mine, code_ids, [coder, MACHINE], tags, threshold).assign(coder=coder))
    columns = ["coder", *COLUMNS]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def disagreements(decisions: pd.DataFrame, coders: Sequence[str] | None = None) -> pd.DataFrame:
    """``reliability.disagreements``, counted: (segment, code) pairs on which coders differ."""
    if coders is None:
        coders = sorted(c for c in decisions["coder"].unique() if c != "consensus")
    coders = list(coders)
    # "*" is the review app's code-less "reviewed, nothing (more) applies" marker.
    code_ids = sorted(c for c in decisions["code_id"].unique() if c != "*")
    seen = _presence(decisions, code_ids, coders, None, 0.5)
    rows = []
    for code_id in code_ids:
        ones = seen.ones(code_id)
        zeros = seen.coded & ~ones
        for r in np.flatnonzero(ones.any(axis=1) & zeros.any(axis=1)):
            rows.append({"segment_id": seen.units[r], "code_id": code_id,
                         **{c: ("accept" if ones[r, i] else "absent") if seen.coded[r, i] else None
                            for i, c in enumerate(coders)}})
    return pd.DataFrame(rows, columns=["segment_id", "code_id", *coders])
