"""Export of a study as a REFI-QDA project: schema-valid, exact positions, byte-stable."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree

from pipeline.config import RunConfig
from pipeline.exchange import export_qdpx
from pipeline.exchange.study import Study
from pipeline.models import Decision, Verdict
from pipeline.store import Store
from tests.test_run import full, write_corpus

NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture
def study(tmp_path, small_codebook_path):
    config = RunConfig(corpus=write_corpus(tmp_path / "studie"), out=tmp_path / "out", codebook=small_codebook_path)
    full(config)
    store = Store(config.resolved_store_url())
    segments = store.segments_frame(["interview_00.txt", "interview_01.txt"])
    trust = segments[segments["text"].str.contains("veel vertrouwen")].iloc[0]
    gemeente = segments[segments["text"].str.contains("gemeente")].iloc[0]
    store.ensure_user("anna", "coder")
    store.ensure_user("bram", "coder")
    store.add_decisions([
        Decision(trust.segment_id, "trust.building", "anna", Verdict.ACCEPT, memo="Duidelijk: vertrouwen onderling."),
        Decision(trust.segment_id, "roles.role", "bram", Verdict.ACCEPT),
        Decision(gemeente.segment_id, "trust.building", "anna", Verdict.REJECT, memo="Gaat over de gemeente."),
    ])
    store.close()
    return config.out


@pytest.fixture(scope="module")
def project_schema(shared_dir):
    return etree.XMLSchema(etree.parse(str(shared_dir / "external" / "refi-qda-schema" / "Project.xsd")))


def test_export_validates_against_project_xsd_and_is_byte_stable(study, tmp_path, project_schema):
    first = export_qdpx(study, tmp_path / "a.qdpx")
    export_qdpx(study, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.qdpx") as zf:
        root = etree.fromstring(zf.read("project.qde"))
    assert project_schema.validate(root), project_schema.error_log
    assert first.sources == 3 and first.human_codings == 2 and first.notes == 2 and first.cases == 2
    users = {u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    assert users == {"kwali", "anna", "bram"}


def test_selections_point_at_the_segment_text_in_the_plain_text_files(study, tmp_path):
    export_qdpx(study, tmp_path / "a.qdpx")
    with Study.open(study) as opened:
        segments = opened.store.segments_frame(opened.document_ids)
        tags = opened.store.tags_frame(opened.document_ids, opened.codebook_sha256)
    spans = {(r.document_id, r.start, r.end): r.text for r in segments.itertuples()}
    with zipfile.ZipFile(tmp_path / "a.qdpx") as zf:
        root = etree.fromstring(zf.read("project.qde"))
        n_codings = 0
        for source in root.iterfind(".//q:TextSource", NS):
            path = source.get("plainTextPath")
            assert path.startswith("internal://")
            text = zf.read("Sources/" + path.removeprefix("internal://")).decode("utf-8")
            for sel in source.iterfind("q:PlainTextSelection", NS):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                assert spans[(source.get("name"), start, end)] == text[start:end]
                n_codings += len(sel.findall("q:Coding", NS))
    assert n_codings == len(tags) + 2  # every machine tag and the two accepted decisions


def test_memos_are_notes_referenced_from_coding_and_rejections_are_not_codings(study, tmp_path):
    export_qdpx(study, tmp_path / "a.qdpx")
    with zipfile.ZipFile(tmp_path / "a.qdpx") as zf:
        root = etree.fromstring(zf.read("project.qde"))
    notes = {n.get("guid"): n.findtext("q:PlainTextContent", namespaces=NS) for n in root.iterfind(".//q:Note", NS)}
    assert sorted(notes.values()) == ["Duidelijk: vertrouwen onderling.", "Gaat over de gemeente."]
    coding_refs = [r.get("targetGUID") for r in root.iterfind(".//q:Coding/q:NoteRef", NS)]
    selection_refs = [r.get("targetGUID") for r in root.iterfind(".//q:PlainTextSelection/q:NoteRef", NS)]
    assert [notes[g] for g in coding_refs] == ["Duidelijk: vertrouwen onderling."]
    assert [notes[g] for g in selection_refs] == ["Gaat over de gemeente."]


def test_cases_carry_their_attributes_and_sources(study, tmp_path):
    export_qdpx(study, tmp_path / "a.qdpx")
    with zipfile.ZipFile(tmp_path / "a.qdpx") as zf:
        root = etree.fromstring(zf.read("project.qde"))
    variables = {v.get("guid"): v.get("name") for v in root.iterfind(".//q:Variable", NS)}
    sources = {s.get("guid"): s.get("name") for s in root.iterfind(".//q:TextSource", NS)}
    cases = {}
    for case in root.iterfind(".//q:Case", NS):
        values = {variables[v.find("q:VariableRef", NS).get("targetGUID")]: v.findtext("q:TextValue", namespaces=NS)
                  for v in case.iterfind("q:VariableValue", NS)}
        cases[case.get("name")] = (values, [sources[r.get("targetGUID")] for r in case.iterfind("q:SourceRef", NS)])
    assert cases["keilehaven"] == ({"city": "Rotterdam"}, ["interview_00.txt"])
    assert cases["werkspoor"] == ({"city": "Utrecht"}, ["interview_01.txt"])
    assert "interview_02.txt" not in cases  # its own case: not in cases.csv


def test_a_folder_without_a_store_is_a_clear_error(tmp_path):
    from pipeline.errors import KwaliError

    with pytest.raises(KwaliError, match="no kwali.sqlite"):
        export_qdpx(tmp_path, tmp_path / "x.qdpx")


def test_cli_export_writes_the_file_and_a_wrong_folder_exits_2(study, tmp_path):
    import subprocess
    import sys

    target = tmp_path / "exports" / "studie.qdpx"
    ok = subprocess.run([sys.executable, "-m", "flows.cli", "export", "qdpx", str(study), "--out", str(target)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and zipfile.is_zipfile(target) and "3 sources" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "flows.cli", "export", "qdpx", str(tmp_path / "nergens"), "--out",
                          str(tmp_path / "x.qdpx")], capture_output=True, text=True)
    assert bad.returncode == 2 and "no kwali.sqlite" in bad.stderr and "Traceback" not in bad.stderr
