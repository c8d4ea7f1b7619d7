"""The quotes chapter per case: numbered per case, each case's part rendered once for what it shows."""

from __future__ import annotations

from jinja2 import DictLoader

from pipeline.report import render
from pipeline.report.quote_chapter import case_sections, render_parts
from tests.test_report_framework import quote


def _quotes():
    return [quote("c1", "trust.building", "Wij vertrouwen elkaar.", "vertrouwen", rank=1),
            quote("c1", "trust.building", "Vertrouwen groeit.", "Vertrouwen", rank=2, start=500),
            quote("c1", "trust.distrust", "Ik wantrouw ze.", "wantrouw", rank=1, start=900),
            quote("c2", "trust.distrust", "Wantrouwen overal.", "Wantrouwen")]


def _parts(quotes, codebook, cache, fmt="html", env=None):
    sections = case_sections(quotes, codebook, {"c1": {"stad": "Utrecht"}})
    env = env or render._environment(render.DEFAULT_TEMPLATES, fmt == "html")
    rendered = render_parts(sections, env, fmt, cache)
    return sections, rendered


def test_quotes_are_numbered_per_case_in_codebook_then_rank_order(small_codebook):
    sections = case_sections(list(reversed(_quotes())), small_codebook, {})
    assert [s.case_id for s in sections] == ["c1", "c2"] and [s.no for s in sections] == [1, 2]
    views = [v for entry in sections[0].codes for v in entry["quotes"]]
    assert [(v["no"], v["q"].text) for v in views] == [
        ("1.1", "Wij vertrouwen elkaar."), ("1.2", "Vertrouwen groeit."), ("1.3", "Ik wantrouw ze.")]
    assert sections[1]["codes"][0]["quotes"][0]["no"] == "2.1"  # the DOCX writer reads it as a mapping
    assert set(sections[0].numbers.values()) == {"1.1", "1.2", "1.3"}


def test_only_a_changed_case_is_rendered_again_and_kept_parts_equal_fresh_ones(small_codebook, tmp_path):
    quotes = _quotes()
    for fmt in ("html", "md"):
        first, rendered = _parts(quotes, small_codebook, tmp_path, fmt)
        assert rendered == 2
        again, rendered = _parts(quotes, small_codebook, tmp_path, fmt)
        assert rendered == 0 and [s.rendered[fmt] for s in again] == [s.rendered[fmt] for s in first]
    changed = [*quotes[:3], quote("c2", "trust.distrust", "Wantrouwen overal, echt.", "Wantrouwen")]
    sections, rendered = _parts(changed, small_codebook, tmp_path)
    assert rendered == 1 and "echt." in sections[1].rendered["html"]
    fresh, _ = _parts(changed, small_codebook, None)
    assert [s.rendered["html"] for s in sections] == [s.rendered["html"] for s in fresh]
    # Only what the latest report used is kept: two parts per format.
    assert len(list((tmp_path / "html").glob("*.html"))) == 2


def test_part_shows_case_quotes_with_escaped_text_and_anchors(small_codebook, tmp_path):
    evil = quote("c1", "trust.building", "Wij <script>vertrouwen</script> elkaar.", "vertrouwen")
    sections, _ = _parts([evil], small_codebook, tmp_path)
    html = sections[0].rendered["html"]
    assert '<h3 id="case-1">Case c1</h3>' in html and "stad: Utrecht" in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "C1.1" in html


def test_a_studys_own_part_template_is_used_and_renders_again(small_codebook, tmp_path):
    quotes = _quotes()
    _parts(quotes, small_codebook, tmp_path)
    env = render._environment(render.DEFAULT_TEMPLATES, True).overlay(
        loader=DictLoader({"_quote_case.html.j2": "<p>{{ case.case_id }}: {{ case.codes | length }} codes</p>"}))
    sections, rendered = _parts(quotes, small_codebook, tmp_path, env=env)
    assert rendered == 2 and sections[0].rendered["html"] == "<p>c1: 2 codes</p>"
