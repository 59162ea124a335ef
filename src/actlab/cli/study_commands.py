"""`actlab compare` (run a study and write its report) and `actlab report` (write it again).

`actlab compare --model mymodels.py:tiny_net --dataset mymodels.py:blobs -a relu,gelu`
studies the user's own model and data (factories named by reference, relative to the
current folder), with `--model-option KEY=VALUE` and `--dataset-option KEY=VALUE` for
their keyword arguments.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import click

from actlab.limits import MAX_TRIALS
from actlab.studies import (
    DEFAULT_STUDY,
    StudySpecError,
    builtin_study,
    builtin_study_names,
    default_output_dir,
    load_study_spec,
    run_study,
)
from actlab.studies.errors import StudyFailedError
from actlab.studies.executor_choice import EXECUTORS
from actlab.studies.spec import StudySpec
from actlab.studies.store import STORE_FILE, ResultsStore
from actlab.studies.user_studies import DEFAULT_ACTIVATIONS, DEFAULT_SEEDS, user_study
from actlab.training.config import DEVICES
from actlab.training.seeding import MAX_SEED


def split_top_level(text: str) -> list[str]:
    """Split at commas outside parentheses: `leaky_relu(0.2),elu` → two names."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_seeds(text: str) -> list[int]:
    """`5` → seeds 0..4; `0,3,7` → those seeds; `10-19` → seeds 10 to 19."""
    text = text.strip()
    if len(text) > 10_000:
        raise StudySpecError(f"--seeds is too long ({len(text):,} characters)")
    shown = text if len(text) <= 40 else text[:37] + "..."
    if re.fullmatch(r"\d+", text):
        count = int(text)
        if count < 1:
            raise StudySpecError(f"--seeds {text}: a count of seeds must be >= 1")
        MAX_TRIALS.check(count, f"--seeds {shown}")  # before the list is made
        return list(range(count))
    span = re.fullmatch(r"(\d+)\s*-\s*(\d+)", text)
    if span:
        low, high = int(span[1]), int(span[2])
        if high < low:
            raise StudySpecError(f"--seeds {shown}: the range ends before it starts")
        MAX_TRIALS.check(high - low + 1, f"--seeds {shown}")
        seeds = list(range(low, high + 1))
    else:
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items or not all(re.fullmatch(r"\d+", item) for item in items):
            raise StudySpecError(f"--seeds {shown!r} is not a count (5), a list (0,3,7) or a "
                                 f"range (10-19) of whole numbers")
        seeds = [int(item) for item in items]
    if max(seeds) > MAX_SEED:
        raise StudySpecError(f"--seeds {shown}: seeds go from 0 to {MAX_SEED:,}")
    return seeds


def parse_options(pairs: tuple[str, ...], option: str) -> dict[str, Any]:
    """`KEY=VALUE` pairs; a value is read as TOML (32, 0.1, true, [16, 32], "basic"), else
    taken as text."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise StudySpecError(f"{option} {pair!r} must be KEY=VALUE (e.g. hidden=32)")
        try:
            values[key] = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            values[key] = text.strip()
    return values


def _chosen_spec(study: str | None, spec_file: Path | None) -> StudySpec:
    if study is not None and spec_file is not None:
        raise StudySpecError(f"give a built-in study ({study!r}) or --spec, not both")
    if spec_file is not None:
        return load_study_spec(spec_file)
    return builtin_study(study or DEFAULT_STUDY)


def _own_model_spec(model: str | None, dataset: str | None, model_options: dict[str, Any],
                    dataset_options: dict[str, Any], chosen: list[str], seeds: str | None,
                    epochs: int | None, steps: int | None, name: str | None) -> StudySpec:
    """A fresh study of --model on --dataset (both needed without a study to start from)."""
    if model is None or dataset is None:
        missing = "--dataset (the data to train it on)" if model else \
            "--model (the model to train on it)"
        raise StudySpecError(f"{'--model' if model else '--dataset'} without a study needs "
                             f"{missing}, or a study to change (STUDY or --spec)")
    return user_study(model=model, dataset=dataset, activations=chosen or DEFAULT_ACTIVATIONS,
                      seeds=parse_seeds(seeds) if seeds else DEFAULT_SEEDS, epochs=epochs,
                      steps=steps, name=name, model_options=model_options,
                      dataset_options=dataset_options, source="from --model and --dataset")


@click.command("compare")
@click.argument("study", required=False)
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A study spec (TOML) instead of a built-in study.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="The study folder (results store, logs, report); default: "
                   "./actlab-runs/<study name>.")
@click.option("--workers", "-w", type=int,
              help="Trials at the same time: worker processes here (default: one per core), "
                   "or at most this many Ray tasks.")
@click.option("--executor", "executor_name", type=click.Choice(EXECUTORS),
              help="Where trials run: worker processes here (local), or Ray tasks (default: "
                   "the study's, else local).")
@click.option("--address", help="The Ray cluster to run on: auto, HOST:PORT or "
                                "ray://HOST:PORT (default: a local Ray instance).")
@click.option("--seeds", help="A count (5: seeds 0-4), a list (0,3,7) or a range (10-19).")
@click.option("--activations", "-a", multiple=True,
              help="Activations to compare instead of the study's (comma-separated; "
                   "names, flavors or formulas; repeatable).")
@click.option("--model", "model", metavar="NAME",
              help="Train this model instead: a built-in name, or your factory "
                   "('mymodels.py:tiny_net', 'package.module:factory', "
                   "'transformers:ResNetForImageClassification').")
@click.option("--model-option", "model_option_pairs", multiple=True, metavar="KEY=VALUE",
              help="A keyword argument of the model (repeatable; values read as TOML).")
@click.option("--dataset", "dataset", metavar="NAME",
              help="Train on this dataset instead: a built-in name, your factory returning "
                   "(train, test) ('mymodels.py:blobs'), or a saved tensors file (.pt).")
@click.option("--dataset-option", "dataset_option_pairs", multiple=True, metavar="KEY=VALUE",
              help="A keyword argument of the dataset (repeatable; values read as TOML).")
@click.option("--name", help="The study's name (names its default output folder).")
@click.option("--epochs", type=int, help="Train each trial for this many epochs instead.")
@click.option("--steps", type=int, help="Train each trial for this many steps instead.")
@click.option("--device", type=click.Choice(DEVICES), help="Run the trials on this device.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where dataset files are (default: $ACTLAB_DATA_DIR).")
@click.option("--download/--no-download", default=None,
              help="Allow (or forbid) downloading missing dataset files.")
@click.option("--retry-failed/--keep-failed", default=True, show_default=True,
              help="Run failed trials again, or leave them failed.")
@click.option("--report/--no-report", "write_report", default=True, show_default=True,
              help="Write the report at the end.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no summary.")
@click.option("--list", "list_studies", is_flag=True, help="List the built-in studies.")
def compare_command(study: str | None, spec_file: Path | None, output: Path | None,
                    workers: int | None, executor_name: str | None, address: str | None,
                    seeds: str | None, activations: tuple[str, ...],
                    model: str | None, model_option_pairs: tuple[str, ...],
                    dataset: str | None, dataset_option_pairs: tuple[str, ...],
                    name: str | None,
                    epochs: int | None, steps: int | None, device: str | None,
                    data_dir: Path | None, download: bool | None, retry_failed: bool,
                    write_report: bool, quiet: bool, list_studies: bool) -> None:
    """Compare activations: run a study (default: the quick one) and write its report.

    STUDY is a built-in study (see --list); trials already in the output folder are not
    run again, so an interrupted study resumes where it stopped. With --model and
    --dataset (and no STUDY or --spec), it studies your own model on your own data
    (default: 5 seeds, 5 epochs, relu, leaky_relu, elu, gelu, silu, tanh).
    """
    if list_studies:
        for name in builtin_study_names():
            spec = builtin_study(name)
            models = "+".join(spec.grid.get("model", (spec.model,)))
            count = len(spec.activations)
            click.echo(f"{name:18} {count} activation{'' if count == 1 else 's'} x "
                       f"{len(spec.seeds)} seeds on {spec.dataset}/{models}: {spec.question}")
        return
    chosen = [item for text in activations for item in split_top_level(text)]
    if activations and not chosen:
        raise StudySpecError("--activations names no activation")
    for value, option in ((epochs, "--epochs"), (steps, "--steps"), (workers, "--workers")):
        if value is not None and value < 1:
            raise StudySpecError(f"{option} must be >= 1, got {value}")
    model_options = parse_options(model_option_pairs, "--model-option")
    dataset_options = parse_options(dataset_option_pairs, "--dataset-option")
    training = {"device": device} if device else None
    if (model or dataset) and study is None and spec_file is None:
        spec = _own_model_spec(model, dataset, model_options, dataset_options, chosen, seeds,
                               epochs, steps, name)
        if training:
            spec = spec.with_overrides(training=training)
    else:
        spec = _chosen_spec(study, spec_file)
        if chosen or seeds or epochs or steps or training or model or dataset or \
                model_options or dataset_options or name:
            spec = spec.with_overrides(activations=chosen or None,
                                       seeds=parse_seeds(seeds) if seeds else None,
                                       epochs=epochs, steps=steps, training=training,
                                       model=model, model_options=model_options or None,
                                       dataset=dataset,
                                       dataset_options=dataset_options or None, name=name)
    if data_dir is not None:
        if not data_dir.is_dir():
            raise StudySpecError(f"--data-dir {str(data_dir)!r} is not a folder")
        spec = dataclasses.replace(spec, data_dir=str(data_dir.resolve()))
    if download is not None:
        spec = dataclasses.replace(spec, download=download)
    if executor_name is not None or address is not None:
        spec = dataclasses.replace(spec, executor=spec.executor.with_overrides(
            name=executor_name, address=address))
    folder = output or default_output_dir(spec)
    run = run_study(spec, folder, workers=workers, progress=False if quiet else None,
                    retry_failed=retry_failed)
    if not quiet:
        click.echo(run.summary())
    _check_some_trial_finished(folder, spec.name)
    if write_report:
        from actlab.report.study_report import write_study_report

        report = write_study_report(folder)
        if not quiet:
            click.echo(report.headline)
            click.echo(f"report: {report.html}")


def _check_some_trial_finished(folder: Path, name: str) -> None:
    """StudyFailedError when every trial of the study failed: nothing to report, exit 1."""
    with ResultsStore(folder / STORE_FILE) as store:
        trials = store.trials()
    if not trials or any(trial.status == "finished" for trial in trials):
        return
    failed = [trial for trial in trials if trial.status == "failed"]
    first = (failed[0].error or "").strip().splitlines() if failed else []
    raise StudyFailedError(f"no trial of study {name!r} finished ({len(failed)} of "
                           f"{len(trials)} failed)" + (f"; the first: {first[0]}" if first else ""))


@click.command("report")
@click.argument("study_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Write the report here instead of into the study folder.")
def report_command(study_dir: Path, output: Path | None) -> None:
    """Write a study's report (HTML, Markdown, CSV) from its results store."""
    from actlab.report.study_report import write_study_report

    report = write_study_report(study_dir, output_dir=output)
    click.echo(report.headline)
    click.echo(f"report: {report.html}")


def register(group: click.Group) -> None:
    group.add_command(compare_command)
    group.add_command(report_command)
