"""Readers: every supported format, and every way a researcher's file can be unreadable.

Binary fixtures (docx, odt, pdf, xlsx) are generated in tmp_path by the helpers below; text
fixtures are tiny hand-made Dutch files in tests/fixtures/ingest/.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipeline.config import IngestOptions
from pipeline.errors import UnreadableFile
from pipeline.ingest.normalise import normalise
from pipeline.ingest.readers import RawText, Reader, reader_for, supported_suffixes
from pipeline.ingest.turns import detect_turns

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
QUALCODER = Path("/work/shared/external/qualcoder-examples")
OPTIONS = IngestOptions()


def read(path: Path, options: IngestOptions = OPTIONS) -> list[RawText]:
    reader = reader_for(path)
    assert reader is not None, path
    return reader.read(path, options)


def read_one(path: Path, options: IngestOptions = OPTIONS) -> RawText:
    (raw,) = read(path, options)
    return raw


def spoken(raw: RawText) -> list[tuple[str | None, str]]:
    text = normalise(raw.text)
    return [(t.speaker, text[t.start : t.end]) for t in detect_turns(text)]


# --- binary fixture builders -------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """Write a minimal PDF: one Helvetica text line per string, WinAnsi encoded."""

    def literal(line: str) -> bytes:
        out = bytearray()
        for byte in line.encode("cp1252"):
            if byte in b"()\\":
                out += b"\\" + bytes([byte])
            elif byte < 32 or byte > 126:
                out += b"\\%03o" % byte
            else:
                out.append(byte)
        return bytes(out)

    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % i for i in page_ids), len(pages)),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for page_id, lines in zip(page_ids, pages):
        ops = [b"BT /F1 12 Tf 14 TL 72 760 Td"]
        ops += [b"(%s) Tj T*" % literal(line) for line in lines]
        stream = b"\n".join(ops + [b"ET"])
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    data = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(data)
        data += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref, size = len(data), max(objects) + 1
    data += b"xref\n0 %d\n0000000000 65535 f \n" % size
    data += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    path.write_bytes(bytes(data))
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "Interview kapsalon"
    document.add_heading("Interview kapsalon Lombok", level=1)
    document.add_paragraph("Interviewer: Sinds wanneer zit u hier?")
    paragraph = document.add_paragraph("Respondent: Sinds 2015.")
    paragraph.add_run().add_break()
    paragraph.add_run("De klanten komen uit de buurt.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Huur"
    table.cell(0, 1).text = "Te hoog volgens de ondernemer."
    document.add_paragraph("")
    document.add_paragraph("Interviewer: Dank u wel.")
    document.save(str(path))
    return path


def make_odt(path: Path) -> Path:
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, LineBreak, P, S

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Gesprek bakkerij Transvaal"))
    first = P(text="Interviewer: Hoe gaat")
    first.addElement(S(c=3))
    first.addText("het?")
    document.text.addElement(first)
    second = P(text="Respondent: Goed.")
    second.addElement(LineBreak())
    second.addText("Druk in de ochtend.")
    comment = Annotation()
    comment.addElement(P(text="OPMERKING VAN CODEUR"))
    second.addElement(comment)
    document.text.addElement(second)
    table = Table(name="Kenmerken")
    table.addElement(TableColumn())
    row = TableRow()
    cell = TableCell()
    cell.addElement(P(text="Zaak sinds 1998"))
    row.addElement(cell)
    table.addElement(row)
    document.text.addElement(table)
    document.save(str(path))
    return path


def make_xlsx(path: Path, rows: list[list[object]], sheet: str = "Antwoorden") -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.title = "Toelichting"
    workbook.active.append(["Deze enquête ging over de wijk."])
    answers = workbook.create_sheet(sheet)
    for row in rows:
        answers.append(row)
    workbook.save(str(path))
    return path


# --- registry ----------------------------------------------------------------------------


def test_reader_for_covers_every_format_case_insensitively():
    for suffix in (".txt", ".md", ".docx", ".odt", ".pdf", ".vtt", ".srt", ".csv", ".xlsx"):
        assert isinstance(reader_for(Path(f"x{suffix.upper()}")), Reader)
    assert reader_for(Path("notulen.doc")) is None
    assert ".docx" in supported_suffixes()


# --- plain text --------------------------------------------------------------------------


def test_txt_reader_reads_utf8_transcript():
    raw = read_one(FIXTURES / "interview_buurtwinkel.txt")
    assert raw.key is None and raw.metadata["format"] == "txt"
    assert [speaker for speaker, _ in spoken(raw)] == [
        None, "Interviewer", "Respondent", "Interviewer", "Respondent",
    ]
    assert "verdichtingsopgave" in normalise(raw.text)
    assert "zzp-netwerk" in normalise(raw.text)
    assert "Noord-Holland" in normalise(raw.text)


def test_txt_reader_strips_utf8_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfR: Ja, dat klopt.")
    assert read_one(path).text == "R: Ja, dat klopt."


def test_txt_reader_falls_back_to_cp1252_for_windows_files(tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes("Café ‘De Hoek’ – geïnterviewde € 5".encode("cp1252"))
    raw = read_one(path)
    assert raw.text == "Café ‘De Hoek’ – geïnterviewde € 5"
    assert raw.metadata["encoding"] == "cp1252"


def test_txt_reader_reads_utf16_with_bom(tmp_path):
    path = tmp_path / "kladblok.txt"
    path.write_bytes("Interviewer: Hoi".encode("utf-16"))
    assert read_one(path).text == "Interviewer: Hoi"


@pytest.mark.parametrize(("content", "detail"), [(b"", "0 bytes"), (b" \r\n\t\n", "whitespace")])
def test_txt_reader_rejects_empty_file(tmp_path, content, detail):
    path = tmp_path / "leeg.txt"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=rf"empty file \(.*{detail}"):
        read(path)


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b"abc\x00def\x00" * 10, "NUL bytes"),
        (bytes(range(1, 9)) * 20, "control characters"),
    ],
)
def test_txt_reader_rejects_binary_content(tmp_path, content, detail):
    path = tmp_path / "foto.txt"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match="looks like a binary file, not text") as info:
        read(path)
    assert detail in info.value.reason
    assert "convert it to .txt/.docx or remove it" in info.value.reason


def test_reader_checks_size_before_reading(tmp_path):
    path = tmp_path / "groot.txt"
    with path.open("wb") as handle:  # sparse: instant, and reading it would fail the test
        handle.truncate(3 * 1024 * 1024)
    with pytest.raises(UnreadableFile) as info:
        read(path, IngestOptions(max_file_mb=2))
    assert info.value.reason == (
        "file is 3.0 MB, over the 2 MB limit (set --max-file-mb to raise it, or split the file)"
    )


# --- markdown ----------------------------------------------------------------------------


def test_md_reader_strips_markup_and_keeps_speaker_labels():
    raw = read_one(FIXTURES / "focusgroep_ondernemers.md")
    text = normalise(raw.text)
    assert raw.metadata["title"] == "Focusgroep ondernemers Kanaleneiland"
    assert raw.metadata["locatie"] == "Buurthuis De Boog"
    assert "---" not in text and "datum:" not in text
    assert "Transcript van de focusgroep over de wijkeconomie." in text
    assert "*" not in text.replace("*mail*", "") and "](" not in text and "#" not in text
    assert spoken(raw)[1:5] == [
        ("Moderator", "Wie wil beginnen?"),
        (
            "Fatima El Amrani",
            "Ik heb een naaiatelier aan huis. Het is echt lastig om ruimte te vinden.",
        ),
        ("Joost de Vries", "Bij ons in de kelder is het net zo."),
        ("Fatima El Amrani", "Precies, en de huur stijgt."),
    ]
    assert text.endswith("- Volgende keer in de bibliotheek\n- Notulen via *mail*")


def test_md_reader_keeps_single_bold_line_as_heading(tmp_path):
    path = tmp_path / "notitie.md"
    path.write_text("**Samenvatting**\n\nDe huur stijgt in **alle** wijken.\n", encoding="utf-8")
    assert normalise(read_one(path).text) == "Samenvatting\n\nDe huur stijgt in alle wijken."


# --- office formats and PDF -----------------------------------------------------------------


def test_docx_reader_reads_paragraphs_headings_and_tables_in_order(tmp_path):
    raw = read_one(make_docx(tmp_path / "kapsalon.docx"))
    assert raw.metadata == {"format": "docx", "title": "Interview kapsalon"}
    assert raw.text.split("\n\n") == [
        "Interview kapsalon Lombok",
        "Interviewer: Sinds wanneer zit u hier?",
        "Respondent: Sinds 2015.\nDe klanten komen uit de buurt.",
        "Huur",
        "Te hoog volgens de ondernemer.",
        "Interviewer: Dank u wel.",
    ]


def test_odt_reader_reads_headings_paragraphs_and_tables_without_comments(tmp_path):
    raw = read_one(make_odt(tmp_path / "bakkerij.odt"))
    assert raw.metadata["title"] == "Gesprek bakkerij Transvaal"
    assert raw.text.split("\n\n") == [
        "Gesprek bakkerij Transvaal",
        "Interviewer: Hoe gaat   het?",
        "Respondent: Goed.\nDruk in de ochtend.",
        "Zaak sinds 1998",
    ]


def test_pdf_reader_joins_pages_and_text_is_normalised(tmp_path):
    path = make_pdf(
        tmp_path / "verslag.pdf",
        [
            ["Interviewer: Hoe is de ver-", "dichtingsopgave in de wijk?"],
            ["Respondent: Lastig voor de geïnterviewde café-eigenaar."],
        ],
    )
    raw = read_one(path)
    assert raw.metadata["format"] == "pdf" and raw.metadata["pages"] == "2"
    assert "\n\n" in raw.text
    assert spoken(raw) == [
        ("Interviewer", "Hoe is de verdichtingsopgave in de wijk?"),
        ("Respondent", "Lastig voor de geïnterviewde café-eigenaar."),
    ]


def test_pdf_reader_rejects_pdf_without_text_layer(tmp_path):
    path = make_pdf(tmp_path / "scan.pdf", [[]])
    with pytest.raises(UnreadableFile, match=r"no text layer \(scanned PDF\?\); run OCR first"):
        read(path)


@pytest.mark.parametrize("name", ["kapot.docx", "kapot.odt", "kapot.pdf", "kapot.xlsx"])
def test_readers_turn_corrupt_files_into_a_clear_reason(tmp_path, name):
    path = tmp_path / name
    prefix = b"%PDF-1.4\n" if name.endswith(".pdf") else b"PK\x03\x04"
    path.write_bytes(prefix + random.Random(7).randbytes(3000))
    options = IngestOptions(text_column="antwoord")
    with pytest.raises(UnreadableFile, match=r"not a valid .* file \(.*\); .*") as info:
        read(path, options)
    assert str(path) in str(info.value)


# --- subtitles ---------------------------------------------------------------------------


def test_vtt_reader_merges_cues_into_timestamped_turns():
    raw = read_one(FIXTURES / "buurtgesprek.vtt")
    assert raw.metadata["timestamps"] == "cue"
    assert raw.text == (
        "Welkom bij dit gesprek.\n\n"
        "[00:00:02.000] Sanne: Hoe gaat het met de winkel? En met de buren?\n\n"
        "[00:00:06.500] Ahmed Yilmaz: Goed, heel goed. Maar de huur stijgt.\n\n"
        "[00:00:12.000] SANNE: Dat hoor ik vaker & vaker."
    )
    turns = detect_turns(normalise(raw.text))
    assert [(t.speaker, t.timestamp) for t in turns] == [
        (None, None),
        ("Sanne", "00:00:02.000"),
        ("Ahmed Yilmaz", "00:00:06.500"),
        ("SANNE", "00:00:12.000"),
    ]


def test_srt_reader_reads_comma_timings_and_name_prefixes():
    raw = read_one(FIXTURES / "buurtgesprek.srt")
    assert raw.text == (
        "[00:00:01.000] INTERVIEWER: Goedemiddag, fijn dat u er bent. Dank u.\n\n"
        "[00:00:06.000] RESPONDENT: Ik woon al dertig jaar in deze wijk. Het is veranderd.\n\n"
        "[00:00:11.000] INTERVIEWER: Hoe dan?"
    )


def test_vtt_reader_breaks_speakerless_cues_at_pauses(tmp_path):
    path = tmp_path / "ondertitels.vtt"
    path.write_text(
        "WEBVTT\n\n00:01.000 --> 00:02.000\nDe markt\n\n00:02.000 --> 00:03.000\nis druk.\n\n"
        "00:08.000 --> 00:09.000\n<v sanne de boer>Na een pauze.\n",
        encoding="utf-8",
    )
    assert read_one(path).text == (
        "De markt is druk.\n\n[00:00:08.000] Sanne de boer: Na een pauze."
    )


def test_subtitle_reader_rejects_file_without_cues(tmp_path):
    path = tmp_path / "leeg.srt"
    path.write_text("Dit is geen ondertitelbestand.\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="no subtitle cues found"):
        read(path)


# --- surveys -----------------------------------------------------------------------------


def test_csv_reader_gives_one_text_per_answered_row():
    options = IngestOptions(text_column="antwoord", id_column="respondent", case_column="gemeente")
    rows = read(FIXTURES / "enquete_open_vragen.csv", options)
    assert [(r.key, r.case) for r in rows] == [("r01", "Utrecht"), ("r03", "Rotterdam")]
    assert rows[1].text == "Te weinig parkeerplek voor klanten,\r\nen de huur is te hoog."
    assert rows[0].metadata["row"] == "1" and rows[1].metadata["row"] == "3"


def test_csv_reader_numbers_rows_without_id_column(tmp_path):
    path = tmp_path / "enquete.csv"
    content = "tekst,leeftijd\nMeer groen graag,34\n,50\nMinder verkeer,61\n"
    path.write_bytes(content.encode("cp1252"))
    rows = read(path, IngestOptions(text_column="Tekst"))
    assert [(r.key, r.text, r.metadata["leeftijd"]) for r in rows] == [
        ("1", "Meer groen graag", "34"),
        ("3", "Minder verkeer", "61"),
    ]


def test_csv_reader_reads_tab_separated_cp1252(tmp_path):
    path = tmp_path / "enquete.csv"
    path.write_bytes("id\tantwoord\n7\tCafé’s sluiten, helaas\n".encode("cp1252"))
    (raw,) = read(path, IngestOptions(text_column="antwoord", id_column="id"))
    assert (raw.key, raw.text) == ("7", "Café’s sluiten, helaas")
    assert raw.metadata["encoding"] == "cp1252"


def test_survey_reader_names_missing_column_and_how_to_set_it():
    with pytest.raises(UnreadableFile) as info:
        read(FIXTURES / "enquete_open_vragen.csv")
    message = str(info.value)
    assert "enquete_open_vragen.csv" in message
    assert "no column 'text'" in message
    assert "'respondent', 'gemeente', 'antwoord'" in message
    assert "--text-column" in message


def test_survey_reader_rejects_duplicate_ids(tmp_path):
    path = tmp_path / "dubbel.csv"
    path.write_text("id;text\na;Eerste\na;Tweede\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"id 'a' occurs twice .*rows 1 and 2"):
        read(path, IngestOptions(id_column="id"))


def test_xlsx_reader_reads_named_or_first_sheet(tmp_path):
    rows = [
        ["nr", "Toelichting", "wijk"],
        [1, "De wijk is veiliger.", "Lombok"],
        [2.0, None, "Zuilen"],
    ]
    path = make_xlsx(tmp_path / "enquete.xlsx", rows)
    options = IngestOptions(text_column="toelichting", id_column="nr", sheet="Antwoorden")
    (raw,) = read(path, options)
    assert (raw.key, raw.text, raw.metadata["wijk"], raw.metadata["sheet"]) == (
        "1", "De wijk is veiliger.", "Lombok", "Antwoorden",
    )
    with pytest.raises(UnreadableFile, match=r"no column 'toelichting' \(columns: 'Deze enq"):
        read(path, IngestOptions(text_column="toelichting"))
    with pytest.raises(UnreadableFile, match=r"no sheet 'Blad1' .*'Antwoorden'.*--sheet"):
        read(path, IngestOptions(sheet="Blad1"))


# --- real-world examples ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["ID1.docx", "ID2.odt", "transcript.txt"])
def test_qualcoder_examples_ingest(name):
    path = QUALCODER / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine (shared external examples)")
    raw = read_one(path)
    text = normalise(raw.text)
    assert len(text.split()) > 50
    assert detect_turns(text)
