"""The gallery page: every catalog function, formulas, plots, self-contained, and the grid."""

from __future__ import annotations

import html as html_module
import re
from html.parser import HTMLParser

import numpy as np
from matplotlib.image import imread

from actlab.catalog import registry
from actlab.report import build_gallery


class _Collector(HTMLParser):
    """Ids, resource URLs and the card structure of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for key, value in attrs:
            if key == "id":
                self.ids.append(value)
            if key in ("src", "href", "xlink:href", "action", "poster", "data"):
                self.urls.append(value)


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def _cards(html: str) -> dict[str, str]:
    parts = re.split(r'<article class="card" id="fn-', html)[1:]
    return {p[:p.index('"')]: p[:p.index("</article>")] for p in parts}


def test_every_catalog_function_has_a_card(gallery_dir):
    html = (gallery_dir / "index.html").read_text(encoding="utf-8")
    cards = _cards(html)
    assert sorted(cards) == registry().names()
    for name, card in cards.items():
        spec = registry().spec(name)
        assert spec.summary in html_module.unescape(card)
        assert ('<img src="data:image/png;base64,' in card) or ('<code class="latex">' in card)
        assert "<svg" in card, name
        assert "Parameters" in card or not spec.params


def test_formulas_with_cases_are_images(gallery_dir):
    cards = _cards((gallery_dir / "index.html").read_text(encoding="utf-8"))
    for name in ("relu", "elu", "leaky_relu", "sqnl"):
        assert '<img src="data:image/png;base64,' in cards[name], name


def test_page_is_self_contained_with_unique_ids(gallery_dir):
    html = (gallery_dir / "index.html").read_text(encoding="utf-8")
    page = _parse(html)
    external = [u for u in page.urls
                if not (u.startswith("#") or u.startswith("data:") or u == "grid.png")]
    assert external == []
    assert "<script" not in html and "@import" not in html and "url(http" not in html
    assert len(page.ids) == len(set(page.ids))
    # Every in-page link points to something on the page.
    targets = {u[1:] for u in page.urls if u.startswith("#")}
    assert targets <= set(page.ids)


def test_table_of_contents_groups_by_family(gallery_dir):
    html = (gallery_dir / "index.html").read_text(encoding="utf-8")
    toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
    for family in {s.family for s in registry().specs()}:
        assert f'href="#family-{family}"' in toc
        assert f'id="family-{family}"' in html
    assert all(f'href="#fn-{n}"' in toc for n in registry().names())


def test_softmax_card_has_seed_004_example(gallery_dir):
    card = _cards((gallery_dir / "index.html").read_text(encoding="utf-8"))["softmax"]
    assert "softmax([1, 2, 3, 4, 1, 2, 3]) = [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, " \
           "0.175]" in card


def test_grid_png_shows_every_function(gallery_dir):
    pixels = imread(gallery_dir / "grid.png")
    height, width = pixels.shape[:2]
    count = len(registry().names())
    rows = -(-count // 8)
    assert width >= 8 * 200 and height >= rows * 150
    grey = pixels[..., :3].mean(axis=-1)
    assert grey.var() > 1e-3 and (grey < 0.9).mean() > 0.03


def test_gallery_of_chosen_names_with_a_custom_formula(tmp_path):
    result = build_gallery(tmp_path / "g", ["relu", "x*sigmoid(1.702*x)", "softmax"], workers=1)
    html = result.index.read_text(encoding="utf-8")
    cards = _cards(html)
    assert len(cards) == 3 and "relu" in cards and "softmax" in cards
    custom = next(c for n, c in cards.items() if n.startswith("custom_"))
    assert '">x*sigmoid(1.702*x)</a></h3>' in custom and "<svg" in custom
    assert result.problems == ()
    assert np.asarray(imread(result.grid)).shape[0] > 100
