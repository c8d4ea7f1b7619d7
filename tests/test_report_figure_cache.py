"""The figure cache: keyed by exactly what a figure draws, so only changed figures are drawn again."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.report import context, figures
from pipeline.report.figure_cache import FigureCache, figure_key


def _m(values, index=("keilehaven", "werkspoor")) -> pd.DataFrame:
    return pd.DataFrame(values, index=list(index), columns=["trust", "conflict"])


def test_key_changes_with_every_value_label_type_and_drawing_argument():
    base = figure_key(_m([[1, 2], [3, 4]]), title="T", xlabel="code")
    assert figure_key(_m([[1, 2], [3, 4]]), title="T", xlabel="code") == base
    assert figure_key(_m([[1, 2], [3, 5]]), title="T", xlabel="code") != base
    assert figure_key(_m([[1, 2], [3, 4]], index=("keilehaven", "spoorzone")), title="T", xlabel="code") != base
    assert figure_key(_m([[1.0, 2.0], [3.0, 4.0]]), title="T", xlabel="code") != base
    assert figure_key(_m([[1, 2], [3, 4]]), title="T2", xlabel="code") != base
    assert figure_key(_m([[1, 2], [3, 4]]), title="T", xlabel="thema") != base


def test_unchanged_figure_comes_from_disk_in_a_new_process_and_changed_one_is_drawn(tmp_path, monkeypatch):
    drawn = []
    real = context.heatmap_png
    monkeypatch.setattr(context, "heatmap_png", lambda m, *a, **k: drawn.append(m.shape) or real(m, *a, **k))

    def render(matrix):
        context._FIGURE_CACHE.clear()  # as in a new process
        figures._FRAMES.clear()
        cache = FigureCache(tmp_path)
        figure = context._figure("case_by_theme", matrix, "Aandeel", True, "thema", "case", cache)
        cache.keep_only_used()
        return figure["png"]

    first = render(_m([[0.1, 0.2], [0.3, 0.4]]))
    assert len(drawn) == 1
    assert render(_m([[0.1, 0.2], [0.3, 0.4]])) == first and len(drawn) == 1  # read back, not drawn
    changed = render(_m([[0.1, 0.2], [0.3, 0.5]]))
    assert changed != first and len(drawn) == 2
    # Only what the latest report used stays: its figure and its heatmap frame.
    assert len(list(tmp_path.glob("*.png"))) == 1 and len(list(tmp_path.glob("frame-*.frame"))) == 1


def test_a_damaged_frame_is_drawn_again_and_old_png_frames_are_tidied(tmp_path):
    figures._FRAMES.clear()
    cache = FigureCache(tmp_path)
    key = ("k",)
    pixels = np.full((4, 6, 3), 200, dtype=np.uint8)
    cache.put_frame(key, pixels, (1, 1, 5, 3))
    got, box = FigureCache(tmp_path).get_frame(key)
    assert np.array_equal(got, pixels) and box == (1, 1, 5, 3)
    path = next(tmp_path.glob("frame-*.frame"))
    path.write_bytes(path.read_bytes()[:-5])  # cut short, as by a full disk
    assert FigureCache(tmp_path).get_frame(key) is None
    (tmp_path / "frame-0123.png").write_bytes(b"old")  # how frames were kept before
    fresh = FigureCache(tmp_path)
    fresh.get_frame(key)
    fresh.keep_only_used()
    assert not (tmp_path / "frame-0123.png").exists() and path.exists()
