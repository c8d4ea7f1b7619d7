"""A study folder as documents: find the files, map them to cases, read each one.

``discover`` and ``read_document`` are the per-file steps the Prefect flow runs as tasks;
``ingest_corpus`` runs them all in one go for tests and library users. One bad file never sinks a
run: it becomes a ``SkippedFile`` with a reason, while a bad ``cases.csv`` (which would silently
mislabel every document) stops it with ``InvalidInput``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.config import IngestOptions
from pipeline.errors import InvalidInput, Problem, UnreadableFile
from pipeline.ingest.normalise import normalise
from pipeline.ingest.readers import (
    check_size,
    decode_text,
    read_csv_rows,
    reader_for,
    supported_suffixes,
)
from pipeline.ingest.turns import detect_turns
from pipeline.models import Document, SkippedFile

CASES_FILE = "cases.csv"
# Left out without a word: the study's own description and files that operating systems and
# Office leave behind.
_IGNORED_TOP = frozenset({"readme.md", "readme.txt"})
_IGNORED = frozenset({"thumbs.db", "desktop.ini"})
_HINTS = {
    ".doc": "save it as .docx",
    ".xls": "save it as .xlsx",
    ".rtf": "save it as .docx or .txt",
    ".pages": "export it to .docx",
    ".odp": "export it to .pdf",
    ".pptx": "export it to .pdf",
}


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One candidate source file of a corpus.

    Attributes:
        path: Absolute path.
        rel: Path relative to the corpus folder, posix style; the document id.
        sha256: Hash of the file's bytes.
        size: Size in bytes.
    """

    path: Path
    rel: str
    sha256: str
    size: int


@dataclass(slots=True)
class Cases:
    """The document -> case mapping and attributes from ``cases.csv``.

    Attributes:
        documents: Document path as written in cases.csv (posix, NFC) -> case id.
        document_attributes: The same path -> that row's attributes (wave, year...).
        attributes: Case id -> the attributes that have one value on all of the case's rows
            (city, type...). One that differs between a case's documents, like the wave of a
            panel study, belongs to the documents and is left out here.
        attribute_names: Attribute columns in file order.
        path: The cases.csv that was read, if any.
    """

    documents: dict[str, str] = field(default_factory=dict)
    document_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    attribute_names: list[str] = field(default_factory=list)
    path: Path | None = None

    def case_of(self, doc_path: str) -> str | None:
        """Case of a document id or relative path, or None when cases.csv has no row for it.

        A row may name the file by relative path, by file name alone, or without extension,
        in any letter case; a survey row id (``answers.csv#12``) also matches a row for its
        file.
        """
        key = self._row_key(doc_path)
        return None if key is None else self.documents[key]

    def attributes_of(self, doc_path: str) -> dict[str, str]:
        """The attributes on the document's own cases.csv row (empty when it has none)."""
        key = self._row_key(doc_path)
        return {} if key is None else dict(self.document_attributes[key])

    def _row_key(self, doc_path: str) -> str | None:
        folded = {k.casefold(): k for k in self.documents}
        for candidate in (doc_path, doc_path.split("#", 1)[0]):
            key = _doc_key(candidate)
            name = PurePosixPath(key)
            for variant in (key, name.name, name.stem):
                if variant in self.documents:
                    return variant
            for variant in (key, name.name, name.stem):
                if variant.casefold() in folded:
                    return folded[variant.casefold()]
        return None


@dataclass(slots=True)
class IngestResult:
    """What ``ingest_corpus`` made of a folder.

    Attributes:
        documents: Documents read, in path order.
        skipped: Files left out, each with a reason.
        cases: The cases.csv mapping.
        uncased: Ids of documents that have no row in cases.csv (their case is their own id).
    """

    documents: list[Document]
    skipped: list[SkippedFile]
    cases: Cases
    uncased: list[str]


def _doc_key(path: str) -> str:
    # Windows users write backslashes, macOS stores names decomposed (NFD); compare neither.
    key = unicodedata.normalize("NFC", path.strip().replace("\\", "/"))
    while key.startswith("./"):
        key = key[2:]
    return key


def load_cases(folder: Path) -> Cases:
    """Read ``folder/cases.csv``; an absent file gives an empty ``Cases``.

    Columns: ``document`` (file name or path relative to the folder), ``case``, then any case
    attributes (city, type, wave...).

    Raises:
        InvalidInput: A column is missing, a document is listed twice, or a row lacks its
            document or case.
    """
    path = folder / CASES_FILE
    if not path.is_file():
        return Cases()
    try:
        text, _ = decode_text(path.read_bytes(), path)
        rows = read_csv_rows(text)
    except UnreadableFile as exc:
        raise InvalidInput(str(Problem(str(path), None, exc.reason, "save it as CSV"))) from exc
    except (OSError, ValueError) as exc:
        raise InvalidInput(str(Problem(str(path), None, str(exc), "save it as CSV"))) from exc
    header_at = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if header_at is None:
        raise InvalidInput(str(Problem(str(path), 1, "no header row", "add: document,case")))
    header = [c.strip() for c in rows[header_at]]
    folded = [h.casefold() for h in header]
    for required in ("document", "case"):
        if folded.count(required) != 1:
            found = ", ".join(repr(h) for h in header if h)
            raise InvalidInput(
                str(
                    Problem(
                        str(path),
                        header_at + 1,
                        f"needs exactly one {required!r} column (columns: {found})",
                        "start the file with a header row like: document,case,city",
                    )
                )
            )
    doc_col, case_col = folded.index("document"), folded.index("case")
    attr_cols = [i for i, h in enumerate(header) if h and i not in (doc_col, case_col)]
    cases = Cases(attribute_names=[header[i] for i in attr_cols], path=path)
    first_line: dict[str, int] = {}
    varying: set[tuple[str, str]] = set()
    for line, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
        if not any(cells):
            continue
        document, case = _doc_key(cells[doc_col]), cells[case_col]
        if not document or not case:
            what = "document" if not document else "case"
            raise InvalidInput(
                str(Problem(str(path), line, f"row has no {what}", f"fill in the {what}"))
            )
        if document in first_line:
            raise InvalidInput(
                str(
                    Problem(
                        str(path),
                        line,
                        f"document {document!r} is listed twice (also on line "
                        f"{first_line[document]})",
                        "keep one row per document",
                    )
                )
            )
        first_line[document] = line
        cases.documents[document] = case
        row_attributes = {header[i]: cells[i] for i in attr_cols if cells[i]}
        cases.document_attributes[document] = row_attributes
        known = cases.attributes.setdefault(case, {})
        for name, value in row_attributes.items():
            if known.setdefault(name, value) != value:
                varying.add((case, name))
    for case, name in varying:
        del cases.attributes[case][name]
    return cases


def discover(folder: Path, options: IngestOptions) -> tuple[list[SourceFile], list[SkippedFile]]:
    """Find the source files of a corpus folder, recursively and in sorted path order.

    Hidden files and folders, ``cases.csv`` and a top-level README are left out silently.
    Files without a reader, files over the size limit and byte-for-byte duplicates of an
    earlier file are returned as skipped, with the reason.

    Raises:
        InvalidInput: The folder does not exist, or holds no files at all.
    """
    if not folder.is_dir():
        raise InvalidInput(
            str(Problem(str(folder), None, "corpus folder not found", "check the path"))
        )
    candidates = sorted(_walk(folder, folder), key=lambda p: p[0])
    if not candidates:
        raise InvalidInput(
            str(Problem(str(folder), None, "corpus folder holds no files", "add source files"))
        )
    sources: list[SourceFile] = []
    skipped: list[SkippedFile] = []
    first_of: dict[str, str] = {}
    supported = ", ".join(supported_suffixes())
    for rel, path in candidates:
        if path.name.lower() == CASES_FILE:
            reason = "cases.csv is only read from the corpus folder itself; move it there"
            skipped.append(SkippedFile(rel, reason))
            continue
        if reader_for(path) is None:
            suffix = path.suffix.lower() or "(no extension)"
            hint = f"; {_HINTS[suffix]}" if suffix in _HINTS else ""
            reason = f"unsupported file type {suffix} (supported: {supported}){hint}"
            skipped.append(SkippedFile(rel, reason))
            continue
        try:
            size = check_size(path, options)
            digest = _sha256(path)
        except UnreadableFile as exc:
            skipped.append(SkippedFile(rel, exc.reason))
            continue
        except OSError as exc:
            skipped.append(SkippedFile(rel, f"cannot open the file ({exc.strerror})"))
            continue
        if digest in first_of:
            skipped.append(SkippedFile(rel, f"duplicate of {first_of[digest]}"))
            continue
        first_of[digest] = rel
        sources.append(SourceFile(path, rel, digest, size))
    return sources, skipped


def _walk(folder: Path, root: Path) -> list[tuple[str, Path]]:
    found = []
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name.startswith((".", "~$")) or name.lower() in _IGNORED:
            continue
        if entry.is_dir():
            # Symlinked folders are not followed: a link back up the tree would never end.
            if not entry.is_symlink():
                found += _walk(entry, root)
            continue
        if not entry.is_file():
            continue
        if folder == root and name.lower() in _IGNORED_TOP | {CASES_FILE}:
            continue
        rel = entry.relative_to(root).as_posix()
        found.append((unicodedata.normalize("NFC", rel), entry))
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_document(source: SourceFile, cases: Cases, options: IngestOptions) -> list[Document]:
    """Read, normalise and split one source file into documents (several for a survey).

    Raises:
        UnreadableFile: The file cannot be read or holds no text; the message names
            ``source.rel``. Nothing is returned half-read.
    """
    reader = reader_for(source.path)
    if reader is None:
        raise UnreadableFile(source.rel, f"unsupported file type {source.path.suffix}")
    try:
        raws = reader.read(source.path, options)
    except UnreadableFile as exc:
        raise UnreadableFile(source.rel, exc.reason) from exc
    documents = []
    for raw in raws:
        text = normalise(raw.text)
        if not text:
            if raw.key is not None:
                continue  # a survey answer of only invisible characters is an empty answer
            raise UnreadableFile(source.rel, "no text left after normalisation (only spaces?)")
        doc_id = source.rel if raw.key is None else f"{source.rel}#{raw.key}"
        metadata = {**cases.attributes_of(doc_id), **raw.metadata, "path": source.rel}
        if raw.case:
            case_id, metadata["case_source"] = raw.case, "column"
        elif (listed := cases.case_of(doc_id)) is not None:
            case_id, metadata["case_source"] = listed, "cases.csv"
        else:
            case_id, metadata["case_source"] = doc_id, "own"
        if raw.key is None:
            sha = source.sha256
        else:
            blob = "\x1f".join((source.sha256, raw.key, raw.text)).encode("utf-8")
            sha = hashlib.sha256(blob).hexdigest()
        documents.append(Document(doc_id, case_id, text, detect_turns(text), sha, metadata))
    if not documents:
        raise UnreadableFile(source.rel, "no text left after normalisation")
    return documents


def ingest_corpus(folder: Path, options: IngestOptions | None = None) -> IngestResult:
    """Read a whole corpus folder; unreadable files are listed in ``skipped``, not raised.

    Raises:
        InvalidInput: The folder is missing or empty, or its cases.csv is invalid.
    """
    options = options or IngestOptions()
    cases = load_cases(folder)
    sources, skipped = discover(folder, options)
    documents: list[Document] = []
    for source in sources:
        try:
            documents += read_document(source, cases, options)
        except UnreadableFile as exc:
            skipped.append(SkippedFile(source.rel, exc.reason))
    skipped.sort(key=lambda s: s.path)
    uncased = [d.id for d in documents if d.metadata.get("case_source") == "own"]
    return IngestResult(documents, skipped, cases, uncased)
