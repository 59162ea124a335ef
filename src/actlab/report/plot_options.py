"""Checks of what a user asks a plot for: the x range, the number of points, the inputs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from actlab.errors import ActlabError

MAX_POINTS = 1_000_000
MAX_ABS_X = 1e300
MAX_INPUTS = 10_000


class PlotOptionError(ActlabError, ValueError):
    """A plot option outside what makes a plot: a backwards range, too few points."""


def check_range(x_range: Sequence[Any]) -> tuple[float, float]:
    """(low, high) as floats; both finite and low < high."""
    try:
        low, high = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise PlotOptionError(f"the x range must be two numbers (low, high), got {x_range!r}"
                              ) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise PlotOptionError(f"the x range must be finite, got ({low:g}, {high:g})")
    if max(abs(low), abs(high)) > MAX_ABS_X:
        # Wider, and the axis (with its margins) spans more than a float holds.
        raise PlotOptionError(f"the x range must lie within ±{MAX_ABS_X:g}, got "
                              f"({low:g}, {high:g})")
    if low >= high:
        fix = "swap the two numbers" if low > high else "give two different numbers"
        raise PlotOptionError(f"the x range must have low < high, got ({low:g}, {high:g}); "
                              f"{fix}")
    return low, high


def check_points(points: Any) -> int:
    """The number of samples of the x range: an integer from 2 to MAX_POINTS."""
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)):
        raise PlotOptionError(f"the number of points must be an integer, got {points!r}")
    if not 2 <= points <= MAX_POINTS:
        raise PlotOptionError(f"the number of points must be between 2 and {MAX_POINTS:,}, "
                              f"got {points}")
    return int(points)


def check_inputs(values: Iterable[Any], *, what: str = "inputs") -> np.ndarray:
    """A non-empty 1-D vector of finite numbers, as float64."""
    try:
        array = np.asarray(list(values), dtype=np.float64)
    except (TypeError, ValueError):
        raise PlotOptionError(f"the {what} must be numbers, got {values!r}") from None
    if array.ndim != 1 or array.size == 0:
        raise PlotOptionError(f"the {what} must be a non-empty list of numbers")
    if array.size > MAX_INPUTS:
        raise PlotOptionError(f"the {what} are {array.size:,} numbers, at most {MAX_INPUTS:,} "
                              f"(a plot cannot show more)")
    if not np.all(np.isfinite(array)):
        raise PlotOptionError(f"the {what} must be finite numbers, got {_few(array)}")
    if np.abs(array).max() > MAX_ABS_X:
        raise PlotOptionError(f"the {what} must lie within ±{MAX_ABS_X:g}, got {_few(array)}")
    return array


def parse_numbers(text: str, *, what: str = "inputs") -> np.ndarray:
    """Numbers written as "1, 2, 3" or "1 2 3" (the CLI's --inputs)."""
    parts = text.replace(",", " ").split()
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise PlotOptionError(f"the {what} must be numbers separated by commas, got {text!r}"
                              ) from None
    return check_inputs(values, what=what)


def _few(array: np.ndarray) -> str:
    text = ", ".join(f"{v:g}" for v in array[:6])
    return f"[{text}{', ...' if array.size > 6 else ''}]"
