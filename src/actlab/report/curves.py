"""Activations as plots draw them: the catalog's f, f′ and f″ sampled on a grid, with kinks.

Every value comes from the spec in `actlab.catalog` (its reference `forward`, its
analytic `derivative` and `second_derivative`), computed in float64. Where a curve
jumps (f′ of ReLU at 0, f of the binary step), the sampled line is broken at the jump
and the jump is reported, so a plot can draw the one-sided limits as open circles and
the value the catalog assigns at the point itself as a filled one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from actlab.catalog import resolve
from actlab.catalog.registry import Resolved
from actlab.catalog.spec import ActivationSpec
from actlab.errors import ActlabError, ShapeError

#: Seed 001's inputs: the points of y = x that the transformation view sends through.
SEED_001_INPUTS = np.arange(-3, 3.5, 0.5)

ORDER_NAMES = ("f", "f′", "f″")


class NotElementwiseError(ActlabError, ValueError):
    """A vector or gated activation where a curve y = f(x) is asked for."""


@dataclass(frozen=True)
class Jump:
    """A point where a sampled curve is discontinuous: limits from each side, value at x."""

    x: float
    left: float
    right: float
    value: float


@dataclass(frozen=True)
class Curve:
    """One sampled curve: x, y (NaN where the line breaks at a jump) and the jumps."""

    x: np.ndarray
    y: np.ndarray
    jumps: tuple[Jump, ...]


@dataclass(frozen=True)
class PlottedFunction:
    """One activation as a plot shows it: spec, parameter values and a legend label."""

    resolved: Resolved
    params: Mapping[str, Any]
    label: str

    @property
    def spec(self) -> ActivationSpec:
        return self.resolved.spec

    @property
    def elementwise(self) -> bool:
        return self.spec.kind == "elementwise"

    @property
    def math_values(self) -> dict[str, Any]:
        values = self.spec.math_values(self.params)
        # Learnable parameters may be bound as ints (PReLU's weight=0): the formulas
        # expect the float they become in a layer.
        return {k: float(v) if self.spec.param(k).learnable and isinstance(v, int) else v
                for k, v in values.items()}

    def kinks(self, low: float = -np.inf, high: float = np.inf) -> tuple[float, ...]:
        """The points strictly inside (low, high) where smoothness drops."""
        if not self.elementwise:
            return ()
        return tuple(sorted(k for k in self.spec.kink_points(self.params) if low < k < high))

    def values(self, x: np.ndarray, order: int = 0) -> np.ndarray:
        """f (order 0), f′ (1) or f″ (2) at x, in float64, from the catalog's formulas."""
        if not self.elementwise:
            raise NotElementwiseError(
                f"{self.label} is a {self.spec.kind} function (a vector in, a vector out) "
                f"and has no curve y = f(x); plot it on its own to see it as bars")
        fn = (self.spec.forward, self.spec.derivative, self.spec.second_derivative)[order]
        if fn is None:
            raise ActlabError(f"{self.label}: the catalog has no analytic "
                              f"{ORDER_NAMES[order]} for this function")
        t = torch.as_tensor(np.asarray(x, dtype=np.float64))
        with torch.no_grad():
            y = fn(t, **self.math_values)
        out = torch.as_tensor(y, dtype=torch.float64).broadcast_to(t.shape)
        return out.numpy().copy()

    def vector_values(self, x: np.ndarray) -> np.ndarray:
        """The output for the whole vector x (softmax over all of x; gated: halves of x)."""
        t = torch.as_tensor(np.asarray(x, dtype=np.float64))
        with torch.no_grad():
            try:
                y = self.spec.forward(t, **self.math_values)
            except ShapeError:
                if self.spec.kind != "vector":
                    raise
                # Softmax2d and the like take images: the vector becomes the channels of
                # one pixel, the dimension they normalise over.
                y = self.spec.forward(t.reshape(-1, 1, 1), **self.math_values)
        return y.reshape(-1).numpy().copy()

    def curve(self, grid: np.ndarray, order: int = 0) -> Curve:
        """The order-th derivative sampled on grid, broken (NaN) where it jumps."""
        grid = np.asarray(grid, dtype=np.float64)
        low, high = float(grid.min()), float(grid.max())
        continuous: list[float] = []
        jumps: list[Jump] = []
        for k in self.kinks(low, high):
            step = 1e-7 * max(1.0, abs(k))
            left, value, right = self.values(np.array([k - step, k, k + step]), order)
            if _differ(left, right):
                jumps.append(Jump(k, float(left), float(right), float(value)))
            else:
                continuous.append(k)
        # The kinks themselves are sampled so that corners are drawn exactly; at a jump
        # the line runs up to each side of it.
        at_jumps = [j.x for j in jumps]
        sides = [j.x + s * 1e-9 * max(1.0, abs(j.x)) for j in jumps for s in (-1, 1)]
        x = np.unique(np.concatenate([grid, continuous, sides]))
        x = x[~np.isin(x, at_jumps)]
        y = self.values(x, order)
        y[~np.isfinite(y)] = np.nan
        if jumps:
            at = np.searchsorted(x, at_jumps)
            x = np.insert(x, at, at_jumps)
            y = np.insert(y, at, np.nan)
        return Curve(x, y, tuple(jumps))


def _differ(a: float, b: float) -> bool:
    if not (np.isfinite(a) and np.isfinite(b)):
        return not (np.isnan(a) and np.isnan(b)) and a != b
    return abs(a - b) > 1e-4 * (1.0 + abs(a) + abs(b))


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _label(resolved: Resolved, params: Mapping[str, Any]) -> str:
    """What the user wrote, plus the parameter values a flavor chose without showing them."""
    spec = resolved.spec
    text = (resolved.text or spec.name).strip()
    if spec.origin == "expression" and text == spec.name:
        return spec.source or text  # a spec passed as an object: its formula, not its hash
    if resolved.params or spec.origin == "expression":
        return text
    canonical = spec.bind(fill_examples=True)
    changed = {p.name: params[p.name] for p in spec.math_params
               if params[p.name] != canonical[p.name]}
    if changed:
        text += " (" + ", ".join(f"{k}={_fmt(v)}" for k, v in changed.items()) + ")"
    return text


def plotted_function(name: str | ActivationSpec | Resolved | PlottedFunction,
                     **params: Any) -> PlottedFunction:
    """Resolve a name, spelling, flavor or formula for plotting (missing values: examples)."""
    if isinstance(name, PlottedFunction):
        return name
    resolved = resolve(name)
    bound = resolved.bind(params, fill_examples=True)
    return PlottedFunction(resolved, bound, _label(resolved, bound))


def plotted_functions(names: str | Iterable[Any]) -> list[PlottedFunction]:
    """Every name of a list (or one name) resolved for plotting."""
    if isinstance(names, (str, ActivationSpec, Resolved, PlottedFunction)):
        names = [names]
    functions = [plotted_function(n) for n in names]
    if not functions:
        raise ActlabError("no activation to plot; give at least one name")
    return functions


def split_kinds(functions: Sequence[PlottedFunction]
                ) -> tuple[list[PlottedFunction], list[PlottedFunction]]:
    """The elementwise functions and the vector/gated ones, each in the given order."""
    return ([f for f in functions if f.elementwise], [f for f in functions if not f.elementwise])
