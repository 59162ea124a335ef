"""What running a study on Ray costs: the quick study on a local Ray instance vs local processes.

    python benchmarks/ray_executor_overhead.py                        # the quick study, 2 rounds
    python benchmarks/ray_executor_overhead.py --seeds 3 --epochs 5 --rounds 3

Each round runs the same study once with each executor, in turn (the order alternates from
round to round, so that a change of load hits both alike), each into a fresh folder:

- ``local``: LocalProcessExecutor, one worker process per core, one torch thread each;
- ``ray``: RayExecutor starting a local Ray instance sized to the machine, 1 CPU (one
  thread) per trial: the same trials at once, with the same threads (and both with
  OMP_NUM_THREADS=1, as Ray sets it for its 1-CPU workers).

Timed: the wall-clock of `run_study` (the pool's or Ray's start-up included, as a user
waits for it) and, inside each trial, its own duration (`duration_s` in the store); the
ratio ray/local of the median walls is the overhead (goal: at most ~1.10). Trials may
run at different speeds in the two kinds of worker process (they do: see the results), so
the executor's own cost is also given apart from them: the wall-clock time of all
workers not spent inside a trial (wall x trials at once - time in trials), per trial. A
separate timing of starting and stopping a bare Ray instance shows how much is start-up.
Each round checks that both executors stored the same metrics, trial for trial. Writes
benchmarks/results/ray_executor_overhead.json and .md.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import click
import torch

from actlab.studies import LocalProcessExecutor, ResultsStore, builtin_study, run_study
from actlab.studies.executor import available_cores
from actlab.studies.ray_executor import RayExecutor
from machine import machine_info

RESULTS = Path(__file__).resolve().parent / "results"


def stored_metrics(folder: Path) -> dict[str, tuple]:
    """Each trial's final metrics and curves as the store holds them."""
    with ResultsStore(folder / "results.sqlite") as store:
        return {t.trial_id: (t.status, json.dumps(t.result["final"], sort_keys=True),
                             tuple(store.metric_points(t.trial_id)))
                for t in store.trials()}


def trial_seconds(folder: Path) -> float:
    with ResultsStore(folder / "results.sqlite") as store:
        return sum(t.duration_s or 0.0 for t in store.trials())


def ray_start_stop_seconds() -> float:
    """Starting and stopping a local Ray instance of this machine's size, nothing run."""
    import ray

    started = time.perf_counter()
    ray.init(address="local", num_cpus=available_cores(), include_dashboard=False,
             logging_level=logging.ERROR, log_to_driver=False)
    ray.shutdown()
    return time.perf_counter() - started


@click.command()
@click.option("--seeds", type=click.IntRange(min=1), default=None,
              help="Seeds per activation [default: the quick study's 10].")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Epochs per trial [default: the quick study's 20].")
@click.option("--rounds", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=RESULTS / "ray_executor_overhead.json", show_default=True)
def main(seeds: int | None, epochs: int | None, rounds: int, output: Path) -> None:
    # Ray starts a 1-CPU worker with OMP_NUM_THREADS=1; spawned local workers inherit this
    # process's environment, where OpenMP would otherwise start a thread per core in each
    # worker before torch.set_num_threads(1) (measured: trials about 1.5x slower on 2 busy
    # cores). The same setting for both compares the executors, not OpenMP's defaults.
    os.environ["OMP_NUM_THREADS"] = "1"
    spec = builtin_study("quick")
    if seeds is not None or epochs is not None:
        spec = spec.with_overrides(seeds=list(range(seeds)) if seeds else None, epochs=epochs)
    cores = available_cores()
    machine = machine_info(torch.device("cpu"))
    walls: dict[str, list[float]] = {"local": [], "ray": []}
    inside: dict[str, list[float]] = {"local": [], "ray": []}
    same = []
    startup = ray_start_stop_seconds()
    with tempfile.TemporaryDirectory(prefix="ray-bench-") as scratch:
        for round_index in range(rounds):
            order = ("local", "ray") if round_index % 2 == 0 else ("ray", "local")
            folders = {}
            for name in order:
                folder = Path(scratch) / f"{name}-{round_index}"
                executor = (LocalProcessExecutor(cores, threads=1) if name == "local" else
                            RayExecutor(cpus_per_trial=1))
                started = time.perf_counter()
                run = run_study(spec, folder, executor=executor, progress=False)
                executor.shutdown()
                walls[name].append(time.perf_counter() - started)
                inside[name].append(trial_seconds(folder))
                folders[name] = folder
                if not run.complete:
                    raise SystemExit(f"{name}: the study did not complete: {run.summary()}")
                click.echo(f"round {round_index + 1}/{rounds} {name:>5}: {walls[name][-1]:.1f} s "
                           f"wall, {inside[name][-1]:.1f} s in trials "
                           f"(load {os.getloadavg()[0]:.1f})", err=True)
            same.append(stored_metrics(folders["local"]) == stored_metrics(folders["ray"]))
    median = {name: statistics.median(times) for name, times in walls.items()}
    median_inside = {name: statistics.median(times) for name, times in inside.items()}
    fastest = {name: min(times) for name, times in walls.items()}
    trials = len(spec.activations) * len(spec.seeds)
    outside = {name: statistics.median((wall * cores - busy) / trials
                                       for wall, busy in zip(walls[name], inside[name]))
               for name in walls}
    report = {
        "benchmark": "ray_executor_overhead",
        "study": {"name": spec.name, "activations": len(spec.activations),
                  "seeds": len(spec.seeds), "trials": trials,
                  "epochs": spec.training.get("epochs"), "trials_at_once": cores,
                  "threads_per_trial": 1},
        "machine": machine | {"load_average_at_end": list(os.getloadavg())},
        "ray_version": _ray_version(),
        "rounds": rounds,
        "wall_s": {name: [round(t, 2) for t in times] for name, times in walls.items()},
        "in_trials_s": {name: [round(t, 2) for t in times] for name, times in inside.items()},
        "median_wall_s": {name: round(t, 2) for name, t in median.items()},
        "ratio_ray_vs_local": round(median["ray"] / median["local"], 4),
        # Other work on the machine only ever adds time: the fastest round is the least
        # disturbed.
        "fastest_round_ratio_ray_vs_local": round(fastest["ray"] / fastest["local"], 4),
        "in_trials_ratio_ray_vs_local": round(median_inside["ray"] / median_inside["local"], 4),
        # Worker time outside trials (start-up, scheduling, shipping, idle slots), per trial.
        "outside_trials_s_per_trial": {name: round(t, 3) for name, t in outside.items()},
        "ray_start_stop_s": round(startup, 2),
        "same_metrics_every_round": all(same),
        "goal": "ray/local wall <= 1.10",
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")
    output.with_suffix(".md").write_text(markdown(report))
    click.echo(f"median wall: local {median['local']:.1f} s, ray {median['ray']:.1f} s; "
               f"ray/local {report['ratio_ray_vs_local']:.3f} (fastest rounds "
               f"{report['fastest_round_ratio_ray_vs_local']:.3f}); Ray start+stop "
               f"{startup:.1f} s; same metrics: {all(same)}")
    click.echo(f"saved {output}")


def _ray_version() -> str:
    import ray

    return ray.__version__


def markdown(report: dict) -> str:
    study, machine = report["study"], report["machine"]
    lines = [
        "# Ray executor overhead",
        "",
        f"`python benchmarks/{report['command']}` on {machine['cpu_model']} "
        f"({machine['logical_cpus']} logical CPUs, load {machine['load_average_at_start'][0]:.1f}"
        f" at start, {machine['load_average_at_end'][0]:.1f} at end), Ray "
        f"{report['ray_version']}, PyTorch {machine['torch_version']}, {report['date_utc']} UTC.",
        "",
        f"Study: {study['name']}, {study['trials']} trials ({study['activations']} activations x "
        f"{study['seeds']} seeds, {study['epochs']} epochs), {study['trials_at_once']} at once, "
        f"one thread each.",
        "",
        "| executor | wall (s), each round | median wall (s) | time in trials (s), median |",
        "|---|---|---|---|",
    ]
    for name in ("local", "ray"):
        lines.append(f"| {name} | {', '.join(f'{t:.1f}' for t in report['wall_s'][name])} | "
                     f"{report['median_wall_s'][name]:.1f} | "
                     f"{statistics.median(report['in_trials_s'][name]):.1f} |")
    lines += [
        "",
        f"- ray/local, median wall: **{report['ratio_ray_vs_local']:.3f}** (goal: "
        f"{report['goal']}); fastest rounds: {report['fastest_round_ratio_ray_vs_local']:.3f}",
        f"- ray/local, time inside trials: {report['in_trials_ratio_ray_vs_local']:.3f} (the "
        f"same arithmetic: see the last line)",
        f"- worker time outside trials, per trial (wall x {study['trials_at_once']} - time in "
        f"trials, / {study['trials']}): local "
        f"{report['outside_trials_s_per_trial']['local']:.2f} s, ray "
        f"{report['outside_trials_s_per_trial']['ray']:.2f} s",
        f"- starting and stopping a bare local Ray instance: {report['ray_start_stop_s']:.1f} s",
        f"- the same metrics stored by both, every round: {report['same_metrics_every_round']}",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
