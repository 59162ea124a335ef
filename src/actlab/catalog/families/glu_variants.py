"""Two more gated units on the halves (a, b) of the input along `dim`: Shazeer's bilinear
a ⊗ b (a GLU without a gate nonlinearity) and the gated tanh unit tanh(a) ⊗ σ(b).

Backward saves only the input and uses the analytic partials ∂/∂a and ∂/∂b.
"""

from __future__ import annotations

import torch

from actlab.catalog.families.glu import halves
from actlab.catalog.primitives import sech_squared, sigmoid_prime
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties

T = torch.Tensor

_DIM = Param("dim", -1, "the dimension split into the halves a (first) and b (second)",
             kind="int")


# --- bilinear --------------------------------------------------------------------------------
def _bilinear_forward(x: T, dim: int) -> T:
    a, b = halves(x, dim, "bilinear")
    return a * b


def _bilinear_vjp(x: T, grad: T, dim: int) -> T:
    a, b = halves(x, dim, "bilinear")
    return torch.cat([grad * b, grad * a], dim=dim)


BILINEAR = ActivationSpec(
    name="bilinear",
    family="glu",
    kind="gated",
    summary="Bilinear GLU: the product of the two halves, a ⊗ b.",
    latex=r"f(a, b) = a \otimes b",
    forward=_bilinear_forward,
    vjp=_bilinear_vjp,
    params=(_DIM,),
    properties=Properties((-INF, INF), monotonic=None, smoothness=INF, zero_centred=True),
    references=("Shazeer 2020, GLU Variants Improve Transformer (arXiv:2002.05202)",
                "Mnih & Hinton 2007, Three New Graphical Models for Statistical Language "
                "Modelling (ICML), bilinear layers"),
    aliases=("bilinear_glu",),
    class_name="Bilinear",
    notes="zero_centred refers to independent N(0, 1) halves: E[a·b] = 0.",
)


# --- gated tanh unit -------------------------------------------------------------------------
def _gtu_forward(x: T, dim: int) -> T:
    a, b = halves(x, dim, "gtu")
    return torch.tanh(a) * torch.sigmoid(b)


def _gtu_vjp(x: T, grad: T, dim: int) -> T:
    a, b = halves(x, dim, "gtu")
    s = torch.sigmoid(b)
    return torch.cat([grad * sech_squared(a) * s, grad * torch.tanh(a) * sigmoid_prime(s)],
                     dim=dim)


GTU = ActivationSpec(
    name="gtu",
    family="glu",
    kind="gated",
    summary="Gated tanh unit: tanh of the first half times the sigmoid of the second.",
    latex=r"f(a, b) = \tanh(a) \otimes \sigma(b)",
    forward=_gtu_forward,
    vjp=_gtu_vjp,
    params=(_DIM,),
    properties=Properties((-1.0, 1.0), monotonic=None, smoothness=INF, zero_centred=True,
                          saturation="both"),
    references=("van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves & Kavukcuoglu 2016, "
                "Conditional Image Generation with PixelCNN Decoders (NeurIPS), the gated "
                "activation unit",
                "Dauphin, Fan, Auli & Grangier 2017, Language Modeling with Gated "
                "Convolutional Networks (ICML), which names it GTU"),
    aliases=("gated_tanh_unit",),
    class_name="GTU",
    notes="WaveNet's gated activation tanh(W_f∗x) ⊙ σ(W_g∗x), with the two convolutions "
          "as the halves of one.",
)


SPECS = (BILINEAR, GTU)
