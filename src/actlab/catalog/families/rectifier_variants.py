"""More rectifiers: StarReLU and Flatten-T Swish.

Where pieces meet with a jump in f', the piece that continues to +∞ owns the point
(Flatten-T Swish'(0) = 1/2).
"""

from __future__ import annotations

import torch

from actlab.catalog.primitives import heaviside
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties

T = torch.Tensor

# --- StarReLU --------------------------------------------------------------------------------
def _star_relu_forward(x: T, scale: float, bias: float) -> T:
    r = torch.clamp(x, min=0)
    return scale * r * r + bias


STAR_RELU = ActivationSpec(
    name="star_relu",
    family="rectifier",
    summary="StarReLU: s·relu(x)² + b, a squared ReLU shifted and scaled to mean 0 and "
            "variance 1 for N(0, 1) inputs.",
    latex=r"f(x) = s \max(0, x)^2 + b\quad (s = 0.8944,\ b = -0.4472)",
    forward=_star_relu_forward,
    derivative=lambda x, scale, bias: 2 * scale * torch.clamp(x, min=0),
    # 0 at x = 0 itself, where f'' jumps from 0 to 2s (relu'(0) = 0, as in PyTorch).
    second_derivative=lambda x, scale, bias: 2 * scale * heaviside(x > 0, x),
    params=(
        Param("scale", 0.8944, "s, the scale of relu(x)²"),
        Param("bias", -0.4472, "b, the shift (the value for x ≤ 0)"),
    ),
    kinks=(0.0,),
    properties=Properties((-0.4472, INF), (True, False), monotonic=True, smoothness=1,
                          zero_centred=True, saturation="left"),
    references=("Yu, Si, Zhou, Yu, Wang, Feng & Yan 2022, MetaFormer Baselines for Vision "
                "(arXiv:2210.13452; TPAMI 2024)",),
    class_name="StarReLU",
    notes="s = 0.8944 ≈ 1/√(5/4) and b = −0.4472 ≈ −s/2 are the paper's constants: for "
          "x ~ N(0, 1), E relu(x)² = 1/2 and Var relu(x)² = 5/4. The paper also trains s and b "
          "(its code starts them at 1 and 0).",
)


# --- Flatten-T Swish ---------------------------------------------------------------------------
def _fts_forward(x: T, threshold: float) -> T:
    p = torch.clamp(x, min=0)
    return torch.where(x >= 0, p * torch.sigmoid(p), torch.zeros_like(x)) + threshold


def _fts_derivative(x: T, threshold: float) -> T:
    p = torch.clamp(x, min=0)
    s, r = torch.sigmoid(p), torch.sigmoid(-p)
    slope = s + torch.where(torch.isinf(p), torch.zeros_like(p), p * s * r)
    return torch.where(x >= 0, slope, torch.zeros_like(x))


def _fts_second(x: T, threshold: float) -> T:
    p = torch.clamp(x, min=0)
    s, r = torch.sigmoid(p), torch.sigmoid(-p)
    curve = s * r * (2 + torch.where(torch.isinf(p), torch.zeros_like(p), p * (r - s)))
    return torch.where(x >= 0, curve, torch.zeros_like(x))


FLATTEN_T_SWISH = ActivationSpec(
    name="flatten_t_swish",
    family="rectifier",
    summary="Flatten-T Swish: x·σ(x) + T for x ≥ 0, the constant T below (T = −0.2).",
    latex=r"f(x) = \begin{cases} x\,\sigma(x) + T & x \ge 0 \\ T & x < 0 \end{cases}"
          r"\quad (T = -0.2)",
    forward=_fts_forward,
    derivative=_fts_derivative,
    second_derivative=_fts_second,
    params=(Param("threshold", -0.2, "T, the flat value for x < 0 (and the shift above)"),),
    kinks=(0.0,),
    properties=Properties((-0.2, INF), (True, False), monotonic=True, smoothness=0,
                          saturation="left"),
    references=("Chieng, Wahid, Pauline & Perla 2018, Flatten-T Swish: a thresholded "
                "ReLU-Swish-like activation function for deep learning (International "
                "Journal of Advances in Intelligent Informatics 4(2); arXiv:1812.06247)",),
    aliases=("fts",),
    class_name="FlattenTSwish",
    notes="The slope jumps from 0 to 1/2 at 0; f'(0) = 1/2 (the x ≥ 0 piece).",
)


SPECS = (STAR_RELU, FLATTEN_T_SWISH)
