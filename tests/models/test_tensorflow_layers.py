"""TensorFlow's LRN and SAME max-pooling in torch, against NumPy versions of TF's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from actlab.models import SameMaxPool2d, build_model, local_response_norm_from_tensorflow
from actlab.models.cifar10_cnn import LRN_ARGUMENTS


def numpy_tf_lrn(x_nhwc: np.ndarray, depth_radius: int, bias: float, alpha: float,
                 beta: float) -> np.ndarray:
    """tf.nn.local_response_normalization as documented: channels last, window 2r+1."""
    squares = x_nhwc ** 2
    channels = x_nhwc.shape[-1]
    out = np.empty_like(x_nhwc)
    for c in range(channels):
        window = squares[..., max(0, c - depth_radius):min(channels, c + depth_radius + 1)]
        out[..., c] = x_nhwc[..., c] / (bias + alpha * window.sum(axis=-1)) ** beta
    return out


@pytest.mark.parametrize("depth_radius, bias, alpha, beta", [
    (LRN_ARGUMENTS["depth_radius"], LRN_ARGUMENTS["bias"], LRN_ARGUMENTS["alpha"],
     LRN_ARGUMENTS["beta"]),
    (2, 2.0, 0.05, 0.5),
    (5, 1.0, 1.0, 0.5)])  # TensorFlow's defaults
def test_lrn_matches_tensorflows_formula(depth_radius, bias, alpha, beta):
    rng = np.random.default_rng(0)
    x_nchw = rng.normal(scale=20.0, size=(2, 16, 5, 4))  # large enough that LRN bites
    expected = numpy_tf_lrn(x_nchw.transpose(0, 2, 3, 1), depth_radius, bias, alpha, beta)
    lrn = local_response_norm_from_tensorflow(depth_radius, bias, alpha, beta)
    got = lrn(torch.from_numpy(x_nchw)).numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    # Copying alpha unchanged (torch divides it by size) would be visibly wrong here.
    naive = torch.nn.LocalResponseNorm(2 * depth_radius + 1, alpha, beta, bias)
    assert not np.allclose(naive(torch.from_numpy(x_nchw)).numpy().transpose(0, 2, 3, 1),
                           expected, rtol=1e-3)


def test_cifar_model_uses_the_tutorials_lrn():
    model = build_model("cifar10_cnn", "relu", input_shape=(3, 24, 24), num_classes=10)
    x = np.random.default_rng(1).normal(scale=5.0, size=(1, 64, 6, 6))
    expected = numpy_tf_lrn(x.transpose(0, 2, 3, 1), 4, 1.0, 0.001 / 9.0, 0.75)
    for norm in (model.norm1, model.norm2):
        got = norm(torch.from_numpy(x)).numpy().transpose(0, 2, 3, 1)
        np.testing.assert_allclose(got, expected, rtol=1e-10)


def numpy_tf_same_max_pool(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """max_pool with padding='SAME' (N, C, H, W): windows clipped to the image."""
    n, c, h, w = x.shape
    out_h, out_w = math.ceil(h / stride), math.ceil(w / stride)
    pad_top = max((out_h - 1) * stride + k - h, 0) // 2
    pad_left = max((out_w - 1) * stride + k - w, 0) // 2
    out = np.empty((n, c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride - pad_top, j * stride - pad_left
            window = x[:, :, max(top, 0):min(top + k, h), max(left, 0):min(left + k, w)]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


@pytest.mark.parametrize("size, k, stride", [(24, 3, 2), (12, 3, 2), (7, 3, 2), (28, 2, 2),
                                             (5, 3, 1)])
def test_same_max_pool_matches_tensorflows_padding(size, k, stride):
    # All-negative values: a zero-padded pool would return 0 at the border instead.
    x = -np.abs(np.random.default_rng(size).normal(size=(2, 3, size, size))) - 0.1
    got = SameMaxPool2d(k, stride)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(got, numpy_tf_same_max_pool(x, k, stride))
