"""Readers: turn one source file into raw text, one reader per file format.

A reader only gets the words out, in reading order; ``normalise`` tidies them afterwards. Every
problem a researcher can cause (empty, binary, corrupt, too large, a survey without the named
column) is raised as ``UnreadableFile`` with a reason that says what to do, never as a parser's
own exception.

Third-party parsers (python-docx, odfpy, pypdf, openpyxl) are imported inside ``read`` so that
importing Kwali stays fast and a reader's dependency only matters when its format is used.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterable, Protocol, runtime_checkable

from pipeline.config import IngestOptions
from pipeline.errors import UnreadableFile
from pipeline.ingest.turns import is_not_speaker, is_role, parse_label

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


class TextReader:
    """Plain text (.txt)."""

    suffixes = (".txt", ".text")

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        text, encoding = decode_text(_read_bytes(path, options), path)
        return [RawText(None, text, {"format": "txt", "encoding": encoding})]


class MarkdownReader:
    """Markdown (.md): markup removed, speaker labels kept, front matter into metadata."""

    suffixes = (".md", ".markdown")

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        text, encoding = decode_text(_read_bytes(path, options), path)
        body, metadata = _split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
        plain, title = markdown_to_text(body)
        metadata = {**metadata, "format": "md", "encoding": encoding}
        if title and "title" not in metadata:
            metadata["title"] = title
        return _one_text(path, plain, metadata)


_FRONT_KEY = re.compile(r"([A-Za-z][\w -]*?)\s*:\s*(.*)")


def _split_front_matter(text: str) -> tuple[str, dict[str, str]]:
    """Take a YAML front matter block (between --- lines) off the text as key: value pairs."""
    lines = text.lstrip("\ufeff").split("\n")
    if not lines or lines[0].strip() != "---":
        return text, {}
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return text, {}
    metadata = {}
    for line in lines[1:end]:
        match = _FRONT_KEY.fullmatch(line.strip())
        if match and match.group(2):
            metadata[match.group(1).strip().lower()] = match.group(2).strip().strip("\"'")
    return "\n".join(lines[end + 1 :]), metadata


# Markdown syntax, applied in this order; each keeps the visible words and drops the markup.
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_MD_INLINE = (
    (re.compile(r"<!--.*?-->", re.S), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>\n]*>"), ""),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"\1"),
    (re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
)
_MD_HEADING = re.compile(r" {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*")
_MD_SETEXT = re.compile(r" {0,3}(=+|-{2,})\s*")
_MD_RULE = re.compile(r" {0,3}([-*_])(?:\s*\1){2,}\s*")
_MD_FENCE = re.compile(r" {0,3}(```|~~~)")
_MD_LIST = re.compile(r"^(\s*)[*+](\s+)")
_MD_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_MD_REFDEF = re.compile(r" {0,3}\[[^\]]+\]:\s+\S+.*")
_MD_TABLE_RULE = re.compile(r"\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*")
_MD_ITEM = re.compile(r"\s*(?:-|\d+[.)])\s")
_MD_BOLD_LINE = re.compile(r"(\*\*|__)([^*_\n]{1,60}?)\1\s*")


def markdown_to_text(markdown: str) -> tuple[str, str | None]:
    """Strip Markdown to its words; return the text and the first level-1 heading.

    Speaker labels survive: ``**Sanne:** tekst`` becomes ``Sanne: tekst``, and a bold name on
    its own line (``**Sanne**``) becomes ``Sanne:`` in front of the next line, when that name is
    an interview role or stands alone on a line more than once (a bold line used once is
    more likely a heading).
    """
    escapes: dict[str, str] = {}

    def hide(match: re.Match[str]) -> str:
        # Escaped characters are content; park them on private-use code points meanwhile.
        token = chr(0xF0000 + len(escapes))
        escapes[token] = match.group(1)
        return token

    lines = _MD_ESCAPE.sub(hide, markdown).split("\n")
    bold_names = [m.group(2).strip() for m in map(_MD_BOLD_LINE.fullmatch, lines) if m]
    out: list[str] = []
    title = None
    pending: str | None = None  # a speaker label waiting for the line it belongs to
    for line in lines:
        if _MD_FENCE.match(line) or _MD_REFDEF.fullmatch(line) or _MD_TABLE_RULE.fullmatch(line):
            continue
        bold = _MD_BOLD_LINE.fullmatch(line)
        if bold:
            name = bold.group(2).strip()
            if name.endswith(":") or _repeated_name(name, bold_names):
                pending = name.rstrip(":").strip()
                continue
        heading = _MD_HEADING.fullmatch(line)
        setext = _MD_SETEXT.fullmatch(line) and out and out[-1].strip()
        if heading or setext or _MD_RULE.fullmatch(line):
            if pending:
                out.append(f"{pending}:")
                pending = None
            if heading:
                title = title or (heading.group(1) if line.lstrip().startswith("# ") else None)
                out += ["", heading.group(1), ""]
            elif setext:
                out[-1:] = ["", out[-1], ""]
            else:
                out.append("")
            continue
        line = _MD_LIST.sub(r"\1-\2", _MD_QUOTE.sub("", line, count=1), count=1)
        if line.lstrip().startswith("|"):
            line = line.strip().strip("|").strip()
        if pending and line.strip():
            # A list or numbered item keeps its own line; plain text joins the label.
            if _MD_ITEM.match(line):
                out.append(f"{pending}:")
            else:
                line = f"{pending}: {line.strip()}"
            pending = None
        out.append(line)
    if pending:
        out.append(f"{pending}:")
    text = "\n".join(out)
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    for token, char in escapes.items():
        text = text.replace(token, char)
        title = title.replace(token, char) if title else title
    return text, title


def _repeated_name(name: str, bold_names: list[str]) -> bool:
    if parse_label(f"{name}: x") is None or is_not_speaker(name):
        return False
    return is_role(name) or sum(n.casefold() == name.casefold() for n in bold_names) >= 2


class DocxReader:
    """Word documents (.docx): body paragraphs and table cells in document order."""

    suffixes = (".docx",)

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        check_size(path, options)
        import docx
        from docx.oxml.ns import qn

        try:
            document = docx.Document(str(path))
            style_names = {s.style_id: (s.name or "") for s in document.styles}
            title = (document.core_properties.title or "").strip()
            body = document.element.body
        except Exception as exc:  # python-docx raises zip, XML and key errors alike
            raise _corrupt(path, ".docx", exc, _RESAVE) from exc
        paragraphs = []
        w_p, w_style = qn("w:p"), qn("w:pStyle")
        for p in body.iter(w_p):
            # Paragraphs inside a text box sit inside another paragraph; Word stores them twice
            # (drawing and VML fallback), so they are left out rather than doubled.
            if _has_ancestor(p, w_p):
                continue
            text = "".join(_docx_runs(p, qn)).strip()
            if not text:
                continue
            style = p.find(f"{qn('w:pPr')}/{w_style}")
            name = style_names.get(style.get(qn("w:val")), "") if style is not None else ""
            if not title and name.lower().startswith(("title", "titel")):
                title = text
            paragraphs.append(text)
        metadata = {"format": "docx"}
        if title:
            metadata["title"] = title
        return _one_text(path, "\n\n".join(paragraphs), metadata)


_RESAVE = "it may be damaged or have the wrong extension; open it and save it again as .docx"


def _has_ancestor(element: Any, tag: str) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.getparent()
    return False


def _docx_runs(element: Any, qn: Any) -> Iterable[str]:
    """The visible text of one paragraph element: text, tabs, breaks; not deleted text."""
    w_t, w_p = qn("w:t"), qn("w:p")
    breaks = {qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:tab"): "\t"}
    hyphens = {qn("w:noBreakHyphen"): "-", qn("w:softHyphen"): ""}
    for child in element:
        tag = child.tag
        if tag == w_p:
            continue
        if tag == w_t:
            yield child.text or ""
        elif tag in breaks:
            yield breaks[tag]
        elif tag in hyphens:
            yield hyphens[tag]
        else:
            yield from _docx_runs(child, qn)


class OdtReader:
    """OpenDocument text (.odt): headings and paragraphs in order, tables and lists included."""

    suffixes = (".odt",)

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        check_size(path, options)
        from odf.opendocument import load

        try:
            document = load(str(path))
            body = document.text
            title = _odf_title(document)
        except Exception as exc:  # odfpy raises zip, XML and key errors alike
            raise _corrupt(path, ".odt", exc, _RESAVE.replace(".docx", ".odt")) from exc
        paragraphs: list[str] = []
        headings: list[str] = []
        _odf_blocks(body, paragraphs, headings)
        metadata = {"format": "odt"}
        if title or headings:
            metadata["title"] = title or headings[0]
        return _one_text(path, "\n\n".join(p for p in paragraphs if p.strip()), metadata)


_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _odf_title(document: Any) -> str:
    for node in getattr(document.meta, "childNodes", []):
        if getattr(node, "qname", None) == ("http://purl.org/dc/elements/1.1/", "title"):
            return str(node).strip()
    return ""


def _odf_blocks(node: Any, paragraphs: list[str], headings: list[str]) -> None:
    for child in node.childNodes:
        qname = getattr(child, "qname", None)
        if qname in ((_TEXT_NS, "p"), (_TEXT_NS, "h")):
            text = "".join(_odf_inline(child)).strip()
            paragraphs.append(text)
            if qname[1] == "h" and text:
                headings.append(text)
        elif qname is not None and qname[1] not in ("tracked-changes", "sequence-decls"):
            _odf_blocks(child, paragraphs, headings)


def _odf_inline(node: Any) -> Iterable[str]:
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            yield child.data
            continue
        ns, name = getattr(child, "qname", (None, None))
        if ns == _TEXT_NS and name == "s":
            yield " " * int(child.getAttribute("c") or 1)
        elif ns == _TEXT_NS and name == "tab":
            yield "\t"
        elif ns == _TEXT_NS and name == "line-break":
            yield "\n"
        elif (ns, name) in ((_OFFICE_NS, "annotation"), (_TEXT_NS, "note")):
            continue  # comments and footnotes would cut through the sentence they sit in
        else:
            yield from _odf_inline(child)


class PdfReader:
    """PDF with a text layer; pages joined with a blank line."""

    suffixes = (".pdf",)

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        check_size(path, options)
        import pypdf

        fix = "it may be damaged or only partly downloaded; open and export it again as PDF"
        try:
            pdf = pypdf.PdfReader(str(path))
            if pdf.is_encrypted and not pdf.decrypt(""):
                raise UnreadableFile(
                    str(path), "the PDF is password-protected; save an unprotected copy"
                )
            pages = [page.extract_text() or "" for page in pdf.pages]
            title = str((pdf.metadata or {}).get("/Title") or "").strip()
        except UnreadableFile:
            raise
        except Exception as exc:  # pypdf raises its own, zlib, struct and key errors
            raise _corrupt(path, "PDF", exc, fix) from exc
        text = "\n\n".join(pages)
        if not text.strip():
            raise UnreadableFile(str(path), "no text layer (scanned PDF?); run OCR first")
        metadata = {"format": "pdf", "pages": str(len(pages))}
        if title:
            metadata["title"] = title
        return [RawText(None, text, metadata)]


_CUE_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_CUE_TIMING = re.compile(rf"\s*({_CUE_TIME})\s*-->\s*({_CUE_TIME})")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)*\s+([^>]*)>")
_CUE_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_NAME_JUNK = re.compile(r"[^\w '’.-]+")
# Cues without a speaker label are grouped into paragraphs at pauses at least this long.
_PAUSE_SECONDS = 2.0


@dataclass(slots=True)
class _Cue:
    start: float
    end: float
    timestamp: str
    fragments: list[tuple[str | None, str]]


class SubtitleReader:
    """WebVTT (.vtt) and SubRip (.srt) transcripts, rendered as timestamped speaker turns.

    Consecutive cues of one speaker become one turn, written ``[00:00:01.000] Name: text``;
    turns are separated by a blank line. A cue without a speaker continues the previous one.
    """

    suffixes = (".vtt", ".srt")

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        text, encoding = decode_text(_read_bytes(path, options), path)
        cues = parse_cues(text)
        if not cues:
            raise UnreadableFile(
                str(path),
                "no subtitle cues found (expected timing lines like "
                "'00:00:01.000 --> 00:00:04.000'); check that the file is WebVTT or SRT",
            )
        metadata = {"format": path.suffix.lower().lstrip("."), "encoding": encoding}
        metadata["timestamps"] = "cue"
        return _one_text(path, render_cues(cues), metadata)


def parse_cues(text: str) -> list[_Cue]:
    """Cues of a WebVTT or SRT file, with each payload line's speaker if it names one."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[_Cue] = []
    in_payload = False
    for i, line in enumerate(lines):
        timing = _CUE_TIMING.match(line)
        if timing:
            start, end = _seconds(timing.group(1)), _seconds(timing.group(2))
            cues.append(_Cue(start, end, _clock(start), []))
            in_payload = True
        elif not line.strip():
            in_payload = False
        elif in_payload:
            # A cue number straight after a cue without the blank line between them.
            if line.strip().isdigit() and i + 1 < len(lines) and _CUE_TIMING.match(lines[i + 1]):
                continue
            fragment = _cue_fragment(line)
            if fragment[0] or fragment[1]:
                cues[-1].fragments.append(fragment)
    return cues


def _cue_fragment(line: str) -> tuple[str | None, str]:
    voice = _VOICE.search(line)
    speaker = _speaker_name(voice.group(1)) if voice else None
    words = html.unescape(_CUE_TAG.sub("", line)).strip()
    if words[:2] in ("- ", "– "):  # dialogue dash: a change of speaker we cannot name
        words = words[2:].strip()
    if speaker is None:
        label = parse_label(words)
        if label and not label.timestamp and not is_not_speaker(label.speaker):
            speaker, words = label.speaker, words[label.content_offset :]
    return speaker, words


def _speaker_name(raw: str) -> str | None:
    """A voice name in the shape ``turns.parse_label`` accepts after a timestamp, or None."""
    name = " ".join(_NAME_JUNK.sub(" ", html.unescape(raw)).split())
    if not name:
        return None
    name = name[0].upper() + name[1:]
    return name if parse_label(f"[00:00] {name}: x") else None


def render_cues(cues: list[_Cue]) -> str:
    """Merge cues into speaker turns and write them as canonical text."""
    blocks: list[tuple[str | None, str, list[str]]] = []
    speaker: str | None = None
    last_end: float | None = None
    for cue in cues:
        pause = last_end is not None and cue.start - last_end >= _PAUSE_SECONDS
        for named, words in cue.fragments:
            speaker = named or speaker
            if blocks and blocks[-1][0] == speaker and not (speaker is None and pause):
                blocks[-1][2].append(words)
            else:
                blocks.append((speaker, cue.timestamp, [words]))
            pause = False
        last_end = cue.end
    out = []
    for name, timestamp, parts in blocks:
        body = " ".join(p for p in parts if p)
        if body:
            out.append(f"[{timestamp}] {name}: {body}" if name else body)
    return "\n\n".join(out)


def _seconds(stamp: str) -> float:
    clock, _, fraction = stamp.replace(",", ".").partition(".")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    return hours * 3600 + minutes * 60 + seconds + int(fraction.ljust(3, "0")[:3]) / 1000


def _clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


class CsvReader:
    """Survey open answers in a CSV file (comma, semicolon or tab separated): one text per row."""

    suffixes = (".csv", ".tsv")

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        text, encoding = decode_text(_read_bytes(path, options), path)
        try:
            rows = read_csv_rows(text)
        except csv.Error as exc:
            raise _corrupt(path, "CSV", exc, "open it in a spreadsheet and save as CSV") from exc
        return _survey_rows(path, rows, options, {"format": "csv", "encoding": encoding})


def read_csv_rows(text: str) -> list[list[str]]:
    """Parse CSV text, picking the delimiter (, ; or tab) that splits the header row most."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(
        (",", ";", "\t"),
        key=lambda d: len(next(csv.reader([header], delimiter=d), [])),
    )
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


class XlsxReader:
    """Survey open answers in an Excel workbook (.xlsx): one text per row of one sheet."""

    suffixes = (".xlsx", ".xlsm")

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        check_size(path, options)
        import openpyxl

        fix = "it may be damaged or an old .xls; open it in Excel and save it as .xlsx"
        try:
            workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zip, XML and its own errors alike
            raise _corrupt(path, ".xlsx", exc, fix) from exc
        try:
            if options.sheet is not None and options.sheet not in workbook.sheetnames:
                sheets = ", ".join(repr(s) for s in workbook.sheetnames)
                raise UnreadableFile(
                    str(path), f"no sheet {options.sheet!r} (sheets: {sheets}); set --sheet"
                )
            sheet = workbook[options.sheet] if options.sheet else workbook.worksheets[0]
            rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            title = sheet.title
        except UnreadableFile:
            raise
        except Exception as exc:
            raise _corrupt(path, ".xlsx", exc, fix) from exc
        finally:
            workbook.close()
        return _survey_rows(path, rows, options, {"format": "xlsx", "sheet": title})


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


_RESERVED_KEYS = frozenset({"format", "encoding", "sheet", "row", "path", "title", "case_source"})


def _survey_rows(
    path: Path, rows: list[list[str]], options: IngestOptions, base: dict[str, str]
) -> list[RawText]:
    """One RawText per row with a non-empty answer; other columns go into its metadata."""
    start = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if start is None:
        raise UnreadableFile(str(path), "empty file (no header row); add the answers or remove it")
    header = [c.strip().lstrip("\ufeff") for c in rows[start]]
    text_col = _column(path, header, options.text_column, "--text-column")
    id_col = _column(path, header, options.id_column, "--id-column")
    case_col = _column(path, header, options.case_column, "--case-column")
    texts: list[RawText] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[start + 1 :], start=1):
        cells = row + [""] * (len(header) - len(row))
        answer = cells[text_col]
        if not answer.strip():
            continue
        key = str(number) if id_col is None else cells[id_col].strip()
        if not key:
            raise UnreadableFile(
                str(path),
                f"row {number} has no value in the id column {header[id_col]!r}; fill it in, "
                "or leave out --id-column to number the rows",
            )
        if key in seen:
            raise UnreadableFile(
                str(path),
                f"id {key!r} occurs twice in column {header[id_col]!r} (rows {seen[key]} and "
                f"{number}); make the ids unique or leave out --id-column",
            )
        seen[key] = number
        metadata = {**base, "row": str(number)}
        for i, name in enumerate(header):
            if i != text_col and name and name not in _RESERVED_KEYS and cells[i].strip():
                metadata.setdefault(name, cells[i].strip())
        case = cells[case_col].strip() or None if case_col is not None else None
        texts.append(RawText(key, answer, metadata, case))
    if not texts:
        raise UnreadableFile(
            str(path), f"no answers: column {header[text_col]!r} is empty in every row"
        )
    return texts


def _column(path: Path, header: list[str], name: str | None, flag: str) -> int | None:
    """Index of column ``name`` (exact, else case-insensitive) or UnreadableFile saying so."""
    if name is None:
        return None
    if name in header:
        return header.index(name)
    folded = [i for i, h in enumerate(header) if h.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    columns = ", ".join(repr(h) for h in header if h) or "none"
    raise UnreadableFile(
        str(path), f"no column {name!r} (columns: {columns}); name the right column with {flag}"
    )


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
