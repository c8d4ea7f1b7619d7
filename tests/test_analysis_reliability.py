"""Reliability figures against the reference packages (krippendorff, scikit-learn)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.reliability import (
    OVERALL,
    cohen_kappa,
    disagreements,
    krippendorff_alpha_nominal,
    machine_vs_coders,
    percent_agreement,
    presence_ratings,
    reliability_table,
)

krippendorff = pytest.importorskip("krippendorff", reason="pip install krippendorff to compare alpha")
sk_metrics = pytest.importorskip("sklearn.metrics")


def reference_alpha(ratings: pd.DataFrame) -> float:
    """The krippendorff package wants coders x units with NaN for missing, numeric labels."""
    labels = {v: i for i, v in enumerate(sorted(set(ratings.stack().tolist()), key=repr))}
    data = ratings.apply(lambda col: col.map(lambda v: labels.get(v, np.nan) if pd.notna(v) else np.nan))
    return krippendorff.alpha(reliability_data=data.to_numpy(dtype=float).T, level_of_measurement="nominal")


# Krippendorff's own textbook example (4 coders, 12 units, missing values), nominal labels.
TEXTBOOK = pd.DataFrame({
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}, dtype=float)


def test_alpha_matches_krippendorff_package_on_textbook_example():
    ours = krippendorff_alpha_nominal(TEXTBOOK)
    assert ours == pytest.approx(reference_alpha(TEXTBOOK), abs=1e-12)
    assert ours == pytest.approx(0.743, abs=1e-3)  # the published figure


@pytest.mark.parametrize("seed", range(12))
def test_alpha_and_kappa_match_reference_packages_on_random_codings(seed):
    rng = np.random.default_rng(seed)
    n_units, n_coders = rng.integers(5, 40), rng.integers(2, 5)
    truth = rng.integers(0, 3, n_units)
    data = {}
    for c in range(n_coders):
        noisy = np.where(rng.random(n_units) < 0.3, rng.integers(0, 3, n_units), truth).astype(float)
        noisy[rng.random(n_units) < 0.15] = np.nan
        data[f"c{c}"] = noisy
    ratings = pd.DataFrame(data)
    if ratings.stack().nunique() < 2:
        pytest.skip("degenerate draw")
    assert krippendorff_alpha_nominal(ratings) == pytest.approx(reference_alpha(ratings), abs=1e-10)
    both = ratings[["c0", "c1"]].dropna()
    expected = sk_metrics.cohen_kappa_score(both["c0"], both["c1"])
    assert cohen_kappa(ratings["c0"], ratings["c1"]) == pytest.approx(expected, abs=1e-12)


def test_kappa_matches_sklearn_on_string_labels():
    a = ["ja", "ja", "nee", "nee", "ja", "nee", "ja", "ja"]
    b = ["ja", "nee", "nee", "nee", "ja", "ja", "ja", "ja"]
    assert cohen_kappa(a, b) == pytest.approx(sk_metrics.cohen_kappa_score(a, b), abs=1e-12)


def test_percent_agreement_counts_pairs_that_both_coded():
    ratings = pd.DataFrame({"a": [1, 0, 1, None], "b": [1, 1, 1, 0], "c": [None, 1, 1, 0]}, dtype=float)
    # pairs: a-b 3 units (2 agree), a-c 2 units (1 agree), b-c 3 units (3 agree) -> 6/8
    assert percent_agreement(ratings) == pytest.approx(6 / 8)


def test_no_variation_gives_nan_not_a_fake_number():
    same = pd.DataFrame({"a": [1.0, 1.0], "b": [1.0, 1.0]})
    assert math.isnan(krippendorff_alpha_nominal(same))
    assert math.isnan(cohen_kappa(same["a"], same["b"]))
    assert percent_agreement(same) == 1.0


def decision_rows(rows):
    return pd.DataFrame(rows, columns=["segment_id", "code_id", "coder", "verdict"])


DECISIONS = decision_rows([
    # s1: both accept trust; s2: anna accepts trust, bram rejects; s3: both reject trust, bram adds rol
    ("s1", "trust", "anna", "accept"), ("s1", "trust", "bram", "accept"),
    ("s2", "trust", "anna", "accept"), ("s2", "trust", "bram", "reject"),
    ("s3", "trust", "anna", "reject"), ("s3", "trust", "bram", "reject"), ("s3", "rol", "bram", "accept"),
    ("s4", "rol", "anna", "accept"),  # only anna reviewed s4: missing for bram
    ("s5", "trust", "consensus", "accept"),
])


def test_presence_ratings_treat_unreviewed_as_missing_and_not_accepted_as_absent():
    ratings = presence_ratings(DECISIONS, "rol", ["anna", "bram"])
    assert ratings.loc["s3"].tolist() == [0.0, 1.0]
    assert ratings.loc["s4", "anna"] == 1.0 and math.isnan(ratings.loc["s4", "bram"])


def test_reliability_table_per_code_and_overall_equals_reference():
    table = reliability_table(DECISIONS, ["trust", "rol"]).set_index("code_id")
    trust = presence_ratings(DECISIONS, "trust", ["anna", "bram"])
    assert table.loc["trust", "units"] == 3
    assert table.loc["trust", "percent_agreement"] == pytest.approx(2 / 3)
    assert table.loc["trust", "krippendorff_alpha"] == pytest.approx(reference_alpha(trust))
    assert table.loc["trust", "cohen_kappa"] == pytest.approx(
        sk_metrics.cohen_kappa_score(trust.dropna()["anna"], trust.dropna()["bram"]))
    pooled = pd.concat([presence_ratings(DECISIONS, c, ["anna", "bram"]) for c in ("trust", "rol")],
                       ignore_index=True)
    assert table.loc[OVERALL, "units"] == 6
    assert table.loc[OVERALL, "krippendorff_alpha"] == pytest.approx(reference_alpha(pooled))
    assert "consensus" not in reliability_table(DECISIONS, ["trust"]).columns


def test_three_coders_have_alpha_but_no_kappa():
    extra = pd.concat([DECISIONS, decision_rows([("s1", "trust", "cato", "reject"),
                                                 ("s2", "trust", "cato", "accept")])])
    table = reliability_table(extra, ["trust"]).set_index("code_id")
    assert math.isnan(table.loc["trust", "cohen_kappa"])
    ratings = presence_ratings(extra, "trust", ["anna", "bram", "cato"])
    assert table.loc["trust", "krippendorff_alpha"] == pytest.approx(reference_alpha(ratings))


def test_machine_vs_each_coder_uses_score_threshold():
    tags = pd.DataFrame({"segment_id": ["s1", "s2", "s3"], "code_id": ["trust"] * 3, "score": [0.9, 0.3, 0.8]})
    table = machine_vs_coders(DECISIONS, tags, ["trust"])
    anna = table[(table["coder"] == "anna") & (table["code_id"] == "trust")].iloc[0]
    # anna reviewed s1-s4: 1, 1, 0, 0; machine (>=0.5): s1 1, s2 0, s3 1, s4 0
    assert anna["units"] == 4 and anna["percent_agreement"] == pytest.approx(2 / 4)
    assert anna["cohen_kappa"] == pytest.approx(sk_metrics.cohen_kappa_score([1, 1, 0, 0], [1, 0, 1, 0]))
    assert set(table["coder"]) == {"anna", "bram", "consensus"}


def test_disagreements_list_only_split_pairs():
    split = disagreements(DECISIONS)
    assert list(zip(split["segment_id"], split["code_id"])) == [("s3", "rol"), ("s2", "trust")]
    assert split.set_index("segment_id").loc["s2", "anna"] == "accept"
