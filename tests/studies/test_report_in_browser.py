"""The study report in a real browser: loads without errors, requests nothing, shows plots."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from support.browser import dump_dom, find_chromium, inspect_page

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(find_chromium() is None, reason="no chromium installed")]

# Written into the DOM after load, so that `chromium --dump-dom` carries it out.
IMAGE_CHECK = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map(img => ({
    alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight}));
  const out = document.createElement("pre");
  out.id = "image-check";
  out.textContent = JSON.stringify(images);
  document.body.appendChild(out);
});
</script>
"""


def test_report_loads_cleanly_and_is_self_contained(quick_study_dir):
    folder, _ = quick_study_dir
    page = inspect_page(folder / "report.html")
    assert page.errors == []
    assert page.external_requests() == []
    assert page.title == "actlab study quick"
    html = (folder / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_every_plot_renders(quick_study_dir, tmp_path: Path):
    folder, _ = quick_study_dir
    checked = tmp_path / "report.html"
    checked.write_text((folder / "report.html").read_text().replace("</body>",
                                                                     IMAGE_CHECK + "</body>"))
    dom = dump_dom(checked)
    match = re.search(r'<pre id="image-check">(.*?)</pre>', dom, re.S)
    assert match, "the check script did not run"
    images = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    titles = {image["alt"] for image in images}
    assert {"Final test accuracy per seed", "Loss and accuracy during training",
            "First-layer gradients (seed 003's view)", "Gradient norms",
            "Activation statistics, dead and saturated units"} <= titles
    for image in images:
        assert image["complete"] and image["width"] > 100 and image["height"] > 100, image
