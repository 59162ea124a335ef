"""Markdown for benchmark results: the machine, the goals, one table per allocator mode."""

from __future__ import annotations

from typing import Any

_GOAL_TITLES = {
    "as_fast_as_native": "auto at least as fast as PyTorch's native op",
    "faster_than_reference": "auto ≥ 2× faster than the eager composite (no native op)",
    "memory_speed": "memory (prefer(\"memory\")) ≥ 0.9× the native op (forward+backward)",
    "beats_slow_native": "best kernel ≥ 1.5× a slow native op (forward+backward)",
    "saved_memory": "saved for backward ≤ one tensor (≤ 1 byte/element if piecewise linear)",
    "gpu_bandwidth": "GPU: ≥ 80 % of copy bandwidth",
}

_MARK = {"met": "✓", "within noise": "≈", "missed": "✗"}


def _ms(entry: dict | None) -> str:
    return "–" if entry is None else f"{entry['median'] * 1e3:.2f}"


def _x(a: dict | None, b: dict | None) -> str:
    """How many times faster b is than a."""
    if a is None or b is None:
        return "–"
    return f"{a['median'] / b['median']:.2f}"


def _pass(case: dict, impl: str, pass_name: str) -> dict | None:
    return case["implementations"].get(impl, {}).get(pass_name)


def _saved(case: dict, impl: str) -> str:
    entry = case["implementations"].get(impl)
    return "–" if entry is None else f"{entry['saved_bytes_per_element']:g}"


def mode_table(cases: list[dict]) -> list[str]:
    """One row per case: auto's times, bandwidth and ratios; saved bytes per element."""
    head = ("| activation | auto / memory pick | fwd ms | fwd GB/s | fwd ×copy | "
            "fwd ×native | fwd ×ref | f+b ms | f+b GB/s | f+b ×copy | f+b ×native | "
            "f+b ×ref | best f+b | "
            "f+b ×native with masks | "
            "saved B/el auto / masks / native / ref |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for case in cases:
        picks = case.get("auto_choice", {})
        cells = [case["label"], f"{picks.get('auto', '?')} / {picks.get('memory', '–')}"]
        for pass_name in ("forward", "forward_backward"):
            auto = _pass(case, "auto", pass_name)
            cells += [
                _ms(auto),
                "–" if auto is None else f"{auto['gbps']:.1f}",
                "–" if auto is None else f"{auto['fraction_of_copy']:.2f}",
                _x(_pass(case, "native", pass_name), auto),
                _x(_pass(case, "reference", pass_name), auto),
            ]
        impls = {k: v for k, v in case["implementations"].items() if "forward_backward" in v}
        best = min(impls, key=lambda k: impls[k]["forward_backward"]["median"]) if impls else "–"
        cells.append(best)
        cells.append(_x(_pass(case, "native", "forward_backward"),
                        _pass(case, "memory", "forward_backward")))
        cells.append(f"{_saved(case, 'auto')} / {_saved(case, 'memory')} / "
                     f"{_saved(case, 'native')} / {_saved(case, 'reference')}")
        if case.get("errors"):
            cells[0] += " (errors: " + ", ".join(case["errors"]) + ")"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def goal_lines(goals: dict[str, Any]) -> list[str]:
    lines = []
    for goal, counts in goals["summary"].items():
        total = sum(counts.values())
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        lines.append(f"- **{_GOAL_TITLES.get(goal, goal)}**: {parts} (of {total})")
        misses = [r for r in goals["rows"][goal] if r["status"] != "met"]
        for row in misses:
            value = (f"×{row['ratio']:.2f} (noise {row['noise']:.0%})" if "ratio" in row
                     else f"{row['saved_bytes_per_element']:g} B/el (limit {row['limit']:g})"
                     if "saved_bytes_per_element" in row else f"{row['fraction']:.2f} of copy")
            where = (f" {row['pass']}" if "pass" in row else "") + (
                f" [{row['impl']}]" if "impl" in row else "")
            best = f" [{row['best']}]" if "best" in row else ""
            lines.append(f"  - {_MARK[row['status']]} {row['case']}{where}{best}: {value}")
    if goals.get("slow_natives"):
        lines.append(f"- slow native ops (f+b below 0.4 of copy, reused buffers): "
                     f"{', '.join(goals['slow_natives'])}")
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The whole report for one result file."""
    m = results["machine"]
    s = results["settings"]
    out = [f"# actlab activation benchmarks — {m['device']}", ""]
    out.append(f"Machine: {m['cpu_model']}, {m['logical_cpus']} logical CPUs, "
               f"{m.get('memory_gib')} GiB; PyTorch {m['torch_version']} "
               f"({m['torch_threads']} threads), Python {m['python_version']}, {m['libc']}"
               + (f"; GPU {m['gpu']}" if m.get("gpu") else "") + f". Measured {m['date_utc']} UTC.")
    out.append("")
    out.append(f"Settings: {s['numel']} elements of {s['dtype']} per input, median of "
               f"{s['repeats']} runs after {s['warmup']} warm-up runs, implementations "
               f"interleaved.")
    out.append(f"Reproduce: `{results.get('command', 'python benchmarks/run.py')}`")
    out.append("")
    out.append("Columns: *×copy* is the effective bandwidth (forward moves x and y, "
               "forward+backward also the output gradient, one saved input-sized tensor and "
               "the input gradient) over a tensor copy's, timed in the same turns; "
               "*×native*, *×ref* are how many times faster auto is (timed "
               "as a module chooses it by default); *with masks* is auto under "
               "`prefer(\"memory\")` (piecewise-linear functions then train from a 1-byte "
               "mask); saved B/el is what autograd keeps for "
               "backward per input element.")
    for mode, data in results["modes"].items():
        out += ["", f"## Allocator: {mode}", ""]
        out.append(_mode_note(mode, data))
        out.append("")
        out += goal_lines(data["goals"])
        out.append("")
        out += mode_table(data["cases"])
    return "\n".join(out) + "\n"


def _mode_note(mode: str, data: dict) -> str:
    copy = [c["copy_gbps"]["forward"] for c in data["cases"] if "copy_gbps" in c]
    median_copy = sorted(copy)[len(copy) // 2] if copy else float("nan")
    load = data.get("load_average", [])
    what = ("every output is a fresh allocation (glibc maps and unmaps large blocks: page "
            "faults each time)" if mode == "fresh" else
            "freed memory is reused (MALLOC_MMAP_MAX_=0, trimming off)")
    return (f"{what}. Copy bandwidth (median over cases): {median_copy:.1f} GB/s. "
            f"Load average during the run: {', '.join(f'{v:.1f}' for v in load)}.")
