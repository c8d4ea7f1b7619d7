"""Corpus: discover files, map them to cases, read documents; bad files never sink a run."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from pipeline.config import IngestOptions
from pipeline.errors import InvalidInput, UnreadableFile
from pipeline.ingest.corpus import (
    Cases,
    discover,
    ingest_corpus,
    load_cases,
    read_document,
)
from pipeline.models import SkippedFile

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "seeds"
OPTIONS = IngestOptions()

INTERVIEW = "Interviewer: Hoe gaat het met de zaak?\nRespondent: Goed, de buurt groeit.\n"


def _corpus(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    folder = tmp_path / "studie"
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


# --- cases.csv ---------------------------------------------------------------------------


def test_load_cases_maps_documents_and_attributes(tmp_path):
    folder = _corpus(
        tmp_path,
        {
            "cases.csv": "document;case;city;wave\n"
            "golf1/bakker.txt;bakker;Utrecht;1\n"
            "kapper.docx;kapper;Rotterdam;1\n"
            "golf2/bakker.txt;bakker;Utrecht;2\n",
        },
    )
    cases = load_cases(folder)
    assert cases.attribute_names == ["city", "wave"]
    assert cases.case_of("golf1/bakker.txt") == "bakker"
    assert cases.case_of("interviews/kapper.docx") == "kapper"  # by file name
    assert cases.case_of("Kapper.DOCX") == "kapper"  # Windows users are case-blind
    assert cases.case_of("onbekend.txt") is None
    # the wave differs between bakker's two interviews: a document attribute, not a case one
    assert cases.attributes == {
        "bakker": {"city": "Utrecht"},
        "kapper": {"city": "Rotterdam", "wave": "1"},
    }
    assert cases.attributes_of("golf2/bakker.txt") == {"city": "Utrecht", "wave": "2"}


def test_load_cases_without_file_is_empty(tmp_path):
    assert load_cases(tmp_path) == Cases()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("bestand,case\na.txt,x\n", r"cases.csv:1: needs exactly one 'document' column .*fix: "),
        (
            "document,geval\na.txt,x\n",
            r"needs exactly one 'case' column \(columns: 'document', 'geval'\)",
        ),
        (
            "document,case\na.txt,x\nb.txt,y\na.txt,z\n",
            r"cases.csv:4: document 'a.txt' is listed twice \(also on line 2\)",
        ),
        ("document,case\na.txt,\n", r"cases.csv:2: row has no case"),
    ],
)
def test_load_cases_rejects_bad_file_with_line_and_fix(tmp_path, content, message):
    folder = _corpus(tmp_path, {"cases.csv": content})
    with pytest.raises(InvalidInput, match=message) as info:
        load_cases(folder)
    assert "fix:" in str(info.value)


# --- discover ----------------------------------------------------------------------------


def test_discover_walks_sorted_and_skips_what_is_not_a_source(tmp_path):
    folder = _corpus(
        tmp_path,
        {
            "b.txt": "Tweede tekst.",
            "a/c.md": "Derde tekst.",
            "README.md": "Over deze studie.",
            "cases.csv": "document,case\nb.txt,x\n",
            ".verborgen.txt": "geheim",
            ".git/config": "x",
            "~$notulen.docx": b"lock",
            "notulen.doc": b"\xd0\xcf\x11\xe0",
            "z/kopie.txt": "Tweede tekst.",
            "a/cases.csv": "document,case\n",
        },
    )
    sources, skipped = discover(folder, OPTIONS)
    assert [s.rel for s in sources] == ["a/c.md", "b.txt"]
    assert sources[1].size == len("Tweede tekst.") and len(sources[1].sha256) == 64
    reasons = {s.path: s.reason for s in skipped}
    assert reasons["z/kopie.txt"] == "duplicate of b.txt"
    assert reasons["notulen.doc"].startswith("unsupported file type .doc (supported: .csv, ")
    assert reasons["notulen.doc"].endswith("save it as .docx")
    assert "only read from the corpus folder itself" in reasons["a/cases.csv"]
    assert set(reasons) == {"z/kopie.txt", "notulen.doc", "a/cases.csv"}


@pytest.mark.parametrize("make", [lambda p: p / "bestaat-niet", lambda p: p])
def test_discover_rejects_missing_or_empty_folder(tmp_path, make):
    with pytest.raises(InvalidInput, match="corpus folder"):
        discover(make(tmp_path), OPTIONS)


# --- read_document -----------------------------------------------------------------------


def test_read_document_builds_normalised_document_with_case_from_cases_csv(tmp_path):
    cases_csv = "document,case,wave\nkapper.txt,K1,2\n"
    folder = _corpus(tmp_path, {"wijk/kapper.txt": INTERVIEW, "cases.csv": cases_csv})
    (source,), _ = discover(folder, OPTIONS)
    (doc,) = read_document(source, load_cases(folder), OPTIONS)
    assert (doc.id, doc.case_id, doc.sha256) == ("wijk/kapper.txt", "K1", source.sha256)
    assert doc.metadata == {
        "wave": "2",
        "format": "txt",
        "encoding": "utf-8",
        "path": "wijk/kapper.txt",
        "case_source": "cases.csv",
    }
    assert doc.text == INTERVIEW.strip()
    assert [(t.speaker, doc.text[t.start : t.end]) for t in doc.turns] == [
        ("Interviewer", "Hoe gaat het met de zaak?"),
        ("Respondent", "Goed, de buurt groeit."),
    ]


def test_read_document_without_cases_row_is_its_own_case(tmp_path):
    folder = _corpus(tmp_path, {"bakker.txt": INTERVIEW})
    (source,), _ = discover(folder, OPTIONS)
    (doc,) = read_document(source, Cases(), OPTIONS)
    assert doc.case_id == "bakker.txt" and doc.metadata["case_source"] == "own"


def test_read_document_splits_survey_into_row_documents(tmp_path):
    folder = tmp_path / "enquete"
    folder.mkdir()
    shutil.copy(FIXTURES / "enquete_open_vragen.csv", folder / "open.csv")
    (source,), _ = discover(folder, OPTIONS)
    options = IngestOptions(text_column="antwoord", id_column="respondent", case_column="gemeente")
    docs = read_document(source, Cases(), options)
    assert [(d.id, d.case_id, d.metadata["case_source"]) for d in docs] == [
        ("open.csv#r01", "Utrecht", "column"),
        ("open.csv#r03", "Rotterdam", "column"),
    ]
    assert docs[1].text == "Te weinig parkeerplek voor klanten, en de huur is te hoog."
    assert len({d.sha256 for d in docs} | {source.sha256}) == 3


def test_read_document_names_the_relative_path_when_unreadable(tmp_path):
    folder = _corpus(tmp_path, {"sub/leeg.md": "---\ntitle: Leeg\n---\n\n# \n"})
    (source,), _ = discover(folder, OPTIONS)
    with pytest.raises(UnreadableFile) as info:
        read_document(source, Cases(), OPTIONS)
    assert info.value.path == "sub/leeg.md"
    assert info.value.reason.startswith("empty file")


# --- a whole corpus ----------------------------------------------------------------------


def test_ingest_corpus_reads_good_files_and_lists_every_bad_one(tmp_path):
    folder = _corpus(
        tmp_path,
        {
            "goed_interview.txt": INTERVIEW,
            "goed_verslag.md": "# Verslag\n\nDe **ondernemers** willen meer ruimte.\n",
            "windows.txt": "Café ‘De Hoek’: de geïnterviewde is tevreden.".encode("cp1252"),
            "leeg.txt": b"",
            "foto.txt": b"\x89PNG\r\n\x1a\n\x00\x00" + random.Random(1).randbytes(500),
            "kapot.docx": random.Random(2).randbytes(2000),
            "kapot.pdf": b"%PDF-1.4\n1 0 obj << /Kids [" + random.Random(3).randbytes(500),
            "kopie.txt": INTERVIEW,
            "cases.csv": "document,case,city\ngoed_interview.txt,winkel,Utrecht\n",
        },
    )
    with (folder / "groot.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse, so the test stays fast

    result = ingest_corpus(folder, IngestOptions())

    assert [d.id for d in result.documents] == [
        "goed_interview.txt",
        "goed_verslag.md",
        "windows.txt",
    ]
    assert result.documents[2].metadata["encoding"] == "cp1252"
    assert result.documents[2].text == "Café ‘De Hoek’: de geïnterviewde is tevreden."
    assert result.uncased == ["goed_verslag.md", "windows.txt"]
    assert result.cases.attributes == {"winkel": {"city": "Utrecht"}}
    reasons = {s.path: s.reason for s in result.skipped}
    assert sorted(reasons) == [
        "foto.txt", "groot.txt", "kapot.docx", "kapot.pdf", "kopie.txt", "leeg.txt",
    ]
    assert reasons["leeg.txt"].startswith("empty file")
    assert reasons["foto.txt"].startswith("looks like a binary file, not text (it is a PNG image)")
    assert reasons["kapot.docx"].startswith("not a valid .docx file")
    assert reasons["kapot.pdf"].startswith("not a valid PDF file")
    assert reasons["kopie.txt"] == "duplicate of goed_interview.txt"
    assert reasons["groot.txt"] == (
        "file is 50.0 MB, over the 20 MB limit (set --max-file-mb to raise it, or split the file)"
    )
    assert all(isinstance(s, SkippedFile) for s in result.skipped)


def test_ingest_corpus_stops_on_bad_cases_csv(tmp_path):
    folder = _corpus(tmp_path, {"a.txt": "Tekst.", "cases.csv": "naam,case\na.txt,x\n"})
    with pytest.raises(InvalidInput, match="'document' column"):
        ingest_corpus(folder)


# --- real seed texts ---------------------------------------------------------------------


def _seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


def test_seed_corpus_ingests_with_turns_covering_the_text():
    if not _seed_files():
        pytest.skip(f"seed corpus not found at {SEEDS} (shared corpora are not on this machine)")
    result = ingest_corpus(SEEDS)
    assert not result.skipped
    assert [d.id for d in result.documents] == [p.name for p in _seed_files()]
    for doc in result.documents:
        raw = (SEEDS / doc.id).read_text(encoding="utf-8")
        assert "\u00ad" not in doc.text
        assert doc.text.count("\n") <= raw.count("\n")
        if re.search(r"\S[ \t]*\n[ \t]*\S", raw):  # hard-wrapped lines: joining must show
            assert doc.text.count("\n") < raw.count("\n")
        covered = sum(t.end - t.start for t in doc.turns)
        words_in_turns = sum(len(doc.text[t.start : t.end].split()) for t in doc.turns)
        assert covered <= len(doc.text)
        assert words_in_turns >= 0.98 * len(doc.text.split())
        assert all(doc.text[t.start : t.end].strip() for t in doc.turns)


def test_real_survey_export_skips_missing_answers(shared_dir, tmp_path):
    """The partypanel LimeSurvey/R export writes unanswered questions as NA: those are no excerpts."""
    source = shared_dir / "external" / "partypanel-nl" / "pp18.1-pre2-survey_180102_PUBLIC.csv"
    folder = tmp_path / "enquete"
    folder.mkdir()
    (folder / "survey.csv").write_bytes(source.read_bytes())
    options = IngestOptions(text_column="adviseFriendUB", id_column="id")
    result = ingest_corpus(folder, options)
    assert result.skipped == []
    assert len(result.documents) == 14  # the 14 complete responses
    assert all(d.text and d.text != "NA" for d in result.documents)
    assert all(d.id.startswith("survey.csv#") for d in result.documents)
    assert all("NA" not in d.metadata.values() for d in result.documents)
