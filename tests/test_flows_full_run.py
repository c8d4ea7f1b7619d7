"""The full-run Prefect flow: tasks are thin, and the flow runs end to end on a real Prefect API."""

from __future__ import annotations

import pytest

from pipeline.config import RunConfig
from tests.test_run import write_corpus


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def config(tmp_path, small_codebook_path):
    return RunConfig(corpus=write_corpus(tmp_path / "studie"), out=tmp_path / "out", codebook=small_codebook_path)


def test_tasks_are_thin_wrappers_of_pipeline_steps(config):
    from flows import full_run as fr

    plan = fr.prepare_task.fn(config)
    outcomes = [fr.ingest_task.fn(config, plan, source) for source in plan.sources]
    ids = [d for o in outcomes for d in o.document_ids]
    assert fr.annotate_task.fn(config, plan, ids, 1) == 3
    matrices = fr.analyse_task.fn(config, plan)
    assert (config.out / "matrices" / "case_by_code.csv").is_file()
    summary = fr.report_task.fn(config, plan, [], matrices)
    assert summary.documents == 3 and (config.out / "report.html").is_file()


@pytest.mark.slow
def test_full_run_flow_end_to_end(prefect_harness, config):
    from flows.full_run import full_run

    seen = []
    (config.corpus / "leeg.txt").write_text("", encoding="utf-8")
    summary = full_run(config, progress=lambda step, done, total: seen.append((step, done, total)))
    assert summary.documents == 3
    assert [s.path for s in summary.skipped] == ["leeg.txt"]
    assert ("ingest", 4, 4) in seen and ("annotate", 1, 1) in seen
    html = (config.out / "report.html").read_text(encoding="utf-8")
    assert "leeg.txt" in html  # skipped files are listed in the report
