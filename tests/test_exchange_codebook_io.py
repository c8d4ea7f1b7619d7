"""Codebook import and export: REFI .qdc, CSV, QualCoder code lists and YAML."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import etree

from pipeline.codebook import load_codebook
from pipeline.errors import InvalidCodebook
from pipeline.exchange import export_codebook, import_codebook, write_codebook_yaml
from pipeline.exchange.code_tree import slug

DEFAULT = "codebooks/wijkeconomie.yaml"


def key(book):
    theme_of = book.theme_of()
    return sorted((theme_of[c.id], c.id, c.label, c.definition, c.parent) for c in book.codes)


@pytest.fixture(scope="module")
def codebook_schema(shared_dir):
    return etree.XMLSchema(etree.parse(str(shared_dir / "external" / "refi-qda-schema" / "Codebook.xsd")))


@pytest.mark.parametrize("path", [DEFAULT, "tests/fixtures/codebook_small.yaml"])
def test_qdc_export_validates_against_codebook_xsd(path, codebook_schema):
    book = load_codebook(path)
    root = etree.fromstring(export_codebook(book, "qdc"))
    assert codebook_schema.validate(root), codebook_schema.error_log
    ns = {"c": "urn:QDA-XML:codebook:1.0"}
    assert len(root.findall(".//c:Code", ns)) == len(book.themes) + len(book.codes)
    # a code with a parent is nested under that parent
    if path.endswith("small.yaml"):
        leader = root.find(".//c:Code[@name='Trekker']", ns)
        assert [c.get("name") for c in leader.findall("c:Code", ns)] == ["Rol"]


@pytest.mark.parametrize("fmt", ["qdc", "csv", "yaml"])
def test_export_then_import_keeps_ids_labels_definitions_and_parents(fmt, tmp_path):
    book = load_codebook(DEFAULT)
    path = tmp_path / f"boek.{fmt}"
    path.write_bytes(export_codebook(book, fmt))
    back, warnings = import_codebook(path)
    assert warnings == [] and key(back) == key(book)
    written = write_codebook_yaml(back, tmp_path / "terug.yaml")
    assert key(load_codebook(written)) == key(book)


def test_yaml_export_keeps_patterns(tmp_path):
    book = load_codebook("tests/fixtures/codebook_small.yaml")
    (tmp_path / "b.yaml").write_bytes(export_codebook(book, "yaml"))
    assert load_codebook(tmp_path / "b.yaml") == book


def test_openqda_codebook_with_non_guid_ids_imports_44_codes_with_a_warning(shared_dir, tmp_path):
    book, warnings = import_codebook(shared_dir / "external/openqda-refi-tools/example_codebook.qdc")
    assert len(book.themes) + len(book.codes) == 44 and len(book.themes) == 4
    assert len(warnings) == 1 and "not a GUID" in warnings[0] and "'c001'" in warnings[0]
    assert "Rage" in {c.label for c in book.codes}
    load_codebook(write_codebook_yaml(book, tmp_path / "mood.yaml"))


def test_defective_qdc_names_the_line(shared_dir):
    with pytest.raises(InvalidCodebook) as info:
        import_codebook(shared_dir / "external/openqda-refi-tools/example_codebook_defect.qdc")
    assert info.value.problems[0].line == 132 and "Cod" in info.value.problems[0].what


def test_cli_rejects_defective_qdc_with_exit_2_and_the_line(shared_dir, tmp_path):
    result = subprocess.run([sys.executable, "-m", "flows.cli", "codebook", "import",
                             str(shared_dir / "external/openqda-refi-tools/example_codebook_defect.qdc"),
                             "--out", str(tmp_path / "x.yaml")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "example_codebook_defect.qdc:132" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_qualcoder_code_list_becomes_themes_and_nested_codes(shared_dir):
    book, _ = import_codebook(shared_dir / "external/qualcoder-examples/plain_codes_categories_for_import.txt")
    by_label = {c.label: c for c in book.codes}
    assert {t.label for t in book.themes} == {"cat1", "cat3", "Zonder categorie"}
    assert by_label["code4"].parent == by_label["cat2"].id
    assert by_label["code1"].definition == "A memo for code 1"
    assert by_label["code6"].id.startswith("zonder_categorie.")


def test_csv_problems_are_reported_with_their_lines(tmp_path):
    path = tmp_path / "boek.csv"
    path.write_text("id,label,theme,parent,definition\ntrust,Vertrouwen,,,Over vertrouwen\n"
                    "Trust Building,Opbouwen,trust,,x\ntrust.a,A,trust,trust.zz,y\n", encoding="utf-8")
    with pytest.raises(InvalidCodebook) as info:
        import_codebook(path)
    lines = sorted(p.line for p in info.value.problems)
    assert lines == [3, 4]


def test_cli_codebook_export_and_import(tmp_path):
    qdc = tmp_path / "w.qdc"
    run = [sys.executable, "-m", "flows.cli", "codebook"]
    assert subprocess.run(run + ["export", DEFAULT, "--format", "qdc", "--out", str(qdc)]).returncode == 0
    assert subprocess.run(run + ["import", str(qdc), "--out", str(tmp_path / "w.yaml")]).returncode == 0
    assert key(load_codebook(tmp_path / "w.yaml")) == key(load_codebook(DEFAULT))


def test_slug_makes_ascii_ids_from_names():
    assert slug("2. Attitűd szint az oltáshoz") == "2_attitud_szint_az_oltashoz"
    assert slug("Négatif / Aufgeregt") == "negatif_aufgeregt"
    assert slug("???") == "code"
