"""Export a study as a REFI-QDA project (.qdpx) that NVivo, ATLAS.ti, MAXQDA and QualCoder open.

The .qdpx is a zip with ``project.qde`` and ``Sources/<guid>.txt`` (each document's normalised
text, UTF-8). Every coded segment is a ``PlainTextSelection`` whose positions are the segment's
offsets: REFI positions count Unicode code points, as Python strings do, so they carry over
unchanged. Machine proposals are codings by the user "kwali"; each coder's current accepted
decisions are codings by that coder; decision memos are notes. GUIDs are derived from stable
ids and the zip has fixed timestamps, so exporting the same study twice gives the same bytes.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from pipeline import __version__
from pipeline.codebook import Codebook
from pipeline.exchange.code_tree import code_guid, codebook_to_codes
from pipeline.exchange.qde_model import QdaCase, QdaCoding, QdaNote, QdaProject, QdaSelection, QdaSource, kwali_guid
from pipeline.exchange.qde_xml import write_project
from pipeline.exchange.study import Study
from pipeline.models import Verdict
from pipeline.store import documents

MACHINE_USER = "kwali"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ExportSummary:
    """What went into the .qdpx."""

    path: Path
    sources: int
    selections: int
    machine_codings: int
    human_codings: int
    users: int
    cases: int
    notes: int
    unknown_codes: int


def _user(project: QdaProject, name: str) -> str:
    guid = kwali_guid("user", name)
    project.users.setdefault(guid, name)
    return guid


def build_project(study: Study) -> tuple[QdaProject, dict[str, str], int]:
    """The study as a ``QdaProject``, the plain texts by zip entry name, and the number of codings
    skipped because their code is not in the codebook (stale tags or decisions)."""
    book: Codebook = study.codebook
    project = QdaProject(name=study.name, origin=f"Kwali {__version__}")
    known = {c.id for c in book.codes}
    project.codes = codebook_to_codes(book)
    _user(project, MACHINE_USER)
    store = study.store
    doc_ids = study.document_ids
    decisions = store.decisions_frame(doc_ids)
    for coder in sorted(set(decisions["coder"])):
        _user(project, coder)
    tags = store.tags_frame(doc_ids, study.codebook_sha256) if study.codebook_sha256 else None
    machine: dict[str, list[str]] = {}
    if tags is not None:
        for row in tags.itertuples():
            machine.setdefault(row.segment_id, []).append(row.code_id)
    human: dict[str, list] = {}
    for row in decisions.itertuples():
        human.setdefault(row.segment_id, []).append(row)
    unknown = 0
    texts: dict[str, str] = {}
    with store.engine.connect() as conn:
        doc_rows = {r.id: r for r in conn.execute(select(documents.c.id, documents.c.case_id, documents.c.text)
                                                  .where(documents.c.id.in_(doc_ids)))}
    segments = store.segments_frame(doc_ids)
    by_doc = {d: frame for d, frame in segments.groupby("document_id")} if not segments.empty else {}
    for doc_id in doc_ids:
        guid = kwali_guid("source", doc_id)
        source = QdaSource(guid=guid, name=doc_id, plain_text_path=f"internal://{guid}.txt")
        texts[f"Sources/{guid}.txt"] = doc_rows[doc_id].text
        frame = by_doc.get(doc_id)
        rows = frame.sort_values(["start", "end", "idx"]).itertuples() if frame is not None else []
        for seg in rows:
            sel = QdaSelection(guid=kwali_guid("selection", seg.segment_id), start=int(seg.start), end=int(seg.end))
            for code_id in sorted(set(machine.get(seg.segment_id, []))):
                if code_id not in known:
                    unknown += 1
                    continue
                sel.codings.append(QdaCoding(guid=kwali_guid("coding", seg.segment_id, code_id, MACHINE_USER),
                                             code_guid=code_guid(book, code_id),
                                             user_guid=_user(project, MACHINE_USER)))
            for dec in sorted(human.get(seg.segment_id, []), key=lambda d: (d.coder, d.code_id)):
                note_guid = None
                memo = dec.memo if isinstance(dec.memo, str) and dec.memo.strip() else None  # NaN from pandas
                if memo:
                    note_guid = kwali_guid("note", seg.segment_id, dec.code_id, dec.coder)
                    label = next((c.label for c in book.codes if c.id == dec.code_id), dec.code_id)
                    project.notes[note_guid] = QdaNote(guid=note_guid, name=f"Memo {dec.coder}: {label}",
                                                       text=memo, user_guid=_user(project, dec.coder))
                if dec.verdict != Verdict.ACCEPT.value or dec.code_id not in known:
                    unknown += dec.code_id not in known
                    if note_guid:
                        sel.notes.append(note_guid)  # a memo on a rejection stays with the selection
                    continue
                sel.codings.append(QdaCoding(guid=kwali_guid("coding", seg.segment_id, dec.code_id, dec.coder),
                                             code_guid=code_guid(book, dec.code_id),
                                             user_guid=_user(project, dec.coder),
                                             notes=[note_guid] if note_guid else []))
            if sel.codings or sel.notes:
                source.selections.append(sel)
        project.sources.append(source)
    cases = store.cases_frame(sorted({r.case_id for r in doc_rows.values()}))
    attrs = {r["case_id"]: {k: v for k, v in r.items() if k != "case_id" and isinstance(v, str)}
             for r in cases.to_dict("records")}
    names = sorted({k for a in attrs.values() for k in a})
    project.variables = {kwali_guid("variable", n): n for n in names}
    for case_id in sorted({r.case_id for r in doc_rows.values()}):
        if case_id in doc_rows and case_id not in attrs:
            continue  # a document that is its own case (not in cases.csv) is no case for other tools
        values = attrs.get(case_id, {})
        project.cases.append(QdaCase(guid=kwali_guid("case", case_id), name=case_id,
                                     values={k: values[k] for k in names if k in values},
                                     source_guids=[kwali_guid("source", d) for d in doc_ids
                                                   if doc_rows[d].case_id == case_id]))
    return project, texts, unknown


def export_qdpx(study_dir: str | Path, out: str | Path) -> ExportSummary:
    """Write a study folder (kwali.sqlite + run_config.json) as a .qdpx file.

    Args:
        study_dir: A run's output folder, or a folder made by ``import_qdpx``.
        out: The .qdpx file to write.

    Raises:
        InvalidInput: The folder holds no Kwali study.
    """
    out = Path(out)
    with Study.open(study_dir) as study:
        project, texts, unknown = build_project(study)
    user_order = [kwali_guid("user", MACHINE_USER)] + sorted(
        (g for g, n in project.users.items() if n != MACHINE_USER), key=lambda g: project.users[g])
    qde = write_project(project, user_order)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [("project.qde", qde)] + [(n, texts[n].encode("utf-8")) for n in sorted(texts)]:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    tmp.replace(out)
    selections = [s for src in project.sources for s in src.selections]
    machine_guid = kwali_guid("user", MACHINE_USER)
    codings = [c for s in selections for c in s.codings]
    return ExportSummary(out, len(project.sources), len(selections),
                         sum(c.user_guid == machine_guid for c in codings),
                         sum(c.user_guid != machine_guid for c in codings), len(project.users), len(project.cases),
                         len(project.notes), unknown)
