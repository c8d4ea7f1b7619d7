"""The lead's agreement and disagreement pages from narrow reads equal the reference computed from
whole frames, on a tiny Dutch store where most segments nobody coded and tags sit on uncoded ones too."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import insert

from pipeline import review as rv
from pipeline.analysis import reliability as ref
from pipeline.codebook import Code, Codebook, Theme
from pipeline.models import Decision, Verdict
from pipeline.review_agreement import agreement, current_codings, decided_tags, disagreement_page
from pipeline.review_store import ReviewStore
from pipeline.schema import documents, segments, tags

TURNS = [
    "Ik had weinig vertrouwen in de gemeente.",
    "De wethouder kwam nooit langs in de wijk.",
    "Mijn buurvrouw nam het voortouw bij het buurtfeest.",
    "We regelden alles zelf, met de vereniging.",
    "Later werd het contact met de ambtenaren beter.",
    "Over geld wil ik het liever niet hebben.",
]
CODES = ["vertrouwen", "rol", "geld"]


@pytest.fixture
def store(tmp_path):
    store = ReviewStore(f"sqlite:///{tmp_path / 'kwali.sqlite'}")
    book = Codebook(id="buurt", label="Buurt", version="1", themes=[Theme(id="t", label="Thema", definition="d", codes=[
        Code(id=c, label=c.capitalize(), definition="d") for c in CODES])])
    sha = store.save_codebook(book)
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        for d in range(2):
            doc = f"interview_{d}.txt"
            text = "\n\n".join(TURNS)
            conn.execute(insert(documents).values(id=doc, case_id=f"case{d}", sha256="0" * 64, text=text, turns=[],
                                                  meta={}, n_words=len(text.split()), segmented_with="t",
                                                  tagged_with="t", updated_at=now))
            start = 0
            for i, turn in enumerate(TURNS):
                conn.execute(insert(segments).values(id=f"d{d}s{i}", document_id=doc, case_id=f"case{d}", idx=i,
                                                     unit="turn", start=start, end=start + len(turn), text=turn,
                                                     speaker="R", timestamp=None, n_words=len(turn.split())))
                start += len(turn) + 2
        # Tags on coded and on uncoded segments; a second method on one segment.
        for seg, code, score, method in [("d0s0", "vertrouwen", 0.9, "rules"), ("d0s1", "vertrouwen", 0.4, "rules"),
                                         ("d0s2", "rol", 0.7, "rules"), ("d0s2", "rol", 0.2, "semantic"),
                                         ("d1s3", "rol", 0.95, "rules"), ("d1s5", "geld", 0.8, "rules")]:
            conn.execute(insert(tags).values(segment_id=seg, code_id=code, method=method, codebook_sha256=sha,
                                             theme_id="t", score=score, polarity="positive", evidence=[]))
    for coder in ("anna", "bram", "cato"):
        store.ensure_user(coder, "coder")
    store.ensure_user(rv.CONSENSUS, rv.CONSENSUS)
    A, R, U = Verdict.ACCEPT, Verdict.REJECT, Verdict.UNDONE
    store.add_decisions([Decision(s, c, who, v) for s, c, who, v in [
        ("d0s0", "vertrouwen", "anna", A), ("d0s0", "vertrouwen", "bram", A),
        ("d0s1", "vertrouwen", "anna", A), ("d0s1", "vertrouwen", "bram", R), ("d0s1", "rol", "cato", A),
        ("d0s2", "rol", "anna", A), ("d0s2", rv.REVIEWED, "bram", A),
        ("d0s3", "vertrouwen", "anna", A),  # one coder only: no unit
        ("d1s0", "geld", "bram", A), ("d1s0", "geld", "cato", A),
        ("d1s1", "rol", "anna", A), ("d1s1", "rol", "bram", A),
        ("d0s1", "vertrouwen", rv.CONSENSUS, A),
    ]])
    store.add_decisions([Decision("d1s1", "rol", "bram", U),  # bram takes it back: d1s1 is anna's only
                         Decision("d0s1", "vertrouwen", "bram", A)])  # supersedes bram's reject
    yield store, sha, book
    store.close()


def reference(store: ReviewStore, sha: str, book: Codebook):
    """The figures as the lead pages computed them before: whole frames and the reference module."""
    frame = store.decisions_frame()
    used = set(frame["code_id"])
    codes = [c.id for c in book.codes]
    codes += sorted(used - set(codes) - {rv.REVIEWED})
    decided = [c for c in codes if c in used]
    whole_tags = store.tags_frame(list(rv.visibility(store, "lea", "lead").document_ids), sha)
    return (ref.reliability_table(frame, decided), ref.machine_vs_coders(frame, whole_tags, decided),
            decided, ref.disagreements(frame))


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True,
                                  check_dtype=False)


def test_agreement_equals_reference_on_store_with_uncoded_segments(store):
    store, sha, book = store
    coders, machine, decided = agreement(store, sha, book)
    expected_coders, expected_machine, expected_decided, _ = reference(store, sha, book)
    assert decided == expected_decided == CODES
    same(coders, expected_coders)
    same(machine, expected_machine)
    # d0s0, d0s1 (anna, bram; cato too), d0s2, d1s0 are units; d0s3, d1s1 and the eight untouched are not.
    assert coders.set_index("code_id").loc["vertrouwen", "units"] == 4


def test_only_tags_of_decided_segments_are_read(store):
    store, sha, _book = store
    found = decided_tags(store, sha)
    assert set(found["segment_id"]) == {"d0s0", "d0s1", "d0s2"}  # not d1s3 or d1s5: nobody decided there
    assert len(found) == 4


def test_current_codings_are_the_decisions_frame_columns(store):
    store, _sha, _book = store
    same(current_codings(store), store.decisions_frame()[["segment_id", "code_id", "coder", "verdict"]])


def test_disagreement_pages_cover_the_reference_list_in_order(store):
    store, sha, book = store
    expected = reference(store, sha, book)[3]
    assert len(expected) >= 3
    seen = []
    for page in range(1, len(expected) + 1):
        found = disagreement_page(store, page, per_page=1)
        assert (found.total, found.pages, found.page, len(found.rows)) == (len(expected), len(expected), page, 1)
        seen += found.rows
    same(pd.DataFrame(seen)[list(expected.columns)], expected)
    row = next(r for r in seen if r["segment_id"] == "d0s1" and r["code_id"] == "rol")
    assert row["text"] == TURNS[1] and row["document_id"] == "interview_0.txt" and row["case_id"] == "case0"
    consensus = next(r for r in seen if r["segment_id"] == "d0s1" and r["code_id"] == "vertrouwen")
    assert consensus["consensus"]["verdict"] == "accept"
    assert disagreement_page(store, 99, per_page=1).page == len(expected)  # clamped to the last page
    assert disagreement_page(store, -3, per_page=1).page == 1


def test_no_decisions_gives_empty_tables(tmp_path):
    store = ReviewStore(f"sqlite:///{tmp_path / 'leeg.sqlite'}")
    try:
        coders, machine, decided = agreement(store, None, None)
        assert coders.empty and machine.empty and decided == []
        found = disagreement_page(store)
        assert (found.rows, found.total, found.pages) == ([], 0, 1)
    finally:
        store.close()
