"""Heatmaps: cells painted in the colour of their value, the same bytes whether or not the frame was reused."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image

from pipeline.report import figures
from pipeline.report.figures import heatmap_png


def _matrix(values) -> pd.DataFrame:
    return pd.DataFrame(values, index=["keilehaven", "werkspoor"], columns=["trust", "conflict", "network"])


def test_reused_frame_gives_the_bytes_of_a_fresh_drawing():
    first = _matrix([[0.1, 0.5, 0.9], [0.2, 0.0, 0.3]])
    changed = _matrix([[0.1, 0.5, 0.9], [0.25, 0.0, 0.3]])  # same labels and top: the frame is reused
    heatmap_png(first, "Aandeel", value_format="{:.0%}")
    reused = heatmap_png(changed, "Aandeel", value_format="{:.0%}")
    figures._FRAMES.clear()
    assert heatmap_png(changed, "Aandeel", value_format="{:.0%}") == reused
    assert reused != heatmap_png(first, "Aandeel", value_format="{:.0%}")


def test_cells_take_the_colour_of_their_value_and_numbers_their_contrast():
    values = np.array([[0.0, 0.5, 1.0], [1.0, 0.0, 0.5]])
    figures._FRAMES.clear()
    png = heatmap_png(_matrix(values), "Aandeel", value_format="{:.0%}")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    [(frame, (left, upper, right, lower))] = figures._FRAMES.values()
    assert frame.shape == pixels.shape
    width, height = (right - left) / 3, (lower - upper) / 2
    # A point inside each cell but off its number: the colour map's colour for the value.
    blues = figures.colormaps["Blues"]
    for i in range(2):
        for j in range(3):
            x, y = int(left + (j + 0.15) * width), int(upper + (i + 0.15) * height)
            expected = np.array(blues(values[i, j], bytes=True)[:3])
            assert np.abs(pixels[y, x] - expected).max() <= 1, (i, j)
    # The darkest cell's number is light, the lightest cell's number dark.
    dark = pixels[int(upper + 0.3 * height):int(upper + 0.7 * height), int(left + 2.3 * width):int(left + 2.7 * width)]
    light = pixels[int(upper + 0.3 * height):int(upper + 0.7 * height), int(left + 0.3 * width):int(left + 0.7 * width)]
    assert dark.max() > 200 and light.min() < 80


def test_empty_matrix_says_no_data():
    png = heatmap_png(pd.DataFrame(), "Leeg")
    assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).size[0] > 100


def test_a_new_process_reuses_frames_kept_on_disk_with_the_same_bytes(tmp_path):
    from pipeline.report.figure_cache import FigureCache

    first = _matrix([[1, 4, 0], [2, 0, 7]])
    changed = _matrix([[1, 4, 0], [3, 0, 7]])
    figures._FRAMES.clear()
    heatmap_png(first, "Segmenten", frames=FigureCache(tmp_path))
    kept = list(tmp_path.glob("frame-*.frame"))
    assert len(kept) == 1
    figures._FRAMES.clear()  # as in a new process
    cache = FigureCache(tmp_path)
    calls = []
    original = figures._draw_frame
    try:
        figures._draw_frame = lambda *key: calls.append(key) or original(*key)
        from_disk = heatmap_png(changed, "Segmenten", frames=cache)
    finally:
        figures._draw_frame = original
    assert calls == []  # the frame came from disk
    figures._FRAMES.clear()
    assert heatmap_png(changed, "Segmenten") == from_disk
    assert cache.keep_only_used() == 0 and kept[0].is_file()
    assert FigureCache(tmp_path).keep_only_used() == 1 and not kept[0].exists()


def test_colour_scale_ends_on_a_round_number_at_or_above_the_maximum():
    assert figures.nice_top(0.437) == 0.5
    assert figures.nice_top(0.3) == 0.3
    assert figures.nice_top(0.30000000000000004) == 0.3
    assert figures.nice_top(37) == 40
    assert figures.nice_top(7) == 8
    assert figures.nice_top(1) == 1
    assert figures.nice_top(0) == 1.0
    assert figures.nice_top(float("nan")) == 1.0
    for value in np.random.default_rng(3).uniform(0.001, 5000, 500):
        top = figures.nice_top(float(value))
        assert value <= top <= 1.5 * value + 1e-9


def test_a_small_change_in_the_maximum_keeps_the_frame(monkeypatch):
    drawn = []
    real = figures._draw_frame
    monkeypatch.setattr(figures, "_draw_frame", lambda *key: drawn.append(key) or real(*key))
    monkeypatch.setattr(figures, "_FRAMES", {})
    heatmap_png(pd.DataFrame([[0.41, 0.2], [0.1, 0.0]], index=["a", "b"], columns=["x", "y"]), "t")
    heatmap_png(pd.DataFrame([[0.43, 0.2], [0.1, 0.05]], index=["a", "b"], columns=["x", "y"]), "t")
    assert len(drawn) == 1
    heatmap_png(pd.DataFrame([[0.61, 0.2], [0.1, 0.05]], index=["a", "b"], columns=["x", "y"]), "t")
    assert len(drawn) == 2  # past 0.5 the scale, hence the colour bar, changes
