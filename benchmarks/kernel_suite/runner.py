"""Run the suite under each allocator mode (one subprocess each) and write the result files.

The "reused" mode needs glibc's malloc settings at process start, so every mode runs in
a fresh interpreter (``python -m kernel_suite measure``); this process merges
their JSON, checks the goals and writes ``<name>.json`` and ``<name>.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from actlab.errors import ActlabError
from kernel_suite import goals
from kernel_suite.cases import catalog_cases
from kernel_suite.suite import FULL_NUMEL, SuiteSettings
from kernel_suite.tables import markdown
from machine import ALLOCATOR_MODES, REUSED_ALLOCATOR_ENV

#: The benchmarks/ folder (what ``python -m kernel_suite`` needs on its path).
BENCHMARKS = Path(__file__).resolve().parents[1]


class BenchmarkError(ActlabError, RuntimeError):
    """A benchmark subprocess failed."""


def allocator_env(mode: str) -> dict[str, str]:
    """The environment for a subprocess measuring under `mode`."""
    env = {k: v for k, v in os.environ.items() if k not in REUSED_ALLOCATOR_ENV}
    if mode == "reused":
        env.update(REUSED_ALLOCATOR_ENV)
    elif mode != "fresh":
        raise ActlabError(f"unknown allocator mode {mode!r}; choose one of "
                          f"{', '.join(ALLOCATOR_MODES)}")
    return env


def _subprocess(args: list[str], env: dict[str, str], progress: Callable[[str], None]
                ) -> None:
    # The child imports kernel_suite from this checkout's benchmarks/ folder.
    env = dict(env, PYTHONPATH=os.pathsep.join(
        [str(BENCHMARKS)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]))
    proc = subprocess.Popen([sys.executable, "-m", "kernel_suite", *args],
                            env=env, stderr=subprocess.PIPE, text=True)
    tail: list[str] = []
    assert proc.stderr is not None
    for line in proc.stderr:
        line = line.rstrip()
        tail = (tail + [line])[-20:]
        if line.startswith("["):
            progress(line)
    if proc.wait() != 0:
        raise BenchmarkError("benchmark subprocess failed: " + " | ".join(tail[-5:]))


#: Cases per interpreter. With reused buffers glibc never returns memory, and the holes
#: that one case's allocation pattern leaves add up: 50 cases of 2^24 floats in one process
#: grew past 20 GiB. A new interpreter every few cases starts from a clean heap.
CASES_PER_PROCESS = 8


def measure_mode(settings: SuiteSettings, mode: str, progress: Callable[[str], None]
                 ) -> dict[str, Any]:
    """The suite's results under one allocator mode, from fresh interpreters."""
    labels = [c.label for c in catalog_cases(settings.numel, settings.only or None)]
    batches = [labels[i:i + CASES_PER_PROCESS]
               for i in range(0, len(labels), CASES_PER_PROCESS)]
    merged: dict[str, Any] | None = None
    done = 0
    for batch in batches:
        def report(line: str, done: int = done) -> None:
            # "[i/n] label" from the batch, renumbered over the whole mode.
            if line.startswith("[") and "]" in line:
                i = int(line[1:line.index("/")])
                line = f"[{done + i}/{len(labels)}]{line[line.index(']') + 1:]}"
            progress(f"{mode} {line}")

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result.json"
            _subprocess(["measure", "--settings", json.dumps(asdict(settings)),
                         "--labels", json.dumps(batch), "--out", str(out)],
                        allocator_env(mode), report)
            part = json.loads(out.read_text())
        done += len(batch)
        if merged is None:
            merged = part
        else:
            merged["cases"] += part["cases"]
            merged["seconds"] += part["seconds"]
            merged["machine"]["load_average_at_end"] = part["machine"]["load_average_at_end"]
    assert merged is not None
    return merged


def default_name(settings: SuiteSettings) -> str:
    device = settings.device.split(":")[0]
    return f"{device}-{'full' if settings.numel >= FULL_NUMEL else 'quick'}"


def run_benchmarks(settings: SuiteSettings, *, modes: Sequence[str] = ALLOCATOR_MODES,
                   output_dir: Path | None = None, name: str | None = None,
                   command: str = "",
                   progress: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Measure under each mode, check the goals, and write JSON + Markdown to output_dir."""
    for mode in modes:
        allocator_env(mode)  # an unknown mode fails before anything runs
    per_mode = {mode: measure_mode(settings, mode, progress) for mode in modes}
    first = per_mode[modes[0]]
    reference_mode = per_mode.get("reused", first)
    slow = goals.slow_natives(reference_mode["cases"])
    results: dict[str, Any] = {
        "machine": first["machine"],
        "settings": first["settings"],
        "command": command,
        "modes": {},
    }
    for mode, data in per_mode.items():
        results["modes"][mode] = {
            "allocator_seen_by_subprocess": data["allocator"],
            "seconds": data["seconds"],
            "load_average": data["machine"].get("load_average_at_start", []),
            "load_average_at_end": data["machine"].get("load_average_at_end", []),
            "goals": goals.evaluate(data["cases"], settings.device, slow),
            "cases": data["cases"],
        }
    if output_dir is not None:
        write_results(results, Path(output_dir), name or default_name(settings))
    return results


def write_results(results: dict[str, Any], output_dir: Path, name: str) -> tuple[Path, Path]:
    """`<name>.json` and `<name>.md` in output_dir."""
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path = output_dir / f"{name}.json"
    md_path = output_dir / f"{name}.md"
    json_path.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path
