"""Re-rendering a study's report from its store, on machine or human codes, without re-running."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from pipeline.analysis.matrices import attribute_columns
from pipeline.errors import InvalidInput
from pipeline.report.render import render_report
from pipeline.report.study import load_report_data
from tests.report_study import ROOT_DIR, add_two_coders, build_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return build_study(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    config = build_study(tmp_path_factory.mktemp("coded"))
    return config, add_two_coders(config)


def without_timestamps(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+\-]\d\d:\d\d", "<time>", text)


def test_rerendered_report_is_the_runs_own_report(study, tmp_path):
    data = load_report_data(study.out)
    paths = render_report(data, tmp_path, formats=("md",))
    run_md = (study.out / "report.md").read_text(encoding="utf-8")
    assert without_timestamps(paths["md"].read_text(encoding="utf-8")) == without_timestamps(run_md)
    on_disk = pd.read_csv(study.out / "matrices" / "case_by_code.csv", index_col="case")
    assert (data.matrices.case_by_code["segments"].to_numpy() == on_disk.to_numpy()).all()


def test_one_crosstab_per_case_attribute(study):
    data = load_report_data(study.out)
    attributes = attribute_columns(data.cases)
    assert len(attributes) > 1 and list(data.crosstabs) == attributes
    html = render_report(data, study.out / "again", formats=("html",))["html"].read_text(encoding="utf-8")
    for attribute in attributes:
        assert f"Naar {attribute} <span" in html


def test_machine_report_says_its_codes_are_machine_proposals(study):
    data = load_report_data(study.out)
    html = render_report(data, study.out / "m", formats=("html",))["html"].read_text(encoding="utf-8")
    assert "machinevoorstellen" in html and "Geen menselijke beslissingen vastgelegd" in html
    assert "Onderwerpen" not in html  # no topic model output: no topics chapter


def test_topics_chapter_appears_when_topic_output_exists(study, tmp_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in ("run_config.json", "kwali.sqlite"):
        (folder / name).write_bytes((study.out / name).read_bytes())
    (folder / "topics").mkdir()
    pd.DataFrame({"topic": [0, 1], "label": ["huur_pand", "gemeente_subsidie"], "size": [12, 7]}).to_csv(
        folder / "topics" / "topics.csv", index=False)
    html = render_report(load_report_data(folder), folder, formats=("html",))["html"].read_text(encoding="utf-8")
    assert "Onderwerpen <span" in html and "gemeente_subsidie" in html


def test_human_codes_follow_the_decisions(coded):
    config, made = coded
    machine = load_report_data(config.out)
    human = load_report_data(config.out, codes="human")
    assert human.code_source.name == "human" and human.code_source.coders == ("anna", "bram")
    assert human.code_source.decisions == 2 * len(made["reviewed"]) + 1
    quoted = {(q.segment_id, q.code_id) for q in human.quotes}
    assert not quoted & set(made["removed"])
    assert made["added"] in quoted
    # Removed pairs leave the matrices: one segment less per removed pair (each pair is one segment).
    removed = pd.Series([code for _, code in made["removed"]]).value_counts()
    added_code = made["added"][1]
    for code, n in removed.items():
        diff = machine.matrices.case_by_code["segments"][code].sum() - human.matrices.case_by_code["segments"][code].sum()
        assert diff == n - (1 if code == added_code else 0)


def test_agreement_per_code_matches_an_independent_computation(coded):
    config, made = coded
    data = load_report_data(config.out)
    reviewed = made["reviewed"]
    units = sorted({s for s, _ in reviewed})
    code = pd.Series([c for _, c in reviewed]).value_counts().index[0]
    anna = {(s, c) for i, (s, c) in enumerate(reviewed) if i % 6 != 0}
    bram = {(s, c) for i, (s, c) in enumerate(reviewed) if i % 3 != 0} | {made["added"]}
    a = np.array([(u, code) in anna for u in units], dtype=int)
    b = np.array([(u, code) in bram for u in units], dtype=int)
    row = data.agreement.set_index("code_id").loc[code]
    assert row["units"] == len(units)
    assert row["percent_agreement"] == pytest.approx((a == b).mean())
    if len(set(a) | set(b)) > 1:
        assert row["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b))
    counts = data.decision_counts.set_index("coder")
    assert counts.loc["bram", "decisions"] == len(reviewed) + 1


def test_human_report_names_its_source_and_shows_reliability(coded, tmp_path):
    config, _ = coded
    paths = render_report(load_report_data(config.out, codes="human"), tmp_path, formats=("html", "md"))
    html, md = (paths[k].read_text(encoding="utf-8") for k in ("html", "md"))
    for text in (html, md):
        assert "menselijke beslissingen waar die er zijn" in text and "Cohens" in text
    assert "anna × bram" in html
    # Numbers point at the matrices counted from human codes, never at the machine's matrices/.
    assert "matrices-human/case_by_code.csv" in html
    assert " matrices/case_by_code.csv" not in html and ">matrices/case_by_code.csv" not in html


def test_a_folder_that_is_not_a_study_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInput, match="run_config.json"):
        load_report_data(tmp_path)


def test_study_templates_override_single_files(study, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_style.css.j2").write_text("body { color: #123456; }", encoding="utf-8")
    html = render_report(load_report_data(study.out), tmp_path / "o", templates_dir=templates,
                         formats=("html",))["html"].read_text(encoding="utf-8")
    assert "#123456" in html and "Vergelijking van cases" in html
    with pytest.raises(InvalidInput, match="no \\*.j2"):
        render_report(load_report_data(study.out), tmp_path / "o", templates_dir=tmp_path / "o", formats=("html",))


def test_cli_report_writes_the_asked_formats_and_fails_cleanly(study, tmp_path):
    done = subprocess.run([sys.executable, "-m", "flows.cli", "report", str(study.out), "--format", "md",
                           "--codes", "human", "--out", str(tmp_path)], capture_output=True, text=True,
                          cwd=ROOT_DIR)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report-human.md").is_file() and "report (md)" in done.stdout
    assert "No human decisions" in done.stderr
    bad = subprocess.run([sys.executable, "-m", "flows.cli", "report", str(tmp_path / "nope")],
                         capture_output=True, text=True, cwd=ROOT_DIR)
    assert bad.returncode == 2 and "run_config.json" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_report_takes_the_runs_figures_from_its_cache(study, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app
    from pipeline.report import context, figures

    real, drawn = context.heatmap_png, []
    monkeypatch.setattr(context, "heatmap_png", lambda m, *a, **k: drawn.append(m.shape) or real(m, *a, **k))
    context._FIGURE_CACHE.clear()  # as in a new process: only the study's cache folder can help
    figures._FRAMES.clear()
    done = CliRunner().invoke(app, ["report", str(study.out), "--format", "md", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert drawn == [] and len(list((tmp_path / "figures").glob("*.png"))) >= 3
    assert (without_timestamps((tmp_path / "report.md").read_text(encoding="utf-8"))
            == without_timestamps((study.out / "report.md").read_text(encoding="utf-8")))


def test_fewer_quotes_per_code_on_request(study):
    data = load_report_data(study.out, quotes_per_code=1)
    cells = [(q.case_id, q.code_id) for q in data.quotes]
    assert cells and len(cells) == len(set(cells)) and all(q.rank == 1 for q in data.quotes)
    assert len(load_report_data(study.out).quotes) > len(cells)
    with pytest.raises(InvalidInput, match="at least 1"):
        load_report_data(study.out, quotes_per_code=0)
