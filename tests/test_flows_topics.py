"""The topics flow: a thin task over the pipeline step, and part of the full run with --topics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import RunConfig, TagOptions, TopicOptions
from tests.test_flows_full_run import prefect_harness  # noqa: F401  (session fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_full_run_with_topics_writes_topic_tables_and_report_chapter(prefect_harness, tmp_path):  # noqa: F811
    from flows.full_run import full_run

    config = RunConfig(corpus=ROOT / "corpora" / "demo", out=tmp_path / "out",
                       tag=TagOptions(embedder="use"), topics=TopicOptions(enabled=True, min_topic_size=5))
    summary = full_run(config)
    folder = config.out / "topics"
    topics = pd.read_csv(folder / "topics.csv")
    segment_topics = pd.read_csv(folder / "segment_topics.csv")
    assert len(segment_topics) == summary.segments and topics["size"].sum() == summary.segments
    assert (folder / "topic_by_code.csv").is_file() and (folder / "wave_by_topic.csv").is_file()
    html = (config.out / "report.html").read_text(encoding="utf-8")
    assert 'id="topics"' in html and topics["label"].iloc[0] in html


@pytest.mark.slow
def test_topics_deployment_fits_topics_of_the_latest_run_and_redoes_the_report(prefect_harness, tmp_path):  # noqa: F811
    from flows.deployments import full_run_flow, topics_flow

    out = tmp_path / "uit"
    full_run_flow(str(ROOT / "corpora" / "demo"), output_name=str(out))
    assert not (out / "topics").exists() and 'id="topics"' not in (out / "report.html").read_text(encoding="utf-8")
    report = topics_flow(str(ROOT / "corpora" / "demo"), output_name=str(out), embedder="use", min_topic_size=5)
    assert report == str(out / "report.html")
    topics = pd.read_csv(out / "topics" / "topics.csv")
    assert len(topics) >= 1 and (out / "topics" / "topic_by_code.csv").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="topics"' in html and topics["label"].iloc[0] in html
