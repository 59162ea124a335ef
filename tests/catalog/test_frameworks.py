"""Every flavor spelling gives the numbers (and gradients) of the framework it names.

The reference for `keras.layers.LeakyReLU` is `keras.layers.LeakyReLU` itself, called
with Keras's own defaults; for `torch.nn.functional.elu` it is that function; for
`jax.nn.gelu` the JAX function. Nothing here is computed by actlab's own formulas.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

import actlab
from actlab.catalog import registry
from actlab.catalog.spec import ActivationSpec
from actlab.errors import ActlabError
from support.frameworks import (
    FRAMEWORK_PREFIXES,
    accepted_names,
    call_reference,
    framework_name,
    framework_value,
    import_reference,
    required_names,
)

#: Framework functions known to be wrong, with the upstream report. Strict: if the
#: framework is fixed, the test fails and the entry must go.
KNOWN_FRAMEWORK_BUGS = {
    "keras.activations.sparsemax": "Keras 3.15 sparsemax uses the wrong cumulative sum for "
                                   "the threshold (keras-team/keras#23425, fixed by #23469)",
    "keras.ops.sparsemax": "same Keras sparsemax bug (keras-team/keras#23425)",
}


def _cases() -> list[Any]:
    cases = []
    for spec in registry().specs():
        for framework, prefixes in FRAMEWORK_PREFIXES.items():
            fl = spec.flavors.get(framework)
            if fl is None:
                continue
            for spelling in fl.names:
                if spelling.startswith(prefixes):
                    marks = ()
                    if spelling in KNOWN_FRAMEWORK_BUGS:
                        marks = pytest.mark.xfail(reason=KNOWN_FRAMEWORK_BUGS[spelling],
                                                  strict=True, raises=AssertionError)
                    cases.append(pytest.param(spec, framework, spelling, marks=marks,
                                              id=f"{spec.name}-{spelling}"))
    return cases


CASES = _cases()


def sample_input(spec: ActivationSpec, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    if spec.name == "softmax2d":
        return torch.randn(2, 3, 4, 5, generator=gen, dtype=dtype) * 3
    if spec.kind in ("vector", "gated"):
        return torch.randn(4, 8, generator=gen, dtype=dtype) * 3
    grid = torch.linspace(-6, 6, 97, dtype=dtype)
    return torch.cat([grid, torch.randn(160, generator=gen, dtype=dtype) * 3]).reshape(1, -1)


def away_from_kinks(spec: ActivationSpec, bound: dict, x: torch.Tensor,
                    margin: float = 1e-3) -> torch.Tensor:
    keep = torch.ones_like(x, dtype=torch.bool)
    if spec.kind == "elementwise":
        for k in spec.kink_points(bound):
            keep &= (x - k).abs() > margin
    return keep


def _reference_kwargs(spec, framework, spelling, bound_overrides) -> dict[str, Any] | None:
    """Framework-named kwargs for the reference: required parameters and `overrides`."""
    ref = import_reference(spelling)
    accepted = accepted_names(ref)
    needed = required_names(ref)
    fl = spec.flavors[framework]
    defaults = spec.defaults(framework)
    kwargs = {}
    for p in spec.params:
        name = framework_name(fl, p.name, accepted)
        value = bound_overrides.get(p.name, p.example if p.required else defaults[p.name])
        if p.name not in bound_overrides and not p.required and name not in needed:
            continue
        if name is None:
            return None
        if p.learnable:
            if framework != "torch" or isinstance(ref, type):
                return None
            value = torch.tensor([float(value)])
        kwargs[name] = framework_value(spec, framework, p.name, value)
    return kwargs


def _compare(spec, framework, spelling, overrides: dict[str, Any], seed: int = 0) -> None:
    kwargs = _reference_kwargs(spec, framework, spelling, overrides)
    if kwargs is None:
        pytest.skip(f"{spelling} does not take {sorted(overrides)}")
    required = {p.name: p.example for p in spec.params if p.required}
    ours = actlab.get(spelling, **{**required, **overrides}).eval()
    x = sample_input(spec, seed)
    x_ref = x.clone().requires_grad_(framework != "jax")
    x_our = x.clone().requires_grad_(True)
    expected = call_reference(framework, spelling, x_ref, kwargs)
    got = ours(x_our)
    assert got.shape == expected.shape
    torch.testing.assert_close(got.detach(), expected.detach().to(got.dtype),
                               rtol=2e-5, atol=2e-6)
    functional = actlab.functional.call(spelling, x, **{**required, **overrides})
    torch.testing.assert_close(functional, expected.detach().to(got.dtype), rtol=2e-5,
                               atol=2e-6)
    if framework == "jax" or not expected.requires_grad:
        return
    weights = torch.randn(expected.shape, generator=torch.Generator().manual_seed(seed + 1))
    (expected * weights).sum().backward()
    (got * weights).sum().backward()
    keep = away_from_kinks(spec, ours.params, x)
    torch.testing.assert_close(x_our.grad[keep], x_ref.grad[keep], rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize(("spec", "framework", "spelling"), CASES)
def test_framework_defaults(spec, framework, spelling):
    """Same values and gradients as the framework, each with its own defaults."""
    _compare(spec, framework, spelling, {})


def alternative_values(spec: ActivationSpec, framework: str) -> list[dict[str, Any]]:
    """Non-default parameter settings, one parameter at a time, valid for the spec."""
    out = []
    defaults = spec.defaults(framework)
    for p in spec.math_params:
        current = defaults[p.name]
        if p.required:
            current = p.example
        candidates: list[Any]
        if p.kind == "choice":
            candidates = [c for c in p.choices if c != current]
        elif p.kind == "bool":
            candidates = [not current]
        elif p.kind in ("float", "optional_float"):
            base = 1.0 if current is None else float(current)
            candidates = [base + 0.37, base * 2 + 0.11, 0.42, 1.3, -0.7]
        else:
            continue
        for value in candidates:
            try:
                spec.bind({p.name: value}, flavor=framework, fill_examples=True)
            except ActlabError:
                continue
            if value != current:
                out.append({p.name: value})
                break
    return out


def _variable_settings(case) -> list[dict[str, Any]]:
    spec, framework, spelling = case.values
    return [o for o in alternative_values(spec, framework)
            if _reference_kwargs(spec, framework, spelling, o) is not None]


#: Spellings whose framework takes parameters, with the settings to try.
PARAMETER_CASES = [pytest.param(*c.values, settings, marks=c.marks, id=c.id)
                   for c in CASES if (settings := _variable_settings(c))]


@pytest.mark.parametrize(("spec", "framework", "spelling", "settings"), PARAMETER_CASES)
def test_framework_parameters(spec, framework, spelling, settings):
    """Same values and gradients with parameters other than the defaults."""
    for overrides in settings:
        _compare(spec, framework, spelling, overrides, seed=3)


def test_cases_cover_the_frameworks():
    """The catalog really is checked against all three frameworks, many times over."""
    frameworks = {c.values[1] for c in CASES}
    assert frameworks == {"torch", "keras", "jax"}
    assert len(CASES) >= 60


@pytest.mark.parametrize("spelling", sorted({c.values[2] for c in CASES}))
def test_spelling_resolves_to_its_framework(spelling):
    resolved = actlab.resolve(spelling)
    framework = spelling.split(".")[0]
    assert resolved.flavor == framework
    assert callable(import_reference(spelling))
