"""Import a REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder, f4...) into a Kwali study.

Text sources become documents (their plain text exactly as in the file, so positions stay
valid), plain-text selections become segments (``text == document.text[start:end]``), the
code tree becomes ``codebook.yaml``, and every coding becomes an accepted ``Decision`` by its
user, so reliability and matrices work on the other tool's coding. Cases keep their variables.
What cannot be used (sources without text, selections outside the text, codes not in the
codebook, picture/PDF/media selections) is counted and reported, never a crash.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.exchange.code_tree import ImportedCodes, codes_to_codebook
from pipeline.exchange.codebook_io import write_codebook_yaml
from pipeline.exchange.qdpx_export import MACHINE_USER
from pipeline.errors import InvalidInput
from pipeline.exchange.qdpx_reader import OpenedProject, decode_text, open_project
from pipeline.exchange.study import IMPORTED_CODEBOOK, STORE_FILE
from pipeline.models import Decision, Document, Segment, Turn, Unit, Verdict, stable_id
from pipeline.store import Store, dumps

MAP_FILE = "exchange_map.json"
UNKNOWN_USER = "unknown"


@dataclass
class ImportSummary:
    """Counts of what was read and what was stored, plus warnings to show the user."""

    study: Path
    origin: str | None
    codes: int = 0
    themes: int = 0
    kwali_codes: int = 0
    sources: int = 0
    documents: int = 0
    sources_without_text: int = 0
    selections: int = 0
    segments: int = 0
    codings: int = 0
    decisions: int = 0
    codings_without_text: int = 0
    bad_selections: int = 0
    codings_unknown_code: int = 0
    users: int = 0
    cases: int = 0
    notes: int = 0
    other_selections: int = 0
    codebook: Path | None = None
    warnings: list[str] = field(default_factory=list)


def _doc_ids(names: list[tuple[str, str]]) -> dict[str, str]:
    """Source GUID -> document id: the source's name, made unique with '#2', '#3'."""
    counts = Counter(name for _, name in names)
    ids, seen = {}, Counter()
    for guid, name in names:
        seen[name] += 1
        ids[guid] = name if counts[name] == 1 else f"{name}#{seen[name]}"
    return ids


def import_qdpx(path: str | Path, study_dir: str | Path) -> ImportSummary:
    """Read a .qdpx (or bare .qde/.xml) into the store ``study_dir/kwali.sqlite``.

    Args:
        path: The project file.
        study_dir: Folder for the store, ``codebook.yaml`` and ``exchange_map.json``
            (original GUIDs and names of codes, sources and users).

    Returns:
        What was read and stored, with warnings.

    Raises:
        InvalidExchangeFile: The file is not a readable REFI-QDA project.
    """
    path = Path(path)
    study = Path(study_dir)
    _check_target(study, path.name)
    opened = open_project(path)
    try:
        return _import(opened, path, study)
    finally:
        opened.close()


def _check_target(study: Path, file_name: str) -> None:
    """Refuse a folder whose store holds documents from elsewhere: importing would replace them."""
    db = study / STORE_FILE
    if not db.is_file():
        return
    store = Store(f"sqlite:///{db.resolve()}")
    try:
        ids = list(store.document_state())
        foreign = [r.document_id for r in store.documents_frame(ids).itertuples()
                   if (r.meta or {}).get("imported_from") != file_name]
    finally:
        store.close()
    if foreign:
        raise InvalidInput(f"{study}: this study already holds {len(foreign)} document(s) that did not come from "
                           f"{file_name} (e.g. {foreign[0]!r}); importing would replace their segments and "
                           "decisions (fix: import into a new folder with --study)")


def _import(opened: OpenedProject, path: Path, study: Path) -> ImportSummary:
    project = opened.project
    study.mkdir(parents=True, exist_ok=True)
    summary = ImportSummary(study=study, origin=project.origin, warnings=list(opened.warnings))
    source_tag = f"import:{path.name}"
    summary.codes = len(project.all_codes())
    summary.sources = len(project.sources)
    summary.selections = sum(len(s.selections) for s in project.sources)
    summary.codings = sum(len(sel.codings) for s in project.sources for sel in s.selections)
    summary.other_selections = project.other_selections
    if project.other_sources:
        summary.warnings.append(f"{project.other_sources} picture/PDF/audio/video source(s) with "
                                f"{project.other_selections} selection(s) skipped: Kwali reads text sources only")

    coded = {c.code_guid for s in project.sources for sel in s.selections for c in sel.codings}
    imported: ImportedCodes | None = None
    if project.codes:
        imported = codes_to_codebook(project.codes, book_id=project.name or path.stem,
                                     label=project.name or path.stem, source=path.name, coded_guids=coded)
        summary.codebook = write_codebook_yaml(imported.codebook, study / IMPORTED_CODEBOOK)
        summary.themes = len(imported.codebook.themes)
        summary.kwali_codes = len(imported.codebook.codes)
        summary.warnings += imported.warnings
    else:
        summary.warnings.append("the project has no codebook: codings cannot be imported")
    code_of = imported.code_of_guid if imported else {}

    store = Store(f"sqlite:///{(study / STORE_FILE).resolve()}")
    try:
        if imported:
            store.save_codebook(imported.codebook)
        machine = (project.origin or "").startswith("Kwali")
        users: dict[str, str] = {}

        def user_of(guid: str | None) -> str:
            name = project.users.get(guid or "", guid or UNKNOWN_USER)
            if name not in users:
                store.ensure_user(name, "machine" if machine and name == MACHINE_USER else "imported")
                users[name] = guid or ""
            return name

        for guid in project.users:
            user_of(guid)  # every user of the project, also those without text codings here
        case_of = {g: c.name for c in project.cases for g in c.source_guids}
        if project.cases:
            store.save_cases({c.name: dict(c.values) for c in project.cases})
        summary.cases = len(project.cases)
        doc_ids = _doc_ids([(s.guid, s.name) for s in project.sources])
        notes_text = {}
        for guid, note in project.notes.items():
            text = note.text
            if text is None and note.plain_text_path:
                raw = opened.fetch(note.plain_text_path)
                text = decode_text(raw) if raw is not None else None
            notes_text[guid] = text
        summary.notes = len(project.notes)
        missing_notes = sum(t is None for t in notes_text.values())
        if missing_notes:
            summary.warnings.append(f"{missing_notes} note(s) have no text in the file; their memos are empty")
        fingerprint = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        missing_sources = []
        decisions: dict[tuple[str, str, str], Decision] = {}
        for source in project.sources:
            text = source.text
            if text is None and source.plain_text_path:
                raw = opened.fetch(source.plain_text_path)
                if raw is not None:
                    try:
                        text = decode_text(raw)
                    except UnicodeDecodeError:
                        summary.warnings.append(f"source {source.name!r}: text is not UTF-8; skipped")
            if text is None:
                missing_sources.append(source.name)
                summary.codings_without_text += sum(len(sel.codings) for sel in source.selections)
                continue
            doc_id = doc_ids[source.guid]
            case_id = case_of.get(source.guid, doc_id)
            doc = Document(id=doc_id, case_id=case_id, text=text, turns=[Turn(0, len(text))] if text else [],
                           sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                           metadata={"format": "refi-qda", "source_guid": source.guid, "imported_from": path.name,
                                     "origin": project.origin or "", "title": source.name,
                                     "case_source": "refi" if source.guid in case_of else "own"})
            spans: dict[tuple[int, int], str] = {}
            for sel in source.selections:
                if not (0 <= sel.start < sel.end <= len(text)):
                    summary.bad_selections += 1
                    continue
                spans.setdefault((sel.start, sel.end), stable_id(doc_id, "refi", str(sel.start), str(sel.end)))
            segs = [Segment(id=sid, document_id=doc_id, case_id=case_id, index=i, start=s, end=e, text=text[s:e],
                            unit=Unit.TURN) for i, ((s, e), sid) in enumerate(sorted(spans.items()))]
            store.save_document(doc, segs, f"import:{fingerprint}")
            summary.documents += 1
            summary.segments += len(segs)
            for sel in source.selections:
                seg_id = spans.get((sel.start, sel.end))
                if seg_id is None:
                    continue
                for coding in sel.codings:
                    code_id = code_of.get(coding.code_guid)
                    if code_id is None:
                        summary.codings_unknown_code += 1
                        continue
                    coder = user_of(coding.user_guid)
                    memo_parts = [notes_text.get(g) for g in coding.notes]
                    memo_parts += [notes_text.get(g) for g in sel.notes
                                   if project.notes.get(g) and project.notes[g].user_guid in (None, coding.user_guid)]
                    memo = "\n\n".join(m for m in memo_parts if m) or None
                    decisions[(seg_id, code_id, coder)] = Decision(seg_id, code_id, coder, Verdict.ACCEPT, memo=memo,
                                                                   source=source_tag)
        summary.decisions = store.add_decisions(list(decisions.values()))
        summary.users = len(users)
        summary.sources_without_text = len(missing_sources)
        if missing_sources:
            shown = ", ".join(repr(n) for n in missing_sources[:5]) + (" ..." if len(missing_sources) > 5 else "")
            summary.warnings.append(
                f"{len(missing_sources)} source(s) have no text in {opened.where}: {shown}; their "
                f"{summary.codings_without_text} coding(s) were not imported (the codebook was). Fix: import the "
                ".qdpx the tool exported (it holds the texts), or put the .txt files in a sources/ folder")
        if summary.bad_selections:
            summary.warnings.append(f"{summary.bad_selections} selection(s) lie outside their source text; skipped")
        if summary.codings_unknown_code:
            summary.warnings.append(f"{summary.codings_unknown_code} coding(s) point to codes not in the codebook; "
                                    "skipped")
        (study / MAP_FILE).write_text(dumps({
            "file": path.name, "origin": project.origin, "project": project.name,
            "codes": imported.mapping if imported else [],
            "sources": {s.guid: {"name": s.name, "document_id": doc_ids[s.guid]} for s in project.sources},
            "users": project.users,
        }) + "\n", encoding="utf-8")
    finally:
        store.close()
    return summary


def summary_json(summary: ImportSummary) -> str:
    """The summary as JSON (paths as text)."""
    return json.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in summary.__dict__.items()},
                      ensure_ascii=False, indent=2)
