"""Signal propagation through deep random networks: simulated in torch, next to the theory.

The network has `depth` fully connected layers of `width` units:

    h¹ = W¹ x + b¹,   h^l = W^l D^{l-1}(φ(h^{l-1})) + b^l   (l = 2 … depth)

with W^l ~ N(0, σ_w²/width) (or a scaled orthogonal matrix), b^l ~ N(0, σ_b²), D the
identity or `torch.nn.AlphaDropout(p)` (in training mode), and standardised inputs (every
x has ‖x‖² = width, i.e. mean square 1). Per layer it records, pooled over units and
samples: the mean and second moment of h^l (q^l), the mean and variance of φ(h^l), the
cosine between the h^l of paired inputs (c^l), and the gradient norm: the loss is a fixed
random linear readout r·h^depth with ‖r‖ = 1, so ∂L/∂h^depth = r and the recorded value
is the root mean square over samples of ‖∂L/∂h^l‖.

The theory next to it iterates the mean-field maps from the same q¹ and c¹ (with alpha
dropout's moment transform where it applies) and the backward recursion
‖δ^l‖² = ‖δ^{l+1}‖² σ_w² E[φ′(√q^l z)²] (× a²(1−p) with dropout; Schoenholz et al. 2017,
Sec. 5), which assumes the forward and backward weights independent, as they are in the
wide limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from actlab.analysis.alpha_dropout import AlphaDropout
from actlab.analysis.errors import TheoryOptionError
from actlab.analysis.gaussian import correlated_moments, gaussian_moments
from actlab.analysis.initialisation import variance_preserving_gain
from actlab.analysis.mean_field import critical_sigma_w2
from actlab.analysis.scalar_activation import (
    ActivationLike,
    ScalarActivation,
    scalar_activation,
    torch_threads,
)
from actlab.limits import MAX_PARAMETERS

#: Named initialisations: σ_w² for square layers (fan_in = fan_out = width).
INITS = ("lecun_normal", "he", "glorot", "orthogonal", "critical", "variance_preserving")

#: A signal is kept when its last-layer value is within this factor of its first-layer one.
KEEP_FACTOR = 10.0
#: Paired inputs whose last-layer correlation exceeds this have become indistinguishable.
COLLAPSED_CORRELATION = 0.99


@dataclass(frozen=True)
class NetworkInit:
    """How the weights and biases are drawn."""

    name: str
    sigma_w2: float
    sigma_b2: float
    orthogonal: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} (σ_w² = {self.sigma_w2:.4g}, σ_b² = {self.sigma_b2:.4g})"


def network_init(init: str, activation: ActivationLike, *, sigma_w2: float | None = None,
                 sigma_b2: float = 0.0) -> NetworkInit:
    """σ_w² for a named init: lecun_normal 1, he 2, glorot 2/(fan_in+fan_out)·fan_in = 1
    for square layers, orthogonal (gain² = σ_w², default 1), critical (the order-to-chaos
    σ_w² at this σ_b²), variance_preserving (1/E[φ(z)²]). An explicit `sigma_w2` overrides
    the named value (the name then only picks Gaussian or orthogonal weights)."""
    if init not in INITS:
        raise TheoryOptionError(f"unknown initialisation {init!r}; choose one of "
                                f"{', '.join(INITS)}")
    if not (math.isfinite(sigma_b2) and sigma_b2 >= 0):
        raise TheoryOptionError(f"σ_b² must be a finite number ≥ 0, got {sigma_b2!r}")
    if sigma_w2 is not None and not (math.isfinite(sigma_w2) and sigma_w2 > 0):
        raise TheoryOptionError(f"σ_w² must be a finite number > 0, got {sigma_w2!r}")
    if sigma_w2 is None:
        if init == "critical":
            sigma_w2 = critical_sigma_w2(activation, sigma_b2)
            if sigma_w2 is None:
                raise TheoryOptionError(
                    f"{scalar_activation(activation).label} has no order-to-chaos transition "
                    f"at σ_b² = {sigma_b2:g}, so there is no critical initialisation; choose "
                    f"another init or give --sigma-w2")
        elif init == "variance_preserving":
            sigma_w2 = variance_preserving_gain(activation) ** 2
        else:
            sigma_w2 = {"lecun_normal": 1.0, "he": 2.0, "glorot": 1.0, "orthogonal": 1.0}[init]
    return NetworkInit(init, float(sigma_w2), float(sigma_b2), orthogonal=init == "orthogonal")


@dataclass(frozen=True)
class PropagationSetup:
    """A deep random network and its inputs."""

    depth: int = 32
    width: int = 1000
    alpha_dropout: float = 0.0
    pairs: int = 64
    """input pairs (2 × pairs samples) with correlation `input_correlation`"""
    input_correlation: float = 0.5
    seeds: Sequence[int] = (0,)
    dtype: torch.dtype = torch.float32
    """float32 by default (twice as fast); statistics are always reduced in float64"""
    threads: int = 1
    """torch threads for the simulation: at width ~1000 one thread loses little on an idle
    machine and, on a busy one, avoids OpenMP hand-offs that cost several times the work"""

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise TheoryOptionError(f"threads must be ≥ 1, got {self.threads}")
        if self.depth < 1 or self.width < 2 or self.pairs < 1:
            raise TheoryOptionError(f"depth must be ≥ 1, width ≥ 2 and pairs ≥ 1, got depth "
                                    f"{self.depth}, width {self.width}, pairs {self.pairs}")
        if not -1.0 < self.input_correlation < 1.0:
            raise TheoryOptionError(f"the input correlation must lie in (-1, 1), got "
                                    f"{self.input_correlation!r}")
        if not self.seeds:
            raise TheoryOptionError("at least one seed is needed")
        # Counted before anything is drawn: each seed's network has depth x width² weights.
        MAX_PARAMETERS.check(self.depth * self.width * self.width,
                             f"a {self.depth:,}-layer network of width {self.width:,}", "weights")
        MAX_PARAMETERS.check(2 * self.pairs * self.width,
                             f"{self.pairs:,} input pairs of width {self.width:,}", "values")
        AlphaDropout(self.alpha_dropout)


@dataclass(frozen=True)
class LayerProfile:
    """Per-layer statistics, arrays of shape (depth,) (simulation: (seeds, depth))."""

    pre_mean: np.ndarray
    pre_second_moment: np.ndarray
    """q^l"""
    post_mean: np.ndarray
    post_variance: np.ndarray
    correlation: np.ndarray
    grad_norm: np.ndarray


@dataclass(frozen=True)
class Verdict:
    """Whether the forward signal and the gradient are kept, vanish or explode."""

    forward: str
    backward: str
    correlation: str
    forward_ratio: float
    """q^depth / q¹"""
    backward_ratio: float
    """‖δ¹‖ / ‖δ^depth‖"""


@dataclass(frozen=True)
class PropagationResult:
    """Simulation and theory for one activation under one initialisation."""

    activation: str
    init: NetworkInit
    setup: PropagationSetup
    simulation: LayerProfile
    theory: LayerProfile
    verdict: Verdict = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", judge(self.simulation))

    def simulation_mean(self, name: str) -> np.ndarray:
        """A simulated statistic averaged over seeds (geometric mean for gradient norms)."""
        values = getattr(self.simulation, name)
        if name == "grad_norm":
            return np.exp(np.mean(np.log(values), axis=0))
        return np.mean(values, axis=0)


def _classify(ratio: float) -> str:
    if not math.isfinite(ratio) or ratio > KEEP_FACTOR:
        return "explodes"
    if ratio < 1.0 / KEEP_FACTOR:
        return "vanishes"
    return "kept"


def judge(profile: LayerProfile) -> Verdict:
    """kept / vanishes / explodes: last layer within KEEP_FACTOR of the first, below, above.

    Forward: the second moment q^l of the pre-activations. Backward: the gradient norm at
    layer 1 relative to the last layer. Correlation: collapsed when the paired inputs'
    last-layer correlation exceeds COLLAPSED_CORRELATION. Seeds are averaged first.
    """
    q = np.atleast_2d(profile.pre_second_moment).mean(axis=0)
    grad = np.exp(np.log(np.atleast_2d(profile.grad_norm)).mean(axis=0))
    corr = np.atleast_2d(profile.correlation).mean(axis=0)
    forward = float(q[-1] / q[0]) if q[0] > 0 else math.nan
    backward = float(grad[0] / grad[-1]) if grad[-1] > 0 else math.nan
    collapsed = corr[-1] >= COLLAPSED_CORRELATION
    return Verdict(_classify(forward), _classify(backward),
                   "collapsed" if collapsed else "distinct", forward, backward)


def _inputs(setup: PropagationSetup, generator: torch.Generator) -> torch.Tensor:
    """2·pairs standardised inputs; rows 2i and 2i+1 have cosine exactly `input_correlation`."""
    n, c = setup.width, setup.input_correlation
    g = torch.randn(setup.pairs, 2, n, generator=generator, dtype=setup.dtype)
    u = g[:, 0] / g[:, 0].norm(dim=1, keepdim=True)
    v = g[:, 1] - (g[:, 1] * u).sum(dim=1, keepdim=True) * u
    v = v / v.norm(dim=1, keepdim=True)
    pair = torch.stack([u, c * u + math.sqrt(1 - c * c) * v], dim=1)
    return (math.sqrt(n) * pair).reshape(2 * setup.pairs, n)


def _weights(init: NetworkInit, setup: PropagationSetup, generator: torch.Generator
             ) -> torch.Tensor:
    n = setup.width
    if init.orthogonal:
        w = torch.empty(n, n, dtype=setup.dtype)
        torch.nn.init.orthogonal_(w, gain=math.sqrt(init.sigma_w2), generator=generator)
        return w
    return torch.randn(n, n, generator=generator, dtype=setup.dtype) * math.sqrt(
        init.sigma_w2 / n)


def simulate_one(act: ScalarActivation, init: NetworkInit, setup: PropagationSetup,
                 seed: int) -> LayerProfile:
    """One random network and its inputs, seeded; statistics for every layer."""
    generator = torch.Generator().manual_seed(seed)
    x = _inputs(setup, generator)
    readout = torch.randn(setup.width, generator=generator, dtype=setup.dtype)
    readout = readout / readout.norm()
    pre: list[torch.Tensor] = []
    stats: dict[str, list[float]] = {k: [] for k in ("pre_mean", "pre_second_moment",
                                                     "post_mean", "post_variance",
                                                     "correlation")}
    # AlphaDropout draws from the global generator: fork it so the caller's is untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        signal = x
        for layer in range(setup.depth):
            w = _weights(init, setup, generator)
            b = torch.randn(setup.width, generator=generator, dtype=setup.dtype) * math.sqrt(
                init.sigma_b2)
            h = signal @ w.T + b
            if layer == 0:
                h.requires_grad_(True)
            h.retain_grad()
            pre.append(h)
            post = act.torch_forward(h)
            with torch.no_grad():
                f64 = torch.float64
                post_mean = post.mean(dtype=f64).item()
                stats["pre_mean"].append(h.mean(dtype=f64).item())
                stats["pre_second_moment"].append(h.square().mean(dtype=f64).item())
                stats["post_mean"].append(post_mean)
                stats["post_variance"].append(post.square().mean(dtype=f64).item()
                                              - post_mean**2)
                pairs = h.to(f64).reshape(setup.pairs, 2, setup.width)
                cos = torch.nn.functional.cosine_similarity(pairs[:, 0], pairs[:, 1], dim=1)
                stats["correlation"].append(cos.mean().item())
            if layer < setup.depth - 1:
                signal = post
                if setup.alpha_dropout > 0:
                    signal = torch.nn.functional.alpha_dropout(signal, setup.alpha_dropout,
                                                               training=True)
        (pre[-1] @ readout).sum().backward()
    grad_norm = [h.grad.to(torch.float64).square().sum(dim=1).mean().sqrt().item()
                 for h in pre]
    return LayerProfile(**{k: np.array(v) for k, v in stats.items()},
                        grad_norm=np.array(grad_norm))


def simulate(activation: ActivationLike, init: NetworkInit, setup: PropagationSetup
             ) -> LayerProfile:
    """Statistics per seed and layer, arrays of shape (seeds, depth)."""
    act = scalar_activation(activation)
    with torch_threads(setup.threads):
        runs = [simulate_one(act, init, setup, seed) for seed in setup.seeds]
    return LayerProfile(**{k: np.stack([getattr(r, k) for r in runs])
                           for k in LayerProfile.__dataclass_fields__})


def theory_profile(activation: ActivationLike, init: NetworkInit, setup: PropagationSetup
                   ) -> LayerProfile:
    """The mean-field prediction for every layer, iterated from the inputs' q¹ and c¹."""
    act = scalar_activation(activation)
    dropout = AlphaDropout(setup.alpha_dropout) if setup.alpha_dropout > 0 else None
    sw, sb = init.sigma_w2, init.sigma_b2
    q = sw * 1.0 + sb
    c = (sw * setup.input_correlation + sb) / q
    qs, cs, means, variances, slopes = [], [], [], [], []
    for layer in range(setup.depth):
        m = gaussian_moments(act, q)
        mean, second, slope = float(m.mean[0]), float(m.second_moment[0]), float(
            m.derivative_second_moment[0])
        qs.append(q)
        cs.append(c)
        means.append(mean)
        variances.append(second - mean * mean)
        slopes.append(sw * slope * (dropout.gradient_factor if dropout else 1.0))
        if layer == setup.depth - 1:
            break
        # Cauchy–Schwarz keeps the pair's correlation in [-1, 1]; clip float rounding.
        product = correlated_moments(act, q, q, min(max(c, -1.0), 1.0), verify=False).product
        if dropout is not None:
            second = dropout.second_moment(mean, second)
            product = dropout.cross_moment(mean, mean, product)
        q_next = sw * second + sb
        c = (sw * product + sb) / q_next if q_next > 0 else 1.0
        q = q_next
    # ‖δ^depth‖ = 1; each layer below multiplies the squared norm by σ_w² E[φ′(√q^l z)²].
    grad_sq = np.ones(setup.depth)
    for layer in range(setup.depth - 2, -1, -1):
        grad_sq[layer] = grad_sq[layer + 1] * slopes[layer]
    return LayerProfile(pre_mean=np.zeros(setup.depth), pre_second_moment=np.array(qs),
                        post_mean=np.array(means), post_variance=np.array(variances),
                        correlation=np.array(cs), grad_norm=np.sqrt(grad_sq))


def propagate(activation: ActivationLike, init: NetworkInit, setup: PropagationSetup
              ) -> PropagationResult:
    """Simulate the network for every seed and compute the theory alongside."""
    act = scalar_activation(activation)
    # Theory first: a divergent expectation is reported before any simulation runs.
    theory = theory_profile(act, init, setup)
    return PropagationResult(act.label, init, setup, simulate(act, init, setup), theory)
