"""Every flavor spelling gives the numbers of the framework it names: values and gradients,
float32 and float64, at every kink and one ulp either side, with the framework's defaults
and with other parameters.

The reference for `keras.layers.LeakyReLU` is `keras.layers.LeakyReLU` itself (Keras 3
on its torch backend), for `tf.keras.layers.LeakyReLU` the real Keras 2 (`tf_keras` on
TensorFlow), for `jax.nn.hard_tanh` JAX, each differentiated by its own autodiff. Nothing
here is computed by actlab's own formulas. Failure messages name the framework version
that was checked; `pytest`'s header lists them all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import actlab
from actlab.catalog import registry
from actlab.catalog.spec import ActivationSpec
from actlab.errors import ActlabError
from actlab.kernels import force_implementation, fused_kernel
from support.frameworks import (
    FRAMEWORK_PREFIXES,
    evaluate,
    framework_available,
    framework_version,
    import_reference,
    is_class,
    output_weights,
    reference_kwargs,
)

DTYPES = ("float32", "float64")


def _cases() -> list[Any]:
    cases = []
    for spec in registry().specs():
        for framework, fl in spec.flavors.items():
            marks = () if framework_available(framework) else pytest.mark.skip(
                reason=f"{framework} is not installed (the test extra installs it)")
            for spelling in fl.names:
                if spelling.startswith(FRAMEWORK_PREFIXES[framework]):
                    cases.append(pytest.param(spec, framework, spelling, marks=marks,
                                              id=f"{spec.name}-{spelling}"))
    return cases


CASES = _cases()


# -- inputs: a grid, random points, and every kink with its neighbours ---------------------------
def _neighbours(points: list[float], dtype: str) -> np.ndarray:
    """Each point, rounded to `dtype`, and the floats one ulp below and above it. Next to
    0 that is the smallest normal float: TensorFlow and XLA flush subnormal inputs to zero
    on CPU (PyTorch does so too after torch.set_flush_denormal(True))."""
    np_dtype = np.dtype(dtype).type
    tiny = np.finfo(np_dtype).tiny
    out = []
    for p in points:
        k = np_dtype(p)
        if k == 0:
            out += [-tiny, k, tiny]
        else:
            out += [np.nextafter(k, np_dtype(-np.inf)), k, np.nextafter(k, np_dtype(np.inf))]
    return np.array(out, dtype=np_dtype)


def sample_input(spec: ActivationSpec, bound: dict, dtype: str) -> np.ndarray:
    """Points at which to compare (float64 values that are exact in `dtype`)."""
    rng = np.random.default_rng(0)
    if spec.name == "softmax2d":
        return (rng.normal(size=(2, 3, 4, 5)) * 3).astype(dtype).astype(np.float64)
    if spec.kind in ("vector", "gated"):
        x = rng.normal(size=(4, 8)) * 3
        x[0, :3] = 1.5  # ties
        x[1] = 0.0
        return x.astype(dtype).astype(np.float64)
    special = sorted(set(spec.kink_points(bound)) | {0.0, 1.0, -1.0})
    special = [k for k in special if np.isfinite(k)]
    # Far points too: a framework's own cut-offs (PyTorch's softplus threshold, 20) live there.
    far = np.array([-40.0, -25.0, -20.5, -12.0, 12.0, 20.5, 25.0, 40.0])
    parts = [np.linspace(-6, 6, 49), rng.normal(size=24) * 3, far, _neighbours(special, dtype)]
    return np.concatenate([p.astype(dtype) for p in parts]).astype(np.float64)


# -- comparison --------------------------------------------------------------------------------
#: Where a framework's numbers can only be met to a wider tolerance: (framework, spec,
#: dtype) -> ulps. transformers' xIELU keeps its α as raw bfloat16 parameters and takes
#: their softplus in the model's dtype; actlab's module learns α itself, created in float32
#: as PyTorch creates parameters: in a float64 model the two α differ by one float32
#: rounding (2⁻²⁴, about 3e8 float64 ulps), in float32 by at most an ulp.
ULPS: dict[tuple[str, str, str], int] = {("transformers", "xielu", "float64"): 2 ** 29}


def tolerance(reference: np.ndarray, x: np.ndarray, dtype: str, ulps: int = 8) -> np.ndarray:
    """8 ulps of max(|f|, |x|, 1): frameworks compute erf, tanh, exp... to a few ulps, and
    formulas such as x·(1 + erf(x/√2))/2 turn that into ulps of |x|. A convention at a kink
    (0 against 1) or a constant rounded to float32 (1e-8 relative) is far beyond it."""
    eps = np.finfo(dtype).eps
    scale = np.abs(reference) + 1.0
    if x.shape == reference.shape:
        scale = scale + np.abs(x)
    return ulps * eps * scale


def assert_close(what: str, got: np.ndarray, expected: np.ndarray, x: np.ndarray,
                 dtype: str, context: str, ulps: int = 8) -> None:
    assert got.shape == expected.shape, f"{context}: {what} shape {got.shape} != " \
                                        f"{expected.shape}"
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    with np.errstate(invalid="ignore"):
        close = np.abs(got - expected) <= tolerance(expected, x, dtype, ulps)
    bad = ~(same | close)
    if bad.any():
        index = np.argwhere(bad)[:6]
        flat_x = x if x.shape == got.shape else np.full(got.shape, np.nan)
        rows = "; ".join(f"x={flat_x[tuple(i)]!r}: actlab {got[tuple(i)]!r}, framework "
                         f"{expected[tuple(i)]!r}" for i in index)
        pytest.fail(f"{context}: {what} differ at {int(bad.sum())} of {bad.size} points: {rows}")


def _implementations(module: torch.nn.Module) -> list[str]:
    """auto (what a user gets), and every other eager path this module can take."""
    out = ["auto"]
    spec, params = module.spec, module.params
    if spec.derivative is not None or spec.vjp is not None:
        out.append("analytic")
    if not list(module.parameters()) and fused_kernel(spec, params) is not None:
        out.append("fused")
    return out


def _ours(spelling: str, params: dict[str, Any], x: np.ndarray, dtype: torch.dtype,
          implementation: str | None) -> tuple[np.ndarray, np.ndarray]:
    """actlab's values and gradient of sum(w · f(x)): through a module with the given
    implementation, or (None) through actlab.functional."""
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    if implementation is None:
        y = actlab.functional.call(spelling, xt, **params)
    else:
        with force_implementation(implementation):  # a module chooses when it is built
            module = actlab.get(spelling, **params).to(dtype).eval()
        assert implementation == "auto" or module.implementation.kind == implementation
        y = module(xt)
    assert y.dtype == dtype, f"{spelling}: output dtype {y.dtype} for {dtype} inputs"
    weights = torch.tensor(output_weights(tuple(y.shape)), dtype=y.dtype)
    (g,) = torch.autograd.grad((y * weights).sum(), xt)
    return y.detach().double().numpy(), g.double().numpy()


def compare(spec: ActivationSpec, framework: str, spelling: str,
            overrides: dict[str, Any]) -> bool:
    """actlab's spelling against the framework, in float32 and float64, on every path.

    A learnable parameter is a module's (created in float32, as the framework's layers
    create theirs) or a function's argument (in the input's dtype): modules are compared
    with a framework's layer, functions with its function. Returns False where the
    framework refuses these (non-default) parameters.
    """
    kwargs = reference_kwargs(spec, framework, spelling, overrides)
    assert kwargs is not None
    params = {**{p.name: p.example for p in spec.params if p.required}, **overrides}
    layer = is_class(import_reference(spelling))
    for dtype in DTYPES:
        ulps = ULPS.get((framework, spec.name, dtype), 8)
        torch_dtype = getattr(torch, dtype)
        module = actlab.get(spelling, **params)
        x = sample_input(spec, module.params, dtype)
        try:
            ref = evaluate(framework, spelling, x, dtype, kwargs)
        except (ValueError, TypeError):
            if overrides:
                return False  # e.g. keras.layers.ReLU refuses a negative threshold
            raise
        context = (f"{spelling}({', '.join(f'{k}={v!r}' for k, v in overrides.items())}) "
                   f"in {dtype} against {framework_version(framework)}")
        paths: list[str | None] = []
        if layer or not spec.learnable_params:
            paths += _implementations(module)
        if not layer or not spec.learnable_params:
            paths.append(None)
        for implementation in paths:
            where = f"{context}, {implementation or 'actlab.functional'}"
            value, grad = _ours(spelling, params, x, torch_dtype, implementation)
            assert_close("values", value, ref.value, x, dtype, where, ulps)
            assert_close("gradients", grad, ref.grad, x, dtype, where, ulps)
    return True


# -- parameter settings ----------------------------------------------------------------------
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


#: Settings where the frameworks' conventions change (relu's cap of 6 takes relu6's path
#: in Keras; slope, cap and threshold together take a three-piece path).
EXTRA_SETTINGS: dict[str, list[dict[str, Any]]] = {
    "relu": [{"max_value": 6.0}, {"negative_slope": 0.1, "max_value": 2.0},
             {"threshold": -1.0, "max_value": 3.0}, {"threshold": 1.5, "negative_slope": 0.2},
             {"threshold": -1.0, "max_value": 3.0, "negative_slope": 0.2},
             {"threshold": 0.5, "max_value": 6.0}],
    "leaky_relu": [{"negative_slope": 0.1}],
    "elu": [{"alpha": 0.1}],
    "celu": [{"alpha": 0.1}],
    "softplus": [{"beta": 2.0, "threshold": 5.0}],
}


def settings(spec: ActivationSpec, framework: str, spelling: str) -> list[dict[str, Any]]:
    candidates = [{}] + alternative_values(spec, framework) + EXTRA_SETTINGS.get(spec.name, [])
    out = []
    for overrides in candidates:
        if overrides in out:
            continue
        try:
            spec.bind(overrides, flavor=framework, fill_examples=True)
        except ActlabError:
            continue
        if reference_kwargs(spec, framework, spelling, overrides) is not None:
            out.append(overrides)
    return out


@pytest.mark.filterwarnings("ignore::actlab.errors.FrameworkBugWarning")
@pytest.mark.parametrize(("spec", "framework", "spelling"), CASES)
def test_spelling_matches_its_framework(spec, framework, spelling):
    """Same values and gradients as the framework, kinks included, with its defaults and
    with every other parameter value its spelling takes."""
    compared = [compare(spec, framework, spelling, overrides)
                for overrides in settings(spec, framework, spelling)]
    assert compared[0], "the framework's defaults were compared"


def test_cases_cover_the_frameworks():
    """The catalog really is checked against every framework, many times over, and every
    framework is installed (`bash scripts/test.sh` installs the dialects extra)."""
    frameworks = {c.values[1] for c in CASES}
    assert frameworks == set(FRAMEWORK_PREFIXES)
    missing = [f for f in frameworks if not framework_available(f)]
    assert not missing, (f"not installed: {missing}; install them with "
                         f"`bash scripts/bootstrap.sh all,test,dialects`")
    assert len(CASES) >= 100


def test_the_keras_sparsemax_bug_is_reproduced_with_a_warning_and_sparsemax_is_right():
    """Keras 3.15's sparsemax is wrong (keras-team/keras#23425): its spellings give Keras's
    numbers and say so; the canonical name is the projection onto the simplex."""
    import keras

    x = torch.tensor([[2.0, 1.5, 1.0, -1.0]], dtype=torch.float64)
    with pytest.warns(actlab.FrameworkBugWarning, match="keras-team/keras#23425"):
        keras_like = actlab.get("keras.activations.sparsemax")(x)
    torch.testing.assert_close(keras_like, keras.activations.sparsemax(x), rtol=0, atol=1e-15)
    right = actlab.get("sparsemax")(x)
    # Martins & Astudillo's projection: the support is {2, 1.5} (1 + 3·1 > 4.5 fails), so
    # τ = (2 + 1.5 − 1)/2 and f = max(x − τ, 0) = (0.75, 0.25, 0, 0).
    tau = (2.0 + 1.5 - 1) / 2
    torch.testing.assert_close(right, torch.clamp(x - tau, min=0), rtol=0, atol=1e-15)
    assert float(right.sum()) == pytest.approx(1.0)
    assert not torch.allclose(keras_like, right)


@pytest.mark.parametrize("spelling", sorted({c.values[2] for c in CASES}))
def test_spelling_resolves_to_its_framework(spelling):
    resolved = actlab.resolve(spelling)
    framework = next(f for f, prefixes in FRAMEWORK_PREFIXES.items()
                     if spelling.startswith(prefixes))
    assert resolved.flavor == framework
    if framework_available(framework):
        assert callable(import_reference(spelling))
