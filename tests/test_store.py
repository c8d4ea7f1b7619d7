"""Store: idempotent saves, atomic replacement, frames for analysis, run bookkeeping."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pipeline import store as st
from pipeline.models import Document, Evidence, Polarity, Tag, Turn
from pipeline.segment import segment_document
from pipeline.store import Store

TEXT = "Hoe begon het?\n\nWe hadden geen vertrouwen in de eigenaar. Later wel."


def doc(text=TEXT, sha="a" * 64):
    return Document("int_01.txt", "rotterdam", text, [Turn(0, 14, "I"), Turn(16, len(text), "R")], sha,
                    {"format": "txt"})


@pytest.fixture
def store(store_url):
    # Every store test runs on SQLite and on a real PostgreSQL (tests/conftest.py starts it).
    s = Store(store_url)
    yield s
    s.close()


def count(store, table):
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_saving_the_same_document_twice_creates_no_duplicates(store):
    d = doc()
    segs = segment_document(d)
    store.save_document(d, segs, "fp1")
    store.save_document(d, segs, "fp1")
    assert count(store, st.documents) == 1
    assert count(store, st.segments) == 2
    assert store.document_state() == {"int_01.txt": ("a" * 64, "fp1", None)}


def test_document_round_trips_with_turns_and_offsets(store):
    d = doc()
    store.save_document(d, segment_document(d), "fp1")
    back = store.load_document("int_01.txt")
    assert back.text == d.text and back.turns == d.turns and back.metadata == d.metadata
    for seg in store.iter_segments(["int_01.txt"]):
        assert back.text[seg.start:seg.end] == seg.text


def test_resaving_a_changed_document_replaces_segments_and_drops_tags(store, small_codebook):
    d = doc()
    segs = segment_document(d)
    store.save_document(d, segs, "fp1")
    sha = store.save_codebook(small_codebook)
    tag = Tag(segs[1].id, "trust.building", "trust", 1.0, "rules", Polarity.NEGATIVE,
              (Evidence("vertrouwen", 15, 25, "vertrouwen", "geen"),))
    store.save_tags("int_01.txt", [tag], sha, "full1")
    assert count(store, st.tags) == 1
    changed = doc(TEXT.replace("Later wel.", "Nu wel."), sha="b" * 64)
    store.save_document(changed, segment_document(changed), "fp1")
    assert count(store, st.tags) == 0
    assert [s.text for s in store.iter_segments(["int_01.txt"])][1].endswith("Nu wel.")
    assert store.document_state()["int_01.txt"][2] is None  # needs tagging again


def test_a_failed_transaction_leaves_nothing_half_written(store):
    d = doc()
    segs = segment_document(d)
    broken = segs + [segs[0]]  # duplicate primary key: the insert fails inside the transaction
    with pytest.raises(Exception):
        store.save_document(d, broken, "fp1")
    assert count(store, st.documents) == 0
    assert count(store, st.segments) == 0


def test_frames_follow_the_analysis_contract(store, small_codebook):
    d = doc()
    segs = segment_document(d)
    store.save_document(d, segs, "fp1")
    store.save_cases({"rotterdam": {"city": "Rotterdam"}})
    sha = store.save_codebook(small_codebook)
    assert store.save_codebook(small_codebook) == sha
    store.save_tags("int_01.txt", [Tag(segs[1].id, "trust.building", "trust", 0.9, "rules")], sha, "full1")
    seg_frame = store.segments_frame(["int_01.txt"])
    assert list(seg_frame["segment_id"]) == [s.id for s in segs]
    assert {"segment_id", "document_id", "case_id", "speaker", "start", "end", "text", "n_words"} <= set(seg_frame)
    tag_frame = store.tags_frame(["int_01.txt"], sha)
    assert tag_frame.loc[0, "polarity"] == "positive" and tag_frame.loc[0, "score"] == 0.9
    assert store.tags_frame(["int_01.txt"], "other").empty
    assert store.cases_frame().to_dict("records") == [{"case_id": "rotterdam", "city": "Rotterdam"}]


def test_runs_record_documents_and_skipped_files(store):
    from pipeline.models import SkippedFile

    store.start_run("r1", {"corpus": "x"}, "sha", "fp", "0.1.0")
    store.add_run_documents("r1", ["b", "a"])
    store.add_run_documents("r1", ["a"])
    store.finish_run("r1", "completed", [SkippedFile("leeg.txt", "empty file")])
    assert store.run_document_ids("r1") == ["a", "b"]
    info = store.run_info("r1")
    assert info["status"] == "completed" and info["skipped"] == [{"path": "leeg.txt", "reason": "empty file"}]


def test_decisions_supersede_and_keep_the_audit_trail(store):
    from pipeline.models import Decision, Verdict

    d = doc()
    segs = segment_document(d)
    store.save_document(d, segs, "fp1")
    store.ensure_user("anna", "coder")
    store.ensure_user("anna", "coder")
    store.add_decisions([Decision(segs[1].id, "trust.building", "anna", Verdict.ACCEPT)])
    store.add_decisions([Decision(segs[1].id, "trust.building", "anna", Verdict.REJECT, memo="toch niet")])
    current = store.decisions_frame(["int_01.txt"])
    assert current[["verdict", "version", "memo", "case_id"]].to_dict("records") == [
        {"verdict": "reject", "version": 2, "memo": "toch niet", "case_id": "rotterdam"}]
    history = store.decisions_frame(current_only=False)
    assert list(history["verdict"]) == ["accept", "reject"]
    assert history.loc[0, "superseded_by"] == history.loc[1, "id"]
