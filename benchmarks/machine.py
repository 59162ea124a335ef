"""What machine a benchmark ran on: CPU model, cores, memory, PyTorch, allocator, GPU."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import torch

#: The glibc settings that keep freed memory for reuse: no mmap for large blocks (they
#: come from the heap) and no trimming of the heap's top, so a freed 64 MiB tensor is
#: handed to the next allocation without new page faults.
REUSED_ALLOCATOR_ENV = {
    "MALLOC_MMAP_MAX_": "0",
    "MALLOC_TRIM_THRESHOLD_": "18446744073709551615",
    "MALLOC_TOP_PAD_": "0",
    "GLIBC_TUNABLES": "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=18446744073709551615",
}

ALLOCATOR_MODES = ("fresh", "reused")


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _memory_gib() -> float | None:
    text = _read("/proc/meminfo")
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return None


@cache
def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    text = _read("/proc/cpuinfo") or ""
    for line in text.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def allocator_mode() -> str:
    """'reused' when this process runs with REUSED_ALLOCATOR_ENV, else 'fresh'."""
    return "reused" if os.environ.get("MALLOC_MMAP_MAX_") == "0" else "fresh"


def machine_info(device: torch.device) -> dict[str, Any]:
    """A description of the machine, to be stored with every result."""
    info: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "memory_gib": _memory_gib(),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "libc": " ".join(platform.libc_ver()).strip(),
        "platform": platform.platform(),
        "transparent_hugepages": _read("/sys/kernel/mm/transparent_hugepage/enabled"),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "device": str(device),
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info["gpu"] = props.name
        info["gpu_memory_gib"] = round(props.total_memory / 2**30, 1)
        info["cuda_version"] = torch.version.cuda
    return info
