"""Supervised tagger: scikit-learn contract, training from a labelled file, CV quality."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from pipeline.codebook import load_codebook
from pipeline.embed import HashEmbedder
from pipeline.errors import InvalidInput
from pipeline.models import Segment
from pipeline.tagging.supervised import SupervisedTagger, read_labelled

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RENT = ["De huur gaat weer omhoog.", "Ons huurcontract loopt af.", "De huurprijs is te hoog.",
        "De verhuurder verhoogt de huur.", "Huur betalen wordt lastig.", "Het huurcontract is opgezegd.",
        "De huur van het atelier stijgt.", "Een lager huurbedrag zou helpen."]
TRUST = ["We vertrouwen elkaar blind.", "Op haar kun je altijd rekenen.", "Vertrouwen groeit langzaam.",
         "Het vertrouwen in elkaar is groot.", "Op de buren kun je rekenen.", "Afspraak is afspraak bij ons.",
         "Hij is volkomen betrouwbaar.", "Zonder vertrouwen lukt het niet."]
OTHER = ["Het regent vandaag.", "De trein was te laat.", "Morgen is het zaterdag.", "De koffie is koud.",
         "Er staat een boom in de tuin.", "De kinderen spelen buiten.", "Het is een mooie dag.",
         "De bus rijdt om tien uur."]


@pytest.fixture(scope="module")
def book():
    return load_codebook(FIXTURES / "codebook_semantic.yaml")


@pytest.fixture()
def training_file(tmp_path):
    path = tmp_path / "gecodeerd.jsonl"
    rows = ([{"id": f"r{i}", "text": t, "labels": ["space.rent"]} for i, t in enumerate(RENT)]
            + [{"id": f"t{i}", "text": t, "labels": ["trust"]} for i, t in enumerate(TRUST)]
            + [{"id": f"o{i}", "text": t, "labels": []} for i, t in enumerate(OTHER)])
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_init_only_stores_parameters(book):
    tagger = SupervisedTagger(book, HashEmbedder(), C=2.0)
    params = set(inspect.signature(SupervisedTagger.__init__).parameters) - {"self"}
    assert set(vars(tagger)) == params
    assert not [name for name in vars(tagger) if name.endswith("_")]


def test_fit_returns_self_and_learns_state_ending_in_underscore(book, training_file):
    rows = read_labelled(training_file)
    tagger = SupervisedTagger(book, HashEmbedder(256))
    assert tagger.fit([t for _, t, _ in rows], [labels for _, _, labels in rows]) is tagger
    assert tagger.labels_ == ["space.rent", "trust"]
    assert set(tagger.cv_f1_) == {"space.rent", "trust"}
    assert all(0.0 <= f1 <= 1.0 for f1 in tagger.cv_f1_.values())
    assert tagger.cv_f1_["space.rent"] > 0.5  # rent sentences share words: easy to learn


def test_tags_use_code_or_theme_labels_and_cite_the_nearest_example(book, training_file):
    rows = read_labelled(training_file)
    tagger = SupervisedTagger(book, HashEmbedder(256)).fit([t for _, t, _ in rows], [l for _, _, l in rows])
    text = "De huur van ons pand gaat omhoog."
    (tags,) = tagger.tag_texts([Segment("s", "d", "c", 0, 0, len(text), text)])
    rent = [t for t in tags if t.code_id == "space.rent"]
    assert rent and rent[0].theme_id == "space" and rent[0].method == "supervised"
    assert rent[0].evidence[0].pattern.startswith("~example: ") and "huur" in rent[0].evidence[0].pattern.lower()
    assert all(t.code_id != "trust" for t in tags)


def test_rare_labels_are_not_learned(book):
    texts = RENT + OTHER + ["Eén keer iets over vertrouwen."]
    labels = [{"space.rent"}] * len(RENT) + [set()] * len(OTHER) + [{"trust"}]
    tagger = SupervisedTagger(book, HashEmbedder(), min_positive=3).fit(texts, labels)
    assert tagger.labels_ == ["space.rent"]


def test_read_labelled_csv_and_errors(tmp_path):
    good = tmp_path / "a.csv"
    good.write_text("id,text,labels\n1,De huur stijgt,space.rent; trust\n2,Niets,\n", encoding="utf-8")
    assert read_labelled(good) == [("1", "De huur stijgt", {"space.rent", "trust"}), ("2", "Niets", set())]
    bad = tmp_path / "b.csv"
    bad.write_text("id,tekst\n1,x\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="labels"):
        read_labelled(bad)
    broken = tmp_path / "c.jsonl"
    broken.write_text('{"id": 1, "text": "x", "labels": []}\n{kapot\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="c.jsonl:2"):
        read_labelled(broken)


def test_known_negatives_limit_each_label_to_the_texts_decided_on_it(book):
    texts = RENT + TRUST + OTHER
    labels = [{"space.rent"}] * len(RENT) + [{"trust"}] * len(TRUST) + [set()] * len(OTHER)
    # Nobody said whether the trust sentences are about rent: they are not rent negatives.
    negatives = [set()] * len(RENT) + [set()] * len(TRUST) + [{"space.rent", "trust"}] * len(OTHER)
    tagger = SupervisedTagger(book, HashEmbedder(256)).fit(texts, labels, negatives)
    assert tagger.counts_ == {"space.rent": (8, 8), "trust": (8, 8)}
    assert SupervisedTagger(book, HashEmbedder(256)).fit(texts, labels).counts_["space.rent"] == (8, 16)
