"""The review load test (bench/review_load.py) at a small size: a real server, simulated coders in
parallel, and afterwards every accepted save stored exactly once. Latency is the bench's business
(it depends on the machine); here only the counting must hold."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import review_load  # noqa: E402


@pytest.mark.slow
def test_parallel_coders_lose_and_duplicate_nothing():
    report = review_load.run(argparse.Namespace(segments=1200, coders=6, actions=8, think=0.02, db="sqlite"))
    assert report["errors"] == []
    assert report["saves_accepted"] == 6 * 8  # every step saved; nobody ran out of segments
    assert report["stale_saves_refused"] == 6 * (8 // 5)  # every replay from a stale tab was refused
    assert report["decisions_stored"] == report["saves_accepted"]
    assert report["lost"] == report["duplicated"] == report["unexpected"] == 0


@pytest.mark.slow
def test_lead_pages_are_timed_after_the_coders_and_all_answer():
    report = review_load.run(argparse.Namespace(segments=600, coders=4, actions=3, think=0.01, db="sqlite",
                                                lead_pages=True, lead_decisions=200, lead_repeats=2))
    assert report["lost"] == report["duplicated"] == report["unexpected"] == 0  # seeding came after counting
    assert report["lead_decisions_added"] == 200
    assert set(report["lead_pages_ms"]) == set(review_load.LEAD_PAGES)
    assert all(page["status"] == 200 and page["max"] >= page["p50"] > 0 for page in report["lead_pages_ms"].values())
