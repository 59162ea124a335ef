"""`run_trial(config) -> TrialResult`: one dataset, one model with one activation, one seed.

    >>> from actlab.training import TrialConfig, run_trial
    >>> result = run_trial(TrialConfig(dataset="digits", model="mlp", activation="elu",
    ...                                epochs=5))
    >>> result.final["test_accuracy"] > 0.9
    True
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from actlab.data import Dataset
from actlab.models.registry import build_model, check_model_input, count_parameters
from actlab.training.config import TrialConfig
from actlab.training.devices import describe_device, resolve_device
from actlab.training.evaluation import evaluate
from actlab.training.kernel_records import kernel_records
from actlab.training.losses import loss_function
from actlab.training.optimizers import build_optimizer
from actlab.training.probes.prediction_probe import prediction_snapshot
from actlab.training.progress_bar import ProgressBar
from actlab.training.recipes import recipe_for, resolve_settings
from actlab.training.recorder import RESULT_FILE, TrialRecorder
from actlab.training.result import TrialResult, finite_or_none
from actlab.training.seeding import seed_everything
from actlab.training.training_loop import TrainingLoop
from actlab.training.trial_data import load_trial_data


def run_trial(config: TrialConfig, *, output_dir: str | os.PathLike[str] | None = None,
              data_dir: str | os.PathLike[str] | None = None, download: bool = True,
              progress: bool | None = None, dataset: Dataset | None = None,
              write_records: bool = True) -> TrialResult:
    """Train one model as `config` says and return everything its probes recorded.

    `output_dir` receives TensorBoard event files (`tensorboard/`), every metric as JSON
    lines (`metrics.jsonl`) and the result (`result.json`); without it nothing is
    written. `write_records=False` writes only the TensorBoard files there (a study keeps
    the records in its results store). `data_dir` is where dataset files are looked up
    (`download=False` forbids fetching missing ones); `dataset` skips loading (a study can
    load once for many trials). `progress` shows a bar (default: on a terminal).
    """
    started = time.perf_counter()
    config = config.validate()
    device = resolve_device(config.device)
    recipe = recipe_for(config.model)
    settings = resolve_settings(config, recipe)
    data = load_trial_data(config, recipe.inputs, device, data_dir=data_dir, download=download,
                           dataset=dataset)
    check_model_input(config.model, data.model_input_shape, data.num_classes, data.name)
    loss = loss_function(settings.loss)

    generator = seed_everything(config.seed)
    model = build_model(config.model, config.activation, input_shape=data.model_input_shape,
                        num_classes=data.num_classes, activation_params=config.activation_params,
                        input_dtype=data.train_x.dtype, **config.model_options).to(device)
    optimizer = build_optimizer(model, settings.optimizer, settings.lr,
                                momentum=settings.momentum, weight_decay=settings.weight_decay)
    loaded = time.perf_counter()
    loaded_cpu = time.process_time()

    probes = config.probes
    recorder = TrialRecorder(output_dir, tensorboard=probes.tensorboard,
                             metrics_file=write_records)
    total = config.steps or config.epochs * _steps_per_epoch(len(data.train_x),
                                                             settings.batch_size)
    bar = ProgressBar(total, f"{config.model}/{config.activation}", enabled=progress)
    try:
        recorder.config(config.to_dict(), dataclasses.asdict(settings))
        prediction_x = data.inputs.for_evaluation(data.train_x[:probes.prediction_samples])
        before = (prediction_snapshot(model, prediction_x, 0)
                  if probes.prediction_samples else None)
        if before is not None:
            recorder.predictions("before", before)
        loop = TrainingLoop(model, optimizer, loss, data, settings, probes, recorder,
                            generator, bar, stop_on_divergence=config.stop_on_divergence)
        set_up = time.perf_counter()
        outcome = loop.run(config.epochs, config.steps)
        trained = time.perf_counter()
        trained_cpu = time.process_time()
        if outcome.stopped:
            final = {"train_loss": None, "train_accuracy": None, "test_loss": None,
                     "test_accuracy": None}
        else:
            test_loss, test_accuracy = evaluate(model, data.test_x, data.test_y, loss,
                                                data.inputs)
            final = {"train_loss": outcome.last_train[0], "train_accuracy": outcome.last_train[1],
                     "test_loss": finite_or_none(test_loss), "test_accuracy": test_accuracy}
        after = (prediction_snapshot(model, prediction_x, outcome.steps)
                 if probes.prediction_samples else None)
        if after is not None:
            recorder.predictions("after", after)
        finished = time.perf_counter()
        result = TrialResult(
            config=config.to_dict(), final=final, history=list(recorder.history),
            step_losses=list(recorder.step_losses), gradients=list(recorder.gradients),
            first_layer_gradients=list(recorder.first_layer),
            activations=list(recorder.activations), activation_sites=list(recorder.sites),
            kernels=kernel_records(model),
            histograms=list(recorder.histograms), predictions_before=before,
            predictions_after=after, diverged=outcome.diverged,
            diverged_step=outcome.diverged_step, divergence=outcome.divergence,
            stopped_early=outcome.stopped, weights_finite=outcome.weights_finite,
            nan_loss=outcome.nan_loss, nan_loss_step=outcome.nan_loss_step,
            nan_loss_steps=outcome.nan_loss_steps,
            steps=outcome.steps, epochs=outcome.epochs, wall_time_s=finished - started,
            timings={"load_s": loaded - started, "train_s": trained - loaded,
                     "setup_s": set_up - loaded,
                     "train_cpu_s": trained_cpu - loaded_cpu,
                     "probes_s": outcome.seconds.get("probes", 0.0),
                     "evaluations_s": outcome.seconds.get("evaluations", 0.0),
                     "final_eval_s": finished - trained},
            parameter_count=count_parameters(model), device=describe_device(device),
            settings=dataclasses.asdict(settings),
            dataset={"name": data.name, "train": len(data.train_x), "test": len(data.test_x),
                     "input_shape": list(data.dataset_shape),
                     "model_input_shape": list(data.model_input_shape),
                     "num_classes": data.num_classes},
            model_summary=str(model),
            output_dir=None if output_dir is None else str(Path(output_dir)))
        recorder.result(result.to_dict())
    finally:
        bar.close()
        recorder.close()
    if output_dir is not None and write_records:
        result.save(Path(output_dir) / RESULT_FILE)
    return result


def _steps_per_epoch(examples: int, batch_size: int) -> int:
    size = batch_size or examples
    return -(-examples // size)

