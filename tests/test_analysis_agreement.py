"""Inter-coder agreement: percent agreement and Cohen's kappa per code, at segment level."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from pipeline.analysis.agreement import MEASURES, code_agreement, cohen_kappa, decision_counts, percent_agreement
from pipeline.errors import InvalidInput


def test_kappa_matches_the_hand_computed_value():
    a = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    b = np.array([1, 0, 0, 0, 1, 0, 1, 0, 0, 0])
    # p_o = 8/10; both apply the code 3 times in 10: p_e = .3*.3 + .7*.7 = .58
    assert percent_agreement(a, b) == pytest.approx(0.8)
    assert cohen_kappa(a, b) == pytest.approx((0.8 - 0.58) / (1 - 0.58))


@pytest.mark.parametrize("seed", range(5))
def test_kappa_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, 40)
    b = np.where(rng.random(40) < 0.7, a, 1 - a)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_kappa_is_undefined_when_both_coders_make_one_call_throughout():
    ones = np.ones(5, dtype=int)
    assert math.isnan(cohen_kappa(ones, ones)) and percent_agreement(ones, ones) == 1.0
    assert math.isnan(cohen_kappa(np.array([]), np.array([])))


def frame(rows):
    return pd.DataFrame(rows, columns=["segment_id", "code_id", "coder", "verdict"])


def test_code_agreement_counts_units_both_coders_saw_and_reads_missing_as_not_applied():
    decisions = frame([
        ("s1", "trust", "anna", "accept"), ("s1", "trust", "bram", "accept"),
        ("s2", "trust", "anna", "accept"), ("s2", "trust", "bram", "reject"),
        # bram looked at s3 (decided on another code) but did not give "trust": not applied
        ("s3", "trust", "anna", "accept"), ("s3", "time", "bram", "accept"),
        ("s4", "trust", "anna", "reject"), ("s4", "trust", "bram", "reject"),
        # only anna saw s5: not a unit
        ("s5", "trust", "anna", "accept"),
    ])
    result = code_agreement(decisions, ["trust", "time"]).set_index("code_id")
    trust = result.loc["trust"]
    assert (trust["coder_a"], trust["coder_b"], trust["units"]) == ("anna", "bram", 4)
    assert (trust["applied_a"], trust["applied_b"], trust["both"]) == (3, 1, 1)
    anna, bram = np.array([1, 1, 1, 0]), np.array([1, 0, 0, 0])
    assert trust["percent_agreement"] == pytest.approx(0.5)
    assert trust["cohen_kappa"] == pytest.approx(cohen_kappa_score(anna, bram))
    assert result.loc["time", "applied_b"] == 1 and result.loc["time", "applied_a"] == 0


def test_three_coders_give_three_pairs_and_one_coder_gives_none():
    rows = [(s, "trust", c, "accept") for s in ("s1", "s2") for c in ("anna", "bram", "cem")]
    assert len(code_agreement(frame(rows))) == 3
    assert code_agreement(frame(rows[:1])).empty


def test_another_measure_plugs_in():
    rows = [("s1", "trust", "anna", "accept"), ("s1", "trust", "bram", "reject")]
    result = code_agreement(frame(rows), measures={**MEASURES, "disagreements": lambda a, b: float((a != b).sum())})
    assert result.loc[0, "disagreements"] == 1.0


def test_decision_counts_per_coder():
    counts = decision_counts(frame([("s1", "trust", "anna", "accept"), ("s2", "time", "anna", "reject"),
                                    ("s1", "trust", "bram", "accept")])).set_index("coder")
    assert counts.loc["anna"].to_dict() == {"decisions": 2, "accept": 1, "reject": 1, "segments": 2, "codes": 2}
    assert counts.loc["bram", "decisions"] == 1


def test_missing_columns_are_a_clear_error():
    with pytest.raises(InvalidInput, match="verdict"):
        code_agreement(pd.DataFrame({"segment_id": [], "code_id": [], "coder": []}))
