"""RunConfig fingerprints: what decides tags, including files the tag options name by path."""

from __future__ import annotations

from pipeline.config import RunConfig, TagOptions


def config(tmp_path, **tag):
    return RunConfig(corpus=tmp_path / "studie", out=tmp_path / "out", tag=TagOptions(**tag))


def test_an_edited_training_file_changes_the_fingerprint(tmp_path):
    training = tmp_path / "gecodeerd.csv"
    training.write_text("id,text,labels\n1,Wij vertrouwen elkaar.,trust\n", encoding="utf-8")
    learned = config(tmp_path, methods=["ensemble"], training=training)
    before = learned.fingerprint("sha")
    assert learned.fingerprint("sha") == before  # same file, same fingerprint
    training.write_text("id,text,labels\n1,Wij vertrouwen elkaar.,trust\n2,De trekker regelt het.,roles\n",
                        encoding="utf-8")
    assert learned.fingerprint("sha") != before
    assert learned.fingerprint("other codebook") != learned.fingerprint("sha")


def test_rules_alone_do_not_depend_on_a_training_file(tmp_path):
    training = tmp_path / "gecodeerd.csv"
    training.write_text("id,text,labels\n", encoding="utf-8")
    rules = config(tmp_path, methods=["rules"], training=training)
    before = rules.fingerprint("sha")
    training.write_text("id,text,labels\n1,Iets anders.,trust\n", encoding="utf-8")
    assert rules.fingerprint("sha") == before


def test_another_model_in_a_sentence_transformers_folder_changes_the_fingerprint(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    semantic = config(tmp_path, methods=["semantic"], embedder=f"st:{folder}")
    before = semantic.fingerprint("sha")
    (folder / "model.safetensors").write_bytes(b"\0" * 16)
    assert semantic.fingerprint("sha") != before
