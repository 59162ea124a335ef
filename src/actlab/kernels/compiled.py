"""Compiled kernels: torch.compile (Inductor) turns a kernel's formulas into one loop.

On a CPU Inductor writes C++/OpenMP, on a GPU Triton: the whole forward (value and mask)
and the whole backward each become a single pass over memory. Compiling costs seconds
(15–30 s for the first kernel of a process, 1–2 s for each further one) and its
artefacts land in Inductor's on-disk cache (``TORCHINDUCTOR_CACHE_DIR``, by default
under the system's temporary directory). Kernels are compiled only where asked
(``implementation="compiled"``), at their first call.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
import types
import warnings
from collections.abc import Callable

import torch

from actlab.kernels.fused import EAGER, FusedKernel, apply_fused, backward_pack, forward_pack
from actlab.kernels.vector import VectorKernel, apply_vector

Tensor = torch.Tensor

def compile_problem(device: torch.device | str) -> str | None:
    """Why torch.compile cannot build kernels for `device`, or None when it can."""
    return _compile_problem(torch.device(device).type)


@functools.cache
def _compile_problem(kind: str) -> str | None:
    if not hasattr(torch, "compile"):
        return "this PyTorch has no torch.compile"
    if kind == "cpu":
        compiler = os.environ.get("CXX") or "g++"
        if shutil.which(compiler) is None and shutil.which("c++") is None:
            return f"no C++ compiler ({compiler}) on PATH for Inductor's CPU kernels"
        return None
    if kind == "cuda":
        try:
            import triton  # noqa: F401
        except ImportError:
            return "Triton is not installed (Inductor's GPU kernels need it)"
        return None
    return f"compiled kernels are not built for {kind} devices"


def _own_code(fn: Callable, name: str) -> Callable:
    """A copy of `fn` with its own code object.

    Dynamo keeps one cache per code object; the packs of all kernels share theirs, so
    each compiled kernel gets a private copy (else their guards would crowd one cache).
    """
    code = fn.__code__.replace(co_name=name)
    return types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)


class CompiledRunner:
    """Evaluates kernels through torch.compile, one compiled function per kernel and pass."""

    def __init__(self) -> None:
        self._functions: dict[tuple, Callable] = {}
        self._failed: dict[tuple, str] = {}
        self._lock = threading.Lock()

    def _compiled(self, key: tuple, build: Callable[[], Callable]) -> Callable | None:
        with self._lock:
            fn = self._functions.get(key)
            if fn is None and key not in self._failed:
                name = "actlab_" + "_".join(str(k) for k in key[:2])
                fn = torch.compile(_own_code(build(), name), dynamic=True, fullgraph=True)
                self._functions[key] = fn
            return fn

    def _run(self, key: tuple, build: Callable[[], Callable], *args: Tensor):
        fn = self._compiled(key, build)
        if fn is None:
            return None
        try:
            return fn(*args)
        except Exception as err:  # a compiler failure must not break training: run eagerly
            self._failed[key] = str(err)
            warnings.warn(f"actlab: compiling {key[0]} failed ({type(err).__name__}); "
                          f"running it eagerly", RuntimeWarning, stacklevel=4)
            return None

    def forward(self, kernel: FusedKernel, x: Tensor, *, inplace: bool, want_mask: bool
                ) -> tuple[Tensor, Tensor | None]:
        if inplace:
            # A compiled function returns new tensors; in place stays eager (and blocked).
            return EAGER.forward(kernel, x, inplace=True, want_mask=want_mask)
        key = (kernel.key, "forward", want_mask, x.device.type)
        result = self._run(key, lambda: forward_pack(kernel, want_mask, traced=True), x.reshape(-1))
        if result is None:
            return EAGER.forward(kernel, x, inplace=False, want_mask=want_mask)
        y, mask = result
        return y.view(x.shape), (None if mask is None else mask.view(x.shape))

    def backward(self, kernel: FusedKernel, saves: str, grad: Tensor, saved: Tensor | None
                 ) -> Tensor:
        if torch.is_grad_enabled():
            return EAGER.backward(kernel, saves, grad, saved)  # double backward: autograd
        key = (kernel.key, "backward", saves, grad.device.type)
        result = self._run(key, lambda: backward_pack(kernel, saves, traced=True),
                           grad.reshape(-1),
                           saved.reshape(-1))
        if result is None:
            return EAGER.backward(kernel, saves, grad, saved)
        return result.view(grad.shape)

    def vector_forward(self, kernel: VectorKernel, x: Tensor) -> Tensor:
        key = (kernel.key, "vector_forward", x.device.type)
        result = self._run(key, lambda: kernel.forward, x)
        return kernel.forward(x) if result is None else result

    def vector_backward(self, kernel: VectorKernel, saved: Tensor, grad: Tensor) -> Tensor:
        key = (kernel.key, "vector_vjp", grad.device.type)
        result = self._run(key, lambda: kernel.vjp, saved, grad)
        return kernel.vjp(saved, grad) if result is None else result

    def failures(self) -> dict[tuple, str]:
        """Kernels whose compilation failed, with the error (they run eagerly)."""
        return dict(self._failed)


COMPILED = CompiledRunner()


def apply_compiled(kernel: FusedKernel | VectorKernel, x: Tensor,
                   runner: CompiledRunner = COMPILED) -> Tensor:
    """f(x) through the compiled kernel (elementwise or along a dimension)."""
    if isinstance(kernel, VectorKernel):
        return apply_vector(kernel, x, runner)
    return apply_fused(kernel, x, runner=runner)
