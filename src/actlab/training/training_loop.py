"""The training loop of one trial: batches, steps, probes at their intervals, divergence.

Keras semantics where seed 000 depends on them: the examples are reshuffled every
epoch, the last batch of an epoch may be smaller, and the train loss and accuracy of
an epoch are the means over its batches, each measured before its own update.
Divergence means weights that are no longer finite: it is checked whenever a loss is
nan or inf, and the trial stops there unless the config asks to go on (as Keras's `fit`
does, for seed 000's faithful runs). A non-finite loss with finite weights is not
divergence (Keras's categorical cross-entropy of an all-zero ReLU output row is 0/0 = nan,
the row passes no gradient and training goes on): it is recorded as `nan_loss`, with the
first such step and how many steps had one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

from actlab.training.config import ProbeConfig
from actlab.training.evaluation import evaluate
from actlab.training.losses import LossFunction
from actlab.training.optimizers import regularization_loss
from actlab.training.probes.activation_probe import ActivationProbe, activation_sites
from actlab.training.probes.gradient_probe import (
    first_layer_parameters,
    gradient_records,
    quantile_records,
)
from actlab.training.probes.histograms import tensor_histogram
from actlab.training.progress_bar import ProgressBar
from actlab.training.recipes import TrainingSettings
from actlab.training.recorder import TrialRecorder
from actlab.training.result import EvalRecord, finite_or_none
from actlab.training.trial_data import TrialData

EXAMPLES_PER_EVALUATED_EXAMPLE = 20  # step runs: train on 20 examples per one evaluated
CUDA_SYNC_EVERY = 32  # steps between host reads of the losses when they live on a GPU


def loss_sync_interval(device: torch.device) -> int:
    """Steps between reads of the batch losses: every step on the CPU (free there), in
    groups on a GPU (a read waits for the GPU); the divergence step is exact either way."""
    return 1 if device.type == "cpu" else CUDA_SYNC_EVERY


@dataclass
class LoopOutcome:
    """Where the loop stopped and why."""

    steps: int = 0
    epochs: float = 0.0
    diverged: bool = False  # the weights became non-finite
    diverged_step: int | None = None
    divergence: str = ""
    stopped: bool = False  # training ended at the divergence, before its budget
    weights_finite: bool = True  # every parameter finite when training ended
    nan_loss: str = ""  # `NaN loss: <cause>` when a loss was non-finite with finite weights
    nan_loss_step: int | None = None
    nan_loss_steps: int = 0
    last_train: tuple[float | None, float | None] = (None, None)
    seconds: dict[str, float] = field(default_factory=dict)  # time in probes, evaluations


@dataclass
class _Window:
    """Batch losses and correct counts since the last evaluation, still on the device."""

    losses: list[torch.Tensor] = field(default_factory=list)
    correct: list[torch.Tensor] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    unread: int = 0  # losses at the end of `losses` not yet read to the host
    loss_values: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class _NonFinite:
    """The non-finite losses of one read: the first one's step and value, and their count."""

    step: int
    value: float
    count: int


def nan_loss_cause(outputs: torch.Tensor) -> str:
    """Why a loss of these (finite-weight) outputs is not finite, in words."""
    outputs = outputs.detach()
    if not bool(torch.isfinite(outputs).all()):
        return "the network's outputs were not finite"
    if bool((outputs == 0).all(dim=-1).any()):
        return "a sample's outputs were all zero"
    if bool((outputs.sum(dim=-1) == 0).any()):
        return "a sample's outputs summed to zero"
    return "the loss of finite outputs was not finite"


class TrainingLoop:
    """Runs the optimiser for a number of epochs or steps, with probes and records."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, loss: LossFunction,
                 data: TrialData, settings: TrainingSettings, probes: ProbeConfig,
                 recorder: TrialRecorder, generator: torch.Generator,
                 progress: ProgressBar, stop_on_divergence: bool = True) -> None:
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.data = data
        self.settings = settings
        self.probes = probes
        self.recorder = recorder
        self.generator = generator
        self.progress = progress
        self.stop_on_divergence = stop_on_divergence
        n = len(data.train_x)
        self.batch_size = settings.batch_size or n
        self.steps_per_epoch = math.ceil(n / self.batch_size)
        self.sync_every = loss_sync_interval(data.train_x.device)
        self.first_layer = first_layer_parameters(model)
        self.named_parameters = [(name, p) for name, p in model.named_parameters()
                                 if p.requires_grad]
        self.activation_probe = ActivationProbe(
            activation_sites(model), bins=probes.histogram_bins) \
            if probes.activation_every else None
        if self.activation_probe is not None:
            recorder.activation_sites(self.activation_probe.site_info)
        eval_count = min(probes.eval_samples or len(data.test_x), len(data.test_x))
        self.eval_x = data.test_x[:eval_count]
        self.eval_y = data.test_y[:eval_count]
        self.default_eval_every = max(1, math.ceil(
            EXAMPLES_PER_EVALUATED_EXAMPLE * eval_count / self.batch_size))
        self.probe_x = data.inputs.for_evaluation(data.train_x[:probes.probe_samples])
        self.seconds = {"probes": 0.0, "evaluations": 0.0}

    @contextmanager
    def _timed(self, what: str) -> Iterator[None]:
        """Adds the block's wall time to `seconds[what]` (the probes' own cost, measured)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[what] += time.perf_counter() - start

    # -- schedule ------------------------------------------------------------------------------
    def _eval_due(self, step: int, epoch_end: bool, last_step: int, by_epochs: bool) -> bool:
        """Evaluations: every `eval_every` steps and after the last; by default every
        epoch (epoch runs) or every `default_eval_every` steps (step runs)."""
        every = self.probes.eval_every
        if every == 0:
            return False
        if every is None:
            if by_epochs:
                return epoch_end
            every = self.default_eval_every
        return step % every == 0 or step == last_step

    @staticmethod
    def _due(step: int, every: int) -> bool:
        return every > 0 and step % every == 0

    def _batches(self, epochs: int | None, steps: int | None
                 ) -> Iterator[tuple[int, bool, torch.Tensor]]:
        """(epoch index, last batch of its epoch, example indices) until the budget is spent."""
        n = len(self.data.train_x)
        step = 0
        epoch = 0
        while (epochs is not None and epoch < epochs) or (steps is not None and step < steps):
            order = torch.randperm(n, generator=self.generator).to(self.data.train_x.device)
            chunks = order.split(self.batch_size)
            for index, chunk in enumerate(chunks):
                step += 1
                yield epoch, index == len(chunks) - 1, chunk
                if steps is not None and step >= steps:
                    return
            epoch += 1

    # -- the loop ------------------------------------------------------------------------------
    def run(self, epochs: int | None, steps: int | None) -> LoopOutcome:
        outcome = LoopOutcome()
        by_epochs = steps is None
        last_step = steps if steps is not None else epochs * self.steps_per_epoch
        window = _Window()
        step = 0
        self.model.train()
        if self.activation_probe is not None:
            self._probe_activations(0, histograms=self.probes.histogram_every > 0)
        for _epoch, epoch_end, index in self._batches(epochs, steps):
            step += 1
            epoch_float = step / self.steps_per_epoch
            self._set_lr(self.settings.lr_at((step - 1) / self.steps_per_epoch))
            xb = self.data.inputs.for_training(self.data.train_x[index], self.generator)
            yb = self.data.train_y[index]
            out = self.model(xb)
            loss = self.loss(out, yb)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            window.losses.append(loss.detach())
            window.correct.append((out.detach().argmax(dim=1) == yb).sum())
            window.sizes.append(len(yb))
            window.unread += 1
            gradient_due = self._due(step, self.probes.gradient_every)
            eval_due = self._eval_due(step, epoch_end, last_step, by_epochs)
            if gradient_due:
                self._probe_gradients(step, loss)
            self.optimizer.step()
            if window.unread >= self.sync_every or gradient_due or eval_due:
                bad = self._read_losses(window, step)
                if bad is not None:
                    self._non_finite_loss(outcome, bad, out, step)
                    if outcome.diverged and self.stop_on_divergence:
                        outcome.stopped = True
                        break
            if self._due(step, self.probes.activation_every) and self.activation_probe:
                self._probe_activations(step, self._due(step, self.probes.histogram_every))
            if eval_due:
                self._evaluate(step, epoch_float, window)
                window = _Window()
            self.progress.advance()
        else:
            bad = self._read_losses(window, step)
            if bad is not None:
                self._non_finite_loss(outcome, bad, None, step)
                outcome.stopped = outcome.diverged and self.stop_on_divergence
        outcome.weights_finite = self._weights_finite()
        if not outcome.weights_finite and not outcome.diverged:
            # Non-finite gradients with a finite loss on the last step: caught here.
            outcome.diverged, outcome.diverged_step = True, step
            outcome.divergence = f"the weights were non-finite after the last step ({step})"
        outcome.steps = step
        outcome.seconds = self.seconds
        outcome.epochs = step / self.steps_per_epoch
        if not outcome.stopped:
            if window.sizes:
                outcome.last_train = self._train_means(window)
            elif self.recorder.history:
                last = self.recorder.history[-1]
                outcome.last_train = (last.train_loss, last.train_accuracy)
            if self.activation_probe is not None and not self._due(
                    step, self.probes.activation_every):
                self._probe_activations(step, histograms=self.probes.histogram_every > 0)
        return outcome

    def _weights_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for _, p in self.named_parameters)

    def _non_finite_loss(self, outcome: LoopOutcome, bad: _NonFinite,
                         out: torch.Tensor | None, step: int) -> None:
        """A read found non-finite losses: divergence if the weights are no longer finite,
        else a NaN loss that training goes on through."""
        if outcome.diverged:
            return
        if not self._weights_finite():
            outcome.diverged = True
            outcome.diverged_step = bad.step
            outcome.divergence = (f"the weights became non-finite (the training loss was "
                                  f"{bad.value} at step {bad.step})")
            self.progress.status(f"diverged at step {bad.step}")
            return
        outcome.nan_loss_steps += bad.count
        if outcome.nan_loss_step is None:
            outcome.nan_loss_step = bad.step
            # The outputs in hand are the bad step's only when the losses are read every step.
            cause = nan_loss_cause(out) if out is not None and bad.step == step else ""
            kind = "NaN" if math.isnan(bad.value) else "infinite"
            outcome.nan_loss = f"{kind} loss: {cause or 'the weights stayed finite'}"

    # -- pieces --------------------------------------------------------------------------------
    def _set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            if group["lr"] != lr:
                group["lr"] = lr

    def _read_losses(self, window: _Window, step: int) -> _NonFinite | None:
        """Copy unread losses to the host; the first non-finite one and their count, if any."""
        if not window.unread:
            return None
        fresh = torch.stack(window.losses[-window.unread:]).tolist()
        first_step = step - window.unread + 1
        window.unread = 0
        window.loss_values.extend(fresh)
        with self._timed("probes"):
            self.recorder.step_loss(first_step, [finite_or_none(v) for v in fresh])
        bad = [(first_step + offset, value) for offset, value in enumerate(fresh)
               if not math.isfinite(value)]
        self.progress.status(f"loss {fresh[-1]:.4g}")
        return _NonFinite(bad[0][0], bad[0][1], len(bad)) if bad else None

    def _train_means(self, window: _Window) -> tuple[float | None, float | None]:
        sizes = torch.tensor(window.sizes, dtype=torch.float64)
        losses = torch.tensor(window.loss_values[-len(window.sizes):], dtype=torch.float64)
        correct = int(torch.stack(window.correct).sum())
        count = float(sizes.sum())
        return finite_or_none(float((losses * sizes).sum()) / count), correct / count

    def _evaluate(self, step: int, epoch: float, window: _Window) -> None:
        with self._timed("evaluations"):
            train_loss, train_accuracy = self._train_means(window)
            test_loss, test_accuracy = evaluate(self.model, self.eval_x, self.eval_y, self.loss,
                                                self.data.inputs)
            self.recorder.evaluation(EvalRecord(
                step=step, epoch=epoch, train_loss=train_loss, train_accuracy=train_accuracy,
                test_loss=finite_or_none(test_loss), test_accuracy=test_accuracy,
                regularization_loss=regularization_loss(self.optimizer),
                lr=self.optimizer.param_groups[0]["lr"]))

    def _probe_gradients(self, step: int, loss: torch.Tensor) -> None:
        with self._timed("probes"):
            records = gradient_records(self.named_parameters, step)
            quantiles = quantile_records(self.first_layer, step)
            self.recorder.gradient(records, quantiles, finite_or_none(float(loss.detach())))
            if self._due(step, self.probes.histogram_every):
                hists = []
                for name, p in self.named_parameters:
                    for tag, values in ((f"gradients/{name}", p.grad), (f"weights/{name}", p)):
                        if values is not None:
                            h = tensor_histogram(tag, values, self.probes.histogram_bins)
                            if h is not None:
                                hists.append(h)
                self.recorder.histogram(step, hists)

    def _probe_activations(self, step: int, histograms: bool) -> None:
        with self._timed("probes"):
            records, hists = self.activation_probe.run(self.model, self.probe_x, step, histograms)
            self.recorder.activation(records)
            if hists:
                self.recorder.histogram(step, hists)
