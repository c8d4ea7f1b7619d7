"""A small demo study for report tests: four documents of corpora/demo (one per case), run through
the pipeline steps into a temporary output folder, and decisions by two coders."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import run as steps
from pipeline.codebook import load_codebook
from pipeline.config import NlpOptions, RunConfig
from pipeline.models import Decision, Verdict
from pipeline.report.study import latest_completed_run
from pipeline.store import Store

ROOT_DIR = Path(__file__).resolve().parent.parent
DEMO = ROOT_DIR / "corpora" / "demo"
DOCUMENTS = ("rotterdam_keilehaven_01.txt", "utrecht_werkspoor_01.md", "amsterdam_noord_broedplaats_02.docx",
             "den_haag_binckhorst_03.vtt")


def build_study(folder: Path) -> RunConfig:
    """Copy four demo documents and cases.csv to ``folder/demo`` and run every step into ``folder/out``."""
    corpus = folder / "demo"
    corpus.mkdir(parents=True)
    for name in (*DOCUMENTS, "cases.csv"):
        shutil.copy(DEMO / name, corpus / name)
    config = RunConfig(corpus=corpus, out=folder / "out", nlp=NlpOptions(model="blank"))
    plan = steps.prepare(config)
    ids = []
    for source in plan.sources:
        ids += steps.ingest_source(config, plan, source).document_ids
    steps.annotate_documents(config, plan, ids)
    steps.report(config, plan, list(plan.skipped), steps.analyse(config, plan))
    return config


def add_two_coders(config: RunConfig) -> dict[str, object]:
    """Coders anna and bram review the machine codes of 21 (segment, code) pairs: bram rejects
    every third, anna every sixth (so both reject some, and disagree on others); bram also adds
    one code the machine did not propose.

    Returns:
        "removed": pairs both rejected, "contested": pairs they disagree on, "added": the pair
        bram added, "reviewed": every reviewed machine pair (in review order).
    """
    store = Store(config.resolved_store_url())
    try:
        run = latest_completed_run(store)
        tags = store.tags_frame(store.run_document_ids(run["id"]), run["codebook_sha256"])
        pairs = list(dict.fromkeys(zip(tags["segment_id"], tags["code_id"])))[:21]
        for name in ("anna", "bram"):
            store.ensure_user(name, "coder")
        decisions, removed, contested = [], [], []
        for i, (segment_id, code_id) in enumerate(pairs):
            anna = Verdict.REJECT if i % 6 == 0 else Verdict.ACCEPT
            bram = Verdict.REJECT if i % 3 == 0 else Verdict.ACCEPT
            decisions += [Decision(segment_id, code_id, "anna", anna), Decision(segment_id, code_id, "bram", bram)]
            if anna is bram is Verdict.REJECT:
                removed.append((segment_id, code_id))
            elif anna is not bram:
                contested.append((segment_id, code_id))
        segment_id = pairs[0][0]
        proposed = set(tags.loc[tags["segment_id"] == segment_id, "code_id"])
        new_code = next(c.id for c in load_codebook(config.codebook).codes if c.id not in proposed)
        decisions.append(Decision(segment_id, new_code, "bram", Verdict.ACCEPT))
        store.add_decisions(decisions)
        return {"removed": removed, "contested": contested, "added": (segment_id, new_code), "reviewed": pairs}
    finally:
        store.close()
