"""The review queue's cached order: next/previous as in the filtered list, invalidation on writes,
indexes the order query uses, and saves from many threads on the single SQLite writer."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from sqlalchemy import text

from pipeline import review as rv
from pipeline.errors import StaleDecision
from pipeline.models import Decision, Tag, Verdict
from pipeline.review_queue import Order, QueueCache, neighbours, order_query
from pipeline.review_store import ReviewStore
from tests.review_study import two_document_store

TEXT = ("I: Hoe ging het met de buurt?\n\nR: Er was veel vertrouwen.\n\nI: En met de gemeente?\n\n"
        "R: Geen vertrouwen meer.\n\nI: Wie trekt het project?\n\nR: De eigenaar van de loods.")


@pytest.fixture
def store(store_url):
    s = two_document_store(store_url, TEXT)
    yield s
    s.close()


def codebook_sha(store):
    from pipeline.codebook import Code, Codebook, Theme

    book = Codebook(id="t", label="t", version="1", themes=[Theme(id="th", label="Th", definition="d", codes=[
        Code(id="trust", label="Vertrouwen", definition="d"), Code(id="role", label="Rol", definition="d")])])
    return store.save_codebook(book)


def seg_ids(store, doc="a.txt"):
    return store.segments_frame([doc])["segment_id"].tolist()


def list_neighbours(ids, current):
    """The answer the app gave before the cache: look ``current`` up in the filtered list."""
    if current in ids:
        i = ids.index(current)
        return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)
    return None, next(iter(ids), None)


def test_neighbours_in_the_order_equal_a_lookup_in_the_filtered_list():
    ids = [f"s{i}" for i in range(6)]
    order = Order.of(ids)
    for size in range(len(ids) + 1):
        for done in itertools.combinations(ids, size):
            for want_done in (False, True):
                def keep(s, done=set(done), want=want_done):
                    return (s in done) == want
                filtered = [s for s in ids if keep(s)]
                for current in [*ids, "elders"]:
                    assert neighbours(order, current, keep) == list_neighbours(filtered, current), (done, current)


def test_queue_cache_rebuilds_after_ttl_keeps_a_bound_and_forgets_on_request():
    builds = []

    def build(ids):
        def run():
            builds.append(ids)
            return ids
        return run

    cache = QueueCache(ttl=60, size=2)
    assert cache.get("a", build(["x"])).ids == ("x",)
    assert cache.get("a", build(["y"])).ids == ("x",)  # kept
    cache.get("b", build(["b"]))
    cache.get("c", build(["c"]))  # "a" is the least recently used and goes
    assert cache.get("a", build(["z"])).ids == ("z",)
    cache.forget(lambda key: key == "a")
    assert cache.get("a", build(["w"])).ids == ("w",)
    quick = QueueCache(ttl=0.01)
    quick.get("a", build(["1"]))
    time.sleep(0.02)
    assert quick.get("a", build(["2"])).ids == ("2",)
    assert builds == [["x"], ["b"], ["c"], ["z"], ["w"], ["1"], ["2"]]


def test_cached_order_follows_new_tags_assignments_and_accepted_codes(store):
    sha = codebook_sha(store)
    a, b = seg_ids(store), seg_ids(store, "b.txt")
    store.assign(["a.txt"], "anna", "lea")
    seen = rv.visibility(store, "anna", "coder")
    assert rv.queue(store, seen, sha) == a  # no tags yet: document order
    store.save_tags("a.txt", [Tag(a[4], "trust", "th", 0.6, "rules"), Tag(a[2], "trust", "th", 0.9, "rules")],
                    sha, "fp")
    assert rv.queue(store, seen, sha)[:2] == [a[4], a[2]]
    assert rv.queue(store, seen, sha, rv.Filters(code="role")) == []
    rv.decide(store, seen, a[0], "role", "accept", 0)
    assert rv.queue(store, seen, sha, rv.Filters(code="role")) == [a[0]]
    store.assign(["b.txt"], "anna", "lea")
    seen = rv.visibility(store, "anna", "coder")
    assert set(rv.queue(store, seen, sha)) == set(a) | set(b)
    store.unassign(["a.txt"], "anna")
    seen = rv.visibility(store, "anna", "coder")
    assert rv.queue(store, seen, sha) == b
    assert rv.progress(store, seen, sha) == (0, len(b))


def test_status_filter_and_progress_are_never_stale(store):
    sha = codebook_sha(store)
    a = seg_ids(store)
    store.assign(["a.txt"], "anna", "lea")
    seen = rv.visibility(store, "anna", "coder")
    open_filter = rv.Filters(status="open")
    assert rv.neighbours(store, seen, sha, open_filter, a[0]) == (None, a[1])
    # A second store (another server, the CLI) saves: the first sees it on the next request.
    other = ReviewStore(store.url)
    try:
        other.save_decision(Decision(a[1], rv.REVIEWED, "anna", Verdict.ACCEPT), 0)
    finally:
        other.close()
    assert rv.neighbours(store, seen, sha, open_filter, a[0]) == (None, a[2])
    assert rv.neighbours(store, seen, sha, open_filter, a[1]) == (None, a[0])  # reviewed: back to the first open
    assert rv.progress(store, seen, sha) == (1, len(a))
    assert a[1] not in rv.queue(store, seen, sha, open_filter)


def test_order_query_finds_tags_by_segment(tmp_path):
    store = ReviewStore(f"sqlite:///{tmp_path / 'kwali.sqlite'}")
    try:
        query = order_query(["a.txt"], "0" * 64).compile(store.engine, compile_kwargs={"literal_binds": True})
        with store.engine.connect() as conn:
            plan = " | ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {query}")))
    finally:
        store.close()
    # Looking tags up by codebook alone read every tag for every segment: 195 s on 100k segments.
    assert "ix_tags_segment" in plan and "ix_tags_codebook" not in plan, plan


def test_an_old_store_gets_the_review_indexes(tmp_path):
    url = f"sqlite:///{tmp_path / 'kwali.sqlite'}"
    ReviewStore(url).close()
    old = ReviewStore(url)
    with old.engine.begin() as conn:
        for name in ("ix_tags_segment", "ix_decisions_coder", "ix_assignments_coder"):
            conn.execute(text(f"DROP INDEX {name}"))
    old.close()
    store = ReviewStore(url)
    try:
        with store.engine.connect() as conn:
            names = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
    finally:
        store.close()
    assert {"ix_tags_segment", "ix_decisions_coder", "ix_assignments_coder"} <= names


def test_twenty_threads_saving_version_chains_lose_nothing(store):
    segs = seg_ids(store) + seg_ids(store, "b.txt")
    errors: list[BaseException] = []
    stale = []
    lock = threading.Lock()

    def coder_work(worker: int) -> None:
        coder = "anna" if worker % 2 else "bram"
        try:
            for seg in segs[worker % len(segs)::5]:
                version = 0
                for verdict in (Verdict.ACCEPT, Verdict.REJECT, Verdict.ACCEPT):
                    try:
                        version = store.save_decision(Decision(seg, f"code{worker}", coder, verdict), version)
                    except StaleDecision:
                        with lock:
                            stale.append(worker)
                        break
        except BaseException as exc:  # noqa: BLE001  (reported below)
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=coder_work, args=(w,)) for w in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and not stale
    current = store.decisions_frame()
    history = store.decisions_frame(current_only=False)
    chains = sum(len(segs[w % len(segs)::5]) for w in range(20))
    assert len(current) == chains and set(current["version"]) == {3} and set(current["verdict"]) == {"accept"}
    assert len(history) == 3 * chains
    versions = history.groupby(["segment_id", "code_id", "coder"])["version"].apply(lambda v: tuple(sorted(v)))
    assert set(versions) == {(1, 2, 3)}


def test_code_filter_in_blind_mode_shows_only_the_coders_own_decisions(store):
    sha = codebook_sha(store)
    a = seg_ids(store)
    for coder in ("anna", "bram"):
        store.assign(["a.txt"], coder, "lea")
    rv.decide(store, rv.visibility(store, "bram", "coder"), a[3], "role", "accept", 0)
    role = rv.Filters(code="role")
    assert rv.queue(store, rv.visibility(store, "anna", "coder"), sha, role) == [a[3]]  # open coding
    rv.set_mode(store, "blind", hide_machine=False)
    anna = rv.visibility(store, "anna", "coder")
    assert rv.queue(store, anna, sha, role) == []  # bram's accept stays hidden
    rv.decide(store, anna, a[1], "role", "accept", 0)
    assert rv.queue(store, anna, sha, role) == [a[1]]
    assert rv.queue(store, rv.visibility(store, "bram", "coder"), sha, role) == [a[3]]
    assert rv.queue(store, rv.visibility(store, "lea", "lead"), sha, role) == [a[1], a[3]]


def test_mode_and_users_are_kept_briefly_but_own_changes_show_at_once(store):
    store.assign(["a.txt"], "anna", "lea")
    assert rv.visibility(store, "anna", "coder").others
    rv.set_mode(store, "blind", hide_machine=False)  # through this store: at once
    assert not rv.visibility(store, "anna", "coder").others
    store.set_user("anna", "lead", None)
    assert store.session_user("anna")["role"] == "lead"
    assert not rv.visibility(store, "anna", "coder").others  # read again after the user change
    other = ReviewStore(store.url)
    try:
        rv.set_mode(other, "open", hide_machine=False)  # another process: after the short time to live
        other.set_user("anna", "coder", None)
    finally:
        other.close()
    assert not rv.visibility(store, "anna", "coder").others
    store._memo.ttl = 0.05
    time.sleep(0.06)
    assert rv.visibility(store, "anna", "coder").others and store.session_user("anna")["role"] == "coder"
