"""Review logic on the store: who sees what, the uncertainty queue, decisions, undo, progress.

The review web app (``review/``) is a thin shell over these functions, so the rules (a coder
sees only assigned documents; blind mode hides other coders and optionally the machine;
nothing is overwritten silently) are testable without a browser.

A coder has *reviewed* a segment once they made any current decision on it that is not
undone. ``REVIEWED`` is a code-less marker decision ("nothing (more) applies here"), so a
segment without codes can be reviewed too; reliability ignores it except as proof of review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select

from pipeline.errors import InvalidInput
from pipeline.models import Decision, Polarity, Verdict
from pipeline.review_store import ReviewStore
from pipeline.schema import decisions, documents, segments, tags

REVIEWED = "*"
CONSENSUS = "consensus"
MODES = ("open", "blind")


@dataclass(frozen=True, slots=True)
class Visibility:
    """What one user may see.

    Attributes:
        user: User name.
        role: "lead" or "coder".
        document_ids: Documents the user may open (a lead: all).
        others: Whether other coders' decisions are shown.
        machine: Whether the machine's proposals are shown.
    """

    user: str
    role: str
    document_ids: tuple[str, ...]
    others: bool
    machine: bool


def visibility(store: ReviewStore, user: str, role: str) -> Visibility:
    """The rules for one user under the study's current mode."""
    mode = store.get_setting("mode", "open")
    if role == "lead":
        with store.engine.connect() as conn:
            docs = tuple(sorted(conn.execute(select(documents.c.id)).scalars()))
        return Visibility(user, role, docs, others=True, machine=True)
    blind = mode == "blind"
    hide_machine = blind and bool(store.get_setting("blind_hide_machine", False))
    return Visibility(user, role, tuple(store.assigned_documents(user)), others=not blind, machine=not hide_machine)


@dataclass(frozen=True, slots=True)
class Filters:
    """Queue filters; empty strings mean no filter. ``status``: open, done or all."""

    code: str = ""
    case: str = ""
    document: str = ""
    status: str = "all"


def queue(store: ReviewStore, seen: Visibility, codebook_sha256: str | None, filters: Filters = Filters()) -> list[str]:
    """Segment ids the user may review, most uncertain machine proposals first.

    Uncertainty is the distance of the segment's closest-to-0.5 tag score from 0.5 (smaller is
    less certain); segments without proposals come last, then document order.
    """
    if not seen.document_ids:
        return []
    docs = list(seen.document_ids)
    if filters.document:
        docs = [d for d in docs if d == filters.document]
    distance = func.min(func.abs(tags.c.score - 0.5))
    query = (select(segments.c.id)
             .select_from(segments.outerjoin(tags, and_(tags.c.segment_id == segments.c.id,
                                                        tags.c.codebook_sha256 == codebook_sha256)))
             .where(segments.c.document_id.in_(docs)))
    if filters.case:
        query = query.where(segments.c.case_id == filters.case)
    if filters.code:
        coded = select(tags.c.segment_id).where(tags.c.code_id == filters.code,
                                                tags.c.codebook_sha256 == codebook_sha256)
        decided = select(decisions.c.segment_id).where(decisions.c.code_id == filters.code,
                                                       decisions.c.superseded_by.is_(None),
                                                       decisions.c.verdict == Verdict.ACCEPT.value)
        query = query.where(segments.c.id.in_(coded.union(decided)))
    query = (query.group_by(segments.c.id, segments.c.document_id, segments.c.idx)
             .order_by(case((distance.is_(None), 1.0), else_=distance), segments.c.document_id, segments.c.idx))
    with store.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    if filters.status in ("open", "done"):
        done = reviewed_segments(store, seen.user, ids)
        ids = [i for i in ids if (i in done) == (filters.status == "done")]
    return ids


def reviewed_segments(store: ReviewStore, coder: str, segment_ids: Sequence[str] | None = None) -> set[str]:
    """Segments on which the coder has a current, not undone decision."""
    query = select(decisions.c.segment_id).where(decisions.c.coder == coder, decisions.c.superseded_by.is_(None),
                                                 decisions.c.verdict != Verdict.UNDONE.value).distinct()
    with store.engine.connect() as conn:
        done = set(conn.execute(query).scalars())
    return done if segment_ids is None else done & set(segment_ids)


@dataclass(slots=True)
class SegmentView:
    """Everything the review screen shows for one segment."""

    segment: dict[str, Any]
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
    proposals: list[dict[str, Any]]  # machine tags (empty when hidden)
    mine: dict[str, dict[str, Any]]  # code_id -> my current decision
    others: list[dict[str, Any]] = field(default_factory=list)  # other coders' current decisions


def segment_view(store: ReviewStore, seen: Visibility, segment_id: str, codebook_sha256: str | None,
                 context: int = 2) -> SegmentView:
    """The segment with ``context`` neighbouring segments on each side, proposals and decisions.

    Raises:
        InvalidInput: Unknown segment, or one in a document the user may not open.
    """
    with store.engine.connect() as conn:
        row = conn.execute(select(segments).where(segments.c.id == segment_id)).first()
        if row is None or row.document_id not in set(seen.document_ids):
            raise InvalidInput(f"segment {segment_id!r} does not exist or is not assigned to you")
        seg = dict(row._mapping)
        near = [dict(r._mapping) for r in conn.execute(
            select(segments.c.id, segments.c.idx, segments.c.speaker, segments.c.text)
            .where(segments.c.document_id == seg["document_id"],
                   segments.c.idx.between(seg["idx"] - context, seg["idx"] + context))
            .order_by(segments.c.idx))]
        proposals = []
        if seen.machine and codebook_sha256:
            proposals = [dict(r._mapping) for r in conn.execute(
                select(tags).where(tags.c.segment_id == segment_id, tags.c.codebook_sha256 == codebook_sha256)
                .order_by(tags.c.score.desc(), tags.c.code_id))]
    current = store.current_decisions([segment_id])
    mine = {d["code_id"]: d for d in current if d["coder"] == seen.user}
    others = [d for d in current if d["coder"] != seen.user] if seen.others else []
    return SegmentView(seg, [n for n in near if n["idx"] < seg["idx"]], [n for n in near if n["idx"] > seg["idx"]],
                       proposals, mine, others)


def decide(store: ReviewStore, seen: Visibility, segment_id: str, code_id: str, verdict: str, expected_version: int,
           polarity: str | None = None, memo: str | None = None, coder: str | None = None) -> int:
    """Save one decision with an optimistic version check.

    Args:
        coder: Defaults to the user; only a lead may decide as ``consensus``.

    Returns:
        The new version.

    Raises:
        InvalidInput: Bad verdict/polarity, a segment the user may not open, or a coder the user
            may not act as.
        StaleDecision: Someone saved the same (segment, code, coder) in the meantime.
    """
    coder = coder or seen.user
    if coder != seen.user and not (coder == CONSENSUS and seen.role == "lead"):
        raise InvalidInput(f"{seen.user} may not decide as {coder}")
    try:
        verdict_value = Verdict(verdict)
        polarity_value = Polarity(polarity) if polarity else None
    except ValueError:
        raise InvalidInput(f"unknown verdict {verdict!r} or polarity {polarity!r}") from None
    with store.engine.connect() as conn:
        doc = conn.execute(select(segments.c.document_id).where(segments.c.id == segment_id)).scalar()
    if doc is None or doc not in set(seen.document_ids):
        raise InvalidInput(f"segment {segment_id!r} does not exist or is not assigned to you")
    if coder == CONSENSUS:
        store.ensure_user(CONSENSUS, CONSENSUS)
    source = CONSENSUS if coder == CONSENSUS else "review"
    return store.save_decision(Decision(segment_id, code_id, coder, verdict_value, polarity_value, memo or None,
                                        source), expected_version)


def undo_last(store: ReviewStore, seen: Visibility) -> dict[str, Any] | None:
    """Take back the user's latest action: restore what that decision replaced, or withdraw it.

    The user's decisions replay as a stack (a review decision pushes, an undo pops), so pressing
    undo again walks further back through earlier actions. Undos are decisions too (source
    "undo"): the audit trail keeps everything. Returns the undone decision, or None.
    """
    with store.engine.connect() as conn:
        history = [dict(r._mapping) for r in conn.execute(
            select(decisions).where(decisions.c.coder == seen.user).order_by(decisions.c.id))]
    stack: list[dict[str, Any]] = []
    current: dict[tuple[str, str], int] = {}
    for d in history:
        current[(d["segment_id"], d["code_id"])] = d["version"]
        if d["source"] == "undo":
            if stack:
                stack.pop()
        else:
            stack.append(d)
    if not stack:
        return None
    last = stack[-1]
    chain = (last["segment_id"], last["code_id"])
    before = next((d for d in reversed(stack[:-1]) if (d["segment_id"], d["code_id"]) == chain), None)
    if before is not None:
        restored = Decision(chain[0], chain[1], seen.user, Verdict(before["verdict"]),
                            Polarity(before["polarity"]) if before["polarity"] else None, before["memo"], "undo")
    else:
        restored = Decision(chain[0], chain[1], seen.user, Verdict.UNDONE, source="undo")
    store.save_decision(restored, current[chain])
    return last


def progress(store: ReviewStore, seen: Visibility) -> tuple[int, int]:
    """(segments reviewed by the user, segments the user may review)."""
    if not seen.document_ids:
        return 0, 0
    with store.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(segments)
                             .where(segments.c.document_id.in_(list(seen.document_ids)))).scalar() or 0
        done = conn.execute(
            select(func.count(func.distinct(decisions.c.segment_id)))
            .select_from(decisions.join(segments, segments.c.id == decisions.c.segment_id))
            .where(decisions.c.coder == seen.user, decisions.c.superseded_by.is_(None),
                   decisions.c.verdict != Verdict.UNDONE.value,
                   segments.c.document_id.in_(list(seen.document_ids)))).scalar() or 0
    return int(done), int(total)


def set_mode(store: ReviewStore, mode: str, hide_machine: bool) -> None:
    """Choose open or blind coding (and, when blind, whether coders see the machine's proposals)."""
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    store.set_setting("mode", mode)
    store.set_setting("blind_hide_machine", bool(hide_machine))
