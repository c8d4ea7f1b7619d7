"""Heatmaps of matrices as PNG bytes, for embedding in a self-contained report.

Frames (title, labels, colour bar) are drawn on a bare ``matplotlib.figure.Figure`` with the Agg
canvas rather than through ``pyplot``: no display is needed, no global figure state leaks between
calls, and it is safe in worker threads of a flow. Cells and their numbers are painted on the
frame with numpy and Pillow (matplotlib's own dependency), in the colour map's colours and
matplotlib's DejaVu Sans font.
"""

from __future__ import annotations

import base64
import io
import math
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import pandas as pd
from matplotlib import colormaps, font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine
from PIL import Image, ImageDraw, ImageFont

#: Above this many cells the numbers no longer fit; the colour scale has to speak alone.
MAX_ANNOTATED_CELLS = 900
#: Above this many cells the numbers are set smaller (6 pt instead of 8), and so are the cells.
SMALL_NUMBERS_ABOVE = 200


def _formatter(values: np.ndarray, value_format: str | Callable[[float], str] | None) -> Callable[[float], str]:
    if callable(value_format):
        return value_format
    if value_format is not None:
        return value_format.format
    finite = values[np.isfinite(values)]
    if finite.size and np.all(np.equal(np.mod(finite, 1), 0)):
        return lambda v: f"{v:.0f}"
    return lambda v: f"{v:.2f}"


def heatmap_png(matrix: pd.DataFrame, title: str = "", *, value_format: str | Callable[[float], str] | None = None,
                cmap: str = "Blues", vmin: float | None = 0.0, vmax: float | None = None,
                xlabel: str = "", ylabel: str = "", dpi: int = 120, frames: FrameStore | None = None) -> bytes:
    """Draw ``matrix`` as an annotated heatmap.

    Matplotlib draws the frame (title, tick labels, axis labels, colour bar) and lays it out;
    the cells, the white lines between them and their numbers are painted onto that picture
    directly. Painting a cell costs microseconds where a matplotlib text costs a millisecond,
    and a frame depends only on the labels and the colour scale, so a matrix whose values
    changed but whose labels did not (a re-run after one edited transcript) reuses the frame
    drawn before in this process. Either way the bytes are the same.

    Args:
        matrix: Rows and columns become the axes; index and column labels are shown as text.
        title: Figure title.
        value_format: Format of cell annotations: a ``str.format`` pattern ("{:.0%}") or a
            callable; default: whole numbers for integer data, two decimals otherwise.
        cmap: Matplotlib colour map name.
        vmin: Bottom of the colour scale (0 so that "absent" always looks the same).
        vmax: Top of the colour scale; default: the matrix maximum rounded up to a round
            number (``nice_top``), so the colour bar ends on a readable value and a small change
            in the data keeps the same frame.
        xlabel: Label under the column axis.
        ylabel: Label beside the row axis.
        dpi: Resolution.
        frames: Where frames drawn by other processes are kept (a report's figure cache), so
            they are not drawn again; default: this process's memory only.

    Returns:
        The PNG file's bytes.
    """
    values = matrix.to_numpy(dtype="float64") if matrix.size else np.zeros((0, 0))
    n_rows, n_cols = values.shape
    row_labels = tuple(str(v) for v in matrix.index)
    col_labels = tuple(str(v) for v in matrix.columns)
    longest_row = max((len(s) for s in row_labels), default=4)
    longest_col = max((len(s) for s in col_labels), default=4)
    # Size grows with the matrix and its labels, within limits a browser can still show. Cells
    # with a number in them need room for it; without numbers (too many cells) a cell only has
    # to keep its 8 pt tick label apart from the next one, and a third of the pixels also
    # means a third of the encoding time on every re-run.
    annotated = n_rows * n_cols <= MAX_ANNOTATED_CELLS
    small_numbers = n_rows * n_cols > SMALL_NUMBERS_ABOVE
    if not annotated:
        cell_width, cell_height = 0.24, 0.2
    else:
        cell_width, cell_height = (0.45, 0.25) if small_numbers else (0.6, 0.38)
    width = min(max(4.5, 1.8 + cell_width * n_cols + 0.07 * longest_row), 22.0)
    height = min(max(2.8, 1.2 + cell_height * n_rows + 0.06 * longest_col), 30.0)
    width = max(width, min(0.09 * len(title), 22.0))  # a long title must not be clipped
    if values.size == 0:
        frame, _ = _frame((width, height, dpi, title, row_labels, col_labels, xlabel, ylabel, cmap, None, None),
                          frames)
        return _png(frame)
    top = vmax if vmax is not None else nice_top(float(np.nanmax(values)))
    low = vmin if vmin is not None else float(np.nanmin(values))
    frame, box = _frame((width, height, dpi, title, row_labels, col_labels, xlabel, ylabel, cmap, low, top), frames)
    picture = frame.copy()
    _paint_cells(picture, box, values, cmap, low, top, dpi)
    if annotated:
        image = Image.fromarray(picture)
        with _DRAW_LOCK:
            _annotate(image, box, values, _formatter(values, value_format), low, top,
                      size=6 if small_numbers else 8, dpi=dpi)
        return _png(image)
    return _png(picture)


def nice_top(maximum: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 times a power of ten that is >= ``maximum``.

    A colour bar that ends on such a value reads better than one ending on 0.437, and the
    scale, hence the frame (see ``heatmap_png``), stays put while a re-run moves the maximum
    a little.

    Args:
        maximum: The largest value in the matrix (NaN, zero or negative give 1.0).

    Returns:
        The top of the colour scale.
    """
    if not np.isfinite(maximum) or maximum <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(maximum))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        top = round(step * power, 12)
        # The tolerance absorbs float noise: a share of 0.30000000000000004 is 0.3.
        if top >= maximum * (1 - 1e-9):
            return top
    return round(10 * power, 12)


#: Frames drawn recently in this process, by everything that decides their pixels.
_FRAMES: dict[tuple[Any, ...], tuple[np.ndarray, tuple[int, int, int, int]]] = {}
_FRAMES_SIZE = 16
_FRAMES_LOCK = threading.Lock()
_DRAW_LOCK = threading.Lock()  # around matplotlib and the shared FreeType fonts


class FrameStore(Protocol):
    """Frames kept beyond this process (``pipeline.report.figure_cache.FigureCache`` is one)."""

    def get_frame(self, key: tuple[Any, ...]) -> tuple[np.ndarray, tuple[int, int, int, int]] | None: ...

    def put_frame(self, key: tuple[Any, ...], pixels: np.ndarray, box: tuple[int, int, int, int]) -> None: ...


def _frame(key: tuple[Any, ...], store: FrameStore | None = None) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The figure without its cells as RGB pixels, and the cell area (left, top, right, bottom)."""
    with _FRAMES_LOCK:
        cached = _FRAMES.get(key)
    if cached is None and store is not None:
        cached = store.get_frame(key)
    if cached is None:
        with _DRAW_LOCK:  # matplotlib is not thread-safe; reports draw their figures side by side
            cached = _draw_frame(*key)
    if store is not None:
        store.put_frame(key, *cached)  # for the next process; nothing to do when it is there already
    with _FRAMES_LOCK:
        if key not in _FRAMES:
            if len(_FRAMES) >= _FRAMES_SIZE:
                _FRAMES.pop(next(iter(_FRAMES)))
            _FRAMES[key] = cached
    return cached


def _draw_frame(width: float, height: float, dpi: int, title: str, row_labels: tuple[str, ...],
                col_labels: tuple[str, ...], xlabel: str, ylabel: str, cmap: str, low: float | None,
                top: float | None) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    fig = Figure(figsize=(width, height), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    n_rows, n_cols = len(row_labels), len(col_labels)
    if low is None or top is None:
        ax.text(0.5, 0.5, "geen gegevens (no data)", ha="center", va="center", fontsize=11, color="#555")
        ax.set_axis_off()
    else:
        # The cell area as imshow would lay it out: row 0 at the top, one unit per cell.
        ax.set_xlim(-0.5, n_cols - 0.5)
        ax.set_ylim(n_rows - 0.5, -0.5)
        ax.set_xticks(range(n_cols), labels=col_labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
        ax.set_yticks(range(n_rows), labels=row_labels, fontsize=8)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        scale = ScalarMappable(norm=Normalize(vmin=low, vmax=top), cmap=cmap)
        colorbar = fig.colorbar(scale, ax=ax, shrink=0.8, pad=0.02)
        colorbar.ax.tick_params(labelsize=7)
        colorbar.outline.set_visible(False)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.set_ylabel(ylabel, fontsize=9)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    # The same layout as fig.tight_layout(), applied once: tight_layout leaves a placeholder
    # layout engine on the figure, which would make a later save lay it out a second time.
    TightLayoutEngine().execute(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[:, :, :3].copy()
    x0, y0, x1, y1 = ax.get_window_extent().extents  # display units: pixels from the bottom left
    rows = pixels.shape[0]
    box = (int(round(x0)), int(round(rows - y1)), int(round(x1)), int(round(rows - y0)))
    return pixels, box


def _edges(start: int, stop: int, n: int) -> np.ndarray:
    return np.round(np.linspace(start, stop, n + 1)).astype(int)


def _paint_cells(picture: np.ndarray, box: tuple[int, int, int, int], values: np.ndarray, cmap: str,
                 low: float, top: float, dpi: int) -> None:
    left, upper, right, lower = box
    n_rows, n_cols = values.shape
    colours = colormaps[cmap](Normalize(vmin=low, vmax=top)(values), bytes=True)[:, :, :3]
    colours[~np.isfinite(values)] = 255  # no value: the background shows, as with imshow
    xs, ys = _edges(left, right, n_cols), _edges(upper, lower, n_rows)
    picture[upper:lower, left:right] = np.repeat(np.repeat(colours, np.diff(ys), axis=0), np.diff(xs), axis=1)
    # White lines (1 pt) between cells keep neighbouring equal values apart.
    half = max(1, round(dpi / 72)) / 2
    for x in xs[1:-1]:
        picture[upper:lower, int(x - half):int(x + half)] = 255
    for y in ys[1:-1]:
        picture[int(y - half):int(y + half), left:right] = 255


@lru_cache(maxsize=8)
def _font(size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans")), size_px)


def _annotate(image: Image.Image, box: tuple[int, int, int, int], values: np.ndarray, fmt: Callable[[float], str],
              low: float, top: float, size: int, dpi: int) -> None:
    left, upper, right, lower = box
    n_rows, n_cols = values.shape
    xs, ys = _edges(left, right, n_cols), _edges(upper, lower, n_rows)
    draw = ImageDraw.Draw(image)
    font = _font(round(size * dpi / 72))
    for i in range(n_rows):
        for j in range(n_cols):
            value = values[i, j]
            if not np.isfinite(value):
                continue
            # Dark cells get white text, light ones black, so every number stays readable.
            level = (value - low) / (top - low) if top > low else 0.0
            draw.text(((xs[j] + xs[j + 1]) / 2, (ys[i] + ys[i + 1]) / 2), fmt(value), anchor="mm", font=font,
                      fill=(255, 255, 255) if level > 0.55 else (0x1a, 0x1a, 0x1a))


def _png(picture: np.ndarray | Image.Image) -> bytes:
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(picture)
    buffer = io.BytesIO()
    # No metadata: the same matrix gives the same bytes across versions. Level 1 of zlib with
    # its run-length strategy (3): a heatmap is runs of flat colour, so this is as fast as plain
    # level 1 and a quarter smaller (level 6 is several times slower for hardly less).
    image.save(buffer, format="PNG", compress_level=1, compress_type=3)
    return buffer.getvalue()


def as_data_uri(png_bytes: bytes, mime: str = "image/png") -> str:
    """Encode image bytes as a ``data:`` URI, so an HTML report needs no separate files."""
    return f"data:{mime};base64,{base64.b64encode(png_bytes).decode('ascii')}"
