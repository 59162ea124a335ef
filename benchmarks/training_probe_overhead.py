"""What leaving the probes on costs: step time with every probe on vs off (seed 003 MNIST CNN).

    python benchmarks/training_probe_overhead.py                 # 300 steps, 3 rounds
    python benchmarks/training_probe_overhead.py --steps 500 --rounds 5 --threads 1

Each round trains the same trial (same seed, same batches) three times, in turn:

- ``off``: ProbeConfig.off(): no probe, no TensorBoard, no metrics file (the per-step
  loss is still read, as divergence detection needs it);
- ``diagnostics``: the default probes (gradients, first-layer quantiles, activations with
  dead and saturated units, histograms, predictions, TensorBoard and metrics.jsonl)
  without the periodic test evaluations;
- ``all``: every default, periodic test evaluations included.

The step time is the training loop's time divided by its steps (data loading and the
final evaluation excluded), both wall-clock and CPU time of the process (all threads);
the ratios are of medians over rounds, and of the fastest rounds (the least disturbed by
other work). Each run also times its probes, evaluations and
set-up from inside (`measured_overhead_fraction`: their time over the rest of the loop),
which other work on a shared machine disturbs least (the load average is recorded). Writes
benchmarks/results/training_probe_overhead.json with the machine's description.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import click
import torch

from actlab.data import load_dataset
from actlab.training import ProbeConfig, TrialConfig, run_trial
from actlab.training.devices import resolve_device
from machine import machine_info

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def probe_settings() -> dict[str, ProbeConfig]:
    defaults = ProbeConfig()
    return {
        "off": ProbeConfig.off(),
        "diagnostics": dataclasses.replace(defaults, eval_every=0),
        "all": defaults,
    }


@click.command()
@click.option("--steps", type=click.IntRange(min=10), default=300, show_default=True)
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--train-samples", type=int, default=10_000, show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="MNIST files [default: $ACTLAB_DATA_DIR or shared/data].")
@click.option("--device", default="cpu", show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="torch.set_num_threads [default: PyTorch's choice].")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=RESULTS / "training_probe_overhead.json", show_default=True)
def main(steps: int, rounds: int, train_samples: int, data_dir: Path | None, device: str,
         threads: int | None, output: Path) -> None:
    if threads is not None:
        torch.set_num_threads(threads)
    data_dir = data_dir or Path(os.environ.get("ACTLAB_DATA_DIR") or DEFAULT_DATA)
    dataset = load_dataset("mnist", data_dir=data_dir, download=False)
    machine = machine_info(resolve_device(device))
    settings = probe_settings()
    step_times: dict[str, list[float]] = {name: [] for name in settings}
    cpu_times: dict[str, list[float]] = {name: [] for name in settings}
    in_run: dict[str, list[float]] = {name: [] for name in settings}
    records: dict[str, dict] = {}
    warm = TrialConfig(dataset="mnist", model="mnist_cnn", activation="relu", steps=10,
                       train_samples=train_samples, device=device, probes=ProbeConfig.off())
    run_trial(warm, dataset=dataset, progress=False)  # first-call costs out of the rounds
    with tempfile.TemporaryDirectory() as scratch:
        for round_index in range(rounds):
            for name, probes in settings.items():
                config = TrialConfig(dataset="mnist", model="mnist_cnn", activation="relu",
                                     steps=steps, train_samples=train_samples, seed=0,
                                     device=device, probes=probes)
                out = None if name == "off" else Path(scratch) / f"{name}-{round_index}"
                result = run_trial(config, output_dir=out, dataset=dataset, progress=False)
                step_times[name].append(result.timings["train_s"] / result.steps)
                cpu_times[name].append(result.timings["train_cpu_s"] / result.steps)
                t = result.timings
                extra = t["probes_s"] + t["evaluations_s"] + t["setup_s"]
                in_run[name].append(extra / (t["train_s"] - extra))
                records[name] = {"probes": probes.to_dict(),
                                 "evaluations": len(result.history),
                                 "gradient_records": len(result.gradients),
                                 "activation_records": len(result.activations),
                                 "histograms": len(result.histograms),
                                 "final_test_accuracy": result.final["test_accuracy"]}
                click.echo(f"round {round_index + 1}/{rounds} {name:>11}: "
                           f"{1000 * step_times[name][-1]:.1f} ms/step wall, "
                           f"{1000 * cpu_times[name][-1]:.1f} ms/step cpu "
                           f"(load {os.getloadavg()[0]:.1f})", err=True)
    median = {name: statistics.median(times) for name, times in step_times.items()}
    median_cpu = {name: statistics.median(times) for name, times in cpu_times.items()}
    # Other work on the machine only ever adds time: the fastest round is the least disturbed.
    fastest = {name: min(times) for name, times in step_times.items()}
    fastest_cpu = {name: min(times) for name, times in cpu_times.items()}
    report = {
        "benchmark": "training_probe_overhead",
        "trial": {"dataset": "mnist", "model": "mnist_cnn", "activation": "relu",
                  "steps": steps, "batch_size": 50, "train_samples": train_samples},
        "machine": machine | {"load_average_at_end": list(os.getloadavg())},
        "rounds": rounds,
        "step_time_ms": {name: [round(1000 * t, 3) for t in times]
                         for name, times in step_times.items()},
        "median_step_time_ms": {name: round(1000 * t, 3) for name, t in median.items()},
        "step_cpu_time_ms": {name: [round(1000 * t, 3) for t in times]
                             for name, times in cpu_times.items()},
        "median_step_cpu_time_ms": {name: round(1000 * t, 3)
                                    for name, t in median_cpu.items()},
        "ratio_diagnostics_vs_off": round(median["diagnostics"] / median["off"], 4),
        "ratio_all_vs_off": round(median["all"] / median["off"], 4),
        "cpu_ratio_diagnostics_vs_off": round(median_cpu["diagnostics"] / median_cpu["off"],
                                              4),
        "cpu_ratio_all_vs_off": round(median_cpu["all"] / median_cpu["off"], 4),
        "fastest_round_ratio_diagnostics_vs_off": round(fastest["diagnostics"] / fastest["off"],
                                                        4),
        "fastest_round_ratio_all_vs_off": round(fastest["all"] / fastest["off"], 4),
        "fastest_round_cpu_ratio_diagnostics_vs_off": round(
            fastest_cpu["diagnostics"] / fastest_cpu["off"], 4),
        "fastest_round_cpu_ratio_all_vs_off": round(fastest_cpu["all"] / fastest_cpu["off"], 4),
        # Timed inside each run: (probes + evaluations + set-up) / the rest of the loop.
        "measured_overhead_fraction": {name: round(statistics.median(v), 4)
                                       for name, v in in_run.items()},
        "runs": records,
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")
    click.echo(f"median step time: off {1000 * median['off']:.1f} ms, diagnostics "
               f"{1000 * median['diagnostics']:.1f} ms, all {1000 * median['all']:.1f} ms")
    click.echo(f"overhead ratio (wall): diagnostics/off {report['ratio_diagnostics_vs_off']:.3f},"
               f" all/off {report['ratio_all_vs_off']:.3f}; (cpu): diagnostics/off "
               f"{report['cpu_ratio_diagnostics_vs_off']:.3f}, all/off "
               f"{report['cpu_ratio_all_vs_off']:.3f}  (machine load "
               f"{machine['load_average_at_start'][0]:.1f} -> {os.getloadavg()[0]:.1f})")
    click.echo(f"fastest rounds: diagnostics/off "
               f"{report['fastest_round_ratio_diagnostics_vs_off']:.3f}, all/off "
               f"{report['fastest_round_ratio_all_vs_off']:.3f} (wall); "
               f"{report['fastest_round_cpu_ratio_diagnostics_vs_off']:.3f}, "
               f"{report['fastest_round_cpu_ratio_all_vs_off']:.3f} (cpu)")
    click.echo("measured inside the runs: " + ", ".join(
        f"{name} {100 * v:.1f}%" for name, v in report["measured_overhead_fraction"].items()))
    click.echo(f"saved {output}")


if __name__ == "__main__":
    main()
