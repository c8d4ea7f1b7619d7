"""Plain text and Markdown readers, and ``markdown_to_text``."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.config import IngestOptions
from pipeline.ingest.readers.base import RawText, _one_text, _read_bytes, decode_text
from pipeline.ingest.turns import is_not_speaker, is_role, parse_label


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

