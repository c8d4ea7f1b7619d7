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
    outcomes = fr.ingest_task.fn(config, plan, plan.sources)
    ids = [d for o in outcomes for d in o.document_ids]
    assert fr.annotate_task.fn(config, plan, ids, 1) == 3
    analysis = fr.analyse_task.fn(config, plan)
    assert (config.out / "matrices" / "case_by_code.csv").is_file()
    summary = fr.report_task.fn(config, plan, [], analysis)
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


def _texts(config):
    return sorted(p.name for p in config.corpus.glob("*.txt"))


@pytest.mark.slow
def test_rerun_redoes_only_the_edited_document_and_codebook_change_retags_without_reading(
        prefect_harness, config, tmp_path):
    from flows.full_run import RunStats, full_run

    first = RunStats()
    full_run(config, stats=first)
    assert sorted(first.read) == _texts(config) and first.tagged == 3
    edited = config.corpus / "interview_01.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nRespondent: Het vertrouwen groeit.", encoding="utf-8")
    second = RunStats()
    summary = full_run(config, stats=second)
    assert second.read == ["interview_01.txt"] and sorted(second.reused) == ["interview_00.txt", "interview_02.txt"]
    assert second.tagged == 1 and summary.documents == 3
    book = tmp_path / "codebook.yaml"
    text = config.codebook.read_text(encoding="utf-8")
    book.write_text(text.replace("\"kar trekken\"", "\"kar trekken\", \"voortrekker\"", 1), encoding="utf-8")
    assert book.read_text(encoding="utf-8") != text
    retag = RunStats()
    full_run(config.model_copy(update={"codebook": book}), stats=retag)
    assert retag.read == [] and retag.tagged == 3
    fresh = RunStats()
    full_run(config, fresh=True, stats=fresh)
    assert sorted(fresh.read) == _texts(config) and fresh.tagged == 3


@pytest.mark.slow
def test_failing_document_is_reported_and_the_flow_completes(prefect_harness, config, monkeypatch):
    from flows.full_run import RunStats, full_run
    from pipeline import run as steps
    from pipeline.store import Store

    real_read, real_save_tags = steps.read_document, Store.save_tags

    def read_document(source, *args, **kwargs):
        if source.rel == "interview_00.txt":
            raise ValueError("reader bug on this file")
        return real_read(source, *args, **kwargs)

    def save_tags(self, document_id, *args, **kwargs):
        if document_id == "interview_01.txt":
            raise KeyError("tagger bug on this document")
        return real_save_tags(self, document_id, *args, **kwargs)

    monkeypatch.setattr(steps, "read_document", read_document)
    monkeypatch.setattr(Store, "save_tags", save_tags)
    stats = RunStats()
    summary = full_run(config, stats=stats)
    reasons = {s.path: s.reason for s in summary.skipped}
    assert "ingest failed: ValueError: reader bug on this file" in reasons["interview_00.txt"]
    assert "tagging failed: KeyError" in reasons["interview_01.txt"]
    assert summary.documents == 1  # only interview_02 is counted in matrices and report
    html = (config.out / "report.html").read_text(encoding="utf-8")
    assert "interview_00.txt" in html and "interview_01.txt" in html


@pytest.mark.slow
def test_transient_errors_are_retried_with_backoff(prefect_harness, config, monkeypatch):
    from flows.full_run import RunStats, full_run
    from pipeline import run as steps

    real_read, calls = steps.read_document, []

    def flaky(source, *args, **kwargs):
        calls.append(source.rel)
        if source.rel == "interview_02.txt" and calls.count(source.rel) < 3:
            raise OSError("share went away for a moment")
        return real_read(source, *args, **kwargs)

    monkeypatch.setattr(steps, "read_document", flaky)
    summary = full_run(config, stats=RunStats())
    assert calls.count("interview_02.txt") == 3 and summary.documents == 3 and not summary.skipped


@pytest.mark.slow
def test_flow_rerun_after_a_crash_completes_reusing_finished_work(prefect_harness, config, monkeypatch):
    from flows.full_run import RunStats, full_run
    from pipeline import run as steps

    real_analyse = steps.analyse

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(steps, "analyse", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        full_run(config)
    assert not (config.out / "report.html").exists()
    monkeypatch.setattr(steps, "analyse", real_analyse)
    stats = RunStats()
    summary = full_run(config, stats=stats)
    assert stats.read == [] and stats.tagged == 0 and summary.documents == 3
    assert (config.out / "report.html").is_file()


@pytest.mark.slow
def test_stage_flows_ingest_then_annotate_then_report_the_latest_run(prefect_harness, tmp_path, small_codebook_path):
    from flows.deployments import analyse_flow, annotate_flow, ingest_flow, report_flow
    from tests.test_run import write_corpus

    study = write_corpus(tmp_path / "studie")
    book = str(small_codebook_path)
    with pytest.raises(Exception, match="no run with documents yet"):
        report_flow(str(study), codebook=book)
    assert ingest_flow(str(study)) == 3
    assert annotate_flow(str(study), codebook=book) == 3
    assert annotate_flow(str(study), codebook=book) == 0  # already tagged with this codebook
    matrices = analyse_flow(str(study), codebook=book, attribute="city")
    assert (tmp_path / "studie-kwali" / "matrices" / "crosstab_city.csv").is_file() and matrices.endswith("matrices")
    report = report_flow(str(study), codebook=book)
    assert report.endswith("report.html")
    import csv

    with open(tmp_path / "studie-kwali" / "matrices" / "case_by_theme.csv", encoding="utf-8") as handle:
        rows = {row["case"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"keilehaven", "werkspoor", "interview_02.txt"} and int(rows["keilehaven"]["trust"]) >= 1


@pytest.mark.slow
def test_a_failed_ingest_batch_is_run_again_file_by_file(prefect_harness, config, monkeypatch):
    from flows.full_run import RunStats, full_run
    from pipeline import run as steps

    real_read = steps.read_document

    def read_document(source, *args, **kwargs):
        if source.rel == "interview_02.txt":  # last of its batch: the two before it are stored first
            raise ValueError("reader bug on this file")
        return real_read(source, *args, **kwargs)

    monkeypatch.setattr(steps, "read_document", read_document)
    stats = RunStats()
    summary = full_run(config, stats=stats)
    assert [(s.path, s.reason.split(":")[0]) for s in summary.skipped] == [("interview_02.txt", "ingest failed")]
    # Stored by the failed batch, then found unchanged when run alone: still read in this run.
    assert sorted(stats.read) == ["interview_00.txt", "interview_01.txt"] and stats.reused == []
    assert summary.documents == 2 and stats.tagged == 2

