"""Batch image transforms of seed 003's CIFAR-10 model: crops, flips, per-image standardisation.

All take and return float tensors of shape (N, C, H, W).
"""

from __future__ import annotations

import math

import torch

from actlab.errors import ParameterError


def crop_images(images: torch.Tensor, top: torch.Tensor, left: torch.Tensor, size: int,
                flip: torch.Tensor | None = None) -> torch.Tensor:
    """images[n, :, top[n]:top[n]+size, left[n]:left[n]+size], mirrored left-right where flip[n]."""
    n, channels, height, width = _check_batch(images, size)
    if n == 0:
        return images[:, :, :size, :size]
    offsets = torch.arange(size, device=images.device)
    rows = top.to(images.device).long().view(n, 1) + offsets  # (N, size)
    steps = offsets.expand(n, size)
    if flip is not None:
        steps = torch.where(flip.to(images.device).bool().view(n, 1), size - 1 - offsets, steps)
    cols = left.to(images.device).long().view(n, 1) + steps  # (N, size)
    if rows.min() < 0 or rows.max() >= height or cols.min() < 0 or cols.max() >= width:
        raise ParameterError(f"crop of {size}x{size} at the given offsets falls outside "
                             f"{height}x{width} images")
    batch = torch.arange(n, device=images.device).view(n, 1, 1, 1)
    channel = torch.arange(channels, device=images.device).view(1, channels, 1, 1)
    return images[batch, channel, rows.view(n, 1, size, 1), cols.view(n, 1, 1, size)]


def random_crop_flip(images: torch.Tensor, size: int,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Training augmentation: a uniformly placed size x size crop, flipped left-right with p=1/2."""
    n, _, height, width = _check_batch(images, size)
    top = torch.randint(0, height - size + 1, (n,), generator=generator)
    left = torch.randint(0, width - size + 1, (n,), generator=generator)
    flip = torch.randint(0, 2, (n,), generator=generator).bool()
    return crop_images(images, top, left, size, flip)


def center_crop(images: torch.Tensor, size: int) -> torch.Tensor:
    """Evaluation crop: the central size x size window (offset rounded down, as TensorFlow does)."""
    n, _, height, width = _check_batch(images, size)
    top = torch.full((n,), (height - size) // 2)
    left = torch.full((n,), (width - size) // 2)
    return crop_images(images, top, left, size)


def per_image_standardization(images: torch.Tensor) -> torch.Tensor:
    """Each image to zero mean, unit variance: (x - mean) / max(std, 1/sqrt(C*H*W)).

    As `tf.image.per_image_standardization`: population std over all of an image's values.
    """
    if images.ndim != 4:
        raise ParameterError(f"per_image_standardization expects (N, C, H, W) images, "
                             f"got shape {tuple(images.shape)}")
    if len(images) == 0:  # an empty batch (no prediction samples): nothing to scale
        return images if images.is_floating_point() else images.to(torch.float32)
    flat = images.reshape(len(images), -1)
    if not flat.is_floating_point():
        flat = flat.to(torch.float32)
    mean = flat.mean(dim=1, keepdim=True)
    std = flat.std(dim=1, correction=0, keepdim=True)
    floor = 1.0 / math.sqrt(flat.shape[1])
    return ((flat - mean) / std.clamp_min(floor)).reshape(images.shape)


def _check_batch(images: torch.Tensor, size: int) -> tuple[int, int, int, int]:
    if images.ndim != 4:
        raise ParameterError(f"image transforms expect (N, C, H, W) images, "
                             f"got shape {tuple(images.shape)}")
    n, channels, height, width = images.shape
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= min(height, width):
        raise ParameterError(f"crop size must be a whole number from 1 to {min(height, width)} "
                             f"for {height}x{width} images, got {size!r}")
    return n, channels, height, width
