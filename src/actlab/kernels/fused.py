"""Fused kernels: an activation's forward together with the least its backward needs.

A `FusedKernel` is a forward formula and a backward that reads only one saved thing:

- ``mask``: piecewise-linear functions, whose derivative takes a few constant values;
  a uint8 piece code per element, 1 byte instead of the 4 of the input;
- ``output``: functions whose derivative is a function of their value (ELU family,
  sigmoid, tanh, log-sigmoid...); the output is usually kept by the next layer anyway,
  and the input may be overwritten (in-place);
- ``input``: everything else: one tensor, never a chain of intermediates;
- ``nothing``: a constant derivative (the step function).

`FusedFunction` is their autograd Function. Inside ``torch.compile(model)`` the forward
and backward formulas are traced like any other code (no graph break).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from actlab.kernels.precision import upcast

Tensor = torch.Tensor

SAVES = ("mask", "output", "input", "nothing")


@dataclass(frozen=True, eq=False)
class FusedKernel:
    """One activation with bound parameters, as forward and lean backward formulas.

    `value(x)` is f(x). `mask(x)` gives the piece of each element (uint8 codes) and
    `levels[c]` the derivative on piece c. `from_output(grad, y)` and
    `from_input(grad, x)` return grad·f′ from the output or the input. `upcast` says that
    the formulas want float16/bfloat16 inputs in float32 (native ops do that themselves).
    `lean` says that it keeps less for backward than PyTorch's op would (a mask, or the
    output that the next layer keeps anyway): ``prefer("memory")`` chooses it then.
    """

    key: tuple
    saves: str
    value: Callable[[Tensor], Tensor]
    mask: Callable[[Tensor], Tensor] | None = None
    levels: tuple[float, ...] = ()
    from_output: Callable[[Tensor, Tensor], Tensor] | None = None
    from_input: Callable[[Tensor, Tensor], Tensor] | None = None
    upcast: bool = False
    lean: bool = True

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


def derivative_from_levels(code: Tensor, levels: tuple[float, ...], dtype: torch.dtype
                           ) -> Tensor:
    """f′ from piece codes: levels[code] per element."""
    if len(levels) == 2:
        m = code.to(dtype)
        lo, hi = levels
        if lo == 0.0:
            return m if hi == 1.0 else m * hi
        return m * (hi - lo) + lo
    d = torch.full(code.shape, levels[0], dtype=dtype, device=code.device)
    for c, level in enumerate(levels[1:], start=1):
        d = d + (code == c).to(dtype) * (level - levels[0])
    return d


def _compute(t: Tensor, kernel: FusedKernel) -> Tensor:
    return upcast(t) if kernel.upcast else t


def forward(kernel: FusedKernel, x: Tensor, want_mask: bool) -> tuple[Tensor, Tensor | None]:
    """(f(x), the piece codes or None)."""
    # Pieces are decided in float32, as PyTorch's half kernels compare: a threshold
    # rounded to half precision would move the kink.
    mask = kernel.mask(upcast(x)) if want_mask else None
    return kernel.value(_compute(x, kernel)).to(x.dtype), mask


#: The integer dtype of each float dtype's size: bit tricks on float tensors viewed as it.
SAME_SIZE_INT = {torch.float64: torch.int64, torch.float32: torch.int32,
                 torch.float16: torch.int16, torch.bfloat16: torch.int16}


def keep_where(grad: Tensor, mask: Tensor) -> Tensor:
    """grad where mask, else exactly +0 even where grad is nan or inf (as PyTorch's
    threshold_backward), as one bitwise AND with 0 or all-ones (vectorised, unlike
    torch.where and masked_fill on CPU)."""
    itype = SAME_SIZE_INT[grad.dtype]
    bits = mask.view(torch.uint8).to(itype).neg_()
    return torch.bitwise_and(grad.view(itype), bits).view(grad.dtype)


def backward(kernel: FusedKernel, saves: str, grad: Tensor, saved: Tensor) -> Tensor:
    """grad·f′ from what the forward saved; 0 (not nan) on a zero-derivative piece."""
    if saves != "mask":
        fn = kernel.from_output if saves == "output" else kernel.from_input
        return fn(_compute(grad, kernel), _compute(saved, kernel)).to(grad.dtype)
    levels = kernel.levels
    # With grad mode on (double backward) the result must be differentiable in grad:
    # the plain formula; else the bitwise form.
    if (len(levels) == 2 and levels[0] == 0.0 and levels[1] != 0.0
            and not torch.is_grad_enabled()):
        kept = keep_where(grad, saved)
        return kept if levels[1] == 1.0 else (upcast(kept) * levels[1]).to(grad.dtype)
    gc = upcast(grad)
    d = derivative_from_levels(saved, levels, gc.dtype)
    out = gc * d
    if 0.0 in levels:
        out = torch.where(d == 0, 0.0, out)
    return out.to(grad.dtype)


class FusedFunction(torch.autograd.Function):
    """Autograd for a FusedKernel: saves one mask, output or input, or nothing."""

    @staticmethod
    def forward(ctx, x: Tensor, kernel: FusedKernel, inplace: bool) -> Tensor:
        saves = kernel.saves_for(inplace)
        y, mask = forward(kernel, x, want_mask=saves == "mask")
        if inplace:
            x.copy_(y)
            y = x
            ctx.mark_dirty(x)
        ctx.kernel = kernel
        ctx.saves = saves
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
            return grad_x, None, None
        (saved,) = ctx.saved_tensors
        return backward(kernel, ctx.saves, grad, saved), None, None


def apply_fused(kernel: FusedKernel, x: Tensor, *, inplace: bool = False) -> Tensor:
    """f(x) through the kernel: a lean autograd Function when a gradient is needed."""
    if torch.is_grad_enabled() and x.requires_grad:
        return FusedFunction.apply(x, kernel, inplace)
    y, _ = forward(kernel, x, want_mask=False)
    if inplace:
        return x.copy_(y)
    return y


KernelBuilder = Callable[[Any, Mapping[str, Any]], FusedKernel | None]
