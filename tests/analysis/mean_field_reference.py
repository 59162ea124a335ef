"""Independent references for the theory tests: SciPy quadrature and root finding.

Nothing here uses actlab's quadrature: integrals are `scipy.integrate.quad` on the pieces
between kinks, root finding is `scipy.optimize.brentq`, and φ, φ′ are written out in
NumPy (or taken from PyTorch) so that a slip in actlab's formulas would show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import integrate, optimize, special

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def normal_expectation(f: Callable[[float], float], q: float, kinks: Sequence[float] = (),
                       mean: float = 0.0) -> float:
    """E[f(mean + √q z)] by adaptive quadrature over x, split at the kinks."""
    sd = math.sqrt(q)
    lo, hi = mean - 40 * sd, mean + 40 * sd
    cuts = sorted({lo, hi, *[k for k in kinks if lo < k < hi]})
    norm = sd * math.sqrt(2 * math.pi)
    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        value, _ = integrate.quad(lambda x: f(x) * math.exp(-0.5 * ((x - mean) / sd) ** 2) / norm,
                                  a, b, epsabs=1e-15, epsrel=1e-13, limit=400)
        total += value
    return total


def fixed_point(variance_map: Callable[[float], float], q0: float = 1.0) -> float:
    """q* = F(q*) by brentq, bracketed from q0 in the direction F moves."""
    g = lambda q: variance_map(q) - q  # noqa: E731
    if g(q0) > 0:
        hi = q0
        while g(hi) > 0:
            hi *= 2
        return optimize.brentq(g, hi / 2, hi, xtol=1e-15, rtol=1e-14)
    lo = q0
    while g(lo) < 0:
        lo /= 2
    return optimize.brentq(g, lo, lo * 2, xtol=1e-15, rtol=1e-14)


# -- φ and φ′ written out independently --------------------------------------------------
def tanh(x: float) -> float:
    return math.tanh(x)


def tanh_prime(x: float) -> float:
    return 1.0 / math.cosh(x) ** 2 if abs(x) < 350 else 0.0


def selu(x: float) -> float:
    return SELU_SCALE * (x if x > 0 else SELU_ALPHA * math.expm1(x))


def selu_prime(x: float) -> float:
    return SELU_SCALE * (1.0 if x > 0 else SELU_ALPHA * math.exp(x))


def erf_prime(x: float) -> float:
    return 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


def gelu(x: float) -> float:
    return 0.5 * x * special.erfc(-x / math.sqrt(2))


def sigmoid(x: float) -> float:
    return float(special.expit(x))


def softplus(x: float) -> float:
    return float(np.logaddexp(0.0, x))


def mish(x: float) -> float:
    return x * math.tanh(softplus(x))


def elu(x: float) -> float:
    return x if x > 0 else math.expm1(x)


def hardtanh(x: float) -> float:
    return min(max(x, -1.0), 1.0)


def hard_swish(x: float) -> float:
    return x * min(max(x + 3.0, 0.0), 6.0) / 6.0


def softsign(x: float) -> float:
    return x / (1.0 + abs(x))


def relu6(x: float) -> float:
    return min(max(x, 0.0), 6.0)


def leaky_relu(x: float, slope: float = 0.01) -> float:
    return x if x > 0 else slope * x


def silu(x: float) -> float:
    return x * sigmoid(x)


#: name -> (φ, kinks) for the catalog functions the tests integrate independently.
REFERENCE_FUNCTIONS: dict[str, tuple[Callable[[float], float], tuple[float, ...]]] = {
    "tanh": (tanh, ()),
    "sigmoid": (sigmoid, ()),
    "gelu": (gelu, ()),
    "silu": (silu, ()),
    "mish": (mish, ()),
    "softplus": (softplus, ()),
    "erf": (math.erf, ()),
    "selu": (selu, (0.0,)),
    "elu": (elu, (0.0,)),
    "relu": (lambda x: max(x, 0.0), (0.0,)),
    "leaky_relu": (leaky_relu, (0.0,)),
    "relu6": (relu6, (0.0, 6.0)),
    "hardtanh": (hardtanh, (-1.0, 1.0)),
    "hard_swish": (hard_swish, (-3.0, 3.0)),
    "softsign": (softsign, (0.0,)),
}


def erf_pair_expectation(s11: float, s22: float, s12: float, a: float = 1.0) -> float:
    """E[erf(a u₁) erf(a u₂)] for a centred Gaussian pair (Williams 1997)."""
    return 2 / math.pi * math.asin(2 * a * a * s12
                                   / math.sqrt((1 + 2 * a * a * s11) * (1 + 2 * a * a * s22)))


def relu_pair_expectation(q: float, c: float) -> float:
    """E[relu(u₁) relu(u₂)], variances q, correlation c (arc-cosine kernel, Cho & Saul 2009)."""
    return q / (2 * math.pi) * (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c)


def relu_step_pair_expectation(c: float) -> float:
    """E[1(u₁ > 0) 1(u₂ > 0)] = (π − arccos c)/(2π) (arc-cosine kernel of degree 0)."""
    return (math.pi - math.acos(c)) / (2 * math.pi)
