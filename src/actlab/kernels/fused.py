"""Fused kernels: an activation's forward together with the least its backward needs.

A `FusedKernel` is a forward formula and a backward that reads only one saved thing:

- ``mask``: piecewise-linear functions, whose derivative takes a few constant values;
  a bool (or uint8 piece code) per element, 1 byte instead of the 4 of the input;
- ``output``: functions whose derivative is a function of their value (ELU family,
  sigmoid, tanh, log-sigmoid...); the output is usually kept by the next layer anyway,
  and the input may be overwritten (in-place);
- ``input``: everything else: one tensor, never a chain of intermediates;
- ``nothing``: a constant derivative (the step function).

Kernels run through `FusedFunction`; a `Runner` evaluates them (eagerly, cache-blocked on
large CPU tensors, or compiled: see `compiled.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from actlab.kernels.blocked import map_blocks, worth_blocking

Tensor = torch.Tensor

SAVES = ("mask", "output", "input", "nothing")

_LOW_PRECISION = (torch.float16, torch.bfloat16)


@dataclass(frozen=True, eq=False)
class FusedKernel:
    """One activation with bound parameters, as forward and lean backward formulas.

    `value(x)` is f(x). `mask(x)` gives the piece of each element (bool, or uint8 codes)
    and `levels[c]` the derivative on piece c. `from_output(grad, y)` and
    `from_input(grad, x)` return grad·f′ from the output or the input. `upcast` says that
    the formulas want float16/bfloat16 inputs in float32 (native ops do that themselves).
    `preferred_for_training` and `faster_on` record where the kernel beat PyTorch's native
    op in `benchmarks/` (memory for backward, or time on large tensors of that device).
    """

    key: tuple
    saves: str
    value: Callable[[Tensor], Tensor]
    mask: Callable[[Tensor], Tensor] | None = None
    levels: tuple[float, ...] = ()
    from_output: Callable[[Tensor, Tensor], Tensor] | None = None
    from_input: Callable[[Tensor, Tensor], Tensor] | None = None
    upcast: bool = False
    preferred_for_training: bool = True
    faster_on: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.saves not in SAVES:
            raise ValueError(f"saves must be one of {SAVES}, got {self.saves!r}")

    @property
    def inplace(self) -> bool:
        """Whether the forward may overwrite its input: backward must not need it."""
        return self.saves in ("mask", "nothing") or self.from_output is not None

    def saves_for(self, inplace: bool) -> str:
        """What the backward keeps: the output rather than the input when x is overwritten."""
        if inplace and self.saves == "input":
            return "output"
        return self.saves

    def faster_for(self, x: Tensor) -> bool:
        """Whether the forward alone beats the native op on this tensor."""
        return x.device.type in self.faster_on and worth_blocking(x)


def derivative_from_levels(code: Tensor, levels: tuple[float, ...], dtype: torch.dtype
                           ) -> Tensor:
    """f′ from piece codes: levels[code] per element."""
    if len(levels) == 2:
        # A bool viewed as uint8 converts to float with one vectorised cast (bool itself
        # takes a slow path on CPU).
        m = (code.view(torch.uint8) if code.dtype == torch.bool else code).to(dtype)
        lo, hi = levels
        if lo == 0.0:
            return m if hi == 1.0 else m * hi
        return m * (hi - lo) + lo
    d = torch.full(code.shape, levels[0], dtype=dtype, device=code.device)
    for c, level in enumerate(levels[1:], start=1):
        d = d + (code == c).to(dtype) * (level - levels[0])
    return d


def _float32(t: Tensor) -> Tensor:
    return t.float() if t.dtype in _LOW_PRECISION else t


def _compute(t: Tensor, kernel: FusedKernel) -> Tensor:
    return _float32(t) if kernel.upcast else t


def forward_pack(kernel: FusedKernel, want_mask: bool) -> Callable[[Tensor], tuple]:
    """x ↦ (f(x), mask or None): the whole forward as one elementwise function."""
    def pack(x: Tensor) -> tuple[Tensor, Tensor | None]:
        # Pieces are decided in float32, as PyTorch's half kernels compare: a threshold
        # rounded to half precision would move the kink.
        mask = kernel.mask(_float32(x)) if want_mask else None
        return kernel.value(_compute(x, kernel)).to(x.dtype), mask
    return pack


def backward_pack(kernel: FusedKernel, saves: str) -> Callable[..., Tensor]:
    """(grad, saved) ↦ grad·f′ as one elementwise function."""
    def from_mask(grad: Tensor, code: Tensor) -> Tensor:
        gc = _float32(grad)
        d = derivative_from_levels(code, kernel.levels, gc.dtype)
        out = gc * d
        if 0.0 in kernel.levels:
            # PyTorch's own backward (threshold_backward, hardtanh_backward) gives exactly 0
            # where f' = 0, even for a nan or inf incoming gradient (0·nan would be nan).
            out = out.masked_fill(d == 0, 0.0)
        return out.to(grad.dtype)

    def from_saved(grad: Tensor, saved: Tensor) -> Tensor:
        fn = kernel.from_output if saves == "output" else kernel.from_input
        return fn(_compute(grad, kernel), _compute(saved, kernel)).to(grad.dtype)

    return from_mask if saves == "mask" else from_saved


class Runner(Protocol):
    """Evaluates a kernel's forward and backward formulas on whole tensors."""

    def forward(self, kernel: FusedKernel, x: Tensor, *, inplace: bool, want_mask: bool
                ) -> tuple[Tensor, Tensor | None]: ...

    def backward(self, kernel: FusedKernel, saves: str, grad: Tensor, saved: Tensor | None
                 ) -> Tensor: ...


class EagerRunner:
    """Eager torch ops; cache-blocked when the tensor is large and on the CPU."""

    def forward(self, kernel: FusedKernel, x: Tensor, *, inplace: bool, want_mask: bool
                ) -> tuple[Tensor, Tensor | None]:
        pack = forward_pack(kernel, want_mask)
        if worth_blocking(x):
            y = x if inplace else torch.empty_like(x)
            mask = None
            if want_mask:
                dtype = torch.bool if len(kernel.levels) == 2 else torch.uint8
                mask = torch.empty(x.shape, dtype=dtype, device=x.device)
            map_blocks(pack, (x,), (y, mask))
            return y, mask
        y, mask = pack(x)
        if inplace:
            x.copy_(y)
            y = x
        return y, mask

    def backward(self, kernel: FusedKernel, saves: str, grad: Tensor, saved: Tensor | None
                 ) -> Tensor:
        fn = backward_pack(kernel, saves)
        if worth_blocking(grad, saved) and not torch.is_grad_enabled():
            out = torch.empty_like(grad)
            map_blocks(fn, (grad, saved), (out,))
            return out
        # Double backward (grad mode on) needs the formula on whole tensors, with autograd.
        return fn(grad, saved)


EAGER = EagerRunner()


class FusedFunction(torch.autograd.Function):
    """Autograd for a FusedKernel: saves one mask, output or input, or nothing."""

    @staticmethod
    def forward(ctx, x: Tensor, kernel: FusedKernel, inplace: bool, runner: Runner) -> Tensor:
        saves = kernel.saves_for(inplace)
        y, mask = runner.forward(kernel, x, inplace=inplace, want_mask=saves == "mask")
        if inplace:
            ctx.mark_dirty(x)
        ctx.kernel = kernel
        ctx.saves = saves
        ctx.runner = runner
        if saves == "mask":
            ctx.save_for_backward(mask)
        elif saves == "output":
            ctx.save_for_backward(y)
        elif saves == "input":
            ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, grad: Tensor):
        kernel: FusedKernel = ctx.kernel
        if ctx.saves == "nothing":
            # A constant derivative: levels holds it (the step function's is 0).
            slope = kernel.levels[0] if kernel.levels else 0.0
            grad_x = torch.zeros_like(grad) if slope == 0 else grad * slope
            return grad_x, None, None, None
        (saved,) = ctx.saved_tensors
        return ctx.runner.backward(kernel, ctx.saves, grad, saved), None, None, None


def apply_fused(kernel: FusedKernel, x: Tensor, *, inplace: bool = False,
                runner: Runner = EAGER) -> Tensor:
    """f(x) through the kernel: a lean autograd Function when a gradient is needed."""
    if torch.is_grad_enabled() and x.requires_grad:
        return FusedFunction.apply(x, kernel, inplace, runner)
    y, _ = runner.forward(kernel, x, inplace=inplace, want_mask=False)
    return y


KernelBuilder = Callable[[Any, Mapping[str, Any]], FusedKernel | None]
