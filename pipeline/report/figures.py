"""Heatmaps of matrices as PNG bytes, for embedding in a self-contained report.

Figures are drawn on a bare ``matplotlib.figure.Figure`` with the Agg canvas rather than through
``pyplot``: no display is needed, no global figure state leaks between calls, and it is safe in
worker threads of a flow.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine

#: Above this many cells the numbers no longer fit; the colour scale has to speak alone.
MAX_ANNOTATED_CELLS = 900


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
                xlabel: str = "", ylabel: str = "", dpi: int = 120) -> bytes:
    """Draw ``matrix`` as an annotated heatmap.

    Args:
        matrix: Rows and columns become the axes; index and column labels are shown as text.
        title: Figure title.
        value_format: Format of cell annotations: a ``str.format`` pattern ("{:.0%}") or a
            callable; default: whole numbers for integer data, two decimals otherwise.
        cmap: Matplotlib colour map name.
        vmin: Bottom of the colour scale (0 so that "absent" always looks the same).
        vmax: Top of the colour scale; default: the matrix maximum.
        xlabel: Label under the column axis.
        ylabel: Label beside the row axis.
        dpi: Resolution.

    Returns:
        The PNG file's bytes.
    """
    values = matrix.to_numpy(dtype="float64") if matrix.size else np.zeros((0, 0))
    n_rows, n_cols = values.shape
    row_labels = [str(v) for v in matrix.index]
    col_labels = [str(v) for v in matrix.columns]
    longest_row = max((len(s) for s in row_labels), default=4)
    longest_col = max((len(s) for s in col_labels), default=4)
    # Size grows with the matrix and its labels, within limits a browser can still show.
    width = min(max(4.5, 1.8 + 0.6 * n_cols + 0.07 * longest_row), 22.0)
    height = min(max(2.8, 1.2 + 0.38 * n_rows + 0.06 * longest_col), 30.0)
    width = max(width, min(0.09 * len(title), 22.0))  # a long title must not be clipped
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if values.size == 0:
        ax.text(0.5, 0.5, "geen gegevens (no data)", ha="center", va="center", fontsize=11, color="#555")
        ax.set_axis_off()
    else:
        top = vmax if vmax is not None else float(np.nanmax(values)) or 1.0
        image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=top, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(n_cols), labels=col_labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
        ax.set_yticks(range(n_rows), labels=row_labels, fontsize=8)
        ax.tick_params(length=0)
        # White gridlines between cells keep neighbouring equal values apart.
        ax.set_xticks(np.arange(-0.5, n_cols), minor=True)
        ax.set_yticks(np.arange(-0.5, n_rows), minor=True)
        ax.grid(which="minor", color="white", linewidth=1)
        ax.tick_params(which="minor", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if n_rows * n_cols <= MAX_ANNOTATED_CELLS:
            fmt = _formatter(values, value_format)
            low = vmin if vmin is not None else float(np.nanmin(values))
            size = 8 if n_rows * n_cols <= 200 else 6
            for i in range(n_rows):
                for j in range(n_cols):
                    value = values[i, j]
                    if not np.isfinite(value):
                        continue
                    # Dark cells get white text, light ones black, so every number stays readable.
                    level = (value - low) / (top - low) if top > low else 0.0
                    ax.text(j, i, fmt(value), ha="center", va="center", fontsize=size,
                            color="white" if level > 0.55 else "#1a1a1a")
        colorbar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
        colorbar.ax.tick_params(labelsize=7)
        colorbar.outline.set_visible(False)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.set_ylabel(ylabel, fontsize=9)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    # The same layout as fig.tight_layout(), applied once: tight_layout leaves a placeholder
    # layout engine on the figure, which makes savefig lay out and draw the figure a second time.
    TightLayoutEngine().execute(fig)
    buffer = io.BytesIO()
    # No "Software" metadata: the same matrix gives the same bytes across matplotlib versions.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def as_data_uri(png_bytes: bytes, mime: str = "image/png") -> str:
    """Encode image bytes as a ``data:`` URI, so an HTML report needs no separate files."""
    return f"data:{mime};base64,{base64.b64encode(png_bytes).decode('ascii')}"
