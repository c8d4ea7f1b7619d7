"""Report figures kept on disk by what they draw, so a re-run redraws only the figures that changed.

Drawing the heatmaps is most of a report's render time. A re-run after one edited transcript
changes some matrices (every case × code share of that case) but not others (code
co-occurrence when no code pair changed, a crosstab by an attribute the document lacks), so each
figure is stored under a hash of exactly what decides its pixels: the matrix (as CSV, every
label and value), the title, axis labels and number format, the drawing code
(``figures.py``'s source) and the matplotlib version. A hit gives the same bytes a fresh
drawing would. Heatmap frames (labels, title, colour bar: see ``figures.heatmap_png``) are kept
too, so a changed matrix with unchanged labels and scale only has its cells painted, also in a
new process. The folder holds only what the latest report used: the rest is removed after each
render, and a fresh run (``pipeline.incremental.forget_done_work``) removes the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zlib
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from pipeline.report import figures

#: Where a study's output folder keeps the cached figures.
CACHE_DIR = Path(".kwali-cache") / "figures"
STALE_TMP_SECONDS = 3600
FRAME_SUFFIX = ".frame"  # a heatmap frame: a JSON header line, then zlib-packed RGB pixels


@lru_cache(maxsize=1)
def _drawing_version() -> str:
    # The drawing code itself: any change to how heatmaps look invalidates every cached figure.
    source = Path(figures.__file__).read_bytes()
    return f"{matplotlib.__version__}:{hashlib.sha256(source).hexdigest()}"


def figure_key(matrix: pd.DataFrame, **drawing: object) -> str:
    """Hash of a heatmap's matrix and its drawing arguments (title, labels, format...)."""
    digest = hashlib.sha256()
    digest.update(_drawing_version().encode("utf-8"))
    digest.update(json.dumps(drawing, sort_keys=True, default=str).encode("utf-8"))
    # dtypes too: 1 and 1.0 print alike in some formats but are annotated differently.
    digest.update(repr(list(matrix.dtypes.astype(str))).encode("utf-8"))
    digest.update(matrix.to_csv().encode("utf-8"))
    return digest.hexdigest()


class FigureCache:
    """PNG files by figure key in one folder (or, with another suffix, any rendered piece of a report).

    Args:
        folder: The cache folder (created on first write).
        suffix: File name suffix of the kept pieces.
    """

    def __init__(self, folder: str | Path, suffix: str = ".png"):
        self.folder = Path(folder)
        self.suffix = suffix
        self.used: set[str] = set()   # keys asked for or stored by this report
        self.found: set[str] = set()  # keys that were on disk already

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{self.suffix}"

    def get(self, key: str) -> bytes | None:
        """The cached PNG for ``key``, or None."""
        self.used.add(key)
        try:
            png = self._path(key).read_bytes()
        except OSError:
            return None
        self.found.add(key)
        return png

    def put(self, key: str, png: bytes) -> None:
        """Store a PNG; written to a temporary file first, so a crash never leaves half a figure."""
        self.used.add(key)
        self._write(self._path(key), png)

    def _frame_path(self, key: tuple[object, ...]) -> Path:
        digest = hashlib.sha256(_drawing_version().encode("utf-8") + repr(key).encode("utf-8")).hexdigest()
        self.used.add(f"frame-{digest}")
        return self.folder / f"frame-{digest}{FRAME_SUFFIX}"

    def get_frame(self, key: tuple[object, ...]) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
        """A heatmap frame (pixels and cell area) drawn by an earlier report, or None.

        The pixels are read-only (``heatmap_png`` paints on a copy).
        """
        path = self._frame_path(key)
        try:
            header, _, packed = path.read_bytes().partition(b"\n")
            meta = json.loads(header)
            shape, box = tuple(int(v) for v in meta["shape"]), tuple(int(v) for v in meta["box"])
            pixels = np.frombuffer(zlib.decompress(packed), dtype=np.uint8).reshape(shape)
        except (OSError, KeyError, ValueError, TypeError, zlib.error):
            return None
        return pixels, box  # type: ignore[return-value]

    def put_frame(self, key: tuple[object, ...], pixels: np.ndarray, box: tuple[int, int, int, int]) -> None:
        """Keep a heatmap frame with its cell area, unless it is there already.

        Raw pixels through zlib level 1, not PNG: as small, and read back in a third of the time
        (a 2640 × 2474 frame: ~0.02 s against ~0.05 s), which a re-run in a new process pays for
        every changed heatmap.
        """
        path = self._frame_path(key)
        if path.is_file():
            return
        header = json.dumps({"shape": list(pixels.shape), "box": list(box)}).encode("utf-8")
        self._write(path, header + b"\n" + zlib.compress(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes(), 1))

    def _write(self, path: Path, data: bytes) -> None:
        # Best effort: a cache that cannot be written (full disk, a concurrent report on the same
        # folder tidying up) costs a redraw next time, never the report.
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(tmp, path)
        except OSError:
            pass

    def keep_only_used(self) -> int:
        """Remove cached figures this cache was not asked for; returns how many were removed."""
        removed = 0
        if not self.folder.is_dir():
            return removed
        for path in self.folder.iterdir():
            # A .tmp file may be another report's write in progress: only old ones are leftovers.
            stale = path.suffix == ".tmp" and time.time() - path.stat().st_mtime > STALE_TMP_SECONDS
            unused = path.suffix in (self.suffix, FRAME_SUFFIX) and path.stem not in self.used
            legacy = path.suffix == ".png" and path.stem.startswith("frame-")  # frames were PNGs once
            if stale or unused or legacy:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
