"""Matrix files of a report on human or consensus codes: own folder, basis named, counts follow decisions."""

from __future__ import annotations

from collections import Counter

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.report.study import latest_completed_run
from pipeline.store import Store
from tests.report_study import add_two_coders, build_study

runner = CliRunner()


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    config = build_study(tmp_path_factory.mktemp("matrices"))
    changes = add_two_coders(config)
    result = runner.invoke(app, ["report", str(config.out), "--codes", "human", "-f", "md"])
    assert result.exit_code == 0, result.output
    return config, changes, result.output


def read_matrix(path) -> pd.DataFrame:
    return pd.read_csv(path, skiprows=1 if path.read_text(encoding="utf-8").startswith("#") else 0,
                       index_col="case")


def test_human_matrices_get_their_own_folder_and_name_their_basis(reported):
    config, changes, output = reported
    folder = config.out / "matrices-human"
    assert f"matrices (human codes): {folder}" in " ".join(output.split())
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in (config.out / "matrices").iterdir())
    first = (folder / "case_by_code.csv").read_text(encoding="utf-8").splitlines()[0]
    decisions = 2 * len(changes["reviewed"]) + 1  # both coders on each reviewed pair, and bram's added code
    assert first.startswith(f"# Kwali matrix basis: human codes: {decisions} current human decisions by anna, bram")
    assert "codebook wijkeconomie" in first and "run " in first
    assert not (config.out / "matrices" / "case_by_code.csv").read_text(encoding="utf-8").startswith("#")
    book = openpyxl.load_workbook(folder / "case_by_theme.xlsx")
    assert book.sheetnames[-1] == "basis" and book["basis"]["A2"].value.startswith("Kwali matrix basis: human")


def test_human_matrix_counts_the_decided_codes(reported):
    config, changes, _ = reported
    store = Store(config.resolved_store_url())
    try:
        run = latest_completed_run(store)
        doc_ids = store.run_document_ids(run["id"])
        tags = store.tags_frame(doc_ids, run["codebook_sha256"])
        case_of = dict(zip(*[store.segments_frame(doc_ids)[c] for c in ("segment_id", "case_id")]))
    finally:
        store.close()
    # By hand: machine pairs, minus those both coders rejected, plus the one bram added; a pair
    # the coders split on stays coded (a tie keeps a contested code).
    machine_pairs = set(zip(tags["segment_id"], tags["code_id"]))
    human_pairs = (machine_pairs - set(changes["removed"])) | {changes["added"]}
    expected = Counter((case_of[s], c) for s, c in human_pairs)
    human = read_matrix(config.out / "matrices-human" / "case_by_code.csv")
    machine = read_matrix(config.out / "matrices" / "case_by_code.csv")
    for case in human.index:
        for code in human.columns:
            assert human.loc[case, code] == expected.get((case, code), 0), (case, code)
    changed = {(case_of[s], c) for s, c in [*changes["removed"], changes["added"]]}
    assert changed and all(human.loc[case, code] != machine.loc[case, code] for case, code in changed)
    unchanged = [(case, code) for case in human.index for code in human.columns if (case, code) not in changed]
    assert all(human.loc[k] == machine.loc[k] for k in unchanged)


def test_machine_report_leaves_the_matrix_folders_alone(reported, tmp_path):
    config, _, _ = reported
    result = runner.invoke(app, ["report", str(config.out), "-f", "md", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not any(p.name.startswith("matrices") for p in tmp_path.iterdir())


def test_consensus_matrices_without_consensus_say_they_count_the_machine(reported, tmp_path):
    config, _, _ = reported
    result = runner.invoke(app, ["report", str(config.out), "--codes", "consensus", "-f", "md", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "matrices-consensus" / "case_by_code.csv"
    assert "no consensus decisions are recorded: machine proposals" in path.read_text(encoding="utf-8").splitlines()[0]
    assert read_matrix(path).equals(read_matrix(config.out / "matrices" / "case_by_code.csv"))
