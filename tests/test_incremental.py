"""Incremental runs: unchanged work is found in one batch, and a re-run's outputs equal a fresh run's."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from pipeline import incremental
from pipeline import run as steps
from pipeline import resources
from pipeline.config import RunConfig
from pipeline.models import Unit
from pipeline.report import context, figures
from pipeline.report.figure_cache import CACHE_DIR
from tests.test_flows_full_run import prefect_harness  # noqa: F401  (session fixture)
from tests.test_run import write_corpus


@pytest.fixture
def config(tmp_path, small_codebook_path):
    return RunConfig(corpus=write_corpus(tmp_path / "studie", n=4), out=tmp_path / "out", codebook=small_codebook_path)


def _ingest(config, plan):
    return [d for source in plan.sources for d in steps.ingest_source(config, plan, source).document_ids]


def test_unchanged_files_are_reused_in_one_batch_and_edited_ones_are_read(config):
    plan = steps.prepare(config)
    reused, todo = incremental.reuse_unchanged(config, plan)
    assert reused == [] and [s.rel for s in todo] == [s.rel for s in plan.sources]  # nothing stored yet
    steps.annotate_documents(config, plan, _ingest(config, plan))
    edited = config.corpus / "interview_02.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nRespondent: Ik vertrouw hen weer.", encoding="utf-8")
    plan = steps.prepare(config)
    reused, todo = incremental.reuse_unchanged(config, plan)
    assert [s.rel for s in todo] == ["interview_02.txt"]
    assert [o.source for o in reused] == ["interview_00.txt", "interview_01.txt", "interview_03.txt"]
    assert all(o.reused and o.document_ids == [o.source] for o in reused)
    # The reused documents already belong to the new run, before any ingest step ran.
    assert incremental.latest_plan(config)[0].run_id == plan.run_id
    ids = [d for o in reused for d in o.document_ids] + steps.ingest_source(config, plan, todo[0]).document_ids
    assert incremental.needs_tagging(config, plan, sorted(ids)) == ["interview_02.txt"]


def test_changed_segment_settings_reuse_nothing(config):
    plan = steps.prepare(config)
    _ingest(config, plan)
    sentences = config.model_copy(update={"segment": config.segment.model_copy(update={"unit": Unit.SENTENCE})})
    reused, todo = incremental.reuse_unchanged(sentences, steps.prepare(sentences))
    assert reused == [] and len(todo) == 4


def test_a_changed_codebook_needs_tagging_again_without_reading(config, tmp_path):
    plan = steps.prepare(config)
    ids = _ingest(config, plan)
    steps.annotate_documents(config, plan, ids)
    assert incremental.needs_tagging(config, plan, ids) == []
    book = tmp_path / "codebook.yaml"
    book.write_text(config.codebook.read_text(encoding="utf-8").replace("\"kar trekken\"",
                                                                        "\"kar trekken\", \"voortrekker\"", 1),
                    encoding="utf-8")
    other = config.model_copy(update={"codebook": book})
    plan = steps.prepare(other)
    reused, todo = incremental.reuse_unchanged(other, plan)
    assert todo == [] and incremental.needs_tagging(other, plan, ids) == ids


def test_fresh_forgets_the_cached_figures(config):
    plan = steps.prepare(config)
    steps.annotate_documents(config, plan, _ingest(config, plan))
    steps.report(config, plan, [], steps.analyse(config, plan))
    assert list((config.out / CACHE_DIR).glob("*.png"))
    incremental.forget_done_work(config)
    assert not (config.out / CACHE_DIR).exists()


#: What legitimately differs between two runs of the same data: when, and the run's id.
_VOLATILE = [re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")]


def _outputs(out: Path, run_id: str) -> dict[str, bytes]:
    """Every report, matrix and figure file, with timestamps and the run id blanked out."""
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith(".kwali-cache") or path.suffix in (".sqlite", ".sqlite-wal",
                                                                                   ".sqlite-shm"):
            continue
        data = path.read_bytes()
        if path.suffix == ".xlsx":  # a zip whose core properties carry the time it was written
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                data = b"".join(name.encode() + archive.read(name) for name in sorted(archive.namelist())
                                if name != "docProps/core.xml")
        for pattern in _VOLATILE:
            data = pattern.sub(b"<time>", data)
        files[rel] = data.replace(run_id.encode(), b"<run>")
    return files


@pytest.mark.slow
def test_incremental_rerun_writes_exactly_what_a_fresh_run_writes(prefect_harness, config):  # noqa: F811
    from flows.full_run import RunStats, full_run

    full_run(config)
    edited = config.corpus / "interview_01.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nRespondent: Het vertrouwen is terug.",
                      encoding="utf-8")
    stats = RunStats()
    rerun = full_run(config, stats=stats)
    assert stats.read == ["interview_01.txt"] and stats.tagged == 1 and len(stats.reused) == 3
    incremental_files = _outputs(config.out, rerun.run_id)
    assert {"report.html", "report.md", "matrices/case_by_code.csv", "matrices/case_by_theme.xlsx",
            "figures/case_by_theme.png", "run_config.json"} <= set(incremental_files)
    # As in a new process: nothing drawn or loaded before, so every figure is drawn from scratch.
    context._FIGURE_CACHE.clear()
    figures._FRAMES.clear()
    resources.clear()
    fresh_stats = RunStats()
    fresh = full_run(config, fresh=True, stats=fresh_stats)
    assert fresh_stats.tagged == 4 and len(fresh_stats.read) == 4
    fresh_files = _outputs(config.out, fresh.run_id)
    assert sorted(fresh_files) == sorted(incremental_files)
    for name, data in fresh_files.items():
        assert incremental_files[name] == data, name
