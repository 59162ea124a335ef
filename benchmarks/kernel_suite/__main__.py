"""Subprocess entry points of the benchmark runner (users run `actlab bench`).

``measure``: run the suite in this process and write its JSON.
``compile-cost``: time the first compiled forward+backward of one activation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch


def _measure(args: argparse.Namespace) -> None:
    from kernel_suite.cases import catalog_cases
    from kernel_suite.suite import SuiteSettings, run_suite

    raw = json.loads(args.settings)
    raw["only"] = tuple(raw.get("only") or ())
    settings = SuiteSettings(**raw)
    cases = catalog_cases(settings.numel, settings.only or None)
    if args.labels:
        wanted = json.loads(args.labels)
        cases = [c for c in cases if c.label in wanted]
    results = run_suite(settings, cases, progress=lambda line: print(line, file=sys.stderr,
                                                                      flush=True))
    Path(args.out).write_text(json.dumps(results))


def _compile_cost(args: argparse.Namespace) -> None:
    import actlab
    from actlab.kernels import apply, force_implementation

    resolved = actlab.resolve(args.activation)
    bound = resolved.bind(fill_examples=True)
    x = torch.randn(1 << 18, device=args.device, requires_grad=True)
    start = time.perf_counter()
    with force_implementation("compiled"):
        y = apply(resolved.spec, x, bound)
        torch.autograd.grad(y.sum(), x)
    if x.device.type == "cuda":
        torch.cuda.synchronize()
    Path(args.out).write_text(json.dumps({"seconds": time.perf_counter() - start}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kernel_suite")
    sub = parser.add_subparsers(dest="command", required=True)
    measure = sub.add_parser("measure")
    measure.add_argument("--settings", required=True)
    measure.add_argument("--labels", help="JSON list: only the cases with these labels")
    measure.add_argument("--out", required=True)
    cost = sub.add_parser("compile-cost")
    cost.add_argument("--activation", default="mish")
    cost.add_argument("--device", default="cpu")
    cost.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    {"measure": _measure, "compile-cost": _compile_cost}[args.command](args)


if __name__ == "__main__":
    main()
