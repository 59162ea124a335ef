"""Gradient statistics per parameter, and quantiles of the first layer's gradients.

Read after `backward()` and before the optimiser step: the gradient of the batch loss
(plus nothing else: weight decay is added inside the optimiser).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from actlab.training.result import GradientRecord, QuantileRecord, finite_or_none

# The percentiles TensorBoard's distribution plots draw (its "basis points" / 10000):
# max, ±1.5σ, ±1σ, ±0.5σ and the median of a normal.
DISTRIBUTION_LEVELS = (0.0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1.0)
_QUANTILE_LIMIT = 1 << 24  # torch.quantile's largest input


@torch.no_grad()
def gradient_records(named_parameters: Sequence[tuple[str, nn.Parameter]],
                     step: int) -> list[GradientRecord]:
    """Norm, mean, population std and max |g| of each parameter's gradient."""
    present = [(name, p.grad) for name, p in named_parameters if p.grad is not None]
    if not present:
        return []
    rows = []
    for _, g in present:
        # Three passes over the gradient: sum, sum of squares, min and max.
        flat = g.detach().flatten()
        low, high = torch.aminmax(flat)
        rows.append(torch.stack([flat.sum(), torch.dot(flat, flat), low, high]).double())
    stats = torch.stack(rows).tolist()
    records = []
    for (name, g), (total, squares, low, high) in zip(present, stats, strict=True):
        n = g.numel()
        mean = total / n
        variance = max(squares / n - mean * mean, 0.0)  # population variance, E g² - (E g)²
        records.append(GradientRecord(step, name, finite_or_none(math.sqrt(squares)),
                                      finite_or_none(mean), finite_or_none(math.sqrt(variance)),
                                      finite_or_none(max(-low, high))))
    return records


def first_layer_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The weight and bias of the first layer that has parameters (conv1, dense, ...)."""
    for module_name, module in model.named_modules():
        own = list(module.named_parameters(recurse=False))
        if own:
            prefix = f"{module_name}." if module_name else ""
            return [(prefix + name, p) for name, p in own]
    return []


@torch.no_grad()
def quantile_records(named_parameters: Sequence[tuple[str, nn.Parameter]], step: int,
                     levels: Sequence[float] = DISTRIBUTION_LEVELS) -> list[QuantileRecord]:
    """Quantiles of each parameter's gradient (seed 003's first-layer gradient plots)."""
    records = []
    q = None
    for name, p in named_parameters:
        if p.grad is None:
            continue
        flat = p.grad.detach().flatten().float()
        if flat.numel() > _QUANTILE_LIMIT:
            flat = flat[:: -(-flat.numel() // _QUANTILE_LIMIT)]
        if q is None or q.device != flat.device:
            q = torch.tensor(levels, dtype=torch.float32, device=flat.device)
        if not torch.isfinite(flat).all():
            values: list[float | None] = [None] * len(levels)
        else:
            values = [finite_or_none(v) for v in torch.quantile(flat, q).tolist()]
        records.append(QuantileRecord(step, f"{name}.grad", list(levels), values))
    return records
