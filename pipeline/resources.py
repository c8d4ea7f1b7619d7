"""Expensive things a run loads (codebook, spaCy pipeline, rule tagger), loaded once per process.

A run's steps are called once per task, and a flow has many tasks: building ``spacy.blank("nl")``
costs ~0.3 s, loading and indexing the default codebook another ~0.2 s, which made a re-run that
tags one document pay for them in every annotate batch and again in the report. Here they are
kept per process under keys that say exactly what they were built from (the codebook file's
bytes, the NLP and tagging settings), so a changed codebook or setting is never served stale.

spaCy pipelines and the rule tagger keep caches that they change while working, so one instance
must not be used by two threads at once (Prefect runs tasks in a thread pool). They are therefore
*borrowed*: ``borrow`` hands out an idle instance for the key, or builds one, and takes it back
afterwards. At most as many instances exist per key as were ever in use at the same time.
"""

from __future__ import annotations

import gc
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pipeline.codebook import Codebook, load_codebook
from pipeline.config import NlpOptions
from pipeline.nlp import build_nlp

T = TypeVar("T")

_LOCK = threading.Lock()
_IDLE: dict[tuple[Any, ...], list[Any]] = {}
_CODEBOOKS: dict[tuple[str, str], Codebook] = {}
MAX_CODEBOOKS = 8  # a process that tries many codebook versions must not keep them all


def codebook(path: str | Path) -> Codebook:
    """The codebook at ``path``, parsed once per process for each version of the file's bytes.

    Raises:
        InvalidCodebook: The codebook has problems (never cached).
    """
    resolved = Path(path).resolve()
    key = (str(resolved), hashlib.sha256(resolved.read_bytes()).hexdigest())
    with _LOCK:
        book = _CODEBOOKS.get(key)
    if book is None:
        book = load_codebook(path)  # as given, so that error messages name the file as the user did
        with _LOCK:
            if len(_CODEBOOKS) >= MAX_CODEBOOKS:
                _CODEBOOKS.pop(next(iter(_CODEBOOKS)))
            _CODEBOOKS[key] = book
    return book


@contextmanager
def borrow(key: tuple[Any, ...], build: Callable[[], T]) -> Iterator[T]:
    """Use an instance for ``key`` that no other thread uses meanwhile; build one when none is idle.

    Args:
        key: Everything the instance is built from (hashable); equal keys must mean equal instances.
        build: Makes a new instance.
    """
    with _LOCK:
        idle = _IDLE.get(key)
        item = idle.pop() if idle else None
    if item is None:
        item = build()
        _settle()
    try:
        yield item
    finally:
        with _LOCK:
            _IDLE.setdefault(key, []).append(item)


def nlp_key(options: NlpOptions) -> tuple[str, str]:
    """The key of a spaCy pipeline built from ``options``."""
    return ("nlp", options.model_dump_json())


@contextmanager
def borrow_nlp(options: NlpOptions) -> Iterator[Any]:
    """A spaCy pipeline built from ``options`` (see ``pipeline.nlp.build_nlp``), borrowed."""
    with borrow(nlp_key(options), lambda: build_nlp(options)) as nlp:
        yield nlp


def _settle() -> None:
    """Take what is alive now (modules, the new instance) out of the garbage collector's view.

    A spaCy pipeline and a codebook's matchers are hundreds of thousands of objects that live
    as long as the process, and every full collection walked all of them again: ~0.17 s each
    time, one or more in every report step. Frozen objects are skipped (``gc.freeze``). A
    collection first, so that no garbage is frozen with them; after the first freeze it only
    has the objects made since to look at.
    """
    gc.collect()
    gc.freeze()


def clear() -> None:
    """Forget every cached codebook and idle instance (tests; or to free memory)."""
    with _LOCK:
        _IDLE.clear()
        _CODEBOOKS.clear()
    gc.unfreeze()  # what was frozen with them may now be garbage: let the collector see it again
