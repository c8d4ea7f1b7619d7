"""The review app's queries: versioned decision saves, user accounts, assignments and settings.

``ReviewStore`` is the study store (``pipeline.store.Store``) plus what only the review app needs,
so ``pipeline/store.py`` stays the pipeline's store. Everything here works on the same tables
(``pipeline.schema``) and the same database; the review rules themselves live in
``pipeline.review``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Index, create_engine, delete, event, exc, insert, select, update

from pipeline.codebook import Codebook
from pipeline.errors import StaleDecision
from pipeline.models import Decision, Document, Segment, Tag
from pipeline.review_queue import Order, QueueCache, order_query, reviewed_query
from pipeline.schema import assignments, codebooks, decisions, runs, settings, tags, users
from pipeline.store import Store, _now, _sqlite_pragmas

# The review app's look-ups, each by the column it filters on first: a segment's tags for the
# queue's uncertainty (with the score, so the index answers alone), a coder's current decisions
# (reviewed segments, progress, undo) and a coder's documents.
REVIEW_INDEXES = (
    Index("ix_tags_segment", tags.c.segment_id, tags.c.codebook_sha256, tags.c.score),
    Index("ix_decisions_coder", decisions.c.coder, decisions.c.superseded_by, decisions.c.verdict,
          decisions.c.segment_id),
    Index("ix_assignments_coder", assignments.c.coder, assignments.c.document_id),
)

# Connections for a server with ~20 coders: FastAPI runs each request in a worker thread (40 at
# most) and a request holds one connection at a time, so 20 + 20 never makes a request wait long.
POOL = {"pool_size": 20, "max_overflow": 20, "pool_timeout": 30}


# Rows every page reads that almost never change (the session's user, the coding mode, the latest
# codebook) are kept this many seconds. Changes made through this store show at once; changes from
# another process (``kwali users add``, a new run) within this time.
SHORT_TTL = 2.0
#: Settings key prefix of a user's revocation time (seconds since the epoch).
SESSIONS_AFTER = "sessions_after:"


class _Memo:
    """A small thread-safe cache of values with a time to live."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._values: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            found = self._values.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        value = load()
        with self._lock:
            self._values[key] = (now, value)
        return value

    def forget(self) -> None:
        with self._lock:
            self._values.clear()


def _begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event says BEGIN IMMEDIATE instead


class ReviewStore(Store):
    """A study store with the review app's queries.

    Review pages read through ``reader`` and write through ``writer``. On SQLite the writer is
    one connection whose transactions start with ``BEGIN IMMEDIATE``: concurrent saves queue in
    the pool (woken at once) instead of polling SQLite's busy handler, and no transaction has to
    upgrade a read lock half-way. Readers use WAL and never wait for the writer. On PostgreSQL
    both share one pool; reads run without a transaction.

    Args:
        url: SQLAlchemy URL of the study store.
        queue_ttl: Seconds a cached queue order is used before it is rebuilt (see
            ``pipeline.review_queue``).
    """

    def __init__(self, url: str, queue_ttl: float = 30.0):
        sqlite = url.startswith("sqlite")
        memory = sqlite and (url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url)
        super().__init__(url, **({} if memory else POOL))
        for index in REVIEW_INDEXES:
            index.create(self.engine, checkfirst=True)
        # Reads outside a transaction: on PostgreSQL a pooled read otherwise costs BEGIN and a
        # ROLLBACK on return, two extra round trips for every query of every page. (pysqlite
        # never opens a transaction for a SELECT anyway.) Writes keep their transactions.
        self.reader: Engine = self.engine if sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.writer: Engine = self.engine
        if sqlite and not memory:
            self.writer = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
            event.listen(self.writer, "connect", _sqlite_pragmas)
            event.listen(self.writer, "connect", _no_implicit_begin)
            event.listen(self.writer, "begin", _begin_immediate)
        self.queues = QueueCache(ttl=queue_ttl)
        self._codebooks: dict[str, Codebook] = {}
        self._memo = _Memo(SHORT_TTL)

    def close(self) -> None:
        """Release connections (both engines)."""
        super().close()
        self.writer.dispose()

    # --- the queue ---------------------------------------------------------------------------

    def queue_order(self, document_ids: Sequence[str], codebook_sha256: str | None, case_id: str = "",
                    code_id: str = "", decided_by: str | None = None) -> Order:
        """The uncertainty order of the documents' segments (cached; see ``review_queue.order_query``)."""
        key = ("order", tuple(document_ids), codebook_sha256, case_id, code_id, decided_by)

        def build() -> list[str]:
            with self.reader.connect() as conn:
                return conn.execute(order_query(document_ids, codebook_sha256, case_id, code_id,
                                                decided_by)).scalars().all()
        return self.queues.get(key, build)

    def reviewed(self, coder: str) -> set[str]:
        """Segments on which the coder has a current, not undone decision (always read fresh)."""
        with self.reader.connect() as conn:
            return set(conn.execute(reviewed_query(coder)).scalars().all())

    def latest_codebook(self) -> tuple[str, Codebook] | None:
        """As ``Store.latest_codebook``; each version is parsed once, the answer kept ``SHORT_TTL``."""
        return self._memo.get("codebook", self._latest_codebook)

    def _latest_codebook(self) -> tuple[str, Codebook] | None:
        with self.reader.connect() as conn:
            sha = conn.execute(select(runs.c.codebook_sha256).where(runs.c.codebook_sha256.is_not(None))
                               .order_by(runs.c.started_at.desc()).limit(1)).scalar()
            if sha is None:
                sha = conn.execute(select(codebooks.c.sha256).order_by(codebooks.c.created_at.desc())
                                   .limit(1)).scalar()
            book = self._codebooks.get(sha) if sha else None
            if sha and book is None:
                content = conn.execute(select(codebooks.c.content).where(codebooks.c.sha256 == sha)).scalar()
                if content is not None:
                    book = self._codebooks[sha] = Codebook.model_validate(content)
        return (sha, book) if book is not None else None

    # Writes through this store that change an order drop the cached orders.

    def save_document(self, document: Document, segment_list: Sequence[Segment], fingerprint: str) -> None:
        super().save_document(document, segment_list, fingerprint)
        self.queues.forget()

    def save_tags(self, document_id: str, tag_list: Sequence[Tag], codebook_sha256: str, fingerprint: str) -> None:
        super().save_tags(document_id, tag_list, codebook_sha256, fingerprint)
        self.queues.forget()

    def save_codebook(self, codebook: Codebook) -> str:
        sha = super().save_codebook(codebook)
        self._memo.forget()
        return sha

    def start_run(self, run_id: str, config: dict[str, Any], codebook_sha256: str, fingerprint: str,
                  version: str) -> None:
        super().start_run(run_id, config, codebook_sha256, fingerprint, version)
        self._memo.forget()

    def add_decisions(self, decision_list: Sequence[Decision]) -> int:
        stored = super().add_decisions(decision_list)
        self.queues.forget(_code_filtered)
        return stored

    def save_decision(self, decision: Decision, expected_version: int) -> int:
        """Store one decision only if the coder's current one still has ``expected_version``.

        ``expected_version`` is the version the coder saw (0: no decision yet). A concurrent save
        that got there first makes this one fail instead of silently replacing it.

        Returns:
            The new decision's version.

        Raises:
            StaleDecision: Someone saved this (segment, code, coder) in the meantime.
        """
        chain = (decisions.c.segment_id == decision.segment_id, decisions.c.code_id == decision.code_id,
                 decisions.c.coder == decision.coder)
        try:
            with self.writer.begin() as conn:
                if expected_version > 0:
                    # A write first: it takes the row (PostgreSQL) or database (SQLite) lock before
                    # any read, so the check and the claim cannot interleave with another save.
                    claimed = conn.execute(update(decisions).where(
                        *chain, decisions.c.superseded_by.is_(None), decisions.c.version == expected_version,
                    ).values(superseded_by=-1)).rowcount
                    if claimed != 1:
                        raise StaleDecision(decision.segment_id, decision.code_id, decision.coder)
                # expected_version 0 needs no read: any existing chain holds a version 1, so the
                # unique (segment, code, coder, version) index refuses this insert (IntegrityError).
                new_id = conn.execute(insert(decisions).values(
                    segment_id=decision.segment_id, code_id=decision.code_id, coder=decision.coder,
                    verdict=decision.verdict.value, polarity=decision.polarity.value if decision.polarity else None,
                    memo=decision.memo, source=decision.source, created_at=_now(), version=expected_version + 1,
                )).inserted_primary_key[0]
                if expected_version > 0:
                    conn.execute(update(decisions).where(*chain, decisions.c.superseded_by == -1)
                                 .values(superseded_by=new_id))
        except exc.IntegrityError:
            raise StaleDecision(decision.segment_id, decision.code_id, decision.coder) from None
        self.queues.forget(_code_filtered)
        return expected_version + 1

    def current_decisions(self, segment_ids: Sequence[str], coders: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Current decisions on some segments (optionally of some coders), as dicts."""
        query = select(decisions).where(decisions.c.segment_id.in_(list(segment_ids)),
                                        decisions.c.superseded_by.is_(None))
        if coders is not None:
            query = query.where(decisions.c.coder.in_(list(coders)))
        with self.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(decisions.c.id))]

    def set_user(self, name: str, role: str, password_hash: str | None) -> None:
        """Create a user or change an existing user's role and password.

        Changing an existing user ends all their sessions (a new password or role must not leave
        an old login standing).
        """
        with self.writer.begin() as conn:
            if conn.execute(select(users.c.name).where(users.c.name == name)).first():
                conn.execute(update(users).where(users.c.name == name).values(role=role, password_hash=password_hash))
                changed = True
            else:
                conn.execute(insert(users).values(name=name, role=role, password_hash=password_hash,
                                                  created_at=_now()))
                changed = False
        self._memo.forget()
        if changed:
            self.revoke_sessions(name)

    def revoke_sessions(self, name: str, before: float | None = None) -> None:
        """End every session of ``name`` issued before ``before`` (default: now)."""
        self.set_setting(f"{SESSIONS_AFTER}{name}", time.time() if before is None else before)

    def session_user(self, name: str) -> dict[str, Any] | None:
        """``user(name)`` kept ``SHORT_TTL`` seconds: the check every request of a session makes.

        The row carries ``sessions_after``: sessions issued before it are revoked (0.0 when
        the user never logged out).
        """
        def load() -> dict[str, Any] | None:
            row = self.user(name)
            if row is not None:
                row["sessions_after"] = float(self.get_setting(f"{SESSIONS_AFTER}{name}", 0.0))
            return row
        return self._memo.get(("user", name), load)

    def user(self, name: str) -> dict[str, Any] | None:
        """A user's row (name, role, password_hash, created_at), or None."""
        with self.reader.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return dict(row._mapping) if row else None

    def users_list(self) -> list[dict[str, Any]]:
        """All users with a login (leads and coders), by name."""
        with self.reader.connect() as conn:
            rows = conn.execute(select(users.c.name, users.c.role).where(users.c.role.in_(["lead", "coder"]))
                                .order_by(users.c.name))
            return [dict(r._mapping) for r in rows]

    def assign(self, document_ids: Iterable[str], coder: str, by: str) -> int:
        """Give a coder documents to review; already assigned ones are left as they are.

        Returns:
            Number of new assignments.
        """
        with self.writer.begin() as conn:
            known = set(conn.execute(select(assignments.c.document_id).where(assignments.c.coder == coder)).scalars())
            new = [dict(document_id=d, coder=coder, assigned_by=by, created_at=_now())
                   for d in sorted(set(document_ids)) if d not in known]
            if new:
                conn.execute(insert(assignments), new)
        return len(new)

    def unassign(self, document_ids: Iterable[str], coder: str) -> None:
        """Take documents away from a coder (their decisions stay)."""
        with self.writer.begin() as conn:
            conn.execute(delete(assignments).where(assignments.c.coder == coder,
                                                   assignments.c.document_id.in_(list(document_ids))))

    def assignments_frame(self) -> pd.DataFrame:
        """All assignments: document_id, coder, assigned_by, created_at."""
        with self.reader.connect() as conn:
            rows = conn.execute(select(assignments).order_by(assignments.c.coder, assignments.c.document_id)).all()
        return pd.DataFrame([dict(r._mapping) for r in rows],
                            columns=["document_id", "coder", "assigned_by", "created_at"])

    def assigned_documents(self, coder: str) -> list[str]:
        """Ids of the documents assigned to a coder, sorted."""
        with self.reader.connect() as conn:
            return sorted(conn.execute(select(assignments.c.document_id).where(assignments.c.coder == coder)).scalars())

    def get_setting(self, key: str, default: Any = None) -> Any:
        """A study setting (JSON value), or ``default``."""
        with self.reader.connect() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
        return row.value if row else default

    def get_settings(self, keys: Sequence[str]) -> dict[str, Any]:
        """Those of the study settings ``keys`` that are set (one query, kept ``SHORT_TTL``)."""
        def load() -> dict[str, Any]:
            with self.reader.connect() as conn:
                return {r.key: r.value for r in conn.execute(select(settings.c.key, settings.c.value)
                                                             .where(settings.c.key.in_(list(keys))))}
        return dict(self._memo.get(("settings", tuple(keys)), load))

    def set_setting(self, key: str, value: Any) -> None:
        """Set a study setting (JSON value)."""
        with self.writer.begin() as conn:
            if conn.execute(select(settings.c.key).where(settings.c.key == key)).first():
                conn.execute(update(settings).where(settings.c.key == key).values(value=value))
            else:
                conn.execute(insert(settings).values(key=key, value=value))
        self._memo.forget()


def _code_filtered(key: Any) -> bool:
    """Orders filtered by a code: accepted decisions decide what they hold."""
    return key[0] == "order" and bool(key[4])
