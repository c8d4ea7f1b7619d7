"""Our own project through REFI-QDA and back: same texts, offsets, codes, codings, memos, cases."""

from __future__ import annotations

from pipeline.codebook import load_codebook
from pipeline.config import RunConfig
from pipeline.exchange import export_qdpx, import_qdpx
from pipeline.exchange.study import Study
from pipeline.models import Decision, Verdict
from pipeline.store import Store
from tests.test_run import full, write_corpus


def codes_key(book):
    theme_of = book.theme_of()
    return sorted((theme_of[c.id], c.id, c.label, c.definition, c.parent) for c in book.codes)


def snapshot(study_dir):
    """Texts, codings (user, document, start, end, code), memos and cases of a study."""
    with Study.open(study_dir) as study:
        store = study.store
        texts = {d: store.load_document(d).text for d in study.document_ids}
        cases = {d: store.load_document(d).case_id for d in study.document_ids}
        segments = store.segments_frame(study.document_ids).set_index("segment_id")
        codings, memos = set(), {}
        if study.codebook_sha256:
            for t in store.tags_frame(study.document_ids, study.codebook_sha256).itertuples():
                s = segments.loc[t.segment_id]
                codings.add(("kwali", s.document_id, int(s.start), int(s.end), t.code_id))
        for d in store.decisions_frame(study.document_ids).itertuples():
            if d.verdict != "accept":
                continue
            s = segments.loc[d.segment_id]
            key = (d.coder, s.document_id, int(s.start), int(s.end), d.code_id)
            codings.add(key)
            if isinstance(d.memo, str):
                memos[key] = d.memo
        for key in codings:
            _, doc, start, end, _ = key
            assert texts[doc][start:end] == segments[(segments.document_id == doc) & (segments.start == start)
                                                     & (segments.end == end)].iloc[0].text
        attributes = store.cases_frame().set_index("case_id").to_dict("index")
        return texts, codings, memos, cases, attributes, study.codebook


def test_export_then_import_gives_back_the_same_study(tmp_path, small_codebook_path):
    config = RunConfig(corpus=write_corpus(tmp_path / "studie"), out=tmp_path / "out", codebook=small_codebook_path)
    full(config)
    store = Store(config.resolved_store_url())
    segs = store.segments_frame(["interview_00.txt", "interview_01.txt"])
    first, second = segs.iloc[1], segs.iloc[3]
    store.ensure_user("anna", "coder")
    store.ensure_user("Bram de Vries", "coder")
    store.add_decisions([
        Decision(first.segment_id, "trust.building", "anna", Verdict.ACCEPT, memo="Wederzijds vertrouwen."),
        Decision(first.segment_id, "roles.role", "Bram de Vries", Verdict.ACCEPT),
        Decision(second.segment_id, "roles.leader", "anna", Verdict.ACCEPT),
        Decision(second.segment_id, "trust.distrust", "anna", Verdict.REJECT),
    ])
    store.close()
    before = snapshot(config.out)
    export_qdpx(config.out, tmp_path / "studie.qdpx")
    summary = import_qdpx(tmp_path / "studie.qdpx", tmp_path / "terug")
    assert summary.warnings == []
    after = snapshot(tmp_path / "terug")
    texts, codings, memos, cases, attributes, book = before
    assert after[0] == texts
    assert after[1] == codings and len(codings) > 3
    assert after[2] == memos == {("anna", "interview_00.txt", int(first.start), int(first.end), "trust.building"):
                                 "Wederzijds vertrouwen."}
    assert after[3] == cases
    assert after[4] == attributes
    assert codes_key(load_codebook(tmp_path / "terug" / "codebook.yaml")) == codes_key(book)
    assert [(t.id, t.label, t.definition) for t in after[5].themes] == [(t.id, t.label, t.definition)
                                                                         for t in book.themes]
    # and once more: the imported study exports to the same project content
    export_qdpx(tmp_path / "terug", tmp_path / "again.qdpx")
    import_qdpx(tmp_path / "again.qdpx", tmp_path / "terug2")
    assert snapshot(tmp_path / "terug2")[:4] == after[:4]
