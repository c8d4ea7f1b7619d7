"""Review logic on the store: who sees what, the uncertainty queue, decisions, undo, progress.

The review web app (``review/``) is a thin shell over these functions, so the rules (a coder
sees only assigned documents; blind mode hides other coders and optionally the machine;
nothing is overwritten silently) are testable without a browser.

A coder has *reviewed* a segment once they made any current decision on it that is not
undone. ``REVIEWED`` is a code-less marker decision ("nothing (more) applies here"), so a
segment without codes can be reviewed too; reliability ignores it except as proof of review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select

from pipeline.errors import InvalidInput
from pipeline.models import Decision, Polarity, Verdict
from pipeline.review_queue import Order
from pipeline.review_queue import neighbours as queue_neighbours
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
        mode: The study's coding mode when this was read ("open" or "blind").
    """

    user: str
    role: str
    document_ids: tuple[str, ...]
    others: bool
    machine: bool
    mode: str = "open"


def visibility(store: ReviewStore, user: str, role: str) -> Visibility:
    """The rules for one user under the study's current mode."""
    found = store.get_settings(("mode", "blind_hide_machine"))
    mode = found.get("mode", "open")
    if role == "lead":
        with store.reader.connect() as conn:
            docs = tuple(sorted(conn.execute(select(documents.c.id)).scalars().all()))
        return Visibility(user, role, docs, others=True, machine=True, mode=mode)
    blind = mode == "blind"
    hide_machine = blind and bool(found.get("blind_hide_machine", False))
    return Visibility(user, role, tuple(store.assigned_documents(user)), others=not blind, machine=not hide_machine,
                      mode=mode)


@dataclass(frozen=True, slots=True)
class Filters:
    """Queue filters; empty strings mean no filter. ``status``: open, done or all."""

    code: str = ""
    case: str = ""
    document: str = ""
    status: str = "all"


def _order(store: ReviewStore, seen: Visibility, codebook_sha256: str | None, filters: Filters) -> Order | None:
    docs = seen.document_ids
    if filters.document:
        docs = tuple(d for d in docs if d == filters.document)
    if not docs:
        return None
    return store.queue_order(docs, codebook_sha256, filters.case, filters.code,
                             decided_by=None if seen.others else seen.user)


def _keep(store: ReviewStore, seen: Visibility, filters: Filters,
          reviewed: set[str] | None = None) -> Callable[[str], bool]:
    """Whether a segment passes the status filter (the user's reviewed segments, read fresh)."""
    if filters.status not in ("open", "done"):
        return lambda _segment_id: True
    done, want = (store.reviewed(seen.user) if reviewed is None else reviewed), filters.status == "done"
    return lambda segment_id: (segment_id in done) == want


def queue(store: ReviewStore, seen: Visibility, codebook_sha256: str | None,
          filters: Filters = Filters()) -> list[str]:
    """Segment ids the user may review, most uncertain machine proposals first.

    Uncertainty is the distance of the segment's closest-to-0.5 tag score from 0.5 (smaller is
    less certain); segments without proposals come last, then document order.
    """
    order = _order(store, seen, codebook_sha256, filters)
    if order is None:
        return []
    keep = _keep(store, seen, filters)
    return [i for i in order.ids if keep(i)] if filters.status in ("open", "done") else list(order.ids)


def neighbours(store: ReviewStore, seen: Visibility, codebook_sha256: str | None, filters: Filters,
               segment_id: str, reviewed: set[str] | None = None) -> tuple[str | None, str | None]:
    """The previous and next segment around ``segment_id`` in the user's filtered queue.

    When the segment is not in the filtered queue (just reviewed while the queue shows open
    ones), there is no previous one and the next is the first of the queue. Costs look-ups in the
    cached order, not a query over the queue.

    Args:
        reviewed: The user's reviewed segments if the caller has just read them
            (``ReviewStore.reviewed``); read here otherwise.
    """
    order = _order(store, seen, codebook_sha256, filters)
    if order is None:
        return None, None
    return queue_neighbours(order, segment_id, _keep(store, seen, filters, reviewed))


def reviewed_segments(store: ReviewStore, coder: str, segment_ids: Sequence[str] | None = None) -> set[str]:
    """Segments on which the coder has a current, not undone decision."""
    done = store.reviewed(coder)
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
    center = select(segments.c.document_id, segments.c.idx).where(segments.c.id == segment_id).subquery()
    window = (select(segments)
              .join(center, and_(segments.c.document_id == center.c.document_id,
                                 segments.c.idx.between(center.c.idx - context, center.c.idx + context)))
              .order_by(segments.c.idx))
    with store.reader.connect() as conn:  # one connection, three queries: this runs on every click
        rows = [dict(r._mapping) for r in conn.execute(window)]
        seg = next((r for r in rows if r["id"] == segment_id), None)
        if seg is None or seg["document_id"] not in set(seen.document_ids):
            raise InvalidInput(f"segment {segment_id!r} does not exist or is not assigned to you")
        near = [{k: r[k] for k in ("id", "idx", "speaker", "text")} for r in rows]
        proposals = []
        if seen.machine and codebook_sha256:
            proposals = [dict(r._mapping) for r in conn.execute(
                select(tags).where(tags.c.segment_id == segment_id, tags.c.codebook_sha256 == codebook_sha256)
                .order_by(tags.c.score.desc(), tags.c.code_id))]
        current = [dict(r._mapping) for r in conn.execute(
            select(decisions).where(decisions.c.segment_id == segment_id, decisions.c.superseded_by.is_(None))
            .order_by(decisions.c.id))]
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
    with store.reader.connect() as conn:
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
    with store.reader.connect() as conn:
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


def progress(store: ReviewStore, seen: Visibility, codebook_sha256: str | None = None,
             reviewed: set[str] | None = None) -> tuple[int, int]:
    """(segments reviewed by the user, segments the user may review).

    Args:
        codebook_sha256: The codebook the user's queue is ordered by, so its cached order serves
            here too (any order holds the same segments).
        reviewed: As in ``neighbours``.
    """
    if not seen.document_ids:
        return 0, 0
    everything = store.queue_order(seen.document_ids, codebook_sha256)
    done = sum(1 for s in (store.reviewed(seen.user) if reviewed is None else reviewed) if s in everything.position)
    return done, len(everything.ids)


def set_mode(store: ReviewStore, mode: str, hide_machine: bool) -> None:
    """Choose open or blind coding (and, when blind, whether coders see the machine's proposals)."""
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    store.set_setting("mode", mode)
    store.set_setting("blind_hide_machine", bool(hide_machine))
