"""``kwali learn`` and the learned model in ``kwali tag``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.codebook import load_codebook
from pipeline.store import Store
from tests.learn_study import CODEBOOK, FIXTURES, build_store

runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("studie")
    build_store(folder)
    result = runner.invoke(app, ["learn", str(folder), "--embedder", "tfidf"])
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_learn_prints_each_code_and_what_was_left_out(study):
    folder, output = study
    rows = {line.split()[0]: line.split() for line in output.splitlines()
            if line.startswith(("trust.", "roles."))}
    assert set(rows) == {"trust.building", "trust.distrust", "roles.leader", "roles.role"}
    assert rows["trust.building"][1:3] == ["6", "6"]
    assert rows["roles.leader"][1:] == ["2", "9", "-", "-", "no:", "too", "few"]
    assert "1 disagreeing (segment, code) pair(s) without consensus left out" in output
    assert "1 pair(s) decided by consensus" in output
    assert (folder / "learned_model.json").is_file()


def test_tag_uses_the_learned_model(study, tmp_path):
    folder, _ = study
    source = tmp_path / "antwoorden.csv"
    source.write_text("id,text\nr1,Wij vertrouwen elkaar nu echt volledig.\nr2,De tram was te laat.\n",
                      encoding="utf-8")
    target = tmp_path / "uit.jsonl"
    result = runner.invoke(app, ["tag", "-i", str(source), "-o", str(target), "-c", str(CODEBOOK), "--method",
                                 "supervised", "--embedder", "tfidf", "--training",
                                 str(folder / "learned_model.json")])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [c["code"] for c in lines[0]["codes"]] == ["trust.building"]
    assert lines[0]["codes"][0]["method"] == "supervised" and lines[1]["codes"] == []
    result = runner.invoke(app, ["tag", "-i", str(source), "-o", str(target), "-c", str(CODEBOOK), "--method",
                                 "ensemble", "--embedder", "tfidf", "--training", str(folder / "learned_model.json")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "message"), [
    (["-c", str(FIXTURES / "codebook_semantic.yaml"), "--embedder", "tfidf"], "learned with codebook klein"),
    (["-c", str(CODEBOOK), "--embedder", "hash"], "--embedder tfidf"),
])
def test_tag_refuses_a_model_of_another_codebook_or_embedder(study, tmp_path, args, message):
    folder, _ = study
    source = tmp_path / "a.csv"
    source.write_text("id,text\n1,Wij vertrouwen elkaar.\n", encoding="utf-8")
    result = runner.invoke(app, ["tag", "-i", str(source), "-o", str(tmp_path / "o.jsonl"), "--method", "supervised",
                                 "--training", str(folder / "learned_model.json"), *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_learn_without_decisions_or_store_fails_cleanly(tmp_path):
    empty = tmp_path / "leeg"
    empty.mkdir()
    store = Store(f"sqlite:///{empty / 'kwali.sqlite'}")
    store.save_codebook(load_codebook(CODEBOOK))
    store.close()
    result = runner.invoke(app, ["learn", str(empty), "--embedder", "tfidf"])
    assert result.exit_code == 2 and "no usable decisions" in result.output
    result = runner.invoke(app, ["learn", str(tmp_path / "nergens"), "--embedder", "tfidf"])
    assert result.exit_code == 2 and "no study store here" in result.output


def test_learn_takes_coders_and_source(study, tmp_path):
    folder, _ = study
    result = runner.invoke(app, ["learn", str(folder), "--embedder", "tfidf", "--coders", "anna",
                                 "--out", str(tmp_path / "anna.json")])
    assert result.exit_code == 0, result.output
    assert "0 disagreeing" in result.output
    content = json.loads((tmp_path / "anna.json").read_text(encoding="utf-8"))
    assert content["decisions"]["coders"] == ["anna", "consensus"]
    assert content["codes"]["roles.leader"]["positives"] == 3
    result = runner.invoke(app, ["learn", str(folder), "--embedder", "tfidf", "--source", "consensus",
                                 "--out", str(tmp_path / "c.json")])
    assert result.exit_code == 2 and "no code has at least 3" in result.output


def test_learn_has_help():
    result = runner.invoke(app, ["learn", "--help"])
    assert result.exit_code == 0 and "--source" in result.output and "--coders" in result.output
