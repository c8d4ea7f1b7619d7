"""Review logic on the store (SQLite and PostgreSQL): optimistic saves under concurrency, assignments,
settings, visibility, the uncertainty queue, undo and progress."""

from __future__ import annotations

import threading

import pytest

from pipeline import review as rv
from pipeline.errors import InvalidInput, StaleDecision
from pipeline.models import Decision, Tag, Verdict
from tests.review_study import two_document_store

TEXT = ("I: Hoe ging het?\n\nR: Er was veel vertrouwen.\n\nI: En nu?\n\nR: Geen vertrouwen meer.\n\n"
        "I: Wie trekt?\n\nR: De gemeente is trekker.")


@pytest.fixture
def store(store_url):
    s = two_document_store(store_url, TEXT)
    yield s
    s.close()


def seg_ids(store, doc="a.txt"):
    return store.segments_frame([doc])["segment_id"].tolist()


def test_save_decision_checks_the_version_the_coder_saw(store):
    seg = seg_ids(store)[0]
    d = Decision(seg, "trust", "anna", Verdict.ACCEPT)
    assert store.save_decision(d, 0) == 1
    with pytest.raises(StaleDecision, match="reload"):
        store.save_decision(Decision(seg, "trust", "anna", Verdict.REJECT), 0)
    with pytest.raises(StaleDecision):
        store.save_decision(Decision(seg, "trust", "anna", Verdict.REJECT), 5)
    assert store.save_decision(Decision(seg, "trust", "anna", Verdict.REJECT), 1) == 2
    history = store.decisions_frame(current_only=False)
    assert list(history["verdict"]) == ["accept", "reject"] and history["superseded_by"].iloc[0] == history["id"].iloc[1]


def test_concurrent_saves_of_one_version_land_exactly_once(store):
    segs = seg_ids(store)
    outcomes: list[str] = []
    lock = threading.Lock()

    def save(verdict, seg):
        try:
            store.save_decision(Decision(seg, "trust", "anna", verdict), 0)
            result = "saved"
        except StaleDecision:
            result = "stale"
        with lock:
            outcomes.append(result)

    for seg in segs:
        threads = [threading.Thread(target=save, args=(v, seg)) for v in (Verdict.ACCEPT, Verdict.REJECT) * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert outcomes.count("saved") == len(segs) and outcomes.count("stale") == 5 * len(segs)
    current = store.decisions_frame()
    assert len(current) == len(segs) and set(current["version"]) == {1}
    assert len(store.decisions_frame(current_only=False)) == len(segs)


def test_assignments_and_settings(store):
    assert store.assign(["a.txt"], "anna", "lea") == 1
    assert store.assign(["a.txt", "b.txt"], "anna", "lea") == 1
    assert store.assigned_documents("anna") == ["a.txt", "b.txt"]
    store.unassign(["b.txt"], "anna")
    assert store.assigned_documents("anna") == ["a.txt"] and store.assigned_documents("bram") == []
    assert store.get_setting("mode", "open") == "open"
    store.set_setting("mode", "blind")
    store.set_setting("mode", "open")
    assert store.get_setting("mode") == "open"


def test_visibility_follows_role_assignment_and_mode(store):
    store.assign(["a.txt"], "anna", "lea")
    assert rv.visibility(store, "anna", "coder").document_ids == ("a.txt",)
    assert rv.visibility(store, "lea", "lead").document_ids == ("a.txt", "b.txt")
    rv.set_mode(store, "blind", hide_machine=True)
    blind = rv.visibility(store, "anna", "coder")
    assert not blind.others and not blind.machine
    assert rv.visibility(store, "lea", "lead").machine
    with pytest.raises(InvalidInput):
        rv.set_mode(store, "half", hide_machine=False)


def test_queue_puts_most_uncertain_first_and_filters(store):
    from pipeline.codebook import Code, Codebook, Theme

    book = Codebook(id="t", label="t", version="1", themes=[Theme(id="th", label="Th", definition="d", codes=[
        Code(id="trust", label="Vertrouwen", definition="d"), Code(id="role", label="Rol", definition="d")])])
    sha = store.save_codebook(book)
    a = seg_ids(store)
    scores = {a[1]: 0.95, a[3]: 0.55, a[5]: 0.7}
    store.save_tags("a.txt", [Tag(s, "trust" if s != a[5] else "role", "th", score, "rules")
                              for s, score in scores.items()], sha, "fp")
    store.assign(["a.txt"], "anna", "lea")
    seen = rv.visibility(store, "anna", "coder")
    order = rv.queue(store, seen, sha)
    assert order[:3] == [a[3], a[5], a[1]] and sorted(order[3:]) == sorted([a[0], a[2], a[4]])
    assert rv.queue(store, seen, sha, rv.Filters(code="role")) == [a[5]]
    rv.decide(store, seen, a[3], "trust", "accept", 0)
    assert rv.queue(store, seen, sha, rv.Filters(status="done")) == [a[3]]
    assert a[3] not in rv.queue(store, seen, sha, rv.Filters(status="open"))
    assert rv.progress(store, seen) == (1, 6)
    assert rv.queue(store, seen, sha, rv.Filters(document="b.txt")) == []  # not assigned
    assert store.latest_codebook()[0] == sha


def test_decide_refuses_unassigned_segments_and_acting_as_others(store):
    store.assign(["a.txt"], "anna", "lea")
    seen = rv.visibility(store, "anna", "coder")
    with pytest.raises(InvalidInput):
        rv.decide(store, seen, seg_ids(store, "b.txt")[0], "trust", "accept", 0)
    with pytest.raises(InvalidInput):
        rv.decide(store, seen, seg_ids(store)[0], "trust", "accept", 0, coder="consensus")
    with pytest.raises(InvalidInput):
        rv.decide(store, seen, seg_ids(store)[0], "trust", "misschien", 0)
    lead = rv.visibility(store, "lea", "lead")
    rv.decide(store, lead, seg_ids(store, "b.txt")[0], "trust", "accept", 0, coder="consensus")
    assert store.decisions_frame()["source"].tolist() == ["consensus"]


def test_undo_walks_back_across_segments(store):
    store.assign(["a.txt"], "anna", "lea")
    seen = rv.visibility(store, "anna", "coder")
    a = seg_ids(store)
    rv.decide(store, seen, a[0], "trust", "accept", 0)
    rv.decide(store, seen, a[1], "trust", "reject", 0)
    assert rv.undo_last(store, seen)["segment_id"] == a[1]
    assert rv.undo_last(store, seen)["segment_id"] == a[0]
    assert rv.undo_last(store, seen) is None
    assert set(store.decisions_frame()["verdict"]) == {"undone"}
    assert rv.progress(store, seen) == (0, 6)
