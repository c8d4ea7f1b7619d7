"""Run steps without Prefect: a full run, re-runs that skip finished work, and a killed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select

from pipeline import run as steps
from pipeline import store as st
from pipeline.config import RunConfig
from pipeline.store import Store

TURNS = [
    "Interviewer: Hoe is het collectief ontstaan?",
    "Respondent: We begonnen met vijf makers in een leegstaande loods. Er was veel vertrouwen tussen ons.",
    "Interviewer: En de gemeente?",
    "Respondent: Daar hadden we eerlijk gezegd geen vertrouwen in. Zij is wel onze kartrekker, trouwens.",
]


def write_corpus(folder, n=3):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"interview_{i:02d}.txt").write_text("\n\n".join(TURNS) + f"\n\nInterviewer: Dank, nummer {i}.",
                                                       encoding="utf-8")
    (folder / "cases.csv").write_text("document,case,city\ninterview_00.txt,keilehaven,Rotterdam\n"
                                      "interview_01.txt,werkspoor,Utrecht\n", encoding="utf-8")
    return folder


def full(config):
    plan = steps.prepare(config)
    skipped = list(plan.skipped)
    ids = []
    for source in plan.sources:
        outcome = steps.ingest_source(config, plan, source)
        ids += outcome.document_ids
        if outcome.skipped:
            skipped.append(outcome.skipped)
    tagged = steps.annotate_documents(config, plan, ids)
    return plan, tagged, steps.report(config, plan, skipped, steps.analyse(config, plan))


@pytest.fixture
def config(tmp_path, small_codebook_path):
    return RunConfig(corpus=write_corpus(tmp_path / "studie"), out=tmp_path / "out", codebook=small_codebook_path)


def counts(config):
    store = Store(config.resolved_store_url())
    try:
        with store.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                    for t in (st.documents, st.segments, st.tags)}
    finally:
        store.close()


def test_full_run_writes_outputs_and_summary(config):
    plan, tagged, summary = full(config)
    assert tagged == 3
    assert summary.documents == 3 and summary.segments == 15 and summary.tags > 0
    assert summary.uncased == ["interview_02.txt"]
    for name in ("report.html", "report.md", "run_config.json", "matrices/case_by_code.csv",
                 "matrices/case_by_code.xlsx", "matrices/case_by_theme.csv"):
        assert (config.out / name).is_file(), name
    assert RunConfig.model_validate_json((config.out / "run_config.json").read_text()) == config


def test_rerun_skips_unchanged_documents_and_retags_after_codebook_change(config, tmp_path):
    full(config)
    before = counts(config)
    _, tagged, _ = full(config)
    assert tagged == 0 and counts(config) == before
    # edit one transcript: only that one is read and tagged again
    (config.corpus / "interview_01.txt").write_text("\n\n".join(TURNS[:2]), encoding="utf-8")
    plan, tagged, _ = full(config)
    assert tagged == 1
    # a codebook change re-tags everything but keeps the segments
    new_book = tmp_path / "cb2.yaml"
    new_book.write_text(config.codebook.read_text(encoding="utf-8").replace("version: 1", "version: 2"),
                        encoding="utf-8")
    changed = config.model_copy(update={"codebook": new_book})
    seg_state = {k: v[:2] for k, v in Store(changed.resolved_store_url()).document_state().items()}
    _, tagged, _ = full(changed)
    assert tagged == 3
    assert {k: v[:2] for k, v in Store(changed.resolved_store_url()).document_state().items()} == seg_state


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from pipeline import run as steps
    from pipeline.config import RunConfig
    config = RunConfig.model_validate_json(Path(sys.argv[1]).read_text())
    plan = steps.prepare(config)
    ids = []
    for source in plan.sources:
        ids += steps.ingest_source(config, plan, source).document_ids
        print("ingested", source.rel, flush=True)
    for doc_id in ids:
        steps.annotate_documents(config, plan, [doc_id])
        print("tagged", doc_id, flush=True)
        time.sleep(0.3)
    """
)


@pytest.mark.slow
def test_killed_run_leaves_a_consistent_store_and_rerun_completes(tmp_path, small_codebook_path):
    corpus = write_corpus(tmp_path / "groot", n=12)
    config = RunConfig(corpus=corpus, out=tmp_path / "out", codebook=small_codebook_path)
    config_file = tmp_path / "config.json"
    config_file.write_text(config.model_dump_json())
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(config_file)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    seen = []
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        seen.append(line)
        if line.startswith("tagged") and sum(s.startswith("tagged") for s in seen) == 3:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = Store(config.resolved_store_url())
    state = store.document_state()
    assert len(state) == 12
    with store.engine.connect() as conn:
        # every stored document has all its segments; tags exist only where a document is marked tagged
        for doc_id, (_, _, tagged_with) in state.items():
            n_seg = conn.execute(select(func.count()).select_from(st.segments)
                                 .where(st.segments.c.document_id == doc_id)).scalar()
            assert n_seg == 5
            n_tags = conn.execute(select(func.count()).select_from(st.tags).join(st.segments)
                                  .where(st.segments.c.document_id == doc_id)).scalar()
            assert (n_tags > 0) == (tagged_with is not None)
    assert 3 <= sum(v[2] is not None for v in state.values()) < 12
    store.close()
    _, tagged, summary = full(config)
    assert 0 < tagged < 12  # only the unfinished documents
    assert summary.documents == 12
    assert all(v[2] is not None for v in Store(config.resolved_store_url()).document_state().values())
