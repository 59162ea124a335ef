"""The issue's goals, checked against measured results (ratios from the same run).

1. Where PyTorch has a native op, the default (``auto``) is at least as fast as it,
   forward and forward+backward.
2. Where it has none, ``auto`` is at least 2× faster than the naive eager composite
   (``reference``: autograd through every intermediate).
3. Where the native op is slow (forward+backward below `SLOW_NATIVE_FRACTION` of copy
   bandwidth with reused buffers), the best of actlab's kernels is ≥ 1.5× faster.
4. Saved for backward: at most one input-sized tensor for every activation (``auto``),
   at most one byte per element for piecewise-linear ones (``memory``: auto under
   ``prefer("memory")``, which these activations need, since by default they run
   PyTorch's op; ``auto`` where it is the same), and ``memory`` at least
   `MEMORY_SPEED` of the native op's speed, forward+backward.
5. On a GPU: forward and forward+backward at ≥ 80 % of copy bandwidth.

A ratio counts as met when it reaches its target, and as "within noise" when it misses
by less than the measured noise (the larger (q3 − q1)/median of the two timings).
"""

from __future__ import annotations

from typing import Any

SLOW_NATIVE_FRACTION = 0.4
SPEEDUP_OVER_REFERENCE = 2.0
SPEEDUP_OVER_SLOW_NATIVE = 1.5
GPU_FRACTION = 0.8
MEMORY_SPEED = 0.9
OURS = ("auto", "memory", "fused")


def _ratio(case: dict, slow: str, fast: str, pass_name: str) -> tuple[float, float] | None:
    impls = case["implementations"]
    if slow not in impls or fast not in impls or pass_name not in impls[fast]:
        return None
    a, b = impls[slow][pass_name], impls[fast][pass_name]
    return a["median"] / b["median"], max(a["noise"], b["noise"])


def _status(ratio: float, noise: float, target: float) -> str:
    if ratio >= target:
        return "met"
    return "within noise" if ratio * (1 + noise) >= target else "missed"


def _best(case: dict, pass_name: str) -> str | None:
    impls = case["implementations"]
    mine = [i for i in OURS if i in impls and pass_name in impls[i]]
    return min(mine, key=lambda i: impls[i][pass_name]["median"]) if mine else None


def slow_natives(cases: list[dict]) -> set[str]:
    """Labels whose native forward+backward runs below SLOW_NATIVE_FRACTION of copy."""
    slow = set()
    for case in cases:
        native = case["implementations"].get("native", {}).get("forward_backward")
        if native and native["fraction_of_copy"] < SLOW_NATIVE_FRACTION:
            slow.add(case["label"])
    return slow


def evaluate(cases: list[dict], device: str, slow: set[str] | None = None) -> dict[str, Any]:
    """Each goal's rows (case, pass, ratio or bytes, status) and a count per status."""
    slow = slow_natives(cases) if slow is None else slow
    rows: dict[str, list[dict]] = {"as_fast_as_native": [], "faster_than_reference": [],
                                   "beats_slow_native": [], "saved_memory": [],
                                   "memory_speed": [], "gpu_bandwidth": []}
    for case in cases:
        label = case["label"]
        has_native = "native" in case["implementations"]
        for pass_name in ("forward", "forward_backward"):
            if has_native:
                goal, baseline, target = "as_fast_as_native", "native", 1.0
            else:
                goal, baseline, target = ("faster_than_reference", "reference",
                                          SPEEDUP_OVER_REFERENCE)
            r = _ratio(case, baseline, "auto", pass_name)
            if r:
                rows[goal].append({"case": label, "pass": pass_name, "ratio": r[0],
                                   "noise": r[1], "status": _status(r[0], r[1], target)})
            if pass_name == "forward_backward" and has_native and "memory" in \
                    case["implementations"]:
                r = _ratio(case, "native", "memory", pass_name)
                if r:
                    rows["memory_speed"].append(
                        {"case": label, "pass": pass_name, "ratio": r[0], "noise": r[1],
                         "status": _status(r[0], r[1], MEMORY_SPEED)})
            if label in slow and pass_name == "forward_backward":
                best = _best(case, pass_name)
                r = _ratio(case, "native", best, pass_name) if best else None
                if r:
                    rows["beats_slow_native"].append(
                        {"case": label, "pass": pass_name, "best": best, "ratio": r[0],
                         "noise": r[1], "status": _status(r[0], r[1], SPEEDUP_OVER_SLOW_NATIVE)})
            if device.startswith("cuda"):
                best = _best(case, pass_name)
                if best:
                    frac = case["implementations"][best][pass_name]["fraction_of_copy"]
                    rows["gpu_bandwidth"].append(
                        {"case": label, "pass": pass_name, "best": best, "fraction": frac,
                         "status": "met" if frac >= GPU_FRACTION else "missed"})
        impls = case["implementations"]
        checks = [("auto", case["element_size"])]
        if case.get("piecewise_linear"):
            checks.append(("memory" if "memory" in impls else "auto", 1.0))
        for impl, limit in checks:
            if impl not in impls:
                continue
            saved = impls[impl]["saved_bytes_per_element"]
            rows["saved_memory"].append(
                {"case": label, "impl": impl, "saved_bytes_per_element": saved,
                 "limit": limit,
                 # a scalar parameter saved beside the tensor (PReLU's weight) adds bytes
                 # per element far below this tolerance
                 "status": "met" if saved <= limit + 1e-3 else "missed"})
    summary = {goal: _count(r) for goal, r in rows.items() if r}
    return {"summary": summary, "rows": {goal: r for goal, r in rows.items() if r},
            "slow_natives": sorted(slow)}


def _count(rows: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts
