"""Measure every implementation of every case in this process (one allocator mode).

For each case and implementation: forward time (no gradient), forward+backward time,
effective GB/s and the fraction of copy bandwidth measured alongside (a tensor copy of
the input's size runs in the same turns), and the bytes saved for backward per element.

``auto`` is what a module gets by default (`actlab.kernels.choose`); ``memory`` what it
gets under ``prefer("memory")`` where that differs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from actlab.kernels.choice import choose
from actlab.kernels.kernel_table import fused_kernel
from kernel_suite.cases import BenchCase, catalog_cases
from kernel_suite.saved_memory import saved_bytes
from kernel_suite.timing import Timing, time_interleaved
from machine import allocator_mode, machine_info

PASSES = ("forward", "forward_backward")

#: Full mode: 2^24 float32 elements (64 MiB), far beyond every cache.
FULL_NUMEL = 1 << 24
#: Quick mode (CI, smoke tests): small tensors, few repetitions.
QUICK_NUMEL = 1 << 16


@dataclass(frozen=True)
class SuiteSettings:
    """What to measure, and how carefully."""

    numel: int = FULL_NUMEL
    repeats: int = 5
    warmup: int = 1
    device: str = "cpu"
    dtype: str = "float32"
    only: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def quick(cls, **overrides: Any) -> SuiteSettings:
        return cls(**{"numel": QUICK_NUMEL, "repeats": 3, "warmup": 1, **overrides})


def implementations(case: BenchCase) -> list[str]:
    """The implementations that exist for a case (auto last: it is one of the others)."""
    spec, bound = case.spec, case.bound
    names = []
    if spec.uses_native(bound):
        names.append("native")
    names.append("reference")
    if spec.derivative is not None or spec.vjp is not None:
        names.append("analytic")
    if fused_kernel(spec, bound) is not None:
        names.append("fused")
    if memory_differs(case):
        names.append("memory")
    names.append("auto")
    return names


def memory_differs(case: BenchCase) -> bool:
    """Whether auto chooses differently under prefer("memory")."""
    return (choose(case.spec, case.bound, pref="memory").label
            != choose(case.spec, case.bound, pref="speed").label)


def _call(case: BenchCase, impl: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """`impl` as the function a module would call; "memory" is auto under
    prefer("memory")."""
    if impl == "memory":
        return choose(case.spec, case.bound, pref="memory").run
    return choose(case.spec, case.bound, impl, pref="speed").run


def _bytes_moved(case: BenchCase, element_size: int) -> dict[str, int]:
    """Bytes an ideal kernel moves: forward reads x and writes y; backward reads the output
    gradient and one saved input-sized tensor and writes the input gradient."""
    n_in, n_out = case.numel, case.output_numel()
    forward = (n_in + n_out) * element_size
    return {"forward": forward, "forward_backward": forward + (n_out + 2 * n_in) * element_size}


def measure_case(case: BenchCase, settings: SuiteSettings) -> dict[str, Any]:
    """Times, bandwidths, saved bytes and auto's choices for one case."""
    device = torch.device(settings.device)
    dtype = getattr(torch, settings.dtype)
    x = case.make_input(device, dtype)
    copy_dst = torch.empty_like(x)
    impls = implementations(case)
    auto = choose(case.spec, case.bound, pref="speed").kind
    auto_choice = {"auto": choose(case.spec, case.bound, pref="speed").label}
    if "memory" in impls:
        auto_choice["memory"] = choose(case.spec, case.bound, pref="memory").label
    # The implementation auto picks is auto: timed once, reported under both names
    # (timed twice, the same function differed by up to 1.5x with fresh allocations).
    same_as_auto = auto if auto in impls else None
    calls = {impl: _call(case, impl) for impl in impls if impl != same_as_auto}
    with torch.no_grad():
        out_shape = _call(case, "reference")(x).shape
    grad = torch.randn(out_shape, generator=torch.Generator().manual_seed(1)).to(device, dtype)

    result: dict[str, Any] = {"label": case.label, "name": case.spec.name,
                              "kind": case.spec.kind, "shape": list(case.shape),
                              "element_size": x.element_size(),
                              "piecewise_linear": is_piecewise_linear(case),
                              "params": {k: _plain(v) for k, v in case.bound.items()},
                              "implementations": {}, "errors": {}}
    working: dict[str, Callable] = {}
    for impl, fn in calls.items():
        try:
            with torch.no_grad():
                fn(x)
            xg = x.detach().requires_grad_(True)
            torch.autograd.grad(fn(xg), xg, grad)
            result["implementations"][impl] = {
                "saved_bytes_per_element": saved_bytes(fn, x.detach().requires_grad_(True))
                / case.numel}
            working[impl] = fn
        except Exception as err:  # one broken implementation must not stop the suite
            result["errors"][impl] = f"{type(err).__name__}: {err}"
    result["auto_choice"] = auto_choice

    def forward(fn: Callable) -> Callable[[], object]:
        def run() -> object:
            with torch.no_grad():
                return fn(x)
        return run

    def forward_backward(fn: Callable) -> Callable[[], object]:
        def run() -> object:
            xr = x.detach().requires_grad_(True)
            return torch.autograd.grad(fn(xr), xr, grad)
        return run

    moved = _bytes_moved(case, x.element_size())
    copy_bytes = 2 * x.numel() * x.element_size()
    for pass_name, wrap in (("forward", forward), ("forward_backward", forward_backward)):
        timed = {impl: wrap(fn) for impl, fn in working.items()}
        timed["copy"] = lambda: copy_dst.copy_(x)
        timings = time_interleaved(timed, repeats=settings.repeats, warmup=settings.warmup,
                                   device=device)
        copy_gbps = copy_bytes / timings["copy"].median / 1e9
        result.setdefault("copy_gbps", {})[pass_name] = copy_gbps
        for impl in working:
            t: Timing = timings[impl]
            gbps = moved[pass_name] / t.median / 1e9
            result["implementations"][impl][pass_name] = {
                **t.as_dict(), "gbps": gbps, "fraction_of_copy": gbps / copy_gbps}
    if same_as_auto is not None and "auto" in result["implementations"]:
        result["implementations"][same_as_auto] = {
            **result["implementations"]["auto"], "same_as": "auto"}
    return result


def is_piecewise_linear(case: BenchCase) -> bool:
    """Elementwise with f″ = 0 everywhere off its kinks (checked on a float64 grid)."""
    spec = case.spec
    if spec.kind != "elementwise" or spec.second_derivative is None:
        return False
    values = spec.math_values(case.bound)
    if any(isinstance(v, torch.Tensor) for v in values.values()):
        return False
    grid = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    return bool((spec.second_derivative(grid, **values) == 0).all())


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value


def run_suite(settings: SuiteSettings, cases: Iterable[BenchCase] | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every case under one allocator mode: the machine, the settings and the results."""
    device = torch.device(settings.device)
    if cases is None:
        cases = catalog_cases(settings.numel, settings.only or None)
    cases = list(cases)
    results = []
    started = time.perf_counter()
    for i, case in enumerate(cases, 1):
        if progress is not None:
            progress(f"[{i}/{len(cases)}] {case.label}")
        results.append(measure_case(case, settings))
    info = machine_info(device)
    info["load_average_at_end"] = list(__import__("os").getloadavg())
    return {
        "machine": info,
        "allocator": allocator_mode(),
        "settings": {**settings.__dict__, "only": list(settings.only)},
        "seconds": time.perf_counter() - started,
        "cases": results,
    }
