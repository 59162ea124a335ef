"""Measured trainability over (σ_w², depth) beside mean-field theory's depth scale ξ_c.

Schoenholz et al. (2017, "Deep information propagation", Fig. 6) trained random tanh
networks over a grid of weight variance σ_w² (at fixed bias variance σ_b²) and depth L,
and found them trainable up to about L = 6 ξ_c, where ξ_c = −1/log χ_c is the depth over
which the correlation between two inputs approaches its fixed point; ξ_c diverges on the
order-to-chaos line, where arbitrarily deep networks train.

A study qualifies when its grid varies exactly `model.sigma_w2` and `model.depth` of a
model with a `sigma_b2` option (`mean_field_mlp`). A grid cell counts as trainable when
its mean test accuracy over seeds reaches half-way from chance (1/classes) to the best
cell's mean; a diverged trial counts at chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actlab.analysis.mean_field import (
    correlation_fixed_point,
    critical_sigma_w2,
    depth_scale,
    variance_fixed_points,
)
from actlab.analysis.scalar_activation import ScalarActivation, scalar_activation
from actlab.models.registry import model_entry
from actlab.studies.results import StudyResults

SIGMA_W2_KEY = "model.sigma_w2"
DEPTH_KEY = "model.depth"
#: Schoenholz et al. 2017, Fig. 6: networks train up to a depth of about 6 ξ_c.
PUBLISHED_MULTIPLE = 6.0
PUBLISHED_SOURCE = "Schoenholz et al. 2017, Fig. 6: trainable up to L ≈ 6 ξ_c"
#: Points of the ξ_c curve between the grid's σ_w² (each costs a root search of c* on the
#: chaotic side, about half a CPU second).
THEORY_POINTS = 25


@dataclass(frozen=True)
class ColumnCheck:
    """One σ_w²: the theory's ξ_c and what the grid measured along depth."""

    sigma_w2: float
    xi_c: float
    deepest_trainable: int | None      # the deepest trainable depth of the grid
    shallowest_failing: int | None     # the shallowest untrainable depth beyond it

    @property
    def multiple_range(self) -> tuple[float, float]:
        """The multiples a of ξ_c with which L ≤ a ξ_c separates this column as measured."""
        if not math.isfinite(self.xi_c) or self.xi_c <= 0:
            return math.nan, math.nan
        low = 0.0 if self.deepest_trainable is None else self.deepest_trainable / self.xi_c
        high = math.inf if self.shallowest_failing is None else \
            self.shallowest_failing / self.xi_c
        return low, high

    def verdict(self, multiple: float = PUBLISHED_MULTIPLE) -> str:
        """Whether L = multiple · ξ_c falls where the measured boundary lies."""
        low, high = self.multiple_range
        if not math.isfinite(low):
            return "–"
        if low <= multiple <= high:
            return "consistent"
        return "trains deeper" if low > multiple else "fails earlier"


@dataclass(frozen=True)
class TrainabilityMap:
    """Mean test accuracy over the (σ_w², depth) grid of one activation, with the theory."""

    label: str
    activation: str
    sigma_b2: float
    sigma_w2: tuple[float, ...]
    depths: tuple[int, ...]
    accuracy: np.ndarray           # (depths, σ_w²): mean over seeds, diverged at chance
    seeds: np.ndarray              # (depths, σ_w²): trials counted
    chance: float
    threshold: float
    xi_c: tuple[float, ...]        # per grid σ_w²
    theory_sigma_w2: np.ndarray    # a fine σ_w² axis for the ξ_c curve
    theory_xi_c: np.ndarray
    critical_sigma_w2: float | None

    @property
    def trainable(self) -> np.ndarray:
        return self.accuracy >= self.threshold

    def columns(self) -> list[ColumnCheck]:
        checks = []
        for j, sw in enumerate(self.sigma_w2):
            ok = [d for i, d in enumerate(self.depths)
                  if self.seeds[i, j] and self.trainable[i, j]]
            deepest = max(ok) if ok else None
            failing = [d for i, d in enumerate(self.depths) if self.seeds[i, j]
                       and not self.trainable[i, j] and (deepest is None or d > deepest)]
            checks.append(ColumnCheck(sw, self.xi_c[j], deepest, min(failing) if failing
                                      else None))
        return checks

    def multiple_range(self) -> tuple[float, float]:
        """The multiples a for which L ≤ a ξ_c agrees with every column (low > high: none)."""
        ranges = [c.multiple_range for c in self.columns()
                  if math.isfinite(c.multiple_range[0])]
        if not ranges:
            return math.nan, math.nan
        return max(r[0] for r in ranges), min(r[1] for r in ranges)


def qualifies(results: StudyResults) -> bool:
    """Whether the study is a (σ_w², depth) grid of a model with a σ_b² option."""
    spec = results.spec
    return (set(spec.grid) == {SIGMA_W2_KEY, DEPTH_KEY}
            and "sigma_b2" in model_entry(spec.model).options)


def trainability_maps(results: StudyResults) -> list[TrainabilityMap]:
    """One map per activation of a qualifying study (empty otherwise)."""
    if not qualifies(results):
        return []
    spec = results.spec
    sigma_b2 = float(spec.model_options.get(
        "sigma_b2", model_entry(spec.model).options["sigma_b2"]))
    sigma_w2 = tuple(sorted(float(v) for v in spec.grid[SIGMA_W2_KEY]))
    depths = tuple(sorted(int(v) for v in spec.grid[DEPTH_KEY]))
    classes = _class_count(results)
    chance = 1.0 / classes if classes else math.nan
    maps = []
    for entry in spec.activations:
        total = np.zeros((len(depths), len(sigma_w2)))
        count = np.zeros((len(depths), len(sigma_w2)), dtype=int)
        for record in results.records:
            if record.trial.activation != entry.label or record.status != "finished":
                continue
            point = dict(record.trial.condition)
            i = depths.index(int(point[DEPTH_KEY]))
            j = sigma_w2.index(float(point[SIGMA_W2_KEY]))
            value = record.final("test_accuracy")
            total[i, j] += chance if value is None or record.diverged_on("test_accuracy") \
                else value
            count[i, j] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        best = float(np.nanmax(accuracy)) if np.isfinite(accuracy).any() else math.nan
        threshold = (chance + best) / 2
        activation = scalar_activation(entry.name, **dict(entry.params))
        xi = tuple(float(v) for v in correlation_depth_scales(activation, sigma_w2, sigma_b2))
        fine = np.linspace(min(sigma_w2), max(sigma_w2), THEORY_POINTS)
        fine_xi = correlation_depth_scales(activation, fine, sigma_b2)
        critical = critical_sigma_w2(activation, sigma_b2)
        maps.append(TrainabilityMap(entry.label, activation.label, sigma_b2, sigma_w2, depths,
                                    accuracy, count, chance, threshold, xi, fine, fine_xi,
                                    critical))
    return maps


def correlation_depth_scales(activation: ScalarActivation, sigma_w2: tuple[float, ...] |
                             np.ndarray, sigma_b2: float) -> np.ndarray:
    """ξ_c = −1/log χ_c at each σ_w² (Schoenholz et al. eq. 9): χ_c = χ₁ where c* = 1 (the
    ordered side), else the slope of the correlation map at its fixed point c* < 1."""
    fixed = variance_fixed_points(activation, np.asarray(sigma_w2, dtype=float), sigma_b2)
    out = []
    for sw, q_star, chi1 in zip(fixed.sigma_w2, fixed.q_star, fixed.chi_1, strict=True):
        chi = chi1 if chi1 <= 1.0 else correlation_fixed_point(
            activation, float(sw), sigma_b2, float(q_star), float(chi1)).chi_c
        out.append(depth_scale(float(chi)))
    return np.asarray(out)


def _class_count(results: StudyResults) -> int | None:
    for record in results.records:
        dataset = (record.result or {}).get("dataset") or {}
        if dataset.get("num_classes"):
            return int(dataset["num_classes"])
    return None
