"""The catalog's LaTeX formulas as matplotlib mathtext: inline titles and typeset images.

Matplotlib's mathtext renders most of the LaTeX the catalog writes, but not every
command (``\\tfrac``, ``\\le``, ``\\big(``, ``\\operatorname*``) and not the ``cases``
environment. `to_mathtext` rewrites the few commands it lacks; `formula_image` typesets
``cases`` itself (a stretched brace, a value column and a condition column), so that no
MathJax from a CDN is needed.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D, Bbox
from PIL import Image

# Commands mathtext lacks, with an equivalent it has; `(?![A-Za-z])` keeps \left, \geq.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"\\[td]?frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}"),
    (r"\\[td]frac(?![A-Za-z])", r"\\frac"),
    (r"\\le(?![A-Za-z])", r"\\leq"),
    (r"\\ge(?![A-Za-z])", r"\\geq"),
    (r"\\[Bb]igg?[lr]?(?![A-Za-z])", ""),
    (r"\\operatorname\*", r"\\operatorname"),
    (r"\\[lr]Vert(?![A-Za-z])", r"\\Vert"),
    (r"\\[lr]vert(?![A-Za-z])", "|"),
    (r"\\text\{for\}\\:\s*", ""),
    (r"\\mathbb\{R\}", r"\\mathbb{R}"),
)

_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.S)

INK = "#1f2933"
_FONT = FontProperties(math_fontfamily="cm")


def to_mathtext(latex: str) -> str:
    """The LaTeX with the commands mathtext lacks replaced by ones it has."""
    text = latex
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text)
    return text.strip()


@lru_cache(maxsize=1024)
def renders(math: str) -> bool:
    """Whether mathtext can typeset `math` (one expression, without the dollars)."""
    try:
        _math_path(math, 15.0)
    except ValueError:
        return False
    return True


def split_cases(latex: str) -> list[str | list[tuple[str, str]]] | None:
    """The formula as pieces: plain math strings and ``cases`` blocks of (value, condition).

    None when a ``cases`` block is nested or has a row that is not ``value & condition``.
    """
    pieces: list[str | list[tuple[str, str]]] = []
    position = 0
    for match in _CASES.finditer(latex):
        pieces.append(latex[position:match.start()])
        body = match.group(1)
        if r"\begin" in body:
            return None
        rows = []
        for row in re.split(r"\\\\", body):
            if not row.strip():
                continue
            cells = row.split("&")
            if len(cells) != 2:
                return None
            rows.append((cells[0].strip(), cells[1].strip()))
        if not rows:
            return None
        pieces.append(rows)
        position = match.end()
    pieces.append(latex[position:])
    return [p for p in pieces if not (isinstance(p, str) and not p.strip())]


def _condition(cond: str) -> str:
    return to_mathtext(cond)


def inline_mathtext(latex: str) -> str | None:
    """The formula on one line in mathtext (``cases`` written "a if c; b if d"), or None."""
    pieces = split_cases(latex)
    if pieces is None:
        return None
    parts = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(to_mathtext(piece))
        else:
            branches = []
            for value, cond in piece:
                cond = _condition(cond)
                if re.fullmatch(r"\\text\{otherwise\}|\\mathrm\{otherwise\}", cond):
                    branches.append(rf"{to_mathtext(value)}\ \mathrm{{otherwise}}")
                else:
                    branches.append(rf"{to_mathtext(value)}\ \mathrm{{if}}\ {cond}")
            parts.append(r"\left\{\ " + r";\ \ ".join(branches) + r"\right.")
    math = r"\ ".join(parts)
    return math if renders(math) else None


def title_text(label: str, latex: str) -> str:
    """A figure title: the label and, where mathtext can typeset it, the formula."""
    formula = inline_mathtext(latex)
    return f"{label}:   ${formula}$" if formula else label


@dataclass(frozen=True)
class FormulaImage:
    """A typeset formula: PNG bytes, or None with the LaTeX source to show instead."""

    latex: str
    png: bytes | None
    width_px: int = 0
    height_px: int = 0


def _extents(path: Path) -> Bbox:
    # The control points' box: Path.get_extents finds Bézier extrema, 30x slower.
    if not len(path.vertices):
        return Bbox.null()
    low, high = path.vertices.min(axis=0), path.vertices.max(axis=0)
    return Bbox([low, high])


@lru_cache(maxsize=2048)
def _math_path(math: str, size: float) -> Path:
    return TextPath((0, 0), f"${math}$", size=size, prop=_FONT)


def _layout(pieces: list[str | list[tuple[str, str]]], size: float) -> list[Path]:
    """Every piece as a path in points, left to right, math axis at y = 0."""
    axis = 0.25 * size  # height of the math axis above the baseline (centre of + and =)
    gap = 0.3 * size
    x = 0.0
    paths: list[Path] = []
    for piece in pieces:
        if isinstance(piece, str):
            path = _math_path(to_mathtext(piece), size)
            box = _extents(path)
            paths.append(path.transformed(Affine2D().translate(x - box.x0, -axis)))
            x += box.width + gap
            continue
        values = [_math_path(to_mathtext(v), size) for v, _ in piece]
        conditions = [_math_path(_condition(c), size) for _, c in piece]
        line = 1.55 * size
        count = len(piece)
        top = (count - 1) * line / 2
        brace = _math_path(r"\{", size)
        bbox = _extents(brace)
        height = count * line
        scale_y = height / bbox.height
        paths.append(brace.transformed(
            Affine2D().translate(-bbox.x0, -(bbox.y0 + bbox.y1) / 2)
            .scale(min(1.6, scale_y ** 0.5), scale_y).translate(x, 0)))
        x += bbox.width * min(1.6, scale_y ** 0.5) + 0.5 * gap
        value_width = max(_extents(p).width for p in values)
        for row, (value, condition) in enumerate(zip(values, conditions, strict=True)):
            baseline = top - row * line - axis
            vbox = _extents(value)
            paths.append(value.transformed(Affine2D().translate(x - vbox.x0, baseline)))
            cbox = _extents(condition)
            paths.append(condition.transformed(
                Affine2D().translate(x + value_width + 1.2 * size - cbox.x0, baseline)))
        x += value_width + 1.2 * size + max(_extents(p).width for p in conditions) + size
    return paths


@lru_cache(maxsize=512)
def formula_image(latex: str, size: float = 15.0, dpi: int = 192) -> FormulaImage:
    """The formula typeset to a PNG (``cases`` included); png is None if it cannot be."""
    pieces = split_cases(latex)
    if pieces is None or not all(
            renders(to_mathtext(p)) if isinstance(p, str)
            else all(renders(to_mathtext(v)) and renders(_condition(c)) for v, c in p)
            for p in pieces):
        return FormulaImage(latex, None)
    paths = _layout(pieces, size)
    extents = [_extents(p) for p in paths if len(p.vertices)]
    x0 = min(b.x0 for b in extents)
    x1 = max(b.x1 for b in extents)
    y0 = min(b.y0 for b in extents)
    y1 = max(b.y1 for b in extents)
    pad = 0.2 * size
    width, height = (x1 - x0) + 2 * pad, (y1 - y0) + 2 * pad
    fig = Figure(figsize=(width / 72, height / 72), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    # add_artist, not add_patch: the limits are set, and autoscaling each glyph is slow.
    ax.add_artist(PathPatch(Path.make_compound_path(*paths), facecolor=INK,
                            edgecolor="none", lw=0))
    rendered = io.BytesIO()
    fig.savefig(rendered, format="png", dpi=dpi, transparent=True)
    # One ink colour on transparency: a 16-colour palette keeps the antialiasing at a
    # third of the size.
    image = Image.open(rendered).quantize(16, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return FormulaImage(latex, buffer.getvalue(), image.width, image.height)
