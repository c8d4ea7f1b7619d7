"""The review app's queries: versioned decision saves, user accounts, assignments and settings.

``ReviewStore`` is the study store (``pipeline.store.Store``) plus what only the review app needs,
so ``pipeline/store.py`` stays the pipeline's store. Everything here works on the same tables
(``pipeline.schema``) and the same database; the review rules themselves live in
``pipeline.review``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import delete, exc, insert, select, update

from pipeline.errors import StaleDecision
from pipeline.models import Decision
from pipeline.schema import assignments, decisions, settings, users
from pipeline.store import Store, _now


class ReviewStore(Store):
    """A study store with the review app's queries.

    Args:
        url: SQLAlchemy URL of the study store.
    """

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
            with self.engine.begin() as conn:
                if expected_version > 0:
                    # A write first: it takes the row (PostgreSQL) or database (SQLite) lock before
                    # any read, so the check and the claim cannot interleave with another save.
                    claimed = conn.execute(update(decisions).where(
                        *chain, decisions.c.superseded_by.is_(None), decisions.c.version == expected_version,
                    ).values(superseded_by=-1)).rowcount
                    if claimed != 1:
                        raise StaleDecision(decision.segment_id, decision.code_id, decision.coder)
                elif conn.execute(select(decisions.c.id).where(*chain, decisions.c.superseded_by.is_(None))).first():
                    raise StaleDecision(decision.segment_id, decision.code_id, decision.coder)
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
        return expected_version + 1

    def current_decisions(self, segment_ids: Sequence[str], coders: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Current decisions on some segments (optionally of some coders), as dicts."""
        query = select(decisions).where(decisions.c.segment_id.in_(list(segment_ids)),
                                        decisions.c.superseded_by.is_(None))
        if coders is not None:
            query = query.where(decisions.c.coder.in_(list(coders)))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(decisions.c.id))]

    def set_user(self, name: str, role: str, password_hash: str | None) -> None:
        """Create a user or change an existing user's role and password."""
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.name).where(users.c.name == name)).first():
                conn.execute(update(users).where(users.c.name == name).values(role=role, password_hash=password_hash))
            else:
                conn.execute(insert(users).values(name=name, role=role, password_hash=password_hash,
                                                  created_at=_now()))

    def user(self, name: str) -> dict[str, Any] | None:
        """A user's row (name, role, password_hash, created_at), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return dict(row._mapping) if row else None

    def users_list(self) -> list[dict[str, Any]]:
        """All users with a login (leads and coders), by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(users.c.name, users.c.role).where(users.c.role.in_(["lead", "coder"]))
                                .order_by(users.c.name))
            return [dict(r._mapping) for r in rows]

    def assign(self, document_ids: Iterable[str], coder: str, by: str) -> int:
        """Give a coder documents to review; already assigned ones are left as they are.

        Returns:
            Number of new assignments.
        """
        with self.engine.begin() as conn:
            known = set(conn.execute(select(assignments.c.document_id).where(assignments.c.coder == coder)).scalars())
            new = [dict(document_id=d, coder=coder, assigned_by=by, created_at=_now())
                   for d in sorted(set(document_ids)) if d not in known]
            if new:
                conn.execute(insert(assignments), new)
        return len(new)

    def unassign(self, document_ids: Iterable[str], coder: str) -> None:
        """Take documents away from a coder (their decisions stay)."""
        with self.engine.begin() as conn:
            conn.execute(delete(assignments).where(assignments.c.coder == coder,
                                                   assignments.c.document_id.in_(list(document_ids))))

    def assignments_frame(self) -> pd.DataFrame:
        """All assignments: document_id, coder, assigned_by, created_at."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(assignments).order_by(assignments.c.coder, assignments.c.document_id)).all()
        return pd.DataFrame([dict(r._mapping) for r in rows],
                            columns=["document_id", "coder", "assigned_by", "created_at"])

    def assigned_documents(self, coder: str) -> list[str]:
        """Ids of the documents assigned to a coder, sorted."""
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(assignments.c.document_id).where(assignments.c.coder == coder)).scalars())

    def get_setting(self, key: str, default: Any = None) -> Any:
        """A study setting (JSON value), or ``default``."""
        with self.engine.connect() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
        return row.value if row else default

    def set_setting(self, key: str, value: Any) -> None:
        """Set a study setting (JSON value)."""
        with self.engine.begin() as conn:
            if conn.execute(select(settings.c.key).where(settings.c.key == key)).first():
                conn.execute(update(settings).where(settings.c.key == key).values(value=value))
            else:
                conn.execute(insert(settings).values(key=key, value=value))

