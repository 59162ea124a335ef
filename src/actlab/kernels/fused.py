"""Fused kernels: an activation's forward together with the least its backward needs.

A `FusedKernel` is a forward formula and a backward that reads only one saved thing:

- ``mask``: piecewise-linear functions, whose derivative takes a few constant values;
  a uint8 piece code per element, 1 byte instead of the 4 of the input;
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
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from actlab.kernels.blocked import map_blocks, worth_blocking
from actlab.kernels.precision import LOW_PRECISION, upcast

Tensor = torch.Tensor
aten = torch.ops.aten

SAVES = ("mask", "output", "input", "nothing")


@dataclass(frozen=True, eq=False)
class FusedKernel:
    """One activation with bound parameters, as forward and lean backward formulas.

    `value(x)` is f(x); `value_into(x, out)`, where given, writes it into `out` (a native
    op's ``out=`` variant: no copy when blocks are written). `blocked` says that the
    formulas are several ops, which cache blocking speeds up (a single native op gains
    nothing from it). `mask(x)` gives the piece of each element (uint8 codes),
    `traced_mask(x)` the same codes in a form a compiler vectorises, and `levels[c]` the
    derivative on piece c. `from_output(grad, y)` and
    `from_input(grad, x)` return grad·f′ from the output or the input. `upcast` says that
    the formulas want float16/bfloat16 inputs in float32 (native ops do that themselves).
    `lean` says that it keeps less for backward than PyTorch's op would (a mask, or the
    output that the next layer keeps anyway): ``prefer("memory")`` chooses it then.
    """

    key: tuple
    saves: str
    value: Callable[[Tensor], Tensor]
    value_into: Callable[[Tensor, Tensor], object] | None = None
    blocked: bool = True
    mask: Callable[[Tensor], Tensor] | None = None
    traced_mask: Callable[[Tensor], Tensor] | None = None
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


def _compute(t: Tensor, kernel: FusedKernel) -> Tensor:
    return upcast(t) if kernel.upcast else t


def forward_pack(kernel: FusedKernel, want_mask: bool, traced: bool = False
                 ) -> Callable[[Tensor], tuple]:
    """x ↦ (f(x), mask or None): the whole forward as one elementwise function
    (`traced`: for a compiler)."""
    mask_of = kernel.traced_mask if traced and kernel.traced_mask is not None else kernel.mask

    def pack(x: Tensor) -> tuple[Tensor, Tensor | None]:
        # Pieces are decided in float32, as PyTorch's half kernels compare: a threshold
        # rounded to half precision would move the kink.
        mask = mask_of(upcast(x)) if want_mask else None
        return kernel.value(_compute(x, kernel)).to(x.dtype), mask
    return pack


def forward_into(kernel: FusedKernel) -> Callable[[Tensor, Tensor, Tensor | None], None]:
    """(x, y, mask or None) ↦ writes f(x) into y and the pieces into mask (y may be x)."""
    def into(x: Tensor, y: Tensor, mask: Tensor | None) -> None:
        if mask is not None:
            mask.copy_(kernel.mask(upcast(x)))  # before y, which may overwrite x
        if kernel.value_into is not None and not (kernel.upcast and x.dtype in LOW_PRECISION):
            kernel.value_into(x, y)
        else:
            y.copy_(kernel.value(_compute(x, kernel)))
    return into


#: The integer dtype of each float dtype's size: bit tricks on float tensors viewed as it.
SAME_SIZE_INT = {torch.float64: torch.int64, torch.float32: torch.int32,
                  torch.float16: torch.int16, torch.bfloat16: torch.int16}


def keep_where(grad: Tensor, mask: Tensor, out: Tensor | None = None) -> Tensor:
    """grad where mask, else exactly +0 even where grad is nan or inf (as PyTorch's
    threshold_backward), as one bitwise AND with 0 or all-ones (vectorised, unlike
    torch.where and masked_fill on CPU)."""
    itype = SAME_SIZE_INT[grad.dtype]
    bits = mask.view(torch.uint8).to(itype).neg_()
    if out is None:
        return torch.bitwise_and(grad.view(itype), bits).view(grad.dtype)
    torch.bitwise_and(grad.view(itype), bits, out=out.view(itype))
    return out


def _from_mask(grad: Tensor, code: Tensor, levels: tuple[float, ...], bitwise: bool
               ) -> Tensor:
    """grad·f′ from piece codes; 0 (not nan) on a zero-derivative piece for any grad.

    `bitwise` picks the eager CPU form (an AND instead of masked_fill); autograd (double
    backward) and compilers (which fuse a where into the loop) get the plain formula.
    """
    two_pieces_off_zero = len(levels) == 2 and levels[0] == 0.0 and levels[1] != 0.0
    if two_pieces_off_zero and bitwise:
        kept = keep_where(grad, code)
        if levels[1] == 1.0:
            return kept
        return (upcast(kept) * levels[1]).to(grad.dtype)
    gc = upcast(grad)
    d = derivative_from_levels(code, levels, gc.dtype)
    out = gc * d
    if 0.0 in levels:
        out = torch.where(d == 0, 0.0, out)
    return out.to(grad.dtype)


def backward_into(kernel: FusedKernel, saves: str) -> Callable[[Tensor, Tensor, Tensor], None]:
    """(grad, saved, out) ↦ writes grad·f′ into out."""
    levels = kernel.levels
    if saves == "mask" and len(levels) == 2 and levels[0] == 0.0 and levels[1] != 0.0:
        def into(grad: Tensor, code: Tensor, out: Tensor) -> None:
            keep_where(grad, code, out)
            if levels[1] != 1.0:
                out.mul_(levels[1])
        return into
    if saves == "mask" and len(levels) == 2 and levels[1] == 1.0:
        slope = levels[0]

        def leaky_into(grad: Tensor, code: Tensor, out: Tensor) -> None:
            # PyTorch's leaky_relu backward reads the pieces from any tensor that is > 0
            # where the slope is 1: the 0/1 codes cast to the gradient's dtype will do.
            aten.leaky_relu_backward.grad_input(grad, code.to(grad.dtype), slope, False,
                                                grad_input=out)
        return leaky_into
    fn = backward_pack(kernel, saves)

    def copy_into(grad: Tensor, saved: Tensor, out: Tensor) -> None:
        out.copy_(fn(grad, saved))
    return copy_into


def backward_pack(kernel: FusedKernel, saves: str, traced: bool = False
                  ) -> Callable[..., Tensor]:
    """(grad, saved) ↦ grad·f′ as one elementwise function (`traced`: for a compiler)."""
    def from_mask(grad: Tensor, code: Tensor) -> Tensor:
        # With grad mode on (double backward) the result must be differentiable in grad.
        bitwise = not traced and not torch.is_grad_enabled()
        return _from_mask(grad, code, kernel.levels, bitwise)

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
        if kernel.blocked and worth_blocking(x):
            y = x if inplace else torch.empty_like(x)
            mask = None
            if want_mask:
                mask = torch.empty(x.shape, dtype=torch.uint8, device=x.device)
            map_blocks(forward_into(kernel), (x,), (y, mask))
            return y, mask
        y, mask = forward_pack(kernel, want_mask)(x)
        if inplace:
            x.copy_(y)
            y = x
        return y, mask

    def backward(self, kernel: FusedKernel, saves: str, grad: Tensor, saved: Tensor | None
                 ) -> Tensor:
        # Double backward (grad mode on) needs the formula on whole tensors, with autograd.
        if (kernel.blocked and worth_blocking(grad, saved)
                and not torch.is_grad_enabled()):
            out = torch.empty_like(grad)
            map_blocks(backward_into(kernel, saves), (grad, saved), (out,))
            return out
        return backward_pack(kernel, saves)(grad, saved)


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
