"""Training-step throughput of the seed 003 MNIST CNN: a plain PyTorch loop, actlab, Keras.

    python benchmarks/training_step.py                       # 1000 steps, 3 rounds
    python benchmarks/training_step.py --steps 500 --rounds 5 --threads 1

The network is actlab's "mnist_cnn" (conv 5x5x32 SAME, ReLU, max-pool 2, conv 5x5x64
SAME, ReLU, max-pool 2, FC 1024, ReLU, dropout 0.5, FC 10) trained as seed 003 did:
Adam lr 1e-4, batches of 50, softmax cross-entropy on the logits, on real MNIST (the
first --train-samples training images). Each round runs three modes in turn, each
from a freshly initialised model and optimizer, for the same number of steps on the
same batches (actlab's order: a seeded permutation of the examples each epoch):

- ``plain``: a hand-written loop: the nn.Module actlab builds, ``torch.optim.Adam``,
  ``F.cross_entropy``, batches indexed out of tensors loaded beforehand, and
  ``zero_grad`` / ``backward`` / ``step``, nothing else (no loss read back);
- ``actlab``: ``actlab.training.run_trial`` with every default probe on (the ``all``
  mode of training_probe_overhead.py: gradient and first-layer quantile probes,
  activation probes, histograms, predictions, periodic test evaluations, TensorBoard and
  metrics.jsonl, written to a scratch directory); its step time is the trial's
  ``timings["train_s"] / steps`` as in training_probe_overhead.py: the training loop with
  its set-up, probes and periodic evaluations, without loading the data or the final
  evaluation;
- ``keras``: Keras 3 on its PyTorch backend (``KERAS_BACKEND=torch``): the same layers
  (truncated-normal std 0.1 weights, biases 0.1, dropout 0.5), Adam 1e-4, sparse
  categorical cross-entropy from logits, ``fit(batch_size=50, epochs=1,
  steps_per_epoch=warm-up + steps, shuffle=False, verbose=0)`` on NumPy arrays holding
  the same batches. A callback takes the time at ``on_train_batch_begin`` of the first
  timed batch (after --warmup-steps batches of the same fit) and at ``on_epoch_end``
  (after Keras has finished every batch's work), and divides by the timed steps: the
  fit's own first-call costs (building the model and optimizer variables, the train
  function) fall in its warm-up batches and are not counted. The callback only
  overrides batch *begin* hooks, so Keras keeps dispatching its batch-end callbacks
  asynchronously, as it does without callbacks. Keras is an optional (test)
  dependency: without it, this mode is skipped with a note.

Before the rounds every mode runs once for --warmup-steps steps, untimed, so that
first-call costs of the process (thread pools, kernel selection, imports) are in no
round. Times are wall-clock and CPU time of the process (all threads) per step; the
ratios are throughput ratios, plain time over the mode's time (above 1: faster than the
plain loop), of medians over rounds, of the fastest rounds (the least disturbed by other
work on the machine) and the median of the per-round ratios. The issue's goal: actlab
with all probes on keeps at least 0.95x the plain loop's throughput. Writes
benchmarks/results/training_step.json and .md with the machine's description and the
load average at start and end.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
import torch
import torch.nn.functional as F

from actlab.data import Dataset, load_dataset
from actlab.models import build_model
from actlab.training import ProbeConfig, TrialConfig, run_trial
from actlab.training.devices import resolve_device
from actlab.training.seeding import seed_everything
from machine import machine_info

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

MODES = ("plain", "actlab", "keras")
MODEL = "mnist_cnn"
ACTIVATION = "relu"
BATCH_SIZE = 50
LR = 1e-4
SEED = 0
GOAL_RATIO = 0.95
GOAL = ("actlab with all probes on keeps >= 0.95x the plain PyTorch loop's training "
        "throughput (median over rounds)")

TIMING = {
    "plain": "perf_counter around the loop (model, optimizer and data ready)",
    "actlab": "TrialResult.timings['train_s'] / steps: the loop with its set-up, probes and "
              "periodic evaluations; no data loading, no final evaluation",
    "keras": "callback: on_train_batch_begin of batch warmup_steps to on_epoch_end, over "
             "steps; the fit's first warmup_steps batches are not timed",
}

Log = Callable[[str], None]


# -- the batches --------------------------------------------------------------------------------
def batch_indices(n: int, steps: int, seed: int = SEED,
                  batch_size: int = BATCH_SIZE) -> list[torch.Tensor]:
    """The example indices of each of `steps` batches in actlab's order: a permutation
    from torch.Generator().manual_seed(seed) each epoch, split into batches (the last
    batch of an epoch is smaller when n is not a multiple of the batch size)."""
    generator = torch.Generator().manual_seed(seed)
    batches: list[torch.Tensor] = []
    while len(batches) < steps:
        batches.extend(torch.randperm(n, generator=generator).split(batch_size))
    return batches[:steps]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# -- plain ---------------------------------------------------------------------------------------
def run_plain(x: torch.Tensor, y: torch.Tensor, steps: int, device: torch.device,
              seed: int = SEED) -> dict[str, float]:
    """A hand-written PyTorch loop over pre-loaded tensors; seconds per step (wall, cpu)."""
    seed_everything(seed)
    model = build_model(MODEL, ACTIVATION, input_shape=tuple(x.shape[1:]),
                        num_classes=10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    _sync(device)
    start, start_cpu = time.perf_counter(), time.process_time()
    step = 0
    while step < steps:
        for index in torch.randperm(len(x), generator=generator).split(BATCH_SIZE):
            index = index.to(device)
            loss = F.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == steps:
                break
    _sync(device)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return {"step_s": wall / steps, "step_cpu_s": cpu / steps}


# -- actlab --------------------------------------------------------------------------------------
def trial_config(steps: int, train_samples: int | None, test_samples: int | None,
                 device: str, probes: ProbeConfig | None = None) -> TrialConfig:
    return TrialConfig(dataset="mnist", model=MODEL, activation=ACTIVATION, steps=steps,
                       train_samples=train_samples, test_samples=test_samples, seed=SEED,
                       device=device, probes=probes or ProbeConfig())


def run_actlab(dataset: Dataset, steps: int, train_samples: int | None,
               test_samples: int | None, device: str, output_dir: Path) -> dict[str, Any]:
    """run_trial with every default probe on; its loop time per step (wall, cpu)."""
    config = trial_config(steps, train_samples, test_samples, device)
    result = run_trial(config, output_dir=output_dir, dataset=dataset, progress=False)
    t = result.timings
    extra = t["probes_s"] + t["evaluations_s"] + t["setup_s"]
    return {"step_s": t["train_s"] / result.steps, "step_cpu_s": t["train_cpu_s"] / result.steps,
            "measured_overhead_fraction": extra / (t["train_s"] - extra),
            "evaluations": len(result.history), "gradient_records": len(result.gradients),
            "activation_records": len(result.activations),
            "histograms": len(result.histograms)}


# -- keras ---------------------------------------------------------------------------------------
def import_keras() -> tuple[Any, str]:
    """(keras, "") on the PyTorch backend, or (None, why not)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")  # read once, when Keras is imported
    try:
        import keras
    except Exception as err:  # any import failure means: no Keras here
        return None, f"keras is not importable ({type(err).__name__}: {err})"
    backend = keras.backend.backend()
    if backend != "torch":
        return None, (f"keras runs on its {backend!r} backend; set KERAS_BACKEND=torch "
                      f"before it is imported")
    return keras, ""


def keras_model(keras: Any, data_format: str) -> Any:
    """actlab's mnist_cnn in Keras layers, with seed 003's initialisation."""
    layers = keras.layers

    def init() -> dict[str, Any]:
        return {"kernel_initializer": keras.initializers.TruncatedNormal(stddev=0.1),
                "bias_initializer": keras.initializers.Constant(0.1)}

    shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
    return keras.Sequential([
        keras.Input(shape),
        layers.Conv2D(32, 5, padding="same", activation="relu", data_format=data_format,
                      **init()),
        layers.MaxPooling2D(2, data_format=data_format),
        layers.Conv2D(64, 5, padding="same", activation="relu", data_format=data_format,
                      **init()),
        layers.MaxPooling2D(2, data_format=data_format),
        layers.Flatten(data_format=data_format),
        layers.Dense(1024, activation="relu", **init()),
        layers.Dropout(0.5),
        layers.Dense(10, **init()),
    ])


def keras_arrays(x: torch.Tensor, y: torch.Tensor, batches: Sequence[torch.Tensor],
                 warmup: int, data_format: str) -> tuple[np.ndarray, np.ndarray]:
    """The warm-up batches (the first ones) then the timed ones, in order, as NumPy arrays."""
    order = torch.cat([*batches[:warmup], *batches])
    xs = x[order].cpu()
    if data_format == "channels_last":
        xs = xs.permute(0, 2, 3, 1)
    return np.ascontiguousarray(xs.numpy()), y[order].cpu().numpy()


def run_keras(keras: Any, x: np.ndarray, y: np.ndarray, steps: int, warmup: int,
              device: torch.device, data_format: str) -> dict[str, float]:
    """model.fit for warm-up + steps batches; the timed batches' time per step."""
    marks: dict[str, float] = {}

    class StepClock(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if batch == warmup:
                marks["start"], marks["start_cpu"] = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            _sync(device)
            marks["end"], marks["end_cpu"] = time.perf_counter(), time.process_time()

    keras.utils.set_random_seed(SEED)
    with keras.device(str(device)):
        model = keras_model(keras, data_format)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=1,
                            steps_per_epoch=warmup + steps, shuffle=False, verbose=0,
                            callbacks=[StepClock()])
    if "start" not in marks or "end" not in marks:
        raise RuntimeError("Keras ran fewer batches than asked for")
    return {"step_s": (marks["end"] - marks["start"]) / steps,
            "step_cpu_s": (marks["end_cpu"] - marks["start_cpu"]) / steps,
            "final_loss": float(history.history["loss"][-1]),
            "jit_compile": bool(model.jit_compile)}


# -- measurement ---------------------------------------------------------------------------------
def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4)


def _summary(wall: list[float], cpu: list[float]) -> dict[str, Any]:
    median = statistics.median(wall)
    return {"step_time_ms": [round(1000 * t, 3) for t in wall],
            "step_cpu_time_ms": [round(1000 * t, 3) for t in cpu],
            "median_step_time_ms": round(1000 * median, 3),
            "fastest_step_time_ms": round(1000 * min(wall), 3),
            "median_step_cpu_time_ms": round(1000 * statistics.median(cpu), 3),
            "median_steps_per_s": round(1 / median, 2)}


def measure(dataset: Dataset, *, steps: int = 1000, rounds: int = 3, warmup_steps: int = 10,
            train_samples: int | None = 10_000, test_samples: int | None = None,
            device: str = "cpu", modes: Sequence[str] = MODES,
            keras_data_format: str = "channels_last", log: Log | None = None
            ) -> dict[str, Any]:
    """Time the modes in round-robin rounds; the report (without the output paths)."""
    log = log or (lambda _line: None)
    unknown = sorted(set(modes) - set(MODES))
    if unknown or "plain" not in modes:
        raise ValueError(f"modes must include plain and come from {', '.join(MODES)}; "
                         f"got {', '.join(modes)}")
    modes = [m for m in MODES if m in modes]
    torch_device = resolve_device(device)
    machine = machine_info(torch_device)
    x = dataset.train_x[:train_samples].to(torch_device, torch.float32)
    y = dataset.train_y[:train_samples].to(torch_device, torch.int64)
    batches = batch_indices(len(x), steps)
    skipped: dict[str, str] = {}
    keras = None
    keras_data: tuple[np.ndarray, np.ndarray] | None = None
    if "keras" in modes:
        keras, why = import_keras()
        if keras is None:
            skipped["keras"] = why
            modes.remove("keras")
            log(f"keras skipped: {why}")
        else:
            keras_data = keras_arrays(x, y, batches, warmup_steps, keras_data_format)

    details: dict[str, dict[str, Any]] = {m: {} for m in modes}
    wall: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as scratch:
        def run(mode: str, n: int, tag: str) -> dict[str, Any]:
            if mode == "plain":
                return run_plain(x, y, n, torch_device)
            if mode == "actlab":
                return run_actlab(dataset, n, train_samples, test_samples, device,
                                  Path(scratch) / tag)
            assert keras is not None and keras_data is not None
            # fit stops after warm-up + n batches (the warm-up run uses fewer than given)
            return run_keras(keras, *keras_data, n, warmup_steps, torch_device,
                             keras_data_format)

        if warmup_steps:
            for mode in modes:  # first-call costs of the process out of the rounds
                started = time.perf_counter()
                run(mode, min(warmup_steps, steps), f"{mode}-warmup")
                log(f"warm-up {mode:>6}: {time.perf_counter() - started:.1f} s")
        for round_index in range(rounds):
            for mode in modes:
                out = run(mode, steps, f"{mode}-{round_index}")
                wall[mode].append(out.pop("step_s"))
                cpu[mode].append(out.pop("step_cpu_s"))
                details[mode] = out
                log(f"round {round_index + 1}/{rounds} {mode:>6}: "
                    f"{1000 * wall[mode][-1]:.1f} ms/step wall, "
                    f"{1000 * cpu[mode][-1]:.1f} ms/step cpu (load {os.getloadavg()[0]:.1f})")

    results: dict[str, Any] = {m: _summary(wall[m], cpu[m]) | {"last_run": details[m]}
                               for m in modes}
    for mode, why in skipped.items():
        results[mode] = {"skipped": why}
    ratios: dict[str, Any] = {}
    for mode in modes:
        if mode == "plain":
            continue
        ratios[f"{mode}_vs_plain"] = {
            "median": _ratio(statistics.median(wall["plain"]), statistics.median(wall[mode])),
            "fastest_round": _ratio(min(wall["plain"]), min(wall[mode])),
            "median_of_round_ratios": round(statistics.median(
                p / t for p, t in zip(wall["plain"], wall[mode])), 4),
            "cpu_median": _ratio(statistics.median(cpu["plain"]), statistics.median(cpu[mode])),
        }
    goal: dict[str, Any] = {"statement": GOAL, "threshold": GOAL_RATIO}
    if "actlab_vs_plain" in ratios:
        r = ratios["actlab_vs_plain"]
        goal |= {"median_ratio": r["median"], "met": r["median"] >= GOAL_RATIO,
                 "fastest_round_ratio": r["fastest_round"],
                 "met_in_fastest_rounds": r["fastest_round"] >= GOAL_RATIO}
    else:
        goal |= {"met": None}
    return {
        "benchmark": "training_step",
        "settings": {"dataset": "mnist", "model": MODEL, "activation": ACTIVATION,
                     "optimizer": "adam", "lr": LR, "batch_size": BATCH_SIZE,
                     "loss": "softmax cross-entropy on logits", "steps": steps,
                     "rounds": rounds, "warmup_steps": warmup_steps,
                     "train_samples": len(x), "test_samples": test_samples,
                     "device": str(torch_device), "torch_threads": torch.get_num_threads(),
                     "keras_data_format": keras_data_format if "keras" in modes else None,
                     "keras_backend": os.environ.get("KERAS_BACKEND"),
                     "actlab_probes": ProbeConfig().to_dict()},
        "machine": machine | {"load_average_at_end": list(os.getloadavg())},
        "modes": list(modes) + list(skipped),
        "skipped": skipped,
        "results": results,
        "throughput_ratio": ratios,
        "goal": goal,
        "timing": {mode: TIMING[mode] for mode in modes},
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


# -- output --------------------------------------------------------------------------------------
def table_lines(report: dict[str, Any]) -> list[str]:
    """The result as a Markdown table (also readable on a terminal)."""
    lines = ["| mode | median ms/step | fastest ms/step | median cpu ms/step | steps/s "
             "| throughput vs plain (median, fastest) |",
             "|---|---:|---:|---:|---:|---|"]
    for mode in report["modes"]:
        r = report["results"][mode]
        if "skipped" in r:
            lines.append(f"| {mode} | skipped: {r['skipped']} | | | | |")
            continue
        ratio = report["throughput_ratio"].get(f"{mode}_vs_plain")
        versus = "1 (reference)" if mode == "plain" else (
            f"{ratio['median']:.3f}x, {ratio['fastest_round']:.3f}x")
        lines.append(f"| {mode} | {r['median_step_time_ms']:.2f} | "
                     f"{r['fastest_step_time_ms']:.2f} | {r['median_step_cpu_time_ms']:.2f} | "
                     f"{r['median_steps_per_s']:.1f} | {versus} |")
    return lines


def goal_line(report: dict[str, Any]) -> str:
    goal = report["goal"]
    if goal.get("met") is None:
        return f"goal ({goal['statement']}): not measured (no actlab mode)"
    verdict = "met" if goal["met"] else "NOT met"
    fastest = "met" if goal["met_in_fastest_rounds"] else "not met"
    return (f"goal ({goal['statement']}): {verdict}: {goal['median_ratio']:.3f}x "
            f"(fastest rounds: {goal['fastest_round_ratio']:.3f}x, {fastest})")


def markdown(report: dict[str, Any]) -> str:
    s, m = report["settings"], report["machine"]
    rounds = s["rounds"]
    lines = [
        "# Training-step throughput: plain PyTorch loop, actlab (all probes), Keras",
        "",
        f"`{report.get('command', 'python benchmarks/training_step.py')}` on "
        f"{report['date_utc']} UTC.",
        "",
        f"Seed 003's MNIST CNN ({s['model']}, {s['activation']}), Adam lr {s['lr']}, "
        f"batches of {s['batch_size']}, {s['loss']}; {s['steps']} steps per run on the "
        f"first {s['train_samples']} MNIST training images, {rounds} round(s) of the modes "
        f"in turn after {s['warmup_steps']} warm-up steps each; device {s['device']}, "
        f"{s['torch_threads']} torch thread(s).",
        "",
        f"Machine: {m['cpu_model']}, {m['logical_cpus']} logical CPUs, "
        f"{m['memory_gib']} GiB, PyTorch {m['torch_version']}, Python {m['python_version']}; "
        f"load average {m['load_average_at_start'][0]:.2f} at start, "
        f"{m['load_average_at_end'][0]:.2f} at end.",
        "",
        *table_lines(report),
        "",
        goal_line(report) + ".",
        "",
        "Step times per round (ms, wall):",
        "",
        "| mode | " + " | ".join(f"round {i + 1}" for i in range(rounds)) + " |",
        "|---|" + "---:|" * rounds,
    ]
    for mode in report["modes"]:
        r = report["results"][mode]
        if "step_time_ms" in r:
            lines.append(f"| {mode} | " + " | ".join(f"{t:.2f}" for t in r["step_time_ms"])
                         + " |")
    lines += ["", "How each mode is timed:", ""]
    lines += [f"- {mode}: {how}" for mode, how in report["timing"].items()]
    for mode, why in report["skipped"].items():
        lines.append(f"- {mode} skipped: {why}")
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], output: Path) -> tuple[Path, Path]:
    """The report as JSON at `output` and as Markdown beside it (same name, .md)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")
    md = output.with_suffix(".md")
    md.write_text(markdown(report))
    return output, md


@click.command()
# 1000 steps by default: a trial has fixed costs (set-up, activation probes before the
# first and after the last step, an evaluation at the last step) that a few hundred
# steps would inflate; seed 003's own trial is 12,001 steps.
@click.option("--steps", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--warmup-steps", type=click.IntRange(min=0), default=10, show_default=True,
              help="Untimed steps: one run per mode before the rounds, and the first "
                   "batches of every Keras fit.")
@click.option("--train-samples", type=click.IntRange(min=BATCH_SIZE), default=10_000,
              show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="MNIST files [default: $ACTLAB_DATA_DIR or shared/data].")
@click.option("--device", default="cpu", show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="torch.set_num_threads [default: PyTorch's choice].")
@click.option("--mode", "modes", type=click.Choice(MODES), multiple=True,
              help="Modes to run (repeatable; plain always runs) [default: all].")
@click.option("--keras-data-format", type=click.Choice(["channels_last", "channels_first"]),
              default="channels_last", show_default=True,
              help="Keras's image layout (channels_last is Keras's default).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=RESULTS / "training_step.json", show_default=True,
              help="JSON report; the Markdown goes beside it (.md).")
def main(steps: int, rounds: int, warmup_steps: int, train_samples: int,
         data_dir: Path | None, device: str, threads: int | None, modes: tuple[str, ...],
         keras_data_format: str, output: Path) -> None:
    if threads is not None:
        torch.set_num_threads(threads)
    data_dir = data_dir or Path(os.environ.get("ACTLAB_DATA_DIR") or DEFAULT_DATA)
    dataset = load_dataset("mnist", data_dir=data_dir, download=False)
    chosen = ("plain", *modes) if modes else MODES
    report = measure(dataset, steps=steps, rounds=rounds, warmup_steps=warmup_steps,
                     train_samples=train_samples, device=device, modes=chosen,
                     keras_data_format=keras_data_format,
                     log=lambda line: click.echo(line, err=True))
    report["command"] = " ".join(["python benchmarks/training_step.py", *sys.argv[1:]])
    json_path, md_path = write_report(report, output)
    click.echo("\n".join(table_lines(report)))
    click.echo(goal_line(report))
    for mode, why in report["skipped"].items():
        click.echo(f"note: {mode} skipped: {why}")
    click.echo(f"saved {json_path} and {md_path}")


if __name__ == "__main__":
    main()
