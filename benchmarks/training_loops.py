"""What each piece of the kernel layer buys in real training loops, end to end.

    python benchmarks/training_loops.py                     # every model, every variant
    python benchmarks/training_loops.py --only cnn --steps 20 --rounds 3

Three training loops (random data of the right shape: throughput, not accuracy),
Adam, cross-entropy, forward + backward + step:

- ``cnn``: seed 003's MNIST network (actlab's ``mnist_cnn``), batches of 50;
- ``mlp``: the quick study's MLP (2 × 128, MNIST-1D's 40 inputs), batches of 128;
- ``transformer``: one pre-norm transformer block (width 128, 4 heads, 64 tokens,
  feed-forward 512 through the activation), batches of 32.

Variants, each a fresh model from the same seed, timed in turns (interleaved rounds):

- ``torch``: PyTorch's own module at every site where it has one (the baseline);
- ``actlab``: ``actlab.get(name)``, the default choice;
- ``memory``: built under ``prefer("memory")`` (1-byte masks, outputs saved);
- ``torch.compile(model)``: the whole model compiled, actlab activations inside
  (compile time excluded and reported).

(Until issue 15 two more variants measured actlab's per-kernel compiled path and its
cache blocking with a block thread pool; `results/training_loops-before-removals.md` keeps those
numbers, and the closing note of issue 15 why both were removed.)

Ratios are the variant's step time over the baseline's (``actlab``), of medians over
rounds: below 1 the variant is faster. Writes benchmarks/results/training_loops.json/.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import actlab
from actlab.kernels import prefer
from actlab.models import build_model
from machine import machine_info

RESULTS = Path(__file__).resolve().parent / "results"
CPU = torch.device("cpu")

MODELS = {
    "cnn": {"input": (1, 28, 28), "batch": 50, "activations": ("relu", "elu", "mish", "lisht")},
    "mlp": {"input": (40,), "batch": 128, "activations": ("relu", "gelu", "lisht")},
    "transformer": {"input": (64, 128), "batch": 32,
                    "activations": ("gelu", "swiglu", "lisht")},
}
VARIANTS = ("torch", "actlab", "memory", "torch.compile(model)")
TORCH_MODULES = {"relu": nn.ReLU, "elu": nn.ELU, "mish": nn.Mish, "gelu": nn.GELU}


class TransformerBlock(nn.Module):
    """Pre-norm self-attention and feed-forward, mean-pooled into a classifier."""

    def __init__(self, activation: nn.Module, width: int = 128, heads: int = 4,
                 hidden: int = 512, gated: bool = False, classes: int = 10) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(width)
        self.up = nn.Linear(width, hidden * (2 if gated else 1))
        self.activation = activation
        self.down = nn.Linear(hidden, width)
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attention(h, h, h, need_weights=False)[0]
        x = x + self.down(self.activation(self.up(self.norm2(x))))
        return self.head(x.mean(dim=1))


def activation_module(name: str, variant: str) -> nn.Module:
    if variant == "torch" and name in TORCH_MODULES:
        return TORCH_MODULES[name]()
    if variant == "memory":
        with prefer("memory"):
            return actlab.get(name)
    kwargs = {"dim": -1} if actlab.spec(name).kind != "elementwise" else {}
    return actlab.get(name, **kwargs)


def make_model(model: str, name: str, variant: str) -> nn.Module:
    torch.manual_seed(0)
    if model == "transformer":
        gated = actlab.spec(name).kind == "gated"
        return TransformerBlock(activation_module(name, variant), gated=gated)
    shape = MODELS[model]["input"]
    options = {"depth": 2, "width": 128} if model == "mlp" else {}
    template = activation_module(name, variant)
    return build_model("mnist_cnn" if model == "cnn" else "mlp", template,
                       input_shape=shape, num_classes=10, **options)


class Loop:
    """One model and optimizer, stepping on fixed random batches."""

    def __init__(self, model: str, name: str, variant: str,
                 device: torch.device = CPU) -> None:
        self.variant = variant
        self.device = device
        net = make_model(model, name, variant).to(device)
        self.parameters = list(net.parameters())
        self.optimizer = torch.optim.Adam(self.parameters, lr=1e-4)
        gen = torch.Generator().manual_seed(1)
        batch = MODELS[model]["batch"]
        self.x = torch.randn((batch, *MODELS[model]["input"]), generator=gen).to(device)
        self.y = torch.randint(0, 10, (batch,), generator=gen).to(device)
        self.compile_seconds = None
        self.net = net
        if variant == "torch.compile(model)":
            self.net = torch.compile(net)
            start = time.perf_counter()
            self.step()
            self.sync()
            self.compile_seconds = time.perf_counter() - start

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def step(self) -> None:
        loss = F.cross_entropy(self.net(self.x), self.y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def run(self, steps: int) -> float:
        self.sync()
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        self.sync()
        return (time.perf_counter() - start) / steps


def measure(model: str, name: str, variants: tuple[str, ...], steps: int, rounds: int,
            warmup: int, log: Callable[[str], None],
            device: torch.device = CPU) -> dict[str, Any]:
    loops: dict[str, Loop] = {}
    errors = {}
    for variant in variants:
        if variant == "torch" and name not in TORCH_MODULES:
            continue
        try:
            loop = Loop(model, name, variant, device)
            for _ in range(warmup):
                loop.step()
            loops[variant] = loop
        except Exception as err:  # a variant that cannot run is reported, not fatal
            errors[variant] = f"{type(err).__name__}: {err}"[:300]
            log(f"  {variant}: {errors[variant]}")
    samples: dict[str, list[float]] = {v: [] for v in loops}
    for _ in range(rounds):
        for variant, loop in loops.items():
            samples[variant].append(loop.run(steps))
    base = statistics.median(samples["actlab"]) if "actlab" in samples else None
    result: dict[str, Any] = {"model": model, "activation": name, "variants": {}}
    for variant, values in samples.items():
        med = statistics.median(values)
        entry = {"median_step_s": med, "min_step_s": min(values), "rounds_s": values,
                 "vs_actlab": med / base if base else None,
                 "min_vs_actlab": min(values) / min(samples["actlab"]) if base else None,
                 "implementation": _implementation(loops[variant].net)}
        if loops[variant].compile_seconds is not None:
            entry["compile_seconds"] = loops[variant].compile_seconds
        result["variants"][variant] = entry
        log(f"  {model:>11} {name:>7} {variant:>22}: {med * 1e3:8.2f} ms/step"
            + (f"  ×{entry['vs_actlab']:.3f}" if base else ""))
    if errors:
        result["errors"] = errors
    return result


def _implementation(net: nn.Module) -> str:
    net = getattr(net, "_orig_mod", net)
    for module in net.modules():
        impl = getattr(module, "implementation", None)
        if impl is not None and hasattr(impl, "label"):
            return impl.label
    return "torch"


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    variants = [v for v in data.get("variants", VARIANTS)
                if any(v in r["variants"] for r in data["results"])]
    lines = ["# Training loops: what each piece of the kernel layer buys", "",
             f"Machine: {m['cpu_model']}, {m['logical_cpus']} logical CPUs, PyTorch "
             f"{m['torch_version']} ({m['torch_threads']} threads); load average "
             f"{m['load_average_at_start'][0]:.1f} at start, "
             f"{m['load_average_at_end'][0]:.1f} at end; {m['date_utc']} UTC.",
             f"Reproduce: `{data['command']}`", "",
             f"Median ms per training step over {data['rounds']} interleaved rounds of "
             f"{data['steps']} steps; in brackets the step time over actlab's default "
             "(below 1: faster), of medians and of the fastest rounds. The machine is "
             "shared: `torch` and `actlab` run the same PyTorch ops for activations with a "
             "native op, so their ratio shows the noise.", "",
             "| model | activation | " + " | ".join(variants) + " |",
             "|---|---|" + "---:|" * len(variants)]
    for r in data["results"]:
        cells = []
        for v in variants:
            e = r["variants"].get(v)
            if e is None:
                cells.append("–")
                continue
            text = f"{e['median_step_s'] * 1e3:.2f}"
            if e.get("vs_actlab") is not None and v != "actlab":
                text += f" ({e['vs_actlab']:.2f}; {e['min_vs_actlab']:.2f})"
            if e.get("compile_seconds") is not None:
                text += f" [compile {e['compile_seconds']:.0f} s]"
            cells.append(text)
        lines.append(f"| {r['model']} | {r['activation']} | " + " | ".join(cells) + " |")
    lines += ["", "Implementation chosen at each site: " + "; ".join(
        f"{r['model']}/{r['activation']}: " + ", ".join(
            f"{v} {e['implementation']}" for v, e in r["variants"].items()
            if v in ("actlab", "memory"))
        for r in data["results"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(MODELS))
    parser.add_argument("--activations", nargs="+")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--name", default="training_loops")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda, but this PyTorch sees no CUDA GPU", file=sys.stderr)
        return 1
    info = machine_info(device)
    results = []
    for model in args.only or MODELS:
        for name in args.activations or MODELS[model]["activations"]:
            print(f"{model} / {name}", flush=True)
            results.append(measure(model, name, tuple(args.variants), args.steps,
                                   args.rounds, args.warmup, lambda s: print(s, flush=True),
                                   device))
    info["load_average_at_end"] = list(os.getloadavg())
    data = {"machine": info, "steps": args.steps, "rounds": args.rounds,
            "variants": list(args.variants),
            "command": "python benchmarks/training_loops.py "
            + " ".join(sys.argv[1:] if argv is None else argv), "results": results}
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.name}.json").write_text(json.dumps(data, indent=1))
    (out / f"{args.name}.md").write_text(markdown(data))
    print(f"wrote {out / args.name}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
