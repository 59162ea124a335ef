"""Measure every implementation of every case in this process (one allocator mode).

For each case and implementation: forward time (no gradient), forward+backward time,
effective GB/s and the fraction of copy bandwidth measured alongside (a tensor copy of
the input's size runs in the same turns), and the bytes saved for backward per element.

``auto`` is timed with the compile policy off: what a program gets before the policy has
compiled anything. ``settled`` is what the policy keeps in a long run, per pass: the
compiled kernel where it may compile this kernel on this device and it timed at least
`MIN_GAIN` faster than eager auto, else auto itself (the policy's own rule, applied to
the timings of this run).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from actlab.kernels.benchmark.cases import BenchCase, catalog_cases
from actlab.kernels.benchmark.machine import allocator_mode, machine_info
from actlab.kernels.benchmark.saved_memory import saved_bytes
from actlab.kernels.benchmark.timing import Timing, time_interleaved
from actlab.kernels.compile_policy import MIN_GAIN, compile_mode_set
from actlab.kernels.compiled import compile_problem
from actlab.kernels.dispatch import _compiled_kernel, apply, choose, prefer
from actlab.kernels.kernel_table import fused_kernel, plan_for

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
    compile: bool = False
    only: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def quick(cls, **overrides: Any) -> SuiteSettings:
        return cls(**{"numel": QUICK_NUMEL, "repeats": 3, "warmup": 1, **overrides})


def implementations(case: BenchCase, compile: bool, device: torch.device) -> list[str]:
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
    if compile and _compiled_kernel(spec, bound) is not None and compile_problem(device) is None:
        names.append("compiled")
    if memory_differs(case):
        names.append("memory")
    names.append("auto")
    return names


def memory_differs(case: BenchCase) -> bool:
    """Whether auto trains differently under prefer("memory"): a piece mask that the
    default ("speed") leaves for the native op."""
    kernel = fused_kernel(case.spec, case.bound)
    return kernel is not None and kernel.saves == "mask" and case.spec.uses_native(case.bound)


def _call(case: BenchCase, impl: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """`impl` as a function; "memory" is auto under prefer("memory")."""
    spec, bound = case.spec, case.bound
    if impl == "memory":
        def lean(t: torch.Tensor) -> torch.Tensor:
            with prefer("memory"):
                return apply(spec, t, bound)
        return lean
    return lambda t: apply(spec, t, bound, implementation=impl)


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
    impls = implementations(case, settings.compile, device)
    xg = x.detach().requires_grad_(True)
    auto_choice = {"forward": choose(case.spec, case.bound, "auto", x),
                   "forward_backward": choose(case.spec, case.bound, "auto", xg)}
    if "memory" in impls:
        with prefer("memory"):
            auto_choice["forward_backward_memory"] = choose(case.spec, case.bound, "auto", xg)
    # An implementation that auto picks for both passes is auto: timed once, reported twice
    # (timed twice, the same function differed by up to 1.5x with fresh allocations).
    picks = {auto_choice["forward"], auto_choice["forward_backward"]}
    same_as_auto = (auto_choice["forward"] if len(picks) == 1
                    and auto_choice["forward"] in impls else None)
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
            start = time.perf_counter()
            with torch.no_grad():
                fn(x)
            first_forward = time.perf_counter() - start
            xg = x.detach().requires_grad_(True)
            start = time.perf_counter()
            torch.autograd.grad(fn(xg), xg, grad)
            first_backward = time.perf_counter() - start
            entry: dict[str, Any] = {
                "saved_bytes_per_element": saved_bytes(fn, x.detach().requires_grad_(True))
                / case.numel,
            }
            if impl == "compiled":
                entry["first_call_seconds"] = {"forward": first_forward,
                                               "forward_backward": first_backward}
            result["implementations"][impl] = entry
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
    _add_settled(case, device, result)
    return result


def _add_settled(case: BenchCase, device: torch.device, result: dict[str, Any]) -> None:
    """The ``settled`` entry: per pass, the implementation the compile policy keeps."""
    impls = result["implementations"]
    if "auto" not in impls:
        return
    kernel = plan_for(case.spec, case.bound).compilable
    choice = result.get("auto_choice", {})
    settled: dict[str, Any] = {}
    picks = {}
    for pass_name in PASSES:
        auto = impls["auto"].get(pass_name)
        compiled = impls.get("compiled", {}).get(pass_name)
        if auto is None:
            continue
        native_mask = (choice.get(pass_name) == "native" and kernel is not None
                       and kernel.saves == "mask")  # see dispatch.policy_kernel
        may_compile = (kernel is not None and device.type in kernel.compile_on
                       and not native_mask)
        wins = (may_compile and compiled is not None
                and compiled["median"] <= (1.0 - MIN_GAIN) * auto["median"])
        picks[pass_name] = "compiled" if wins else "auto"
        settled[pass_name] = compiled if wins else auto
    trains = picks.get("forward_backward", "auto")
    settled["saved_bytes_per_element"] = impls[trains]["saved_bytes_per_element"]
    settled["same_as"] = picks
    impls["settled"] = settled


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
    with compile_mode_set("off"):  # each implementation as it is, never switching mid-run
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
