"""bench/quality.py: folds of the learned methods and cross-set training (``--train-on``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import quality  # noqa: E402

TRUST = ["We vertrouwen elkaar blind.", "Op haar kun je altijd rekenen.", "Vertrouwen groeit langzaam.",
         "Het vertrouwen in elkaar is groot.", "Op de buren kun je rekenen.", "Zonder vertrouwen lukt het niet."]
ROLES = ["De voorzitter leidt de vergadering.", "Zij is de trekker van het collectief.",
         "De gemeente is eigenaar van het pand.", "Hij neemt de rol van voorzitter over.",
         "De trekker verdeelt de taken.", "De gemeente speelt de rol van regisseur."]
OTHER = ["Het regent vandaag.", "De koffie is koud.", "Er staat een boom in de tuin.",
         "De kinderen spelen buiten.", "Het is een mooie dag.", "De bus rijdt om tien uur."]


def rows(texts_labels, file="train"):
    return [{"id": f"{file}:{i}", "file": file, "text": t, "labels": labels}
            for i, (t, labels) in enumerate(texts_labels)]


def training(trust_label="trust", roles_label="roles"):
    return rows([(t, [trust_label]) for t in TRUST] + [(t, [roles_label]) for t in ROLES]
                + [(t, []) for t in OTHER])


def test_folds_leave_one_document_out_without_train_rows():
    data = rows([("a", []), ("b", [])], "doc1") + rows([("c", [])], "doc2")
    pairs = quality.folds(data)
    assert [[r["id"] for r in test] for _, test in pairs] == [["doc1:0", "doc1:1"], ["doc2:0"]]
    assert all(not {r["id"] for r in train} & {r["id"] for r in test} for train, test in pairs)
    one_file = rows([(str(i), []) for i in range(8)], "written")
    assert len(quality.folds(one_file)) == 4


def test_train_rows_make_one_model_for_every_scored_row_and_may_not_overlap():
    scored = rows([("x", []), ("y", [])], "seeds")
    train = training()
    ((train_part, test),) = quality.folds(scored, train)
    assert train_part == train and test == scored
    with pytest.raises(SystemExit, match="both trained on and scored"):
        quality.folds(scored, train + scored[:1])


def test_parse_train_on_names_and_unknown_sets():
    assert quality.parse_train_on(None) == ()
    assert quality.parse_train_on("written, partypanel,written") == ("written", "partypanel")
    with pytest.raises(SystemExit, match="unknown or held-out gold set"):
        quality.parse_train_on("written,interviews")
    with pytest.raises(SystemExit, match="held-out"):
        quality.parse_train_on("heldout")


def test_the_held_out_set_is_left_out_of_all_and_refuses_an_error_listing():
    assert "heldout" in quality.SETS and "heldout" not in quality.DEV_SETS
    done = subprocess.run([sys.executable, "bench/quality.py", "--gold", "heldout", "--errors"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "refused on the held-out test set" in done.stderr


def test_the_fieldnotes_set_is_a_development_set_that_can_be_scored_and_trained_on():
    assert "fieldnotes" in quality.DEV_SETS
    assert quality.parse_train_on("fieldnotes,written") == ("fieldnotes", "written")


@pytest.mark.slow
def test_a_model_trained_on_another_set_codes_the_scored_set():
    from pipeline.codebook import load_codebook
    from pipeline.embed import MemoryVectorStore

    book = load_codebook(ROOT / "tests" / "fixtures" / "codebook_semantic.yaml")
    scored = rows([("Ik kan altijd op mijn buren rekenen, het vertrouwen is groot.", ["trust"]),
                   ("De voorzitter verdeelt de taken van het collectief.", ["roles"]),
                   ("Het regent en de koffie is koud.", [])], "seeds")
    coded = quality.code_rows(scored, book, "supervised", "hash", MemoryVectorStore(), training())
    assert [c["themes"] for c in coded] == [["trust"], ["roles"], []]
    # the labels come from the training set: swap them there and the coding follows
    swapped = quality.code_rows(scored, book, "supervised", "hash", MemoryVectorStore(),
                                training(trust_label="roles", roles_label="trust"))
    assert [c["themes"] for c in swapped] == [["roles"], ["trust"], []]


@pytest.mark.slow
def test_rules_plus_supervised_codes_a_theme_when_either_says_so():
    from pipeline.codebook import load_codebook
    from pipeline.embed import MemoryVectorStore

    book = load_codebook(ROOT / "tests" / "fixtures" / "codebook_semantic.yaml")
    scored = rows([("Op de buren kun je altijd rekenen.", ["trust"]),  # no trust pattern: only the model
                   ("Zij is de kartrekker van de straat.", ["roles"]),  # a rule pattern
                   ("Het regent en de koffie is koud.", [])], "seeds")
    rules = quality.code_rows(scored, book, "rules", "hash", MemoryVectorStore())
    assert [c["themes"] for c in rules] == [[], ["roles"], []]
    both = quality.code_rows(scored, book, "rules+supervised", "hash", MemoryVectorStore(), training())
    assert [c["themes"] for c in both] == [["trust"], ["roles"], []]
    assert any(e["text"].startswith("supervised: ~example:") for e in both[0]["codes"][0]["evidence"])
