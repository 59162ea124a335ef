"""The catalog covers the function sets the literature compares, with no function
registered twice under different names."""

from __future__ import annotations

import itertools

import torch

import actlab
from actlab.catalog import registry

F64 = torch.float64

#: Ramachandran, Zoph & Le 2017 (arXiv:1710.05941), Table 1: the top functions their search
#: found, Swish (x·σ(βx)) being `silu`.
SEARCHED = ["silu", "max_sigmoid", "cos_minus_x", "min_sin", "atan_squared_minus_x",
            "max_tanh", "sinc_plus_x", "x_asinh_squared"]

#: Dubey, Singh & Chaudhuri 2022 (Neurocomputing 503), the 18 functions of their benchmark
#: (their code: github.com/shivram1987/ActivationFunctions), by actlab name.
DUBEY_BENCHMARK = {
    "Sigmoid": "sigmoid", "Tanh": "tanh", "Elliott": "elliott", "ReLU": "relu",
    "LReLU": "leaky_relu", "PReLU": "prelu", "ELU": "elu", "SELU": "selu", "GELU": "gelu",
    "CELU": "celu", "Softplus": "softplus", "Swish": "silu", "ABReLU": None, "LiSHT": "lisht",
    "SRS": "soft_root_sign", "Mish": "mish", "PAU": None, "PDELU": "pdelu",
}


def test_at_least_a_hundred_distinct_functions():
    assert len(actlab.names()) >= 100
    assert len({id(s) for s in registry().specs()}) == len(actlab.names())


def test_the_searched_functions_are_all_there():
    assert [n for n in SEARCHED if n not in actlab.names()] == []


def test_the_survey_benchmark_is_there_but_for_two_that_are_not_fixed_functions():
    """ABReLU subtracts the batch mean (not a function of one element) and PAU is a learned
    rational function with no canonical coefficients: neither is a catalog spec."""
    names = actlab.names()
    assert [k for k, v in DUBEY_BENCHMARK.items() if v is not None and v not in names] == []
    assert [k for k, v in DUBEY_BENCHMARK.items() if v is None] == ["ABReLU", "PAU"]


def _values(spec) -> torch.Tensor:
    bound = spec.bind(fill_examples=True)
    values = spec.math_values(bound)
    gen = torch.Generator().manual_seed(0)
    if spec.kind == "elementwise":
        x = torch.cat([torch.linspace(-6, 6, 121, dtype=F64),
                       torch.randn(60, generator=gen, dtype=F64) * 3])
    elif spec.name == "softmax2d":
        x = torch.randn(2, 6, 3, 3, generator=gen, dtype=F64)
    else:
        x = torch.randn(12, 8, generator=gen, dtype=F64) * 2
    with torch.no_grad():
        return spec.forward(x, **values).reshape(-1)


#: Parametric generalisations that meet their special case at the defaults, by design:
#: CELU and PELU are ELU for α = 1 (a = b = 1), and Threshold with its example parameters
#: is Keras's ThresholdedReLU. Clipped GELU is GELU until its cap (10), beyond this range.
MEET_AT_DEFAULTS = {("celu", "elu"), ("celu", "pelu"), ("elu", "pelu"),
                    ("threshold", "thresholded_relu"), ("clipped_gelu", "gelu")}


def test_no_function_is_registered_twice_under_different_names():
    """Two canonical names never compute the same function at their defaults, except the
    generalisations listed above."""
    specs = registry().specs()
    outputs = {s.name: _values(s) for s in specs}
    same = {tuple(sorted((a.name, b.name))) for a, b in itertools.combinations(specs, 2)
            if a.kind == b.kind and outputs[a.name].shape == outputs[b.name].shape
            and torch.allclose(outputs[a.name], outputs[b.name], rtol=1e-9, atol=1e-12,
                               equal_nan=True)}
    assert same == MEET_AT_DEFAULTS
