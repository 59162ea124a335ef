"""The catalog's LaTeX through mathtext: rewrites, cases typeset, fallbacks that never crash."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.image import imread

from actlab.catalog import registry
from actlab.report.formula import formula_image, inline_mathtext, split_cases, to_mathtext


def test_rewrites_commands_mathtext_lacks():
    assert to_mathtext(r"x \le 0,\ x \ge 1") == r"x \leq 0,\ x \geq 1"
    assert to_mathtext(r"\tfrac16 + \tfrac{x}{2}") == r"\frac{1}{6} + \frac{x}{2}"
    assert to_mathtext(r"\big(x\big) \left( y \right)") == r"(x) \left( y \right)"
    assert to_mathtext(r"\operatorname*{argmin}") == r"\operatorname{argmin}"


def test_cases_are_split_into_values_and_conditions():
    pieces = split_cases(r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha x & x \le 0 "
                         r"\end{cases} \quad (a)")
    assert pieces == ["f(x) = \\lambda ", [("x", "x > 0"), (r"\alpha x", r"x \le 0")],
                      r" \quad (a)"]
    assert split_cases(r"\begin{cases} a & b & c \end{cases}") is None
    assert split_cases(r"\begin{cases} \begin{cases} a & b \end{cases} & c \end{cases}") is None


@pytest.mark.parametrize("name", ["relu", "elu", "hard_sigmoid", "sqnl", "softmax", "gelu"])
def test_catalog_formulas_with_cases_become_images(name):
    image = formula_image(registry().spec(name).latex)
    assert image.png is not None
    pixels = imread(io.BytesIO(image.png))
    assert pixels.shape[:2] == (image.height_px, image.width_px)
    alpha = pixels[..., 3]
    assert 0.02 < (alpha > 0.5).mean() < 0.6  # ink on transparency, neither empty nor full


def test_custom_formula_piecewise_renders():
    from actlab.catalog import resolve

    latex = resolve("where(x > 0, x, a*(exp(x)-1)); a=1.0").spec.latex
    assert r"\text{otherwise}" in latex
    assert formula_image(latex).png is not None
    assert "otherwise" in inline_mathtext(latex)


@pytest.mark.parametrize("latex", [
    r"f(x) = \unknowncommand{x}",
    r"\begin{cases} \begin{cases} a & b \end{cases} & c \end{cases}",
    r"f(x) = \frac{1}{",
])
def test_what_mathtext_cannot_render_falls_back_to_source(latex):
    image = formula_image(latex)
    assert image.png is None and image.latex == latex
    assert inline_mathtext(latex) is None


def test_every_catalog_formula_is_handled():
    rendered = [formula_image(s.latex).png is not None for s in registry().specs()]
    assert np.mean(rendered) > 0.9
