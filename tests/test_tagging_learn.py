"""Learning the supervised tagger from review decisions: training, gating, the model file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.codebook import load_codebook
from pipeline.config import NlpOptions, TagOptions
from pipeline.embed import make_embedder
from pipeline.errors import InvalidInput, ModelMismatch
from pipeline.models import Segment
from pipeline.nlp import build_nlp
from pipeline.store import Store
from pipeline.tagging.build import build_tagger
from pipeline.tagging.ensemble import EnsembleTagger
from pipeline.tagging.learn import learn_from_store, load_learned
from pipeline.tagging.supervised import SupervisedTagger
from tests.learn_study import CODEBOOK, FIXTURES, build_store

TFIDF = TagOptions(embedder="tfidf")
NEW = ["Wij vertrouwen elkaar nu echt volledig.", "De tram was weer te laat vanochtend."]


@pytest.fixture(scope="module")
def book():
    return load_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("learn")
    url = build_store(folder)
    return folder, url, learn_from_store(url, folder / "model.json", TFIDF)


def segments(texts):
    return [Segment(f"n{i}", "d", "c", i, 0, len(t), t) for i, t in enumerate(texts)]


def test_each_code_reports_counts_quality_and_gate(learned):
    _, _, summary = learned
    results = {r.code_id: r for r in summary.results}
    assert set(results) == {"trust.building", "trust.distrust", "roles.leader", "roles.role"}
    trust = results["trust.building"]
    assert (trust.positives, trust.negatives) == (6, 6)
    assert 0.0 <= trust.cv_f1 <= 1.0 and 0.0 <= trust.other_f1 <= 1.0
    assert trust.used == (trust.cv_f1 > trust.other_f1)
    leader = results["roles.leader"]
    assert (leader.positives, leader.negatives) == (2, 9)  # segment 7 left out: anna and bram disagree
    assert leader.cv_f1 is None and not leader.used  # fewer than 3 positives: left to the other taggers
    assert summary.labels.disagreements == 1 and summary.labels.overridden == 1
    assert summary.embedder_name.startswith("tfidf-svd-")


def test_model_file_is_json_with_codebook_and_embedder(learned, book):
    folder, _, summary = learned
    content = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert content["format"] == "kwali-learned-model"
    assert content["codebook"]["sha256"] == book.sha256()
    assert content["embedder"] == {"spec": "tfidf", "name": summary.embedder_name}
    assert content["decisions"]["disagreements_left_out"] == 1
    assert len(content["examples"]) == 12 and len(content["codes"]["trust.building"]["coef"]) > 1
    assert "coef" not in content["codes"]["roles.leader"]


def test_loaded_model_predicts_like_a_fresh_fit(learned, book):
    folder, _, _ = learned
    model = load_learned(folder / "model.json", book, "tfidf")
    assert model.tagger.labels_ == ["trust.building"]
    content = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    texts = [e["text"] for e in content["examples"]]
    fresh = SupervisedTagger(book, make_embedder("tfidf"))
    fresh.fit(texts, [set(e["positives"]) for e in content["examples"]],
              [set(e["negatives"]) for e in content["examples"]])
    assert np.allclose(model.tagger.predict_proba(NEW), fresh.predict_proba(NEW), atol=1e-5)
    (trusting, late) = model.tagger.tag_texts(segments(NEW))
    assert [t.code_id for t in trusting] == ["trust.building"] and late == []
    assert "vertrouwen" in trusting[0].evidence[0].pattern.lower()


def test_another_codebook_or_embedder_is_refused(learned):
    folder, _, _ = learned
    with pytest.raises(ModelMismatch, match="codebook"):
        load_learned(folder / "model.json", load_codebook(FIXTURES / "codebook_semantic.yaml"), "tfidf")
    with pytest.raises(ModelMismatch, match="'tfidf' embeddings.*--embedder tfidf"):
        load_learned(folder / "model.json", load_codebook(CODEBOOK), "hash")


def test_a_file_that_is_not_a_model_is_a_user_error(tmp_path, book):
    other = tmp_path / "x.json"
    other.write_text('{"id": 1}', encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a Kwali model file"):
        load_learned(other, book, "tfidf")
    with pytest.raises(InvalidInput, match="not found"):
        load_learned(tmp_path / "missing.json", book, "tfidf")


def test_no_decisions_is_a_clear_error(tmp_path, book):
    url = f"sqlite:///{tmp_path / 'leeg.sqlite'}"
    store = Store(url)
    store.save_codebook(book)
    store.close()
    with pytest.raises(InvalidInput, match="no usable decisions"):
        learn_from_store(url, tmp_path / "m.json", TFIDF)
    assert not (tmp_path / "m.json").exists()


def test_too_few_decisions_to_learn_any_code_is_a_clear_error(learned, tmp_path):
    _, url, _ = learned
    with pytest.raises(InvalidInput, match="no code has at least 3 positive"):
        learn_from_store(url, tmp_path / "m.json", TFIDF, source="consensus")


def test_tagging_uses_the_learned_model(learned, book):
    folder, _, _ = learned
    nlp = build_nlp(NlpOptions(model="blank"))
    options = TagOptions(embedder="tfidf", training=folder / "model.json")
    supervised = build_tagger("supervised", book, nlp, options, fit_texts=NEW)
    assert isinstance(supervised, SupervisedTagger) and supervised.labels_ == ["trust.building"]
    ensemble = build_tagger("ensemble", book, nlp, options, fit_texts=NEW)
    model = load_learned(folder / "model.json", book, "tfidf")
    assert isinstance(ensemble, EnsembleTagger) and ensemble.supervised_labels == model.used
    assert ensemble.taggers[-1].embedder is not ensemble.taggers[1].embedder  # TF-IDF space kept apart


def test_the_ensemble_takes_codes_the_model_is_used_for(learned, book, tmp_path):
    folder, _, _ = learned
    content = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    content["codes"]["trust.building"]["used"] = True
    forced = tmp_path / "used.json"
    forced.write_text(json.dumps(content), encoding="utf-8")
    nlp = build_nlp(NlpOptions(model="blank"))
    ensemble = build_tagger("ensemble", book, nlp, TagOptions(embedder="tfidf", training=forced), fit_texts=NEW)
    docs = list(nlp.pipe(NEW))
    (trusting, _) = ensemble.tag_batch(segments(NEW), docs)
    evidence = [e.pattern for t in trusting if t.code_id == "trust.building" for e in t.evidence]
    assert any(p.startswith("supervised: ~example:") for p in evidence)


def test_an_embedder_without_fit_is_shared_with_the_other_taggers(learned, book, tmp_path):
    _, url, _ = learned
    learn_from_store(url, tmp_path / "hash.json", TagOptions(embedder="hash"))
    nlp = build_nlp(NlpOptions(model="blank"))
    ensemble = build_tagger("ensemble", book, nlp, TagOptions(embedder="hash", training=tmp_path / "hash.json"))
    assert ensemble.taggers[-1].embedder is ensemble.taggers[1].embedder  # one cache, one model load
    assert ensemble.taggers[-1].labels_ == ["trust.building"]



def test_a_run_config_can_name_the_learned_model(learned, book, tmp_path):
    from pipeline.config import RunConfig
    from tests.test_run import full, write_corpus

    folder, _, _ = learned
    tag = TagOptions(methods=["ensemble"], embedder="tfidf", training=folder / "model.json")
    config = RunConfig(corpus=write_corpus(tmp_path / "studie"), out=tmp_path / "uit", codebook=CODEBOOK,
                       nlp=NlpOptions(model="blank"), tag=tag)
    _, tagged, _ = full(config)
    store = Store(config.resolved_store_url())
    try:
        tags = store.tags_frame(list(store.document_state()), book.sha256())
    finally:
        store.close()
    assert tagged == 3 and set(tags["method"]) == {"ensemble"}
    other = config.model_copy(update={"codebook": FIXTURES / "codebook_semantic.yaml", "out": tmp_path / "ander"})
    with pytest.raises(ModelMismatch):  # the run really reads the model
        full(other)
