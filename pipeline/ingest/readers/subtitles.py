"""Subtitle transcripts (WebVTT, SRT): ``parse_cues``, ``render_cues`` and ``SubtitleReader``."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import IngestOptions
from pipeline.errors import UnreadableFile
from pipeline.ingest.readers.base import RawText, _one_text, _read_bytes, decode_text
from pipeline.ingest.turns import is_not_speaker, parse_label

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
