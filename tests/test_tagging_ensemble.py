"""Ensemble: one tag per code and segment, combined score, all evidence kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.codebook import load_codebook
from pipeline.config import TagOptions
from pipeline.models import Evidence, Polarity, Segment, Tag
from pipeline.tagging import annotate
from pipeline.tagging.build import build_tagger
from pipeline.tagging.ensemble import EnsembleTagger, choose_supervised_labels

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class FixedTagger:
    def __init__(self, name, tags):
        self.name = name
        self.tags = tags

    def tag_batch(self, segments, docs):
        return [[t for t in self.tags if t.segment_id == s.id] for s in segments]


def tag(method, code, score, pattern, theme=None, polarity=Polarity.POSITIVE):
    return Tag("s", code, theme or code.split(".")[0], score, method, polarity,
               (Evidence("tekst", 0, 5, pattern),))


SEGMENT = Segment("s", "d", "c", 0, 0, 5, "tekst")


def test_one_tag_per_code_with_combined_score_and_every_evidence():
    rules = FixedTagger("rules", [tag("rules", "trust.building", 0.4, "afspraak", polarity=Polarity.NEGATIVE)])
    semantic = FixedTagger("semantic", [tag("semantic", "trust.building", 0.8, "~example: Afspraak is afspraak"),
                                        tag("semantic", "roles.leader", 0.6, "~definition: Trekker")])
    ensemble = EnsembleTagger([rules, semantic], weights={"rules": 1.0, "semantic": 0.5})
    (tags,) = ensemble.tag_batch([SEGMENT], [None])
    assert [t.code_id for t in tags] == ["trust.building"]  # semantic alone (0.5 * 0.6) is too weak
    (trust,) = tags
    assert trust.score == pytest.approx(1 - (1 - 0.4) * (1 - 0.5 * 0.8), abs=1e-4)
    assert trust.method == "ensemble" and trust.polarity is Polarity.NEGATIVE  # the rules' polarity
    assert [e.pattern for e in trust.evidence] == ["rules: afspraak", "semantic: ~example: Afspraak is afspraak"]


def test_supervised_counts_only_for_trusted_labels_and_owns_its_theme():
    rules = FixedTagger("rules", [tag("rules", "trust.building", 0.9, "vertrouwen"),
                                  tag("rules", "roles.leader", 0.9, "trekker")])
    supervised = FixedTagger("supervised", [tag("supervised", "space.rent", 0.9, "~example: huur")])
    ensemble = EnsembleTagger([rules, supervised], supervised_labels={"trust"}, themes=["trust", "roles", "space"])
    (tags,) = ensemble.tag_batch([SEGMENT], [None])
    # space.rent is not trusted; trust is owned by supervised, which did not say trust: dropped.
    assert [t.code_id for t in tags] == ["roles.leader"]
    says_trust = FixedTagger("supervised", [tag("supervised", "trust", 0.7, "~example: vertrouwen", theme="trust")])
    (tags,) = EnsembleTagger([FixedTagger("rules", []), says_trust], supervised_labels={"trust"},
                             themes=["trust"]).tag_batch([SEGMENT], [None])
    assert [(t.code_id, t.theme_id, t.score) for t in tags] == [("trust", "trust", 0.7)]
    assert tags[0].evidence[0].pattern == "supervised: ~example: vertrouwen"


def test_choose_supervised_labels_needs_a_better_cv_score():
    assert choose_supervised_labels({"trust": 0.8, "roles": 0.5, "space": 0.3},
                                    {"trust": 0.6, "roles": 0.7}) == {"trust", "space"}


def test_built_ensemble_keeps_rule_and_semantic_evidence(nlp):
    book = load_codebook(FIXTURES / "codebook_semantic.yaml")
    tagger = build_tagger("ensemble", book, nlp, TagOptions(embedder="use"))
    text = "Afspraak is afspraak: ik kan op haar rekenen, we vertrouwen elkaar."
    ((_, tags),) = list(annotate([Segment("s", "d", "c", 0, 0, len(text), text)], nlp, [tagger]))
    (trust,) = [t for t in tags if t.code_id == "trust.building"]
    methods = {e.pattern.split(":", 1)[0] for e in trust.evidence}
    assert methods == {"rules", "semantic"}
    rule_evidence = [e for e in trust.evidence if e.pattern.startswith("rules:")]
    assert all(text[e.start:e.end] == e.text for e in rule_evidence)
    assert len({t.code_id for t in tags}) == len(tags)


def test_unknown_method_and_supervised_without_training_are_user_errors(nlp):
    from pipeline.errors import InvalidInput

    book = load_codebook(FIXTURES / "codebook_semantic.yaml")
    with pytest.raises(InvalidInput, match="unknown tagging method"):
        build_tagger("magic", book, nlp, TagOptions())
    with pytest.raises(InvalidInput, match="--training"):
        build_tagger("supervised", book, nlp, TagOptions(embedder="use"))


def test_a_tfidf_supervised_member_keeps_the_space_it_was_trained_in():
    # The semantic member refits a TF-IDF embedder on its own texts; the supervised member's
    # weights must keep seeing the space they were learned in.
    from pipeline.config import NlpOptions
    from pipeline.embed import make_embedder
    from pipeline.nlp import build_nlp
    from pipeline.tagging.supervised import SupervisedTagger
    from tests.test_tagging_supervised import OTHER, RENT, TRUST

    book = load_codebook(FIXTURES / "codebook_semantic.yaml")
    texts = RENT + TRUST + OTHER
    labels = [{"space.rent"}] * len(RENT) + [{"trust"}] * len(TRUST) + [set()] * len(OTHER)
    nlp = build_nlp(NlpOptions(model="blank"))
    ensemble = build_tagger("ensemble", book, nlp, TagOptions(embedder="tfidf"), fit_texts=["Iets heel anders."],
                            training=list(zip(texts, labels)))
    new = ["De huur van de winkel stijgt weer.", "Op elkaar kun je bouwen."]
    segments = [Segment(f"n{i}", "d", "c", i, 0, len(t), t) for i, t in enumerate(new)]
    ensemble.tag_batch(segments, list(nlp.pipe(new)))  # prepares (and refits) the semantic member
    alone = SupervisedTagger(book, make_embedder("tfidf")).fit(texts, labels)
    supervised = ensemble.taggers[-1]
    assert abs(supervised.predict_proba(new) - alone.predict_proba(new)).max() < 1e-5
