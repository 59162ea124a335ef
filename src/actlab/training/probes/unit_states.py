"""When a unit is dead or saturated, decided per activation from the catalog's analytic f'.

- A value is *inactive* where f'(pre-activation) = 0 exactly: no gradient passes. For
  ReLU-like functions that is where the output sits at its constant minimum (relu'(0) = 0
  by the catalog's convention); for ReLU6 and hard sigmoid it includes the flat top.
- A unit (a feature of a dense layer, a channel of a convolution) is *dead* when it is
  inactive on every example and position of the probe batch.
- Only functions that have a *dead region* (an interval where f' = 0) can have dead
  units. Others (sigmoid, tanh, ELU, leaky ReLU, GELU, ...) report a dead fraction of 0:
  their f' vanishes only in the limit, and that is saturation, measured separately.
- A value is *saturated* where |f'(pre-activation)| < 1e-3 · s, with s the slope scale:
  sup |f'| over the real line (computed on a float64 grid over [-10, 10] plus the kinks).
  Where f' grows without bound (exponential, x²) s is max |f'| on [-1, 1] instead.
- Vector and gated activations (softmax, GLU) have no elementwise derivative: dead and
  saturated units are not defined for them (dead 0, saturated None). Modules that are
  not catalog activations get None for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from actlab.layers import Activation
from actlab.training.result import ActivationSite

SATURATION_RATIO = 1e-3
GRID_HALF_WIDTH = 10.0
GRID_POINTS = 20001
_UNBOUNDED_GROWTH = 1.01  # sup|f'| on [-20, 20] over that on [-10, 10] beyond this: unbounded


@dataclass(frozen=True)
class SiteRule:
    """The derivative of one site's activation and how its units are classified."""

    info: ActivationSite
    derivative: Callable[[nn.Module, torch.Tensor], torch.Tensor] | None

    @property
    def saturation_threshold(self) -> float | None:
        scale = self.info.slope_scale
        return None if scale is None else SATURATION_RATIO * scale


def site_rule(site: str, module: nn.Module) -> SiteRule:
    """How to classify the units of one activation module."""
    if not isinstance(module, Activation):
        return SiteRule(ActivationSite(site, type(module).__name__, False, None,
                                       "not a catalog activation: dead and saturated units "
                                       "are not measured"), None)
    spec = module.spec
    label = module.extra_repr()
    label = f"{spec.name}({label})" if label else spec.name
    if spec.kind != "elementwise" or spec.derivative is None:
        return SiteRule(ActivationSite(site, label, False, None,
                                       f"{spec.name} is a {spec.kind} function without an "
                                       f"elementwise derivative: dead units are reported as 0 "
                                       f"and saturation is not defined"), None)
    # The classification uses scalar parameters: a learnable one by its (mean) value.
    values = {name: float(v.detach().double().mean()) if isinstance(v, torch.Tensor) else v
              for name, v in spec.math_values(module.params).items()}
    derivative = spec.derivative

    def grid_slope(x: torch.Tensor) -> torch.Tensor:
        return derivative(x, **values).abs()

    grid = torch.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, GRID_POINTS, dtype=torch.float64)
    kinks = torch.tensor([k + d for k in spec.kink_points(module.params)
                          if abs(k) <= GRID_HALF_WIDTH for d in (-1e-9, 0.0, 1e-9)],
                         dtype=torch.float64)
    raw = grid_slope(grid)
    dead_region = bool(((raw[1:] == 0) & (raw[:-1] == 0)).any())  # nan is never 0
    scale = float(raw.nan_to_num(nan=0.0).max())
    if len(kinks):
        scale = max(scale, float(grid_slope(kinks).nan_to_num(nan=0.0).max()))
    wide = float(grid_slope(grid * 2).nan_to_num(nan=0.0).max())
    if wide > _UNBOUNDED_GROWTH * scale:
        near = grid[grid.abs() <= 1.0]
        scale = float(grid_slope(near).max())
        note = "f' grows without bound: saturation is |f'| < 1e-3 of max |f'| on [-1, 1]"
    else:
        note = "saturation is |f'| < 1e-3 of sup |f'|"
    note += ("; dead units: f' = 0 on every example and position" if dead_region else
             "; no region where f' = 0, so no dead units (reported as 0)")
    return SiteRule(ActivationSite(site, label, dead_region, scale, note), _module_derivative)


def _module_derivative(module: Activation, x: torch.Tensor) -> torch.Tensor:
    """f'(x) with the module's current parameters (learnable ones broadcast as in forward)."""
    params: dict[str, Any] = dict(module.params)
    # Learnable parameters live as nn.Parameters; broadcast them the way forward() does.
    for name in getattr(module, "_trainable", ()):
        params[name] = module._broadcast(name, x).detach()
    return module.spec.derivative(x, **module.spec.math_values(params))


@torch.no_grad()
def unit_statistics(rule: SiteRule, module: nn.Module, pre: torch.Tensor,
                    unit_dim: int = 1) -> torch.Tensor:
    """[dead fraction, saturated fraction, saturated-unit fraction] as one float64 tensor.

    Entries that are not defined for the site are nan.
    """
    nan = torch.tensor(float("nan"), dtype=torch.float64, device=pre.device)
    if rule.derivative is None:
        dead = torch.zeros((), dtype=torch.float64, device=pre.device) \
            if isinstance(module, Activation) else nan
        return torch.stack([dead, nan, nan])
    slope = rule.derivative(module, pre).abs()
    other = tuple(d for d in range(slope.dim()) if d != unit_dim) if slope.dim() > 1 else (0,)
    # slope >= 0, so a unit is inactive everywhere (or saturated everywhere) exactly when
    # its largest slope is 0 (or below the threshold): one reduction serves both.
    unit_max = slope.amax(dim=other)
    zero = torch.zeros((), dtype=torch.float64, device=pre.device)
    dead = (unit_max == 0).double().mean() if rule.info.dead_region else zero
    threshold = rule.saturation_threshold
    if not threshold:  # f' = 0 everywhere (binary step): everything is saturated
        return torch.stack([dead, zero + 1, zero + 1])
    return torch.stack([dead, (slope < threshold).double().mean(),
                        (unit_max < threshold).double().mean()])
