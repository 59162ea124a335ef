"""Initialisation gains: the variance-preserving gain of any activation, and a recommendation.

Convention. Weights W_ij ~ N(0, g²/fan_in), zero bias, pre-activations h ~ N(0, q). The
next layer's pre-activations have second moment g² E[φ(√q z)²]; the variance-preserving
gain keeps q = 1 a fixed point:

    g² E[φ(z)²] = 1,  z ~ N(0, 1),  i.e.  g = 1 / √E[φ(z)²]

(the second moment, not the variance, because the weights have mean zero: a non-zero
mean of φ still feeds the next layer's variance).

`torch.nn.init.calculate_gain` agrees exactly where its value comes from the same
identity: linear/identity 1, relu √2, leaky_relu √(2/(1+slope²)). It differs, by
convention, for tanh (5/3 ≈ 1.667 against 1.5927 here) and selu (3/4 against 1 here):
PyTorch documents 3/4 as a choice that gives up self-normalisation for steadier
gradients in rectangular layers, and 5/3 as an empirical value for tanh; neither
preserves E[h²]. For sigmoid PyTorch returns 1 (as for every name it does not scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from actlab.analysis.gaussian import gaussian_moments
from actlab.analysis.mean_field import (
    SIGMA_W2_MAX,
    critical_sigma_w2,
    ordered_edge,
    variance_fixed_points,
)
from actlab.analysis.scalar_activation import ActivationLike, scalar_activation
from actlab.analysis.self_normalisation import moment_fixed_point

#: |χ₁ − 1| below this at the variance-preserving point counts as near-critical.
NEAR_CRITICAL = 0.05

#: Why PyTorch's calculate_gain differs from the variance-preserving gain, where it does.
TORCH_GAIN_NOTES = {
    "tanh": "PyTorch's 5/3 is an empirical convention; the variance-preserving gain is "
            "1/√E[tanh(z)²] ≈ 1.5927, and the edge of chaos at σ_b² = 0 is gain 1.",
    "selu": "PyTorch's 3/4 deliberately gives up self-normalisation for steadier gradients "
            "in rectangular layers; SELU self-normalises with gain 1 (lecun_normal).",
    "sigmoid": "PyTorch returns 1 for sigmoid (no scaling); E[σ(z)²] ≈ 0.293 needs gain ≈ 1.85 "
               "to keep E[h²].",
}


def variance_preserving_gain(activation: ActivationLike) -> float:
    """g with g² E[φ(z)²] = 1 (weights N(0, g²/fan_in), zero bias keep E[h²] = 1)."""
    second = float(gaussian_moments(activation, 1.0).second_moment[0])
    return 1.0 / math.sqrt(second) if second > 0 else math.inf


def torch_gain(activation: ActivationLike) -> float | None:
    """`torch.nn.init.calculate_gain` for the activations PyTorch names (else None)."""
    act = scalar_activation(activation)
    name = act.spec.name
    if name == "identity":
        return torch.nn.init.calculate_gain("linear")
    if name in ("relu", "tanh", "sigmoid", "selu"):
        if name == "relu" and any(act.params.get(k) not in (None, 0, 0.0)
                                  for k in ("negative_slope", "threshold", "max_value")):
            return None
        return torch.nn.init.calculate_gain(name)
    if name == "leaky_relu":
        return torch.nn.init.calculate_gain("leaky_relu", act.params["negative_slope"])
    return None


def init_name(gain: float) -> str:
    """A name for N(0, gain²/fan_in): lecun_normal (1), he_normal (√2), else normal(gain=…)."""
    if abs(gain - 1.0) <= 1e-9:
        return "lecun_normal"
    if abs(gain - math.sqrt(2.0)) <= 1e-9:
        return "he_normal"
    return f"normal(gain={gain:.4g})"


@dataclass(frozen=True)
class InitRecommendation:
    """The initialisation actlab recommends for one activation, and why."""

    activation: str
    init: str
    gain: float
    sigma_w2: float
    sigma_b2: float
    chi_1: float
    reason: str
    variance_preserving_gain: float
    critical_sigma_w2: float | None
    torch_gain: float | None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def recommended_init(activation: ActivationLike) -> InitRecommendation:
    """Weights N(0, gain²/fan_in), zero bias; the gain chosen by these rules, in order:

    1. The (μ, ν) moment map (ω = 0, τ = 1) has a stable fixed point at (0, 1): the
       activation self-normalises, so lecun_normal (gain 1), as Klambauer et al. prescribe.
    2. The variance-preserving gain is near-critical (|χ₁ − 1| ≤ NEAR_CRITICAL at
       σ_w² = g², σ_b² = 0): it keeps both the forward variance and the gradients (He
       init for ReLU, √(2/(1+a²)) for leaky ReLU).
    3. Otherwise the edge of chaos at σ_b² = 0 (χ₁ = 1), which maximises the depth over
       which signals and gradients propagate (Schoenholz et al. 2017).
    4. With no order-to-chaos transition, the variance-preserving gain.
    """
    act = scalar_activation(activation)
    vp = variance_preserving_gain(act)
    critical = critical_sigma_w2(act, 0.0)
    pytorch = torch_gain(act)

    def build(gain: float, chi: float, reason: str, name: str | None = None
              ) -> InitRecommendation:
        return InitRecommendation(act.label, name or init_name(gain), gain, gain * gain, 0.0,
                                  chi, reason, vp, critical, pytorch)

    snn = moment_fixed_point(act, 0.0, 1.0)
    if snn.normalised:
        chi = float(variance_fixed_points(act, 1.0, 0.0).chi_1[0])
        return build(1.0, chi, f"self-normalising: (mean 0, variance 1) is a stable fixed point "
                     f"of the moment map (spectral radius {snn.spectral_radius:.4f})",
                     "lecun_normal")
    chi_vp = float(variance_fixed_points(act, vp * vp, 0.0).chi_1[0]) if math.isfinite(vp) \
        else math.nan
    if math.isfinite(chi_vp) and abs(chi_vp - 1.0) <= NEAR_CRITICAL:
        return build(vp, chi_vp, f"variance-preserving and near-critical (χ₁ = {chi_vp:.4f})")
    if critical is not None:
        gain = math.sqrt(critical)
        chi = ordered_edge(act, 0.0)[1]
        return build(gain, chi, f"edge of chaos at σ_b² = 0 (χ₁ = 1); the variance-preserving "
                     f"gain {vp:.4g} has χ₁ = {chi_vp:.4g}")
    return build(vp, chi_vp, f"variance-preserving (χ₁ = {chi_vp:.4g}); at σ_b² = 0 no "
                 f"σ_w² ≤ {SIGMA_W2_MAX:g} gives a finite fixed point with χ₁ = 1")
