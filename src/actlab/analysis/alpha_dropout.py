"""Alpha dropout's effect on moments (Klambauer et al. 2017, Sec. "New dropout technique").

With probability p an activation x is replaced by α′ = −λα (SELU's negative saturation),
then an affine map restores mean 0 and variance 1 for inputs of mean 0 and variance 1:

    y = a (d x + (1 − d) α′) + b,   d ~ Bernoulli(1 − p),
    a = ((1 − p)(1 + p α′²))^{-1/2},   b = −a p α′

which is `torch.nn.AlphaDropout` (PyTorch hard-codes the same α′ for any activation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from actlab.analysis.errors import TheoryOptionError
from actlab.catalog.primitives import SELU_ALPHA, SELU_SCALE

#: α′ = −λα: the value SELU saturates to, which alpha dropout substitutes.
SATURATION = -SELU_SCALE * SELU_ALPHA


@dataclass(frozen=True)
class AlphaDropout:
    """The moments of y = a (d x + (1 − d) α′) + b in terms of those of x."""

    p: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.p) and 0.0 <= self.p < 1.0):
            raise TheoryOptionError(f"the alpha-dropout probability must be in [0, 1), "
                                    f"got {self.p!r}")

    @property
    def a(self) -> float:
        return 1.0 / math.sqrt((1 - self.p) * (1 + self.p * SATURATION**2))

    @property
    def b(self) -> float:
        return -self.a * self.p * SATURATION

    def mean(self, mean_x: float) -> float:
        """E[y] from E[x]."""
        keep = 1 - self.p
        return self.a * (keep * mean_x + self.p * SATURATION) + self.b

    def second_moment(self, mean_x: float, second_x: float) -> float:
        """E[y²] from E[x] and E[x²]."""
        keep, a, b = 1 - self.p, self.a, self.b
        inner_mean = keep * mean_x + self.p * SATURATION
        inner_second = keep * second_x + self.p * SATURATION**2
        return a * a * inner_second + 2 * a * b * inner_mean + b * b

    def cross_moment(self, mean_1: float, mean_2: float, cross: float) -> float:
        """E[y₁ y₂] for two inputs with independent masks, from E[x₁], E[x₂], E[x₁x₂]."""
        keep, p, a, b, s = 1 - self.p, self.p, self.a, self.b, SATURATION
        inner = keep * keep * cross + keep * p * s * (mean_1 + mean_2) + p * p * s * s
        return (a * a * inner + a * b * (keep * (mean_1 + mean_2) + 2 * p * s) + b * b)

    @property
    def gradient_factor(self) -> float:
        """E[(∂y/∂x)²] = a²(1 − p): the factor on backpropagated squared norms."""
        return self.a**2 * (1 - self.p)
