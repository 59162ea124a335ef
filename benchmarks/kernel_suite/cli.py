"""`python benchmarks/run.py`: time every activation's implementations, write result files."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import torch

from actlab.errors import ActlabError
from kernel_suite import SuiteSettings, run_benchmarks
from kernel_suite.cases import catalog_cases
from kernel_suite.runner import default_name
from kernel_suite.tables import goal_lines

ALLOCATORS = {"both": ("fresh", "reused"), "fresh": ("fresh",), "reused": ("reused",)}

#: On a GPU 2^24 floats copy in tens of µs, as long as the launch and Python overhead of
#: one call: full runs there use 2^27 elements (512 MiB of float32) per input.
GPU_FULL_NUMEL = 1 << 27


def devices_for(choice: str) -> list[str]:
    """The devices that `--device` names ("all": the CPU, and the GPU when there is one)."""
    if choice == "all":
        return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise ActlabError(f"device {choice!r} is not available: this PyTorch sees no CUDA GPU; "
                          f"use --device cpu")
    if choice != "cpu" and not choice.startswith("cuda"):
        raise ActlabError(f"unknown device {choice!r}; choose cpu, cuda or all")
    return [choice]


def default_output_dir() -> Path:
    """benchmarks/results beside this package."""
    return Path(__file__).resolve().parents[1] / "results"


def command_line(prog: str, *, quick: bool, only: tuple[str, ...], device: str,
                 allocator: str, repeats: int | None, size: int | None
                 ) -> str:
    """The command that reproduces a run (stored with its results)."""
    parts = [prog]
    if quick:
        parts.append("--quick")
    parts += [f"--only {shlex.quote(o)}" for o in only]
    if device != "all":
        parts.append(f"--device {device}")
    if allocator != "both":
        parts.append(f"--allocator {allocator}")
    if repeats is not None:
        parts.append(f"--repeats {repeats}")
    if size is not None:
        parts.append(f"--size {size}")
    return " ".join(parts)


def run_from_options(*, quick: bool, only: tuple[str, ...], device: str,
                     allocator: str, repeats: int | None, size: int | None,
                     output: Path | None, name: str | None, prog: str = "python benchmarks/run.py",
                     echo=click.echo) -> list[Path]:
    """Run the benchmarks the options describe; return the Markdown files written."""
    if size is not None and size < 2048:
        raise ActlabError(f"--size must be at least 2048 elements, got {size}")
    if repeats is not None and repeats < 1:
        raise ActlabError(f"--repeats must be at least 1, got {repeats}")
    catalog_cases(2048, only or None)  # unknown names fail here, before any subprocess
    output = output or default_output_dir()
    devices = devices_for(device)
    command = command_line(prog, quick=quick, only=only, device=device,
                           allocator=allocator, repeats=repeats, size=size)
    written = []
    for dev in devices:
        base = SuiteSettings.quick() if quick else SuiteSettings()
        overrides = {"device": dev, "only": tuple(only)}
        if dev.startswith("cuda") and not quick:
            overrides["numel"] = GPU_FULL_NUMEL
        if repeats is not None:
            overrides["repeats"] = repeats
        if size is not None:
            overrides["numel"] = size
        settings = SuiteSettings(**{**base.__dict__, **overrides})
        stem = default_name(settings) if name is None else (
            f"{name}-{dev}" if len(devices) > 1 else name)
        results = run_benchmarks(settings, modes=ALLOCATORS[allocator], output_dir=output,
                                 name=stem, command=command, progress=echo)
        for mode, data in results["modes"].items():
            echo(f"{dev}, allocator {mode}:")
            for line in goal_lines(data["goals"]):
                echo("  " + line)
        written.append(output / f"{stem}.md")
        echo(f"wrote {output / (stem + '.json')} and {written[-1]}")
    return written


@click.command("bench")
@click.option("--quick", is_flag=True,
              help="Small tensors (2^16 elements), 3 runs: a smoke test, not a measurement.")
@click.option("--only", multiple=True, metavar="NAME",
              help="Only these activations (any spelling or formula); repeatable.")
@click.option("--device", default="all", show_default=True,
              help="cpu, cuda, or all (the CPU and the GPU when there is one).")
@click.option("--allocator", type=click.Choice(sorted(ALLOCATORS)), default="both",
              show_default=True, help="fresh allocations, reused buffers, or both.")
@click.option("--repeats", type=int, help="Timed runs per measurement (median is kept).")
@click.option("--size", type=int,
              help="Elements per input (default 2^24, on a GPU 2^27; --quick 2^16).")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the JSON and Markdown results (default: benchmarks/results).")
@click.option("--name", help="File name stem (default: <device>-full or <device>-quick).")
def bench_command(quick: bool, only: tuple[str, ...], device: str,
                  allocator: str, repeats: int | None, size: int | None,
                  output: Path | None, name: str | None) -> None:
    """Time every activation: forward and forward+backward, GB/s, ratios, saved bytes."""
    invoked = click.get_current_context().info_name or "python benchmarks/run.py"
    run_from_options(quick=quick, only=only, device=device,
                     allocator=allocator, repeats=repeats, size=size, output=output,
                     name=name, prog=invoked)
