"""Ingest: source files -> normalised ``Document``s with speaker turns.

The steps, each usable on its own::

    readers.reader_for(path).read(path, options) -> [RawText]   # one per file, or per survey row
    normalise.normalise(text) -> text                           # canonical, idempotent
    turns.detect_turns(text) -> [Turn]                          # speaker turns with offsets
    corpus.discover / read_document / ingest_corpus             # a study folder as documents
"""

from pipeline.ingest.corpus import (
    Cases,
    IngestResult,
    SourceFile,
    discover,
    ingest_corpus,
    load_cases,
    read_document,
)
from pipeline.ingest.normalise import normalise
from pipeline.ingest.readers import RawText, Reader, reader_for, supported_suffixes
from pipeline.ingest.turns import detect_turns, parse_label

__all__ = [
    "Cases",
    "IngestResult",
    "RawText",
    "Reader",
    "SourceFile",
    "detect_turns",
    "discover",
    "ingest_corpus",
    "load_cases",
    "normalise",
    "parse_label",
    "read_document",
    "reader_for",
    "supported_suffixes",
]
