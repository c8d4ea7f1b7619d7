"""The report's topics chapter: topic table, case x topic heatmap, example quotes, candidates."""

from __future__ import annotations

import re

from dataclasses import replace

import pandas as pd

from tests.test_report_render import SCRIPT, data  # noqa: F401  (the report fixture)
from pipeline.report.render import render_report


def topic_frames():
    topics = pd.DataFrame([
        {"topic_id": 0, "label": "0: huur, pand", "size": 2, "top_terms": "huur; pand", "best_code": "trust.general",
         "best_share": 0.5, "candidate_new_code": False, "example_quotes": "De huur stijgt. | Het pand is oud."},
        {"topic_id": 1, "label": "1: fiets, stalling", "size": 1, "top_terms": "fiets; stalling", "best_code": "",
         "best_share": 0.0, "candidate_new_code": True, "example_quotes": f"Fietsen {SCRIPT} overal."},
    ])
    case_by_topic = pd.DataFrame({"topic 0": [2, 0], "topic 1": [0, 1]}, index=pd.Index(["c1", "c2"], name="case_id"))
    return topics, case_by_topic


def test_topics_chapter_appears_only_with_topics(data, tmp_path):  # noqa: F811
    without = render_report(data, tmp_path / "zonder")
    assert 'id="topics"' not in without["html"].read_text(encoding="utf-8")
    topics, case_by_topic = topic_frames()
    written = render_report(replace(data, topics=topics, case_by_topic=case_by_topic), tmp_path / "met")
    html = written["html"].read_text(encoding="utf-8")
    md = written["md"].read_text(encoding="utf-8")
    assert 'id="topics"' in html and "1: fiets, stalling" in html and "De huur stijgt." in html
    assert SCRIPT not in html  # quotes are escaped like every other value
    assert "figure:case_by_topic" in written and (tmp_path / "met" / "figures" / "case_by_topic.png").is_file()
    assert re.search(r"^## \d+\. Onderwerpen", md, re.M) and "| 1: fiets, stalling | 1 |" in md and "| ja |" in md
