"""`actlab toy` (seed 000's study) and `actlab train` (one trial, with TensorBoard logs)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from actlab.data.registry import dataset_names
from actlab.errors import ParameterError
from actlab.models.registry import model_names
from actlab.training.config import DEVICES, OPTIMIZERS, ProbeConfig, TrialConfig
from actlab.training.result import PredictionSnapshot, TrialResult


def _parse_assignments(values: tuple[str, ...], option: str) -> dict[str, Any]:
    """KEY=VALUE pairs; VALUE is read as JSON (numbers, true, [64, 64]) or else as text."""
    parsed: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"{option} takes KEY=VALUE, got {item!r}")
        try:
            parsed[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            parsed[key.strip()] = raw
    return parsed


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_") or "activation"


def _unused_dir(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`... when it already holds files."""
    if not path.exists() or not any(path.iterdir()):
        return path
    index = 2
    while (candidate := path.with_name(f"{path.name}-{index}")).exists():
        index += 1
    return candidate


def _print_predictions(snapshot: PredictionSnapshot | None) -> None:
    """The way seed 000 prints them: the array, ---, max and min, ---, mean."""
    if snapshot is None:
        return
    array = np.array([[np.nan if v is None else v for v in row] for row in snapshot.outputs],
                     dtype=np.float32)
    click.echo(str(array))
    click.echo("---")
    click.echo(f"{str(np.float32(array.max()))} {str(np.float32(array.min()))}")
    click.echo("---")
    click.echo(str(np.float32(array.mean())))


def _nan_loss_line(result: TrialResult, unit: str) -> str:
    """What a NaN loss with finite weights was, and that training went on through it."""
    text = (f"{result.nan_loss} (first at {unit} {result.nan_loss_step}, "
            f"{result.nan_loss_steps} of {result.steps} {unit}s)")
    if "all zero" in result.nan_loss:
        text += "; Keras's loss divides the outputs by their sum (0/0 = nan)"
    return text + "; the weights stayed finite and training went on, as in Keras"


# -- actlab toy -------------------------------------------------------------------------------
@click.command("toy")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the toy data and of the initial weights.")
@click.option("--epochs", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--output", "output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("actlab-toy"), show_default=True,
              help="Folder for the curves (PNG), TensorBoard logs and results.")
@click.option("-a", "--activation", "activations", multiple=True,
              help="Activations to compare (repeatable); default: seed 000's six.")
@click.option("--tensorboard/--no-tensorboard", default=True, show_default=True)
def toy_command(seed: int, epochs: int, output: Path, activations: tuple[str, ...],
                tensorboard: bool) -> None:
    """Seed 000: Dense(3) + an output activation on 5 toy samples, SGD 0.01, Keras's loss."""
    from actlab.report.training_plots import plot_curves_comparison, plot_training_curves
    from actlab.training.seed000 import SEED_000_ACTIVATIONS, toy_config
    from actlab.training.trial import run_trial

    names = activations or SEED_000_ACTIVATIONS
    configs = {name: toy_config(name, seed=seed, epochs=epochs, tensorboard=tensorboard)
               for name in names}  # every name is checked before anything trains
    output.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, TrialResult] = {}
    for name, config in configs.items():
        trial_dir = output / _safe_name(name)
        click.echo(f"\n===== {name} =====")
        result = run_trial(config, output_dir=trial_dir, progress=False)
        results[name] = result
        click.echo("~~~ pre-trained predictions")
        _print_predictions(result.predictions_before)
        click.echo(f"\n~~~ model training ({result.steps} epochs)")
        if result.diverged:
            click.echo(f"diverged: {result.divergence}")
        if result.nan_loss:
            click.echo(_nan_loss_line(result, "epoch"))
        click.echo(f"final loss {_fmt(result.final['train_loss'], '.6g')}, "
                   f"accuracy {_fmt(result.final['train_accuracy'], '.2f')}")
        dead = [r for r in result.activations if r.dead_fraction]
        if dead:
            click.echo(f"dead output units after training: {dead[-1].dead_fraction:.0%}")
        click.echo("\n~~~ trained predictions")
        _print_predictions(result.predictions_after)
        curves = plot_training_curves(result, trial_dir / "curves.png", test=False,
                                      title=f"seed 000: Dense(3) + {name}, seed {seed}")
        del curves
    plot_curves_comparison(results, output / "toy_curves.png",
                           title=f"seed 000: output activations on the toy data (seed {seed})")
    click.echo(f"\ncurves: {output / 'toy_curves.png'} and {output}/<activation>/curves.png")
    click.echo(f"wall time {time.perf_counter() - started:.1f} s")


# -- actlab train -----------------------------------------------------------------------------
@click.command("train")
@click.option("--dataset", required=True,
              help=", ".join(dataset_names()) + ", or your factory ('mydata.py:blobs').")
@click.option("--model", required=True,
              help=", ".join(model_names()) + ", or your factory ('mymodels.py:tiny_net').")
@click.option("--activation", required=True,
              help="A catalog name or spelling (keras:leaky_relu, elu(0.5)) or a formula.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="An activation parameter (repeatable).")
@click.option("--model-option", "model_options", multiple=True, metavar="KEY=VALUE",
              help="A model option, e.g. depth=4, init=lecun_normal (repeatable).")
@click.option("--dataset-option", "dataset_options", multiple=True, metavar="KEY=VALUE",
              help="A dataset option, e.g. standardize=true (repeatable).")
@click.option("--epochs", type=int, help="Train for this many epochs.")
@click.option("--steps", type=int, help="Train for this many optimiser steps.")
@click.option("--batch-size", type=int, help="Examples per step (0: full batch); default: "
                                             "the model's recipe.")
@click.option("--lr", type=float, help="Learning rate; default: the model's recipe.")
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), help="Default: the model's recipe.")
@click.option("--momentum", type=float, default=0.0, show_default=True)
@click.option("--weight-decay", type=float, help="Default: the model's recipe.")
@click.option("--train-samples", type=int, help="Use only the first N training examples.")
@click.option("--test-samples", type=int, help="Use only the first N test examples.")
@click.option("--standardize", is_flag=True, help="Standardise each input feature.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--eval-every", type=int, help="Steps between evaluations (0: only at the end).")
@click.option("--no-probes", is_flag=True, help="Switch every probe off (TensorBoard too).")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for TensorBoard logs, metrics.jsonl and result.json "
                   "[default: runs/<dataset>-<model>-<activation>-seed<N>].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where dataset files are (default: $ACTLAB_DATA_DIR or the cache).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar [default: on a terminal].")
def train_command(dataset: str, model: str, activation: str, params: tuple[str, ...],
                  model_options: tuple[str, ...], dataset_options: tuple[str, ...],
                  epochs: int | None, steps: int | None, batch_size: int | None,
                  lr: float | None, optimizer: str | None, momentum: float,
                  weight_decay: float | None, train_samples: int | None,
                  test_samples: int | None, standardize: bool, seed: int, device: str,
                  eval_every: int | None, no_probes: bool, output: Path | None,
                  data_dir: Path | None, progress: bool | None) -> None:
    """Train one model with one activation and print a summary; logs for TensorBoard."""
    from actlab.training.trial import run_trial

    probes = ProbeConfig.off() if no_probes else ProbeConfig(eval_every=eval_every)
    config = TrialConfig(
        dataset=dataset, model=model, activation=activation,
        activation_params=_parse_assignments(params, "--param"),
        model_options=_parse_assignments(model_options, "--model-option"),
        dataset_options=_parse_assignments(dataset_options, "--dataset-option"),
        train_samples=train_samples, test_samples=test_samples,
        standardize_inputs=standardize, epochs=epochs, steps=steps, batch_size=batch_size,
        optimizer=optimizer, lr=lr, momentum=momentum, weight_decay=weight_decay, seed=seed,
        device=device, probes=probes).validate()
    out_dir = _unused_dir(output or Path("runs") / config.name)
    result = run_trial(config, output_dir=out_dir, data_dir=data_dir, progress=progress)
    _save_figures(result, out_dir)
    _print_summary(result, out_dir)


def _save_figures(result: TrialResult, out_dir: Path) -> None:
    from actlab.report.training_plots import plot_first_layer_gradients, plot_training_curves

    if result.history or result.step_losses:
        plot_training_curves(result, out_dir / "curves.png")
    if result.first_layer_gradients:
        plot_first_layer_gradients(result, out_dir / "first_layer_gradients.png")


def _fmt(value: float | None, spec: str = ".4f") -> str:
    return "n/a" if value is None else format(value, spec)


def _print_summary(result: TrialResult, out_dir: Path) -> None:
    config, settings, final = result.config, result.settings, result.final
    click.echo(f"trial: {config['model']} / {config['activation']} on {config['dataset']}, "
               f"seed {config['seed']}, {result.device}")
    click.echo(f"model: {result.parameter_count:,} parameters; {settings['optimizer']} lr "
               f"{settings['lr']:g}, batch {settings['batch_size'] or 'full'}, loss "
               f"{settings['loss']}, weight decay {settings['weight_decay']:g}")
    click.echo(f"trained {result.steps} steps ({result.epochs:.2f} epochs) in "
               f"{result.timings.get('train_s', 0.0):.1f} s; total {result.wall_time_s:.1f} s")
    if result.nan_loss:
        click.echo(_nan_loss_line(result, "step"))
    if result.diverged:
        click.echo(f"DIVERGED: {result.divergence}"
                   + ("; training stopped there" if result.stopped_early else ""))
    else:
        click.echo(f"test accuracy {_fmt(final['test_accuracy'])}, test loss "
                   f"{_fmt(final['test_loss'])} ({result.dataset.get('test')} examples); "
                   f"train loss {_fmt(final['train_loss'])}, train accuracy "
                   f"{_fmt(final['train_accuracy'])} (last batches)")
    last_step = max((r.step for r in result.activations), default=None)
    sites = {s.site: s for s in result.activation_sites}
    for record in (r for r in result.activations if r.step == last_step):
        site = sites.get(record.site.split("#")[0])
        dead = _fmt(record.dead_fraction, ".1%") if site is None or site.dead_region else "—"
        click.echo(f"  {record.site}: mean {_fmt(record.mean)}, std {_fmt(record.std)}, dead "
                   f"units {dead}, saturated {_fmt(record.saturated_fraction, '.1%')}")
    tensorboard = out_dir / "tensorboard"
    if tensorboard.exists():
        click.echo(f"TensorBoard: tensorboard --logdir {tensorboard}")
    click.echo(f"metrics: {out_dir / 'metrics.jsonl'}; result: {out_dir / 'result.json'}; "
               f"figures: {out_dir}/*.png")


def register(group: click.Group) -> None:
    group.add_command(toy_command)
    group.add_command(train_command)
