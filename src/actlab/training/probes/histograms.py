"""Histograms of tensors, computed on the tensor's device with one host transfer."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TensorHistogram:
    """Equal-width bins over [min, max] and what TensorBoard's raw histograms also need."""

    tag: str
    edges: list[float]
    counts: list[int]
    minimum: float
    maximum: float
    num: int
    total: float
    total_squares: float


@torch.no_grad()
def tensor_histogram(tag: str, values: torch.Tensor, bins: int) -> TensorHistogram | None:
    """The histogram of every value of `values`; None if it is empty or not all finite."""
    flat = values.detach().flatten().float()
    if flat.numel() == 0:
        return None
    low_t, high_t = torch.aminmax(flat)
    summary = torch.stack([low_t, high_t, flat.sum(), torch.dot(flat, flat)]).tolist()
    low, high, total, squares = summary
    if not (math.isfinite(low) and math.isfinite(high)):  # min and max propagate nan
        return None
    if low == high:  # one value: a unit-wide bin around it, as numpy.histogram does
        low, high = low - 0.5, high + 0.5
    counts = torch.histc(flat, bins=bins, min=low, max=high)
    edges = torch.linspace(low, high, bins + 1, dtype=torch.float64)
    return TensorHistogram(tag, edges.tolist(), [int(c) for c in counts.tolist()],
                           summary[0], summary[1], flat.numel(), total, squares)
