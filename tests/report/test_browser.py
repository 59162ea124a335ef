"""The gallery in headless Chromium: no console errors, nothing fetched, not blank, fits a laptop.

Needs Debian's chromium (apt-get install -y chromium) and the websocket-client package;
skips, saying which is missing, otherwise.
"""

from __future__ import annotations

import pytest

from actlab.catalog import registry
from support.browser import dump_dom, find_chromium, inspect_page, screenshot_stats

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None,
                       reason="no chromium executable (apt-get install -y chromium, "
                              "or set ACTLAB_CHROMIUM)"),
]


@pytest.fixture(scope="module")
def devtools():
    return pytest.importorskip("websocket", reason="inspecting pages needs websocket-client")


def test_gallery_loads_cleanly_and_is_not_blank(gallery_dir, devtools, tmp_path):
    shot = tmp_path / "gallery.png"
    report = inspect_page(gallery_dir / "index.html", width=1280, height=800, screenshot=shot)
    assert report.errors == []
    assert report.external_requests() == [] and report.failed_requests == []
    assert report.title.startswith("actlab gallery")
    assert report.page_width <= 1280  # no sideways scrolling at laptop width
    assert report.images >= len(registry().names()) * 0.9 and report.broken_images == 0
    stats = screenshot_stats(shot)
    assert (stats.width, stats.height) == (1280, 800)
    assert not stats.looks_blank(min_variance=3e-3, min_non_white=0.03), stats


def test_gallery_dom_has_every_card(gallery_dir):
    dom = dump_dom(gallery_dir / "index.html")
    for name in registry().names():
        assert f'id="fn-{name}"' in dom
    assert dom.count("<svg") >= len(registry().names())


def test_checks_catch_errors_external_requests_and_blank_pages(devtools, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<html><head><title>bad</title></head><body><p>x</p>'
                   '<img src="https://example.invalid/a.png">'
                   '<script>console.error("broken"); missing();</script></body></html>')
    report = inspect_page(bad, settle=1.0)
    levels = sorted({m.level for m in report.errors})
    assert "error" in levels and "exception" in levels
    assert report.external_requests() == ["https://example.invalid/a.png"]
    assert report.broken_images == 1
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body></body></html>")
    shot = tmp_path / "blank.png"
    inspect_page(blank, screenshot=shot)
    assert screenshot_stats(shot).looks_blank()
