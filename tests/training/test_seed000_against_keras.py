"""Seed 000 as it ran: our shallow trials against the same Keras model trained by Keras.

Keras builds Dense(3) + the activation, gets our initial weights, compiles with
optimizer SGD(0.01) and categorical cross-entropy and fits 20 full-batch epochs; the
loss and accuracy histories and the predictions must be Keras's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actlab.data import load_toy
from actlab.models import build_model
from actlab.training import run_trial
from actlab.training.seed000 import SEED_000_ACTIVATIONS, toy_config
from actlab.training.seeding import seed_everything

keras = pytest.importorskip("keras")

EPOCHS = 20


def keras_output_layer(activation: str):
    if activation.startswith("leaky_relu"):
        return keras.layers.LeakyReLU(negative_slope=0.01)
    return keras.layers.Activation(activation)


def initial_weights(activation: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    seed_everything(seed)
    model = build_model("shallow", activation, input_shape=(10,), num_classes=3)
    return model.dense.weight.detach().numpy().T.copy(), model.dense.bias.detach().numpy().copy()


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("activation", SEED_000_ACTIVATIONS)
def test_shallow_trial_reproduces_keras(activation, seed):
    data = load_toy(seed=seed)
    result = run_trial(toy_config(activation, seed=seed, epochs=EPOCHS, tensorboard=False),
                       progress=False)
    kernel, bias = initial_weights(activation, seed)

    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3),
                              keras_output_layer(activation)])
    model.layers[0].set_weights([kernel, bias])
    x = data.train_x.numpy()
    y = data.train_y_one_hot.numpy()
    before = np.asarray(model.predict(x, verbose=0))
    # The weights are the trial's: Keras predicts what the trial saw before training.
    np.testing.assert_allclose(before, np.array(result.predictions_before.outputs),
                               rtol=0, atol=1e-6)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=EPOCHS, batch_size=32, shuffle=False, verbose=0).history
    after = np.asarray(model.predict(x, verbose=0))

    np.testing.assert_allclose(np.array(result.predictions_after.outputs), after,
                               rtol=0, atol=1e-5)
    ours_loss = np.array([np.nan if v is None else v for v in result.series("train_loss")])
    np.testing.assert_allclose(ours_loss, np.array(history["loss"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.array(result.series("train_accuracy")),
                                  np.array(history["accuracy"]).round(6))
    # Keras's loss is nan where a sample's outputs are all zero, and its weights stay finite:
    # ours flags the same epochs as a NaN loss, not as divergence.
    keras_nan_epochs = int(np.isnan(history["loss"]).sum())
    assert result.nan_loss_steps == keras_nan_epochs
    assert bool(result.nan_loss) == (keras_nan_epochs > 0)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert not result.diverged and result.weights_finite


def test_seed_0_relu_has_a_dead_sample_and_keras_trains_through_it():
    """With seed 0 one sample's ReLU outputs are all 0: Keras's loss is nan, training goes on."""
    result = run_trial(toy_config("relu", seed=0, epochs=EPOCHS, tensorboard=False),
                       progress=False)
    assert result.predictions_before.outputs[0] == [0.0, 0.0, 0.0]
    assert not result.diverged and not result.stopped_early
    assert result.nan_loss == "NaN loss: a sample's outputs were all zero"
    assert result.nan_loss_step == 1
    assert result.steps == EPOCHS
    assert torch.isfinite(torch.tensor(
        [v for row in result.predictions_after.outputs for v in row])).all()
