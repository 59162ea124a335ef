"""An elementwise activation as the theory sees it: φ and φ′ on float64 NumPy arrays."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from actlab.analysis.errors import NotElementwiseError
from actlab.catalog import resolve
from actlab.catalog.registry import Resolved
from actlab.catalog.spec import ActivationSpec


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch ops on `count` threads, then restore the previous setting."""
    threads = torch.get_num_threads()
    if threads == count:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def single_threaded_torch() -> contextlib.AbstractContextManager[None]:
    """One torch thread: quadrature arrays are small, and on a busy machine OpenMP workers
    waiting for a core make a 3000-element tanh take milliseconds instead of microseconds."""
    return torch_threads(1)


@dataclass(frozen=True, eq=False)
class ScalarActivation:
    """φ: ℝ → ℝ from the catalog's reference `forward` and analytic `derivative`, in float64.

    `kinks` are the points where φ or φ′ is not smooth (quadrature splits there).
    """

    resolved: Resolved
    params: dict[str, Any]
    label: str
    kinks: tuple[float, ...] = field(default=())

    @property
    def spec(self) -> ActivationSpec:
        return self.resolved.spec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def key(self) -> tuple:
        """Identifies the function (spec and parameter values), for caches."""
        return (self.spec.name, self.spec.origin, self.spec.source,
                tuple(sorted((k, repr(v)) for k, v in self.params.items())))

    def _math(self) -> dict[str, Any]:
        values = self.spec.math_values(self.params)
        # A learnable parameter may be bound as an int (prelu's weight=0); formulas want floats.
        return {k: float(v) if self.spec.param(k).learnable and isinstance(v, int) else v
                for k, v in values.items()}

    def value(self, x: np.ndarray) -> np.ndarray:
        """φ(x) elementwise, float64."""
        t = torch.as_tensor(np.asarray(x, dtype=np.float64))
        with torch.no_grad(), single_threaded_torch():
            return self.spec.forward(t, **self._math()).numpy()

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """φ′(x) elementwise, float64 (the spec's analytic derivative; autograd without one)."""
        t = torch.as_tensor(np.asarray(x, dtype=np.float64))
        with single_threaded_torch():
            if self.spec.derivative is not None:
                with torch.no_grad():
                    return self.spec.derivative(t, **self._math()).numpy()
            t = t.clone().requires_grad_(True)
            y = self.spec.forward(t, **self._math())
            (grad,) = torch.autograd.grad(y.sum(), t)
            return grad.detach().numpy()

    def torch_forward(self, x: torch.Tensor) -> torch.Tensor:
        """φ on a torch tensor through actlab's kernels (native op where PyTorch has one)."""
        from actlab.kernels import apply

        return apply(self.spec, x, self.params)


def scalar_activation(activation: Any, **overrides: Any) -> ScalarActivation:
    """Resolve a name, spelling, formula, spec or Resolved into a ScalarActivation."""
    if isinstance(activation, ScalarActivation) and not overrides:
        return activation
    if isinstance(activation, ScalarActivation):
        activation = activation.resolved
    resolved = resolve(activation)
    spec = resolved.spec
    if spec.kind != "elementwise":
        raise NotElementwiseError(
            f"{spec.name} is a {spec.kind} activation (it mixes the entries of a vector), so "
            f"mean-field theory, which needs an elementwise φ: ℝ → ℝ, does not apply; "
            f"choose an elementwise activation")
    params = resolved.bind(overrides, fill_examples=True)
    kinks = tuple(sorted({float(k) for k in spec.kink_points(params) if np.isfinite(k)}))
    # A formula is best named by itself, not by its generated spec name.
    label = spec.source if spec.origin == "expression" and spec.source else resolved.label
    label = label if not overrides else (
        label + "(" + ", ".join(f"{k}={v}" for k, v in overrides.items()) + ")")
    return ScalarActivation(resolved, params, label, kinks)


#: Anything `scalar_activation` accepts: a name, spelling or formula, a spec, a Resolved.
ActivationLike = str | ActivationSpec | Resolved | ScalarActivation
