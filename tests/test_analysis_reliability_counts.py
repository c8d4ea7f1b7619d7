"""The counted reliability tables equal the reference implementation's exactly (not approximately)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis import reliability as ref
from pipeline.analysis import reliability_counts as counted
from tests.test_analysis_reliability import decision_rows

sk_metrics = pytest.importorskip("sklearn.metrics")


# s1-s3 double coded, s4 only anna (not a unit), s5 only consensus, s6 undone by bram (anna only),
# s7 marked reviewed ("*") by both, nobody coded s8 (it is not in the decisions at all).
DECISIONS = decision_rows([
    ("s1", "vertrouwen", "anna", "accept"), ("s1", "vertrouwen", "bram", "accept"),
    ("s2", "vertrouwen", "anna", "accept"), ("s2", "vertrouwen", "bram", "reject"),
    ("s3", "vertrouwen", "anna", "reject"), ("s3", "vertrouwen", "bram", "reject"), ("s3", "rol", "bram", "accept"),
    ("s4", "rol", "anna", "accept"),
    ("s5", "vertrouwen", "consensus", "accept"),
    ("s6", "rol", "anna", "accept"), ("s6", "rol", "bram", "undone"),
    ("s7", "*", "anna", "accept"), ("s7", "*", "bram", "accept"),
])
TAGS = pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s7", "s8"], "code_id": ["vertrouwen", "vertrouwen", "rol", "rol",
                                                                            "rol"],
                     "score": [0.9, 0.3, 0.5, 0.8, 0.99]})


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True,
                                  check_dtype=False)


def random_decisions(seed: int, n_segments: int = 60, n_coders: int = 5, codes=("a", "b", "c")) -> pd.DataFrame:
    """Coders review random overlapping subsets; accept codes noisily; some undo, some mark "*"."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_segments):
        truth = {c for c in codes if rng.random() < 0.3}
        for k in range(n_coders):
            if rng.random() < 0.45:  # many segments end up with one coder or none: not units
                continue
            coder = f"c{k}"
            mine = {c for c in codes if (c in truth) != (rng.random() < 0.15)}
            for c in sorted(mine):
                rows.append((f"seg{s:03d}", c, coder, "accept"))
            if rng.random() < 0.3:
                rows.append((f"seg{s:03d}", codes[0], coder, "reject") if codes[0] not in mine
                            else (f"seg{s:03d}", "*", coder, "accept"))
            if not mine:
                rows.append((f"seg{s:03d}", "*", coder, "undone" if rng.random() < 0.2 else "accept"))
        if rng.random() < 0.1:
            rows.append((f"seg{s:03d}", codes[1], "consensus", "accept"))
    return decision_rows(rows)


def test_equal_to_reference_on_fixture_with_uncoded_and_single_coded_segments():
    codes = ["vertrouwen", "rol", "ongebruikt"]
    table = counted.reliability_table(DECISIONS, codes)
    assert_same(table, ref.reliability_table(DECISIONS, codes))
    # s1, s2, s3, s7 are units; s4 (one coder), s5 (consensus only), s6 (bram undid), s8 are not.
    assert table.set_index("code_id").loc["vertrouwen", "units"] == 4
    assert math.isnan(table.set_index("code_id").loc["ongebruikt", "krippendorff_alpha"])  # no variation


def test_kappa_equals_scikit_learn():
    table = counted.reliability_table(DECISIONS, ["vertrouwen"]).set_index("code_id")
    # vertrouwen on s1, s2, s3, s7: anna 1, 1, 0, 0; bram 1, 0, 0, 0
    assert table.loc["vertrouwen", "cohen_kappa"] == pytest.approx(
        sk_metrics.cohen_kappa_score([1, 1, 0, 0], [1, 0, 0, 0]), abs=1e-12)


def test_machine_vs_coders_equal_to_reference():
    codes = ["vertrouwen", "rol"]
    assert_same(counted.machine_vs_coders(DECISIONS, TAGS, codes), ref.machine_vs_coders(DECISIONS, TAGS, codes))
    assert_same(counted.machine_vs_coders(DECISIONS, TAGS, codes, threshold=0.85),
                ref.machine_vs_coders(DECISIONS, TAGS, codes, threshold=0.85))


def test_disagreements_equal_to_reference():
    split = counted.disagreements(DECISIONS)
    assert_same(split, ref.disagreements(DECISIONS))
    assert list(zip(split["segment_id"], split["code_id"], strict=True)) == [("s3", "rol"), ("s2", "vertrouwen")]


@pytest.mark.parametrize("seed", range(8))
def test_equal_to_reference_on_random_codings(seed):
    decisions = random_decisions(seed)
    codes = ["a", "b", "c"]
    rng = np.random.default_rng(100 + seed)
    tags = pd.DataFrame({"segment_id": [f"seg{s:03d}" for s in range(0, 80, 2)],
                         "code_id": rng.choice(codes, 40), "score": rng.random(40).round(2)})
    assert_same(counted.reliability_table(decisions, codes), ref.reliability_table(decisions, codes))
    two = ["c0", "c1"]
    assert_same(counted.reliability_table(decisions, codes, two), ref.reliability_table(decisions, codes, two))
    with_machine = ["c0", "c2", "machine"]
    assert_same(counted.reliability_table(decisions, codes, with_machine, tags),
                ref.reliability_table(decisions, codes, with_machine, tags))
    assert_same(counted.machine_vs_coders(decisions, tags, codes), ref.machine_vs_coders(decisions, tags, codes))
    assert_same(counted.disagreements(decisions), ref.disagreements(decisions))


def test_no_decisions_and_no_codes():
    empty = decision_rows([])
    assert_same(counted.reliability_table(empty, ["a"], ["x", "y"]), ref.reliability_table(empty, ["a"], ["x", "y"]))
    assert_same(counted.reliability_table(DECISIONS, []), ref.reliability_table(DECISIONS, []))
    assert counted.disagreements(empty, ["x", "y"]).empty
