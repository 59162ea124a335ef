"""Seed 000's study as trial configurations: Dense(3) + each output activation on the toy data.

The notebook trains Keras's `Sequential([Dense(3), Activation(f)])` on 5 samples of 10
standard-normal features with SGD (lr 0.01) and categorical cross-entropy for 1000
epochs, for sigmoid, tanh, softmax, relu, leaky relu (0.01) and elu.
"""

from __future__ import annotations

from actlab.training.config import ProbeConfig, TrialConfig

SEED_000_ACTIVATIONS = ("sigmoid", "tanh", "softmax", "relu", "leaky_relu(0.01)", "elu")
SEED_000_EPOCHS = 1000


def toy_config(activation: str, *, seed: int = 0, epochs: int = SEED_000_EPOCHS,
               tensorboard: bool = True) -> TrialConfig:
    """One of seed 000's trials: the toy data and the initial weights both from `seed`.

    The model's recipe is the notebook's: full-batch SGD 0.01 and Keras's categorical
    cross-entropy on the activation's outputs; loss and accuracy are recorded every
    epoch as Keras's history does. A nan loss (a ReLU sample whose outputs are all zero:
    Keras divides by their sum) does not stop training, as it does not stop Keras's fit;
    the weights stay finite, so it is recorded as `nan_loss`, not as divergence.
    """
    return TrialConfig(
        dataset="toy", model="shallow", activation=activation, data_seed=seed, seed=seed,
        epochs=epochs, device="cpu", stop_on_divergence=False,
        probes=ProbeConfig(eval_every=None, eval_samples=None, gradient_every=20,
                           activation_every=100, histogram_every=500, probe_samples=5,
                           prediction_samples=5, tensorboard=tensorboard)).validate()
