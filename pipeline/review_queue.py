"""The review queue: a user's segments ordered by the machine's uncertainty, built in SQL and kept.

Ordering a coder's segments needs every tag of every segment they may open (10,000 segments for a
coder on a 100k-segment store). Doing that on every click made "next segment" as slow as a full
sort of the coder's share of the store. The order only changes when tags, assignments or (for a
code filter) accepted decisions change, so it is built once and kept in memory: ``QueueCache``
holds the ordered ids with a position index per (documents, codebook, filters), which makes
"next" and "previous" dictionary look-ups.

What must never be stale is not cached: which documents a user may open (part of the key, read
on every request) and which segments the user has reviewed (read on every request through an
index). The owner drops entries when it writes something that changes an order, and entries are
rebuilt after ``ttl`` seconds anyway, so a pipeline run or a second server changing tags shows up
within that time. A slightly old order never hides or loses anything: it only decides what comes
next.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, select

from pipeline.models import Verdict
from pipeline.schema import decisions, segments, tags


@dataclass(frozen=True, slots=True)
class Order:
    """An ordered queue and where each segment stands in it.

    Attributes:
        ids: Segment ids, most uncertain machine proposal first.
        position: Segment id -> index in ``ids``.
        built: ``time.monotonic()`` when it was built.
    """

    ids: tuple[str, ...]
    position: dict[str, int]
    built: float

    @classmethod
    def of(cls, ids: Sequence[str]) -> Order:
        """An order over ``ids`` as given."""
        ids = tuple(ids)
        return cls(ids, {s: i for i, s in enumerate(ids)}, time.monotonic())


class QueueCache:
    """A bounded, thread-safe map from a queue's key to its ``Order``, each kept ``ttl`` seconds.

    Args:
        ttl: Seconds after which an order is rebuilt even if nothing here changed it.
        size: Orders kept at most (least recently used go first).
    """

    def __init__(self, ttl: float = 30.0, size: int = 128):
        self.ttl, self.size = ttl, size
        self._orders: OrderedDict[Hashable, Order] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Sequence[str]]) -> Order:
        """The order under ``key``, built with ``build()`` when missing or older than ``ttl``."""
        now = time.monotonic()
        with self._lock:
            found = self._orders.get(key)
            if found is not None and now - found.built < self.ttl:
                self._orders.move_to_end(key)
                return found
        # Built outside the lock: other users' look-ups must not wait for this query.
        order = Order.of(build())
        with self._lock:
            self._orders[key] = order
            self._orders.move_to_end(key)
            while len(self._orders) > self.size:
                self._orders.popitem(last=False)
        return order

    def forget(self, which: Callable[[Hashable], bool] | None = None) -> None:
        """Drop every order, or those whose key ``which`` accepts."""
        with self._lock:
            if which is None:
                self._orders.clear()
            else:
                for key in [k for k in self._orders if which(k)]:
                    del self._orders[key]


def order_query(document_ids: Sequence[str], codebook_sha256: str | None, case_id: str = "",
                code_id: str = "", decided_by: str | None = None) -> Select:
    """Segment ids of the documents, least certain machine proposal first.

    Uncertainty is the distance of the segment's closest-to-0.5 tag score from 0.5 (smaller is
    less certain); segments without proposals come last, then document order. ``code_id`` keeps
    segments the machine tagged with that code or a coder accepted it for (only ``decided_by``
    when given: in blind mode a filter must not reveal other coders' decisions); ``case_id``
    keeps one case.
    """
    distance = func.min(func.abs(tags.c.score - 0.5))
    query = (select(segments.c.id)
             .select_from(segments.outerjoin(tags, and_(tags.c.segment_id == segments.c.id,
                                                        tags.c.codebook_sha256 == codebook_sha256)))
             .where(segments.c.document_id.in_(list(document_ids))))
    if case_id:
        query = query.where(segments.c.case_id == case_id)
    if code_id:
        coded = select(tags.c.segment_id).where(tags.c.code_id == code_id, tags.c.codebook_sha256 == codebook_sha256)
        decided = select(decisions.c.segment_id).where(decisions.c.code_id == code_id,
                                                       decisions.c.superseded_by.is_(None),
                                                       decisions.c.verdict == Verdict.ACCEPT.value)
        if decided_by is not None:
            decided = decided.where(decisions.c.coder == decided_by)
        query = query.where(segments.c.id.in_(coded.union(decided)))
    return (query.group_by(segments.c.id, segments.c.document_id, segments.c.idx)
            .order_by(case((distance.is_(None), 1.0), else_=distance), segments.c.document_id, segments.c.idx))


def reviewed_query(coder: str) -> Select:
    """Segments on which the coder has a current decision that is not an undo (index-only)."""
    return (select(decisions.c.segment_id)
            .where(decisions.c.coder == coder, decisions.c.superseded_by.is_(None),
                   decisions.c.verdict != Verdict.UNDONE.value)
            .distinct())


def neighbours(order: Order, current: str, keep: Callable[[str], bool]) -> tuple[str | None, str | None]:
    """The kept segments just before and after ``current`` in ``order``.

    When ``current`` is not itself kept (e.g. it was just reviewed and the queue shows open
    segments), there is no previous one and the next is the first kept segment of the queue:
    the same answer as looking ``current`` up in the filtered list.
    """
    at = order.position.get(current)
    if at is None or not keep(current):
        return None, next((s for s in order.ids if keep(s)), None)
    ids = order.ids
    previous = next((ids[i] for i in range(at - 1, -1, -1) if keep(ids[i])), None)
    following = next((ids[i] for i in range(at + 1, len(ids)) if keep(ids[i])), None)
    return previous, following
