"""Readers: turn one source file into raw text, one reader per file format.

A reader only gets the words out, in reading order; ``normalise`` tidies them afterwards. Every
problem a researcher can cause (empty, binary, corrupt, too large, a survey without the named
column) is raised as ``UnreadableFile`` with a reason that says what to do, never as a parser's
own exception.

Third-party parsers (python-docx, odfpy, pypdf, openpyxl) are imported inside ``read`` so that
importing Kwali stays fast and a reader's dependency only matters when its format is used.

The package, one module per concept:

    base        RawText, the Reader protocol, check_size, decode_text (and binary detection)
    text        plain text and Markdown (markdown_to_text)
    office      .docx, .odt, .pdf
    subtitles   .vtt, .srt (parse_cues, render_cues)
    tables      survey answers in .csv/.tsv and .xlsx (read_csv_rows)
    registry    READERS, reader_for, supported_suffixes
"""

from pipeline.ingest.readers.base import RawText, Reader, check_size, decode_text
from pipeline.ingest.readers.office import DocxReader, OdtReader, PdfReader
from pipeline.ingest.readers.registry import READERS, reader_for, supported_suffixes
from pipeline.ingest.readers.subtitles import SubtitleReader, parse_cues, render_cues
from pipeline.ingest.readers.tables import CsvReader, XlsxReader, read_csv_rows
from pipeline.ingest.readers.text import MarkdownReader, TextReader, markdown_to_text

__all__ = [
    "READERS",
    "CsvReader",
    "DocxReader",
    "MarkdownReader",
    "OdtReader",
    "PdfReader",
    "RawText",
    "Reader",
    "SubtitleReader",
    "TextReader",
    "XlsxReader",
    "check_size",
    "decode_text",
    "markdown_to_text",
    "parse_cues",
    "read_csv_rows",
    "reader_for",
    "render_cues",
    "supported_suffixes",
]
