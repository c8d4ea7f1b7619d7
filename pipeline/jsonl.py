"""Reading JSON Lines input files with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import InvalidInput


def read_objects(path: Path, required: tuple[str, ...], hint: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-empty line of a JSONL file.

    Args:
        path: The file.
        required: Fields every object must have.
        hint: What a line should look like, for the error message.

    Raises:
        InvalidInput: A line is not valid JSON, not an object, or lacks a required field.
    """
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path}:{line_no}: not valid JSON ({exc.msg}); one JSON object per line") from None
            if not isinstance(obj, dict) or not set(required) <= set(obj):
                raise InvalidInput(f"{path}:{line_no}: {hint}")
            yield line_no, obj
