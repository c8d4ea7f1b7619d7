"""Open a REFI-QDA project from a .qdpx zip or a bare .qde/.xml file, with its plain texts.

Vendors differ: the project file may be ``project.qde`` or e.g. ``Trial.qde`` (ATLAS.ti), text
paths may be ``internal://x.txt``, ``relative://...`` or Windows paths with backslashes, and
text files may start with a byte-order mark. Texts are found by file name, case-insensitively,
inside the zip or in a ``sources/`` folder beside a bare .qde.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from pipeline.exchange.qde_model import QdaProject
from pipeline.exchange.qde_xml import InvalidExchangeFile, parse_xml, read_project, syntax_error

MAX_QDE_BYTES = 512 * 1024 * 1024


@dataclass
class OpenedProject:
    """A parsed project and a way to fetch the plain texts it points to.

    Attributes:
        project: The parsed project.
        fetch: ``plainTextPath`` -> bytes, or None when the file is not there.
        where: Where texts were looked for (for messages).
        warnings: Problems met while opening.
    """

    project: QdaProject
    fetch: Callable[[str], bytes | None]
    where: str
    warnings: list[str] = field(default_factory=list)
    close: Callable[[], None] = lambda: None


def text_key(plain_text_path: str) -> str:
    """The file name a plainTextPath points to, lower case ("internal://AB.txt" -> "ab.txt")."""
    body = plain_text_path.split("://", 1)[-1].replace("\\", "/")
    return PurePosixPath(body).name.lower()


def decode_text(data: bytes) -> str:
    """Plain text bytes as str: UTF-8 (the standard), tolerating a BOM and UTF-16 with BOM.

    Line ends are kept as they are: positions count every code point, CR included.

    Raises:
        UnicodeDecodeError: Not UTF-8 or UTF-16 text.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _parse(data: bytes, shown: str) -> QdaProject:
    try:
        root = parse_xml(data, shown)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, shown) from None
    if root.tag != "Project":
        raise InvalidExchangeFile(f"{shown}: the root element is <{root.tag}>, not <Project> (fix: give a REFI-QDA "
                                  "project: a .qdpx file, or the project.qde inside one)")
    try:
        return read_project(root)
    except (TypeError, ValueError) as exc:
        raise InvalidExchangeFile(f"{shown}: unreadable project ({exc}) (fix: export the project again)") from None


def open_project(path: str | Path) -> OpenedProject:
    """Open a .qdpx (zip) or a bare .qde/.xml project file.

    Raises:
        InvalidExchangeFile: Missing, corrupt, not a zip or XML, no single .qde inside, not XML.
    """
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise InvalidExchangeFile(f"{shown}: file not found (fix: check the path)")
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK"):
        return _open_zip(path)
    data = path.read_bytes()
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise InvalidExchangeFile(f"{shown}: neither a .qdpx (zip) nor a .qde (XML) file (fix: export a REFI-QDA "
                                  "project (.qdpx) from NVivo, ATLAS.ti, MAXQDA or QualCoder)")
    project = _parse(data, shown)
    folder = next((path.parent / n for n in ("sources", "Sources") if (path.parent / n).is_dir()), None)
    index = {p.name.lower(): p for p in folder.iterdir() if p.is_file()} if folder else {}

    def fetch(plain_text_path: str) -> bytes | None:
        found = index.get(text_key(plain_text_path))
        return found.read_bytes() if found else None

    opened = OpenedProject(project, fetch, str(folder) if folder else f"{path.parent} (no sources/ folder)")
    if folder is None and any(s.text is None for s in project.sources):
        opened.warnings.append(f"{shown} is a bare project file and there is no sources/ folder beside it: "
                               "the texts of its sources are missing")
    return opened


def _open_zip(path: Path) -> OpenedProject:
    """Open a .qdpx; the caller closes it with ``OpenedProject.close``."""
    shown = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InvalidExchangeFile(f"{shown}: corrupt zip file ({exc}) (fix: export the .qdpx again)") from None
    try:
        return _read_zip(zf, shown)
    except BaseException:
        zf.close()
        raise


def _read_zip(zf: zipfile.ZipFile, shown: str) -> OpenedProject:
    try:
        names = [i for i in zf.infolist() if not i.is_dir()]
        bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InvalidExchangeFile(f"{shown}: corrupt zip file ({exc}) (fix: export the .qdpx again)") from None
    if bad is not None:
        raise InvalidExchangeFile(f"{shown}: corrupt zip file ({bad} is damaged) (fix: export the .qdpx again)")
    qdes = [i for i in names if i.filename.lower().endswith(".qde")]
    chosen = next((i for i in qdes if PurePosixPath(i.filename.replace("\\", "/")).name.lower() == "project.qde"), None)
    if chosen is None and len(qdes) == 1:
        chosen = qdes[0]  # e.g. ATLAS.ti's Trial.qde
    if chosen is None:
        listed = ", ".join(i.filename for i in qdes) or "none"
        raise InvalidExchangeFile(f"{shown}: expected one .qde project file inside, found {listed} (fix: give a "
                                  "REFI-QDA project exported by a QDA tool)")
    if chosen.file_size > MAX_QDE_BYTES:
        raise InvalidExchangeFile(f"{shown}: {chosen.filename} is larger than {MAX_QDE_BYTES >> 20} MB")
    project = _parse(zf.read(chosen), f"{shown}!{chosen.filename}")
    index = {PurePosixPath(i.filename.replace("\\", "/")).name.lower(): i for i in names if i is not chosen}

    def fetch(plain_text_path: str) -> bytes | None:
        info = index.get(text_key(plain_text_path))
        return zf.read(info) if info else None

    return OpenedProject(project, fetch, f"{shown} (Sources/)", close=zf.close)
