"""A study folder as the exchange code sees it: its store, codebook and documents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from pipeline.codebook import Codebook, load_codebook
from pipeline.errors import InvalidInput
from pipeline.store import Store, codebooks, documents, runs

STORE_FILE = "kwali.sqlite"
RUN_CONFIG = "run_config.json"
IMPORTED_CODEBOOK = "codebook.yaml"


@dataclass
class Study:
    """An open study: the store, the codebook of its latest run and the documents it covers.

    Attributes:
        folder: The study folder.
        name: Study name (the corpus folder's name, else the study folder's).
        store: The open store; close it with ``close`` (or use the study as a context manager).
        codebook: The codebook in use.
        codebook_sha256: The stored codebook version whose tags count, or None (imported study).
        document_ids: Documents of the latest run, or all documents when there is no run.
    """

    folder: Path
    name: str
    store: Store
    codebook: Codebook
    codebook_sha256: str | None
    document_ids: list[str]

    @classmethod
    def open(cls, folder: str | Path) -> Study:
        """Open a run's output folder (kwali.sqlite + run_config.json) or an imported study.

        Raises:
            InvalidInput: No store in the folder, or no codebook to go with it.
        """
        folder = Path(folder)
        db = folder / STORE_FILE
        if not db.is_file():
            raise InvalidInput(f"{folder}: no {STORE_FILE} here (fix: give the output folder of `kwali run`, "
                               "e.g. reports/demo, or a folder made by `kwali import qdpx`)")
        name = folder.resolve().name
        config_file = folder / RUN_CONFIG
        codebook_path = None
        if config_file.is_file():
            config = json.loads(config_file.read_text(encoding="utf-8"))
            name = Path(config.get("corpus") or name).name
            codebook_path = config.get("codebook")
        store = Store(f"sqlite:///{db.resolve()}")
        try:
            with store.engine.connect() as conn:
                run = conn.execute(select(runs.c.id, runs.c.codebook_sha256)
                                   .order_by((runs.c.status == "completed").desc(), runs.c.started_at.desc())).first()
                content = None
                if run is not None and run.codebook_sha256:
                    content = conn.execute(select(codebooks.c.content)
                                           .where(codebooks.c.sha256 == run.codebook_sha256)).scalar()
                all_docs = sorted(conn.execute(select(documents.c.id)).scalars())
            if content is not None:
                # the stored version is what the tags were made with, even if the YAML changed since
                book = Codebook.model_validate(content)
            elif (folder / IMPORTED_CODEBOOK).is_file():
                book = load_codebook(folder / IMPORTED_CODEBOOK)
            elif codebook_path and Path(codebook_path).is_file():
                book = load_codebook(codebook_path)
            else:
                raise InvalidInput(f"{folder}: no codebook found for this study (fix: put the codebook next to "
                                   f"{STORE_FILE} as {IMPORTED_CODEBOOK})")
            doc_ids = store.run_document_ids(run.id) if run is not None else all_docs
            return cls(folder, name, store, book, run.codebook_sha256 if run is not None else None,
                       doc_ids or all_docs)
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
