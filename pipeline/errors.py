"""Domain errors with messages a researcher can act on: where, what, and how to fix it.

Every error a user can cause is a ``KwaliError``; the CLI turns these into a short message and
exit code 2, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a user's file.

    Attributes:
        path: File the problem is in.
        line: 1-based line number, when known.
        what: What is wrong.
        fix: How to fix it.
    """

    path: str
    line: int | None
    what: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.what} (fix: {self.fix})"


class KwaliError(Exception):
    """Base class for errors caused by user input rather than by a bug."""


class InvalidCodebook(KwaliError):
    """A codebook file has one or more problems; all of them are listed, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnreadableFile(KwaliError):
    """A source file cannot be turned into text (empty, binary, corrupt, too large...)."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class InvalidInput(KwaliError):
    """A command's input (corpus folder, cases.csv, tag input file) is unusable as given."""


class StaleDecision(KwaliError):
    """A decision was saved by someone else since the coder loaded it (optimistic versioning)."""

    def __init__(self, segment_id: str, code_id: str, coder: str):
        self.segment_id, self.code_id, self.coder = segment_id, code_id, coder
        super().__init__(f"segment {segment_id}, code {code_id}: {coder}'s decision was changed by another "
                         "save in the meantime; reload the segment to see it, then decide again")


class ModelMismatch(KwaliError):
    """A learned model (``kwali learn``) was made with another codebook or embedder than the one in use."""
