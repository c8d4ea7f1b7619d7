"""The registry of readers: ``READERS`` and lookup by file suffix.

Kept apart from ``base`` because it imports every concrete reader, and they import ``base``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from pipeline.ingest.readers.base import Reader
from pipeline.ingest.readers.office import DocxReader, OdtReader, PdfReader
from pipeline.ingest.readers.subtitles import SubtitleReader
from pipeline.ingest.readers.tables import CsvReader, XlsxReader
from pipeline.ingest.readers.text import MarkdownReader, TextReader


READERS: tuple[Reader, ...] = (
    TextReader(),
    MarkdownReader(),
    DocxReader(),
    OdtReader(),
    PdfReader(),
    SubtitleReader(),
    CsvReader(),
    XlsxReader(),
)


def reader_for(path: Path, readers: Iterable[Reader] = READERS) -> Reader | None:
    """The reader for a file's suffix (case-insensitive), or None when no reader has it."""
    suffix = path.suffix.lower()
    return next((r for r in readers if suffix in r.suffixes), None)


def supported_suffixes(readers: Iterable[Reader] = READERS) -> tuple[str, ...]:
    """All suffixes the readers handle, sorted."""
    return tuple(sorted(s for r in readers for s in r.suffixes))
