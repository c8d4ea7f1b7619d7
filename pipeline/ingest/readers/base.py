"""The reader contract and what every reader shares: sizes, decoding, errors.

A reader only gets the words out, in reading order; ``normalise`` tidies them afterwards. Every
problem a researcher can cause (empty, binary, corrupt, too large, a survey without the named
column) is raised as ``UnreadableFile`` with a reason that says what to do, never as a parser's
own exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from pipeline.config import IngestOptions
from pipeline.errors import UnreadableFile

_MB = 1024 * 1024


@dataclass(slots=True)
class RawText:
    """Text as a reader found it, before normalisation.

    Attributes:
        key: None for a file that is one text; the row id for a survey row.
        text: The text.
        metadata: What the reader learned: "format", "title", "encoding", "timestamps"...
        case: The survey's case column value for this row, if a case column was named.
    """

    key: str | None
    text: str
    metadata: dict[str, str] = field(default_factory=dict)
    case: str | None = None


@runtime_checkable
class Reader(Protocol):
    """Reads the files whose suffix (lower case, with dot) is in ``suffixes``."""

    suffixes: tuple[str, ...]

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        """Read ``path`` into one or more texts; raise ``UnreadableFile`` on bad input."""
        ...


def check_size(path: Path, options: IngestOptions) -> int:
    """Raise ``UnreadableFile`` when ``path`` is over ``options.max_file_mb``; return its size."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(str(path), f"cannot open the file ({exc.strerror})") from exc
    if size > options.max_file_mb * _MB:
        raise UnreadableFile(
            str(path),
            f"file is {size / _MB:.1f} MB, over the {options.max_file_mb:g} MB limit "
            "(set --max-file-mb to raise it, or split the file)",
        )
    return size


def _read_bytes(path: Path, options: IngestOptions) -> bytes:
    check_size(path, options)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(str(path), f"cannot open the file ({exc.strerror})") from exc


# Signatures of formats that people save as .txt by mistake, with what to do about them.
_MAGIC = (
    (b"%PDF", "it starts like a PDF; rename it to .pdf"),
    (b"PK\x03\x04", "it is a zip archive, perhaps a .docx, .odt or .xlsx under the wrong name"),
    (b"\xd0\xcf\x11\xe0", "it is an old Word/Excel file; save it as .docx or .xlsx"),
    (b"\x89PNG", "it is a PNG image"),
    (b"\xff\xd8\xff", "it is a JPEG image"),
    (b"GIF8", "it is a GIF image"),
)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode a text file's bytes; return the text and the encoding used.

    UTF-8 (with or without BOM) first, UTF-16 when it has a BOM, else CP1252, which is what
    Dutch Windows programs write. Raises ``UnreadableFile`` for empty and binary files.
    """
    if not data.strip():
        what = "0 bytes" if not data else "only whitespace"
        raise UnreadableFile(str(path), f"empty file ({what}); add the text or remove the file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = data.decode("utf-16", errors="replace"), "utf-16"
    else:
        binary = _binary_evidence(data[:65536])
        if binary:
            raise UnreadableFile(
                str(path),
                f"looks like a binary file, not text ({binary}); "
                "convert it to .txt/.docx or remove it",
            )
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            # CP1252 leaves five bytes undefined; Latin-1 maps every byte, so it never fails.
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "latin-1"
    if not text.strip():
        raise UnreadableFile(str(path), "empty file (only whitespace); add the text or remove it")
    return text, encoding


def _binary_evidence(sample: bytes) -> str | None:
    for magic, what in _MAGIC:
        if sample.startswith(magic):
            return what
    if b"\x00" in sample:
        return "it contains NUL bytes"
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > 0.05 * len(sample):
        return f"{controls / len(sample):.0%} of its bytes are control characters"
    return None


def _corrupt(path: Path, kind: str, exc: Exception, fix: str) -> UnreadableFile:
    # Parsers put the full path in their messages; the error already names the file.
    message = str(exc).replace(str(path), path.name).strip()
    detail = message.splitlines()[0][:120] if message else type(exc).__name__
    return UnreadableFile(str(path), f"not a valid {kind} file ({detail}); {fix}")


def _one_text(path: Path, text: str, metadata: dict[str, str]) -> list[RawText]:
    if not text.strip():
        raise UnreadableFile(
            str(path), "empty file (the document contains no text); add the text or remove it"
        )
    return [RawText(None, text, metadata)]
