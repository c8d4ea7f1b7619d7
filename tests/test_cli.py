"""The kwali CLI: codebook check, kwali tag output format, exit codes on user errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()

BAD_CODEBOOK = """\
id: kapot
label: Kapot
version: 1
themes:
  - id: trust
    label: Vertrouwen
    definition: x
    codes:
      - id: trust.a
        label: A
        definition: x
        patterns: ["re:(open"]
      - id: trust.a
        label: B
        definition: x
        parent: trust.onbekend
"""


def test_codebook_check_ok(small_codebook_path):
    result = runner.invoke(app, ["codebook", "check", str(small_codebook_path)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "4 codes" in result.output


def test_codebook_check_lists_each_problem_and_exits_2(tmp_path):
    path = tmp_path / "kapot.yaml"
    path.write_text(BAD_CODEBOOK, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "flows.cli", "codebook", "check", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path}:12:" in result.stderr and "invalid regular expression" in result.stderr


def test_codebook_cross_check_problems_listed_together(tmp_path):
    path = tmp_path / "kapot.yaml"
    path.write_text(BAD_CODEBOOK.replace('["re:(open"]', "[vertrouwen]"), encoding="utf-8")
    result = runner.invoke(app, ["codebook", "check", str(path)])
    assert result.exit_code == 2
    assert "2 problem(s)" in result.output
    assert ":13:" in result.output and "duplicate id 'trust.a'" in result.output
    assert ":16:" in result.output and "unknown parent" in result.output


def test_run_stops_before_processing_on_a_bad_codebook(tmp_path):
    corpus = tmp_path / "studie"
    corpus.mkdir()
    (corpus / "a.txt").write_text("I: Vraag?\n\nR: Antwoord met vertrouwen.", encoding="utf-8")
    path = tmp_path / "kapot.yaml"
    path.write_text(BAD_CODEBOOK, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(corpus), "--out", str(out), "--codebook", str(path)])
    assert result.exit_code == 2
    assert not out.exists()  # nothing was processed or written


def test_tag_writes_one_line_per_row_in_order(tmp_path, small_codebook_path):
    source = tmp_path / "antwoorden.csv"
    source.write_text(
        "id,text\n"
        "r3,Er is geen vertrouwen meer in de gemeente.\n"
        "r1,We hebben het over het weer.\n"
        "r2,\"Zij is de kartrekker, en het vertrouwen groeit.\"\n",
        encoding="utf-8",
    )
    target = tmp_path / "uit.jsonl"
    result = runner.invoke(app, ["tag", "--input", str(source), "--output", str(target),
                                 "--codebook", str(small_codebook_path), "--method", "rules"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["r3", "r1", "r2"]
    assert lines[0]["themes"] == ["trust"]
    (code,) = lines[0]["codes"]
    assert set(code) == {"code", "theme", "score", "method", "polarity", "evidence"}
    assert code["code"] == "trust.building" and code["polarity"] == "negative" and code["method"] == "rules"
    assert code["evidence"][0]["text"] == "vertrouwen" and code["evidence"][0]["negated_by"] == "geen"
    assert lines[1] == {"id": "r1", "themes": [], "codes": []}
    assert lines[2]["themes"] == ["trust", "roles"]


def test_tag_reads_jsonl_and_reports_bad_lines(tmp_path, small_codebook_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "wantrouwen"}\n{"id": 2, "text": oeps}\n', encoding="utf-8")
    result = runner.invoke(app, ["tag", "-i", str(source), "-o", str(tmp_path / "o.jsonl"),
                                 "-c", str(small_codebook_path)])
    assert result.exit_code == 2
    assert "in.jsonl:2: not valid JSON" in result.output


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["tag", "--help"], ["codebook", "check", "--help"]])
def test_help_everywhere(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "Usage" in result.output


def test_invalid_option_values_are_user_errors(tmp_path):
    (tmp_path / "a.txt").write_text("I: Vraag?\n\nR: Antwoord.", encoding="utf-8")
    result = runner.invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--window", "0"])
    assert result.exit_code == 2
    assert "window" in result.output and "greater than or equal to 1" in result.output


def test_tag_defaults_to_rules_and_takes_method_and_embedder(tmp_path, small_codebook_path):
    source = tmp_path / "antwoorden.csv"
    source.write_text("id,text\nr1,Zij is de kartrekker en het vertrouwen groeit.\nr2,Het regent.\n",
                      encoding="utf-8")
    default_out, ensemble_out, semantic_out = tmp_path / "def.jsonl", tmp_path / "ens.jsonl", tmp_path / "sem.jsonl"
    result = runner.invoke(app, ["tag", "-i", str(source), "-o", str(default_out), "-c", str(small_codebook_path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in default_out.read_text(encoding="utf-8").splitlines()]
    assert {c["method"] for c in lines[0]["codes"]} == {"rules"}
    result = runner.invoke(app, ["tag", "-i", str(source), "-o", str(ensemble_out), "-c", str(small_codebook_path),
                                 "--method", "ensemble", "--embedder", "use"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in ensemble_out.read_text(encoding="utf-8").splitlines()]
    assert {c["method"] for c in lines[0]["codes"]} == {"ensemble"}
    assert any(e["pattern"].startswith("rules: ") for c in lines[0]["codes"] for e in c["evidence"])
    result = runner.invoke(app, ["tag", "-i", str(source), "-o", str(semantic_out), "-c", str(small_codebook_path),
                                 "--method", "semantic", "--embedder", "use"])
    assert result.exit_code == 0, result.output
    for line in semantic_out.read_text(encoding="utf-8").splitlines():
        assert all(c["method"] == "semantic" for c in json.loads(line)["codes"])


@pytest.mark.parametrize(("args", "message"), [
    (["--method", "magic"], "unknown tagging method"),
    (["--method", "supervised", "--embedder", "use"], "--training"),
    (["--method", "ensemble", "--embedder", "bert-large"], "unknown embedder"),
])
def test_tag_method_and_embedder_mistakes_are_user_errors(tmp_path, small_codebook_path, args, message):
    source = tmp_path / "a.csv"
    source.write_text("id,text\n1,tekst\n", encoding="utf-8")
    result = runner.invoke(app, ["tag", "-i", str(source), "-o", str(tmp_path / "o.jsonl"),
                                 "-c", str(small_codebook_path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
