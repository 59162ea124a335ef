"""Two call_overhead.py results side by side (before → after), as Markdown tables.

    python benchmarks/compare_call_overhead.py results/call_overhead-cpu-before.json \\
        results/call_overhead-cpu.json [--variant module] [--pass forward_backward]

Each cell is "before → after" for one activation and size: actlab's extra µs per call
over PyTorch's module below 2^16 elements, the ratio native / actlab from 2^16 on (≥ 1:
as fast), from each run's fastest rounds (ratios are measured within one run, so runs
made at different loads compare fairly only as ratios).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

PASSES = ("forward", "forward_backward")


def _stat(entry: dict[str, Any]) -> float:
    # Results written before the fastest round was kept have the median only.
    return entry.get("min_s", entry["median_s"])


def _cell(row: dict[str, Any] | None, variant: str) -> str:
    if row is None or variant not in row["variants"]:
        return "–"
    native = _stat(row["variants"]["native"])
    ours = _stat(row["variants"][variant])
    if row["numel"] < 1 << 16:
        return f"{(ours - native) * 1e6:+.1f} µs"
    return f"{native / ours:.2f}×"


def _index(data: dict[str, Any]) -> dict[tuple, dict[str, Any]]:
    return {(r["label"], r["numel"], r["pass"]): r for r in data["results"]}


def table(before: dict[str, Any], after: dict[str, Any], variant: str, pass_name: str
          ) -> list[str]:
    """One Markdown table: activations × sizes, "before → after" per cell."""
    b, a = _index(before), _index(after)
    sizes = sorted({n for (_, n, p) in a if p == pass_name})
    labels = list(dict.fromkeys(label for (label, _, p) in a if p == pass_name))
    lines = ["| activation | " + " | ".join(f"2^{int(math.log2(n))}" for n in sizes) + " |",
             "|---|" + "---:|" * len(sizes)]
    for label in labels:
        if not any(variant in a[(label, n, pass_name)]["variants"] for n in sizes
                   if (label, n, pass_name) in a):
            continue
        cells = [f"{_cell(b.get((label, n, pass_name)), variant)} → "
                 f"{_cell(a.get((label, n, pass_name)), variant)}" for n in sizes]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--variant", default="module",
                        choices=("module", "functional", "memory"))
    parser.add_argument("--pass", dest="pass_name", choices=PASSES, nargs="+",
                        default=list(PASSES))
    args = parser.parse_args(argv)
    before, after = (json.loads(p.read_text()) for p in (args.before, args.after))
    for pass_name in args.pass_name:
        print(f"\n{args.variant}, {pass_name} (before → after):\n")
        print("\n".join(table(before, after, args.variant, pass_name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
