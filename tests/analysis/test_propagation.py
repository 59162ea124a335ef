"""Deep random networks: simulation against mean-field theory, and seed 002/003's claims."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from actlab.analysis import TheoryOptionError
from actlab.analysis.alpha_dropout import AlphaDropout
from actlab.analysis.propagation import (
    LayerProfile,
    PropagationSetup,
    judge,
    network_init,
    propagate,
    simulate,
)

WIDE = PropagationSetup(depth=10, width=1000, pairs=8, seeds=tuple(range(8)))


def _agree(simulated: np.ndarray, theory: np.ndarray, *, relative: float, absolute: float = 0.0
           ) -> None:
    """The seed mean of a simulation (seeds × layers) within 5 standard errors (the 99.9%
    two-sided t quantile for 7 degrees of freedom is 5.4), plus a small allowance for
    finite-width bias, of the theory at every layer."""
    mean = simulated.mean(axis=0)
    error = simulated.std(axis=0, ddof=1) / math.sqrt(simulated.shape[0])
    allowed = 5 * error + relative * np.abs(theory) + absolute
    bad = np.abs(mean - theory) > allowed
    assert not bad.any(), (np.flatnonzero(bad), mean[bad], theory[bad], allowed[bad])


@pytest.mark.parametrize(("name", "init", "sb"), [("tanh", "lecun_normal", 0.05),
                                                  ("relu", "he", 0.0),
                                                  ("selu", "lecun_normal", 0.0),
                                                  ("erf", "variance_preserving", 0.1)])
def test_wide_networks_follow_the_theory(name, init, sb):
    result = propagate(name, network_init(init, name, sigma_b2=sb), WIDE)
    sim, theory = result.simulation, result.theory
    _agree(sim.pre_second_moment, theory.pre_second_moment, relative=0.01)
    _agree(sim.post_mean, theory.post_mean, relative=0.01, absolute=0.01)
    _agree(sim.post_variance, theory.post_variance, relative=0.01)
    _agree(sim.correlation, theory.correlation, relative=0.01, absolute=0.01)
    # Gradient norms compound over layers: compare logarithms.
    _agree(np.log(sim.grad_norm), np.log(theory.grad_norm), relative=0.0, absolute=0.03)


def test_alpha_dropout_theory_matches_simulation():
    setup = PropagationSetup(depth=8, width=1000, pairs=8, seeds=tuple(range(8)),
                             alpha_dropout=0.1)
    result = propagate("selu", network_init("lecun_normal", "selu"), setup)
    _agree(result.simulation.pre_second_moment, result.theory.pre_second_moment, relative=0.01)
    _agree(result.simulation.correlation, result.theory.correlation, relative=0.01,
           absolute=0.01)
    _agree(np.log(result.simulation.grad_norm), np.log(result.theory.grad_norm), relative=0.0,
           absolute=0.03)


def test_alpha_dropout_moments_match_torch():
    p = 0.2
    dropout = AlphaDropout(p)
    generator = torch.Generator().manual_seed(5)
    x = 1.3 * torch.randn(2, 2_000_000, generator=generator, dtype=torch.float64) + 0.4
    x[1] = 0.6 * x[0] + 0.8 * x[1]
    torch.manual_seed(6)
    y = torch.nn.AlphaDropout(p).train()(x)
    mean_x, second_x = x[0].mean().item(), x[0].square().mean().item()
    cross_x = (x[0] * x[1]).mean().item()

    def close(estimate, samples):
        error = samples.std().item() / math.sqrt(samples.numel())
        assert abs(estimate - samples.mean().item()) < 4 * error

    close(dropout.mean(mean_x), y[0])
    close(dropout.second_moment(mean_x, second_x), y[0].square())
    close(dropout.cross_moment(mean_x, x[1].mean().item(), cross_x), y[0] * y[1])
    # Mean 0, variance 1 in, mean 0, variance 1 out: alpha dropout's design.
    assert dropout.mean(0.0) == pytest.approx(0.0, abs=1e-15)
    assert dropout.second_moment(0.0, 1.0) == pytest.approx(1.0, rel=1e-14)


def test_seed_002_selu_self_normalises_where_others_drift():
    # Seed 002: SELU with lecun_normal, standardised inputs (and AlphaDropout) keeps mean 0
    # and variance 1 through depth; ReLU, tanh and sigmoid with the same init do not.
    setup = PropagationSetup(depth=32, width=1000, pairs=8, seeds=(0,))
    lecun = {name: network_init("lecun_normal", name) for name in ("selu", "relu", "tanh",
                                                                   "sigmoid")}
    selu = simulate("selu", lecun["selu"], setup)
    assert np.all(np.abs(selu.post_mean) < 0.05)
    assert np.all(np.abs(selu.post_variance - 1) < 0.1)
    dropped = simulate("selu", lecun["selu"],
                       PropagationSetup(depth=32, width=1000, pairs=8, alpha_dropout=0.1))
    assert np.all(np.abs(dropped.post_mean) < 0.05)
    assert np.all(np.abs(dropped.post_variance - 1) < 0.1)
    relu = simulate("relu", lecun["relu"], setup)
    tanh = simulate("tanh", lecun["tanh"], setup)
    sigmoid = simulate("sigmoid", lecun["sigmoid"], setup)
    assert relu.post_variance[0, -1] < 1e-6          # halves every layer
    assert tanh.post_variance[0, -1] < 0.05          # decays like 1/depth
    assert sigmoid.post_mean[0, -1] > 0.45           # stuck at mean 1/2
    assert sigmoid.post_variance[0, -1] < 0.05


def test_seed_003_sigmoid_gradients_vanish_with_depth():
    setup = PropagationSetup(depth=32, width=500, pairs=8, seeds=(0,))
    sigmoid = propagate("sigmoid", network_init("lecun_normal", "sigmoid"), setup)
    tanh = propagate("tanh", network_init("lecun_normal", "tanh"), setup)
    assert sigmoid.verdict.backward == "vanishes" and sigmoid.verdict.backward_ratio < 1e-10
    assert sigmoid.verdict.correlation == "collapsed"
    assert tanh.verdict.backward_ratio > 1e-3
    # The theory predicts the same collapse, layer by layer (χ ≈ 0.056 per layer).
    assert sigmoid.theory.grad_norm[0] / sigmoid.theory.grad_norm[-1] < 1e-10


def test_judge_thresholds():
    def profile(q_last, grad_first, corr_last):
        depth = np.ones(3)
        return LayerProfile(depth * 0, np.array([[1.0, 1.0, q_last]]), depth, depth,
                            np.array([[0.5, 0.5, corr_last]]), np.array([[grad_first, 1, 1]]))

    kept = judge(profile(0.5, 2.0, 0.6))
    assert (kept.forward, kept.backward, kept.correlation) == ("kept", "kept", "distinct")
    worse = judge(profile(1e-3, 50.0, 0.999))
    assert (worse.forward, worse.backward, worse.correlation) == ("vanishes", "explodes",
                                                                 "collapsed")


def test_named_inits():
    assert network_init("he", "relu").sigma_w2 == 2.0
    assert network_init("glorot", "tanh").sigma_w2 == 1.0
    assert network_init("critical", "tanh", sigma_b2=0.05).sigma_w2 == pytest.approx(1.7609,
                                                                                    abs=1e-3)
    assert network_init("variance_preserving", "relu").sigma_w2 == pytest.approx(2.0)
    assert network_init("lecun_normal", "relu", sigma_w2=3.0).sigma_w2 == 3.0
    orthogonal = network_init("orthogonal", "tanh")
    assert orthogonal.orthogonal and orthogonal.sigma_w2 == 1.0


def test_orthogonal_weights_follow_the_forward_theory():
    setup = PropagationSetup(depth=6, width=400, pairs=8, seeds=tuple(range(8)))
    result = propagate("tanh", network_init("orthogonal", "tanh", sigma_w2=1.5), setup)
    _agree(result.simulation.pre_second_moment, result.theory.pre_second_moment, relative=0.01)


def test_bad_options():
    with pytest.raises(TheoryOptionError, match="unknown initialisation"):
        network_init("xavier_magic", "tanh")
    with pytest.raises(TheoryOptionError, match="no order-to-chaos transition"):
        network_init("critical", "binary_step")
    with pytest.raises(TheoryOptionError, match="σ_w²"):
        network_init("he", "relu", sigma_w2=-1.0)
    with pytest.raises(TheoryOptionError, match="alpha-dropout"):
        PropagationSetup(alpha_dropout=1.0)
    with pytest.raises(TheoryOptionError, match="depth"):
        PropagationSetup(depth=0)
