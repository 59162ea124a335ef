"""The gallery: one self-contained HTML page with every catalog function, and a PNG grid.

``build_gallery("out/")`` writes ``out/index.html`` (formulas typeset to PNG, plots as
inline SVG, CSS inline: no external URL, no script) and ``out/grid.png``. Each
function gets a card with its formula, a small plot of f and f′ (input and output bars
for vector and gated functions), its parameters, properties and framework spellings,
grouped by family. The catalog is sampled in this process; the drawing (the slow
part) runs in worker processes started by a fork server, where one is available.
"""

from __future__ import annotations

import base64
import datetime
import multiprocessing
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from actlab.catalog import registry
from actlab.catalog.spec import ActivationSpec
from actlab.errors import ActlabError
from actlab.report.curves import PlottedFunction, plotted_function
from actlab.report.figure_files import OutputPathError, write_atomically
from actlab.report.formula import formula_image
from actlab.report.small_plots import SmallPlotData, card_svg, grid_png
from actlab.report.vector_plots import GATED_INPUT, SEED_004_INPUTS, vector_example_text

TEMPLATES = Path(__file__).parent / "templates"
FRAMEWORK_LABELS = {"torch": "PyTorch", "keras": "Keras 3", "keras2": "Keras 2", "jax": "JAX"}
PROPERTY_LABELS = {
    "range": "range", "monotonic": "monotonic", "smoothness": "smoothness",
    "bounded_below": "bounded below", "bounded_above": "bounded above",
    "zero_centred": "zero-centred", "saturating": "saturates", "self_normalising":
    "self-normalising",
}
BASE_RANGE = (-4.0, 4.0)
MAX_RANGE = 10.0
SAMPLES = 301


@dataclass
class GalleryCard:
    """Everything one function's card shows."""

    name: str
    family: str
    kind: str
    summary: str
    latex: str
    label: str
    params: list[dict[str, str]] = field(default_factory=list)
    properties: list[tuple[str, str]] = field(default_factory=list)
    kinks: str = ""
    frameworks: list[tuple[str, str, str]] = field(default_factory=list)
    example: str = ""
    references: list[str] = field(default_factory=list)
    notes: str = ""
    problem: str = ""
    formula_png: str | None = None
    formula_width: int = 0
    formula_height: int = 0
    plot_svg: str = ""

    origin: str = "catalog"

    @property
    def anchor(self) -> str:
        return f"fn-{self.name}"

    @property
    def title(self) -> str:
        """The canonical name; for a formula, the formula (its name is only a hash)."""
        return self.label if self.origin == "expression" else self.name


@dataclass(frozen=True)
class GalleryResult:
    """The files written and the functions that could not be plotted (name, why)."""

    index: Path
    grid: Path
    functions: int
    problems: tuple[tuple[str, str], ...] = ()


# -- sampling (this process: it evaluates the catalog) ---------------------------------------
def gallery_range(function: PlottedFunction) -> tuple[float, float]:
    """(-4, 4), widened to show the kinks within (-10, 10) with a margin."""
    # Far kinks (softplus switches to x at 20) are numerical, not the function's shape.
    kinks = function.kinks(-MAX_RANGE + 1, MAX_RANGE - 1)
    low = min([BASE_RANGE[0], *(k - 1.0 for k in kinks)])
    high = max([BASE_RANGE[1], *(k + 1.0 for k in kinks)])
    return max(low, -MAX_RANGE), min(high, MAX_RANGE)


def sample(function: PlottedFunction) -> SmallPlotData:
    """The data of one small plot: f and f′ on the gallery range, or example bars."""
    name = function.spec.name
    if function.spec.kind == "gated":
        x = np.array(GATED_INPUT)
        half = len(x) // 2
        return SmallPlotData(name, "gated", bars=(("a", x[:half]), ("b (gate)", x[half:]),
                                                  ("output", function.vector_values(x))))
    if function.spec.kind != "elementwise":
        x = np.array(SEED_004_INPUTS[0])
        return SmallPlotData(name, function.spec.kind,
                             bars=(("input", x), ("output", function.vector_values(x))))
    low, high = gallery_range(function)
    grid = np.linspace(low, high, SAMPLES)
    orders = (0, 1) if function.spec.derivative is not None else (0,)
    return SmallPlotData(name, "elementwise", (low, high),
                         tuple(function.curve(grid, order) for order in orders),
                         function.kinks(low, high))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _frameworks(spec: ActivationSpec) -> list[tuple[str, str, str]]:
    rows = []
    for framework, fl in spec.flavors.items():
        for spelling, extra in fl.names.items():
            bound = spec.bind(flavor=framework, extra_defaults=extra, fill_examples=True)
            shown = ", ".join(f"{p.name}={_value(bound[p.name])}" for p in spec.math_params
                              if p.name != "dim" and bound[p.name] is not None)
            rows.append((FRAMEWORK_LABELS.get(framework, framework), spelling, shown))
    return rows


def describe(spec: ActivationSpec) -> tuple[GalleryCard, SmallPlotData | None]:
    """A card's text and the data of its plot (None, with card.problem, if it fails)."""
    function = plotted_function(spec)
    canonical = function.params
    card = GalleryCard(
        name=spec.name, family=spec.family, kind=spec.kind, summary=spec.summary,
        latex=spec.latex, label=function.label, origin=spec.origin,
        params=[{"name": p.name,
                 "default": "required (e.g. " + _value(p.example) + ")" if p.required
                 else _value(canonical[p.name]),
                 "allowed": p.describe_constraint(), "doc": p.doc,
                 "learnable": "learnable" if p.learnable else ""} for p in spec.params],
        properties=[(PROPERTY_LABELS.get(k, k), _value(v))
                    for k, v in spec.properties.as_dict().items()],
        kinks=", ".join(f"{k:g}" for k in function.kinks()),
        frameworks=_frameworks(spec),
        references=list(spec.references), notes=spec.notes)
    try:
        data = sample(function)
        if spec.kind == "vector":
            card.example = vector_example_text(function, np.array(SEED_004_INPUTS[0]))
        elif spec.kind == "gated":
            card.example = vector_example_text(function, np.array(GATED_INPUT))
    except (ActlabError, ValueError, RuntimeError) as err:
        card.problem = f"{type(err).__name__}: {err}"
        return card, None
    return card, data


# -- drawing (worker processes: matplotlib only) ----------------------------------------------
def _draw_card(task: tuple[SmallPlotData | None, str]) -> tuple[str, bytes | None, int, int]:
    data, latex = task
    image = formula_image(latex)
    svg = card_svg(data) if data is not None else ""
    return svg, image.png, image.width_px, image.height_px


def _pool(workers: int) -> ProcessPoolExecutor | None:
    # The workers only draw (their tasks are plain data). They come from a fork server,
    # not from this process: forking a process whose torch, OpenMP or JAX threads are
    # running can deadlock the child.
    if workers <= 1 or not sys.platform.startswith("linux"):
        return None
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))


def _draw_all(tasks: list[tuple[SmallPlotData | None, str]], grid_data: list[SmallPlotData],
              workers: int) -> tuple[list[tuple[str, bytes | None, int, int]], bytes]:
    pool = _pool(workers)
    if pool is None:
        return [_draw_card(t) for t in tasks], grid_png(grid_data)
    with pool:
        grid = pool.submit(grid_png, grid_data)
        chunk = max(1, len(tasks) // (4 * workers))
        drawn = list(pool.map(_draw_card, tasks, chunksize=chunk))
        return drawn, grid.result()


# -- the page ---------------------------------------------------------------------------------
def family_title(family: str) -> str:
    """"glu" -> "GLU", "self-gated" -> "Self-gated"."""
    return family.upper() if len(family) <= 3 else family[:1].upper() + family[1:]


def render_page(cards: Sequence[GalleryCard], *, grid_name: str = "grid.png") -> str:
    """The gallery's HTML from its cards, grouped by family."""
    families: dict[str, list[GalleryCard]] = {}
    for card in sorted(cards, key=lambda c: (c.family == "custom", c.family, c.name)):
        families.setdefault(card.family, []).append(card)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                                     autoescape=jinja2.select_autoescape(("html", "j2")),
                                     trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    from actlab import __version__

    return environment.get_template("gallery.html.j2").render(
        families=[(family, family_title(family), members)
                  for family, members in families.items()],
        count=len(cards), css=(TEMPLATES / "gallery.css").read_text(encoding="utf-8"),
        grid_name=grid_name, version=__version__,
        generated=datetime.date.today().isoformat())


def _output_folder(outdir: str | os.PathLike) -> Path:
    folder = Path(outdir)
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"cannot write the gallery to {str(folder)!r}: it is a file")
    if not folder.exists():
        if not folder.parent.is_dir():
            raise OutputPathError(f"cannot create {str(folder)!r}: the folder "
                                  f"{str(folder.parent)!r} does not exist")
        try:
            folder.mkdir()
        except OSError as err:
            raise OutputPathError(f"cannot create {str(folder)!r}: {err.strerror or err}"
                                  ) from None
    return folder


def build_gallery(outdir: str | os.PathLike, names: Iterable[str] | None = None, *,
                  workers: int | None = None) -> GalleryResult:
    """Write index.html and grid.png for every catalog function (or the names given)."""
    folder = _output_folder(outdir)
    specs = (registry().specs() if names is None
             else list({s.name: s for s in (plotted_function(n).spec for n in names)}.values()))
    described = [describe(spec) for spec in specs]
    tasks = [(data, card.latex) for card, data in described]
    grid_data = [data for _, data in described if data is not None]
    count = workers if workers is not None else min(4, os.cpu_count() or 1)
    drawn, grid = _draw_all(tasks, grid_data, count if len(tasks) >= 8 else 1)
    cards = []
    for (card, _), (svg, png, width, height) in zip(described, drawn, strict=True):
        card.plot_svg = svg
        if png is not None:
            card.formula_png = base64.b64encode(png).decode("ascii")
            card.formula_width, card.formula_height = width, height
        cards.append(card)
    page = render_page(cards)
    grid_path = write_atomically(folder / "grid.png", lambda f: f.write(grid))
    index_path = write_atomically(folder / "index.html",
                                  lambda f: f.write(page.encode("utf-8")))
    return GalleryResult(index_path, grid_path, len(cards),
                         tuple((c.name, c.problem) for c in cards if c.problem))
