"""Crops, flips and per-image standardisation checked against plain numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actlab.data.image_transforms import (
    center_crop,
    crop_images,
    per_image_standardization,
    random_crop_flip,
)
from actlab.errors import ParameterError


@pytest.fixture
def images() -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(3).random((6, 3, 32, 32), dtype=np.float32))


def test_crop_at_given_offsets_matches_numpy_slicing(images):
    top = torch.tensor([0, 8, 3, 5, 1, 8])
    left = torch.tensor([8, 0, 2, 7, 4, 8])
    flip = torch.tensor([False, True, False, True, True, False])
    cropped = crop_images(images, top, left, 24, flip)
    source = images.numpy()
    for n in range(6):
        window = source[n, :, top[n]:top[n] + 24, left[n]:left[n] + 24]
        expected = window[:, :, ::-1] if flip[n] else window
        np.testing.assert_array_equal(cropped[n].numpy(), expected)


def test_center_crop_takes_the_middle_24_of_32(images):
    np.testing.assert_array_equal(center_crop(images, 24).numpy(),
                                  images.numpy()[:, :, 4:28, 4:28])
    # odd margin: (7 - 4) // 2 = 1 as in tf.image.resize_image_with_crop_or_pad
    small = torch.arange(2 * 1 * 7 * 7, dtype=torch.float32).reshape(2, 1, 7, 7)
    np.testing.assert_array_equal(center_crop(small, 4).numpy(), small.numpy()[:, :, 1:5, 1:5])


def _matching_windows(image: np.ndarray, crop: np.ndarray) -> list[tuple[int, int, bool]]:
    size = crop.shape[-1]
    hits = []
    for dy in range(image.shape[1] - size + 1):
        for dx in range(image.shape[2] - size + 1):
            window = image[:, dy:dy + size, dx:dx + size]
            for flipped in (False, True):
                if np.array_equal(window[:, :, ::-1] if flipped else window, crop):
                    hits.append((dy, dx, flipped))
    return hits


def test_random_crops_are_windows_of_the_image_sometimes_flipped():
    rng = np.random.default_rng(0)
    source = rng.random((40, 2, 12, 12), dtype=np.float32)
    crops = random_crop_flip(torch.from_numpy(source), 8,
                             generator=torch.Generator().manual_seed(1)).numpy()
    assert crops.shape == (40, 2, 8, 8)
    placements = []
    for n in range(40):
        hits = _matching_windows(source[n], crops[n])
        assert len(hits) == 1, f"crop {n} is not exactly one window of its image"
        placements.append(hits[0])
    flips = [flipped for _, _, flipped in placements]
    assert 0 < sum(flips) < 40
    assert len({(dy, dx) for dy, dx, _ in placements}) > 10  # offsets vary across images
    assert {dy for dy, _, _ in placements} <= set(range(5))


def test_random_crops_are_reproducible_with_a_seeded_generator(images):
    first = random_crop_flip(images, 24, generator=torch.Generator().manual_seed(7))
    again = random_crop_flip(images, 24, generator=torch.Generator().manual_seed(7))
    other = random_crop_flip(images, 24, generator=torch.Generator().manual_seed(8))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_per_image_standardization_matches_the_tensorflow_formula(images):
    out = per_image_standardization(images).numpy()
    for n in range(len(images)):
        x = images[n].numpy().astype(np.float64)
        expected = (x - x.mean()) / max(x.std(), 1 / np.sqrt(x.size))
        np.testing.assert_allclose(out[n], expected, rtol=1e-5, atol=1e-5)
        assert abs(out[n].mean()) < 1e-5 and abs(out[n].std() - 1) < 1e-4


def test_per_image_standardization_floors_the_std_of_flat_images():
    flat = torch.zeros(2, 3, 4, 4)
    flat[0] = 5.0
    flat[1, 0, 0, 0] = 1e-3  # std far below 1/sqrt(48)
    out = per_image_standardization(flat).numpy()
    assert np.all(out[0] == 0.0)
    x = flat[1].numpy().astype(np.float64)
    np.testing.assert_allclose(out[1], (x - x.mean()) * np.sqrt(48), rtol=1e-5, atol=1e-7)


def test_integer_images_are_standardized_as_floats():
    pixels = torch.from_numpy(np.random.default_rng(1).integers(0, 256, (2, 3, 5, 5),
                                                                 dtype=np.uint8))
    out = per_image_standardization(pixels)
    assert out.dtype == torch.float32
    x = pixels[0].numpy().astype(np.float64)
    np.testing.assert_allclose(out[0].numpy(), (x - x.mean()) / x.std(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("size", [0, 33, 2.5, True])
def test_impossible_crop_sizes_are_refused(images, size):
    with pytest.raises(ParameterError, match="crop size must be a whole number from 1 to 32"):
        center_crop(images, size)


def test_crops_outside_the_image_are_refused(images):
    with pytest.raises(ParameterError, match="falls outside 32x32 images"):
        crop_images(images, torch.full((6,), 9), torch.zeros(6), 24)


def test_unbatched_images_are_refused():
    with pytest.raises(ParameterError, match=r"\(N, C, H, W\)"):
        random_crop_flip(torch.zeros(3, 32, 32), 24)
    with pytest.raises(ParameterError, match=r"\(N, C, H, W\)"):
        per_image_standardization(torch.zeros(3, 32, 32))


def test_an_empty_batch_crops_to_an_empty_batch():
    assert random_crop_flip(torch.zeros(0, 3, 32, 32), 24).shape == (0, 3, 24, 24)
