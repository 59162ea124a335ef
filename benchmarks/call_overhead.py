"""Per-call cost of actlab's activations at every size, against PyTorch's own, in one run.

    python benchmarks/call_overhead.py                     # sizes 2^6 .. 2^24, one thread
    python benchmarks/call_overhead.py --sizes 22 --set ratios --name call_ratios-cpu
    python benchmarks/call_overhead.py --device cuda       # on a GPU (CUDA events)

For each activation, size and pass (``forward``: under no_grad; ``forward_backward``:
the call and `torch.autograd.grad` with a fixed output gradient) it times, in turns:

- ``native``: PyTorch's module (``torch.nn.ReLU()``...), or, for an activation with no
  native op, the naive eager composite (the spec's formula with autograd through every
  intermediate, wrapped in a module);
- ``module``: ``actlab.get(name)``;
- ``functional``: ``actlab.functional.<name>(x, ...)``, spelled as a user writes it
  (the attribute is looked up on every call);
- ``memory``: for piecewise-linear functions, ``actlab.get(name)`` built inside
  ``actlab.kernels.prefer("memory")`` (training from a 1-byte mask).

Every variant of one (activation, size, pass) runs in turns: round after round, each
variant runs a batch of calls timed together (a batch lasts about `--batch-ms`), so
that a change in the machine's load hits all of them alike. Other programs on the
machine only ever add time, so the tables use each variant's fastest round (the JSON
keeps the median and quartiles too, and the noise: (q3 − q1)/median). Ratios are native
time over the variant's (above 1: faster than native). On a GPU each batch is timed with
CUDA events.

Writes benchmarks/results/<name>.json and .md (with the machine it ran on).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

import actlab
import actlab.functional as AF
from actlab.kernels import prefer
from machine import machine_info

RESULTS = Path(__file__).resolve().parent / "results"
#: The statistic the tables use: the fastest round.
STAT = "min_s"
PASSES = ("forward", "forward_backward")


@dataclass(frozen=True)
class Case:
    """One activation: its actlab spelling, PyTorch's module (None: composite baseline)."""

    label: str
    spelling: str
    native: Callable[[], nn.Module] | None
    functional: str
    functional_kwargs: dict[str, Any] = field(default_factory=dict)
    piecewise_linear: bool = False
    vector: bool = False


#: A dozen activations with a native op, and two without: the overhead table.
OVERHEAD = (
    Case("relu", "relu", nn.ReLU, "relu", piecewise_linear=True),
    Case("leaky_relu", "leaky_relu", nn.LeakyReLU, "leaky_relu", piecewise_linear=True),
    Case("hardtanh", "hardtanh", nn.Hardtanh, "hardtanh", piecewise_linear=True),
    Case("relu6", "relu6", nn.ReLU6, "relu6", piecewise_linear=True),
    Case("elu", "elu", nn.ELU, "elu"),
    Case("selu", "selu", nn.SELU, "selu"),
    Case("gelu", "gelu", nn.GELU, "gelu"),
    Case("jax:gelu", "jax:gelu", lambda: nn.GELU(approximate="tanh"), "gelu",
         {"flavor": "jax"}),
    Case("sigmoid", "sigmoid", nn.Sigmoid, "sigmoid"),
    Case("tanh", "tanh", nn.Tanh, "tanh"),
    Case("silu", "silu", nn.SiLU, "silu"),
    Case("mish", "mish", nn.Mish, "mish"),
    Case("softplus", "torch:softplus", nn.Softplus, "softplus", {"flavor": "torch"}),
    Case("log_sigmoid", "log_sigmoid", nn.LogSigmoid, "log_sigmoid"),
    Case("softmax", "softmax(dim=-1)", lambda: nn.Softmax(dim=-1), "softmax", {"dim": -1},
         vector=True),
    Case("lisht", "lisht", None, "lisht"),
    Case("quick_gelu", "quick_gelu", None, "quick_gelu"),
)

#: More activations for the large-size ratios (forward+backward against native).
EXTRA = (
    Case("celu", "celu", nn.CELU, "celu"),
    Case("hard_sigmoid", "hard_sigmoid", nn.Hardsigmoid, "hard_sigmoid"),
    Case("hard_swish", "hard_swish", nn.Hardswish, "hard_swish"),
    Case("hardshrink", "hardshrink", nn.Hardshrink, "hardshrink", piecewise_linear=True),
    Case("softshrink", "softshrink", nn.Softshrink, "softshrink", piecewise_linear=True),
    Case("threshold", "threshold(0.5, 0.0)", lambda: nn.Threshold(0.5, 0.0), "threshold",
         {"threshold": 0.5, "value": 0.0}, piecewise_linear=True),
    Case("softsign", "softsign", nn.Softsign, "softsign"),
    Case("tanhshrink", "tanhshrink", nn.Tanhshrink, "tanhshrink"),
    Case("log_softmax", "log_softmax(dim=-1)", lambda: nn.LogSoftmax(dim=-1), "log_softmax",
         {"dim": -1}, vector=True),
    Case("relu_squared", "relu_squared", None, "relu_squared"),
    Case("smish", "smish", None, "smish"),
    Case("squareplus", "squareplus", None, "squareplus"),
)

SETS = {"overhead": OVERHEAD, "ratios": OVERHEAD + EXTRA}


class Composite(nn.Module):
    """The spec's formula run eagerly, autograd through every op: an activation zoo's."""

    def __init__(self, spelling: str) -> None:
        super().__init__()
        resolved = actlab.resolve(spelling)
        self.forward_fn = resolved.spec.forward
        self.values = resolved.spec.math_values(resolved.bind())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_fn(x, **self.values)


def variants(case: Case) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """The callables timed for one case, by variant name."""
    native = case.native() if case.native is not None else Composite(case.spelling)
    module = actlab.get(case.spelling)
    name, kwargs = case.functional, case.functional_kwargs
    out: dict[str, Callable] = {
        "native": native,
        "module": module,
        "functional": lambda x: getattr(AF, name)(x, **kwargs),
    }
    if case.piecewise_linear:
        # Chosen when built: the module keeps the mask kernel outside the block.
        with prefer("memory"):
            lean = actlab.get(case.spelling)
        if hasattr(lean, "implementation"):
            out["memory"] = lean
        else:  # actlab before issue 15 read the preference on every call
            def memory(x: torch.Tensor) -> torch.Tensor:
                with prefer("memory"):
                    return lean(x)
            out["memory"] = memory
    return out


def shape_of(case: Case, numel: int) -> tuple[int, ...]:
    if case.vector:
        row = min(numel, 256)
        return (numel // row, row)
    return (numel,)


class Clock:
    """Times a batch of calls: perf_counter on a CPU, CUDA events on a GPU."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def time(self, fn: Callable[[], object], calls: int) -> float:
        if self.cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(calls):
                fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / 1e3 / calls
        start_s = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start_s) / calls


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, med, q3


def measure(case: Case, numel: int, pass_name: str, device: torch.device, rounds: int,
            batch_seconds: float) -> dict[str, Any]:
    """Per-call seconds of every variant of `case` at `numel` elements, interleaved."""
    gen = torch.Generator().manual_seed(0)
    shape = shape_of(case, numel)
    x = (torch.randn(shape, generator=gen) * 3).to(device)
    grad = torch.randn(shape, generator=gen).to(device)
    fns = variants(case)
    if pass_name == "forward_backward":
        x.requires_grad_(True)

        def wrap(fn: Callable) -> Callable[[], object]:
            return lambda: torch.autograd.grad(fn(x), x, grad)
    else:
        def wrap(fn: Callable) -> Callable[[], object]:
            def run() -> object:
                with torch.no_grad():
                    return fn(x)
            return run
    calls = {name: wrap(fn) for name, fn in fns.items()}
    clock = Clock(device)
    errors = {}
    for name, call in list(calls.items()):
        try:
            for _ in range(3):
                call()
        except Exception as err:  # a variant that cannot run is reported, not fatal
            errors[name] = f"{type(err).__name__}: {err}"
            del calls[name]
    one = max(clock.time(calls["native"], 1), 1e-7)
    batch = max(1, min(10_000, int(batch_seconds / one)))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].append(clock.time(call, batch))
    result: dict[str, Any] = {"label": case.label, "numel": numel, "pass": pass_name,
                              "calls_per_batch": batch, "rounds": rounds, "variants": {}}
    for name, values in samples.items():
        q1, med, q3 = _quartiles(values)
        result["variants"][name] = {"min_s": min(values), "median_s": med, "q1_s": q1,
                                    "q3_s": q3, "noise": (q3 - q1) / med if med > 0 else 0.0}
    if errors:
        result["errors"] = errors
    return result


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [f"# Per-call cost of actlab activations ({m['device']})", "",
             f"Machine: {m['cpu_model']}, {m['logical_cpus']} logical CPUs, PyTorch "
             f"{m['torch_version']} ({m['torch_threads']} thread(s))"
             + (f", GPU {m['gpu']}" if m.get("gpu") else "")
             + f"; load average {m['load_average_at_start'][0]:.1f} at start, "
             f"{m.get('load_average_at_end', [math.nan])[0]:.1f} at end; {m['date_utc']} UTC.",
             f"Reproduce: `{data['command']}`", "",
             "Cells: actlab against PyTorch's native module (or the eager composite, "
             "marked *): `actlab − native` in µs per call for small sizes, `native / "
             "actlab` as a ratio (≥ 1: as fast) from 2^16. Each from the fastest of "
             f"{data['rounds']} interleaved rounds (other programs only add time); the "
             "JSON has medians and quartiles too.", ""]
    for pass_name in PASSES:
        rows = [r for r in data["results"] if r["pass"] == pass_name]
        if not rows:
            continue
        sizes = sorted({r["numel"] for r in rows})
        for variant in ("module", "functional", "memory"):
            labels = list(dict.fromkeys(r["label"] for r in rows
                                        if variant in r["variants"]))
            if not labels:
                continue
            lines += [f"## {pass_name}: {variant}", "",
                      "| activation | " + " | ".join(f"2^{int(math.log2(n))}" for n in sizes)
                      + " |", "|---|" + "---:|" * len(sizes)]
            for label in labels:
                cells = []
                for n in sizes:
                    row = next((r for r in rows if r["label"] == label and r["numel"] == n),
                               None)
                    if row is None or variant not in row["variants"]:
                        cells.append("–")
                        continue
                    nat = row["variants"]["native"][STAT]
                    ours = row["variants"][variant][STAT]
                    if n < 1 << 16:
                        cells.append(f"{(ours - nat) * 1e6:+.1f} µs")
                    else:
                        cells.append(f"{nat / ours:.2f}×")
                star = "" if next(c for c in data["cases"] if c["label"] == label)[
                    "has_native"] else "*"
                lines.append(f"| {label}{star} | " + " | ".join(cells) + " |")
            lines.append("")
        lines += [f"## {pass_name}: native µs per call", "",
                  "| activation | " + " | ".join(f"2^{int(math.log2(n))}" for n in sizes) + " |",
                  "|---|" + "---:|" * len(sizes)]
        for label in dict.fromkeys(r["label"] for r in rows):
            cells = []
            for n in sizes:
                row = next((r for r in rows if r["label"] == label and r["numel"] == n), None)
                cells.append("–" if row is None else
                             f"{row['variants']['native'][STAT] * 1e6:.1f}")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[6, 8, 10, 12, 14, 16, 18, 20, 22, 24],
                        help="log2 of the element counts")
    parser.add_argument("--set", choices=sorted(SETS), default="overhead")
    parser.add_argument("--only", nargs="+", help="only these labels")
    parser.add_argument("--passes", nargs="+", choices=PASSES, default=list(PASSES))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch-ms", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--name", help="result file stem (default call_overhead-<device>)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda, but this PyTorch sees no CUDA GPU", file=sys.stderr)
        return 1
    torch.set_num_threads(args.threads)
    cases = [c for c in SETS[args.set] if not args.only or c.label in args.only]
    info = machine_info(device)
    results = []
    for case in cases:
        for log2 in args.sizes:
            for pass_name in args.passes:
                r = measure(case, 1 << log2, pass_name, device, args.rounds,
                            args.batch_ms / 1e3)
                results.append(r)
                v = r["variants"]
                print(f"{case.label:>14} 2^{log2:<2} {pass_name:>16}: " + "  ".join(
                    f"{k} {v[k][STAT] * 1e6:9.1f}" for k in v), flush=True)
    info["load_average_at_end"] = list(os.getloadavg())
    data = {"machine": info, "command": "python benchmarks/call_overhead.py "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "rounds": args.rounds, "batch_ms": args.batch_ms,
            "cases": [{"label": c.label, "spelling": c.spelling,
                       "has_native": c.native is not None} for c in cases],
            "results": results}
    stem = args.name or f"call_overhead-{device.type}"
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1))
    (out / f"{stem}.md").write_text(markdown(data))
    print(f"wrote {out / stem}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
