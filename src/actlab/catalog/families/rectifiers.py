"""Rectifiers and other piecewise-linear units: identity, ReLU and its relatives.

Derivatives at kinks follow PyTorch's autograd (relu'(0) = 0, leaky_relu'(0) = slope);
flavors whose framework differs carry their own (JAX's leaky_relu'(0) = 1, Keras's
relu'(max_value) = 1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from actlab.catalog.primitives import heaviside
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties, Spelling, flavor

T = torch.Tensor


def _zeros(x: T) -> T:
    return torch.zeros_like(x)


def _ones(x: T) -> T:
    return torch.ones_like(x)


# --- identity -------------------------------------------------------------------------------
IDENTITY = ActivationSpec(
    name="identity",
    family="linear",
    summary="The identity: no non-linearity (Keras's 'linear').",
    latex=r"f(x) = x",
    forward=lambda x: x.clone(),
    derivative=lambda x: _ones(x),
    second_derivative=lambda x: _zeros(x),
    native=lambda x: x,
    properties=Properties((-INF, INF), monotonic=True, smoothness=INF, zero_centred=True),
    aliases=("linear",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Identity"),
        "keras": flavor("keras", {}, "keras.activations.linear"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.linear"),
        "jax": flavor("jax", {}, "jax.nn.identity"),
    },
    class_name="Identity",
)


# --- relu (with Keras's negative_slope, max_value and threshold) ---------------------------
def _relu_forward(x: T, negative_slope: float, max_value: float | None, threshold: float) -> T:
    # The order of operations is Keras's (keras.activations.relu), so every
    # combination of arguments gives Keras's numbers.
    if threshold != 0:
        out = torch.where(x > threshold, x, _zeros(x))
    else:
        out = torch.clamp(x, min=0)
    if max_value is not None:
        out = torch.clamp(out, min=0, max=max_value)
    if negative_slope != 0:
        out = out - negative_slope * torch.clamp(threshold - x, min=0)
    return out


def _relu_derivative(x: T, negative_slope: float, max_value: float | None, threshold: float) -> T:
    upper = INF if max_value is None else max_value
    inside = (x > threshold) & (x < upper)
    if threshold < 0 and max_value is not None:
        # Clipping at 0 flattens the part of (threshold, 0) that the threshold let through.
        inside = inside & (x > 0)
    below = x < threshold
    if negative_slope != 0 and max_value is None and threshold == 0:
        below = x <= 0  # Keras uses leaky_relu here, whose slope at 0 is negative_slope
    return heaviside(inside, x) + negative_slope * heaviside(below, x)


def _keras_relu_derivative(x: T, negative_slope: float, max_value: float | None,
                           threshold: float) -> T:
    """relu' as Keras 3 (torch backend) and Keras 2 (TensorFlow) compute it: their relu is
    relu (or relu6, or where(x > θ, x, 0)) then clip(·, 0, max_value), minus slope·relu(θ − x);
    clip's gradient passes at both ends, relu6's and relu's at neither."""
    if negative_slope != 0 and max_value is None and threshold == 0:
        return torch.where(x > 0, _ones(x), torch.full_like(x, negative_slope))  # leaky_relu
    inside = x > threshold
    if max_value is not None:
        if threshold == 0 and max_value == 6:
            inside = inside & (x < 6)  # Keras takes relu6 for a cap of 6
        else:
            inside = inside & (x <= max_value) & (x >= 0)
    derivative = heaviside(inside, x)
    if negative_slope != 0:
        derivative = derivative + negative_slope * heaviside(x < threshold, x)
    return derivative


def _keras2_relu_float32(p) -> tuple[str, ...]:
    # Keras 2's relu hands a plain slope to tf.nn.leaky_relu, whose α is a float32
    # attribute; on its other paths the slope is a tensor of x's dtype.
    if p["max_value"] is None and p["threshold"] == 0:
        return ("negative_slope",)
    return ()


def _relu_native(x: T, negative_slope: float, max_value: float | None, threshold: float,
                 inplace: bool = False) -> T:
    if negative_slope != 0:
        return F.leaky_relu(x, negative_slope, inplace=inplace)
    if max_value is None:
        return F.relu(x, inplace=inplace)
    if max_value == 6:
        return F.relu6(x, inplace=inplace)
    return F.hardtanh(x, 0.0, max_value, inplace=inplace)


def _relu_native_when(p) -> bool:
    if p["threshold"] != 0:
        return False
    if p["negative_slope"] != 0:
        return p["max_value"] is None
    return True


def _relu_kinks(negative_slope, max_value, threshold):
    return (threshold,) + (() if max_value is None else (max_value,))


RELU = ActivationSpec(
    name="relu",
    family="rectifier",
    summary="Rectified linear unit, with Keras's optional slope, cap and threshold.",
    latex=(r"f(x) = \begin{cases} \min(x, m) & x > \theta \\ "
           r"\alpha (x - \theta) & x \le \theta \end{cases}"
           r"\quad (\alpha = 0,\ m = \infty,\ \theta = 0:\ \max(0, x))"),
    forward=_relu_forward,
    derivative=_relu_derivative,
    second_derivative=lambda x, **_: _zeros(x),
    native=_relu_native,
    native_when=_relu_native_when,
    native_inplace=True,
    params=(
        Param("negative_slope", 0.0, "slope below the threshold (Keras)"),
        Param("max_value", None, "saturation value; None for no cap (Keras)",
              kind="optional_float", low=0.0),
        Param("threshold", 0.0, "values at or below it are zeroed or leaked (Keras)"),
    ),
    kinks=_relu_kinks,
    properties=Properties((0.0, INF), (True, False), monotonic=True, smoothness=0,
                          saturation="left"),
    references=("Nair & Hinton 2010, Rectified Linear Units Improve Restricted Boltzmann "
                "Machines (ICML)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.ReLU", "torch.nn.functional.relu",
                        "torch.relu"),
        "keras": flavor("keras", {}, "keras.activations.relu", "keras.layers.ReLU",
                        "keras.ops.relu", derivative=_keras_relu_derivative,
                        note="with max_value, f'(max_value) = 1 (clip's gradient), except "
                             "for max_value = 6 without threshold (relu6's)"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.relu",
                         Spelling("tf.keras.layers.ReLU",
                                  float32=("negative_slope", "max_value", "threshold")),
                         Spelling("keras2.layers.ReLU",
                                  float32=("negative_slope", "max_value", "threshold")),
                         renames={"alpha": "negative_slope"}, float32=_keras2_relu_float32,
                         derivative=_keras_relu_derivative,
                         note="the ReLU layer keeps its arguments as float32 "
                              "(backend.cast_to_floatx); with max_value, f'(max_value) = 1"),
        "tf": flavor("tf", {}, "tf.nn.relu"),
        "jax": flavor("jax", {}, "jax.nn.relu"),
    },
    class_name="ReLU",
)


# --- leaky relu ---------------------------------------------------------------------------
def _leaky_forward(x: T, negative_slope: float) -> T:
    return torch.where(x > 0, x, x * negative_slope)


def _leaky_derivative(x: T, negative_slope: float) -> T:
    return torch.where(x > 0, _ones(x), torch.full_like(x, negative_slope))


def _jax_leaky_derivative(x: T, negative_slope: float) -> T:
    # JAX: where(x >= 0, x, slope·x): the identity piece owns 0.
    return torch.where(x >= 0, _ones(x), torch.full_like(x, negative_slope))


LEAKY_RELU = ActivationSpec(
    name="leaky_relu",
    family="rectifier",
    summary="Leaky ReLU: a small slope for negative inputs so units never die.",
    latex=r"f(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}",
    forward=_leaky_forward,
    derivative=_leaky_derivative,
    second_derivative=lambda x, negative_slope: _zeros(x),
    native=lambda x, negative_slope, inplace=False: F.leaky_relu(x, negative_slope,
                                                                  inplace=inplace),
    native_inplace=True,
    params=(Param("negative_slope", 0.01, "slope for x < 0 (α)"),),
    kinks=(0.0,),
    properties=Properties((-INF, INF), monotonic=True, smoothness=0),
    references=("Maas, Hannun & Ng 2013, Rectifier Nonlinearities Improve Neural Network "
                "Acoustic Models (ICML workshop)",),
    aliases=("lrelu", "leakyrelu"),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.LeakyReLU", "torch.nn.functional.leaky_relu"),
        "keras": flavor("keras", {"negative_slope": 0.2}, "keras.activations.leaky_relu",
                        "keras.ops.leaky_relu",
                        ("keras.layers.LeakyReLU", {"negative_slope": 0.3}),
                        note="keras.activations.leaky_relu defaults to 0.2 but "
                             "keras.layers.LeakyReLU to 0.3"),
        "keras2": flavor("keras2", {"negative_slope": 0.3}, "tf.keras.layers.LeakyReLU",
                         "keras2.layers.LeakyReLU", renames={"alpha": "negative_slope"},
                         float32=("negative_slope",),
                         note="Keras 2 has only the layer, LeakyReLU(alpha=0.3); α is a "
                              "float32 attribute of tf.nn.leaky_relu, for float64 too"),
        "tf": flavor("tf", {"negative_slope": 0.2}, "tf.nn.leaky_relu",
                     renames={"alpha": "negative_slope"}, float32=("negative_slope",),
                     note="α is a float32 attribute of the op, for float64 inputs too"),
        "jax": flavor("jax", {}, "jax.nn.leaky_relu", derivative=_jax_leaky_derivative,
                      note="where(x >= 0, x, αx): f'(0) = 1"),
    },
    class_name="LeakyReLU",
)


# --- prelu --------------------------------------------------------------------------------
def _prelu_native(x: T, weight) -> T:
    if not isinstance(weight, T):
        weight = torch.tensor([weight], dtype=x.dtype, device=x.device)
    return F.prelu(x, weight.reshape(-1))


def _flax_prelu_derivative(x: T, weight) -> T:
    # flax: where(x >= 0, x, a·x): the identity piece owns 0.
    return torch.where(x >= 0, _ones(x), weight * _ones(x))


PRELU = ActivationSpec(
    name="prelu",
    family="rectifier",
    summary="Parametric ReLU: a leaky ReLU whose negative slope is learned.",
    latex=r"f(x) = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases}"
          r"\quad (a \text{ learned})",
    forward=lambda x, weight: torch.where(x > 0, x, weight * x),
    derivative=lambda x, weight: torch.where(x > 0, _ones(x), weight * _ones(x)),
    second_derivative=lambda x, weight: _zeros(x),
    param_gradients={"weight": lambda x, weight: torch.clamp(x, max=0)},
    native=_prelu_native,
    native_when=lambda p: p["layout"] == "channel",
    params=(
        Param("weight", 0.25, "negative slope a (its initial value in a module)",
              learnable=True, trainable=True),
        Param("num_parameters", 1, "number of slopes: 1 or the number of channels (dim 1)",
              kind="int", low=1, role="layout"),
        Param("layout", "channel", "'channel': one slope per channel (PyTorch); 'element': "
              "one per element of a sample (Keras)", kind="choice",
              choices=("channel", "element"), role="layout"),
        Param("shared_axes", None, "with layout='element', axes that share a slope (Keras)",
              kind="axes", role="layout"),
    ),
    kinks=(0.0,),
    properties=Properties((-INF, INF), monotonic=True, smoothness=0),
    references=("He et al. 2015, Delving Deep into Rectifiers (ICCV)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.PReLU", "torch.nn.functional.prelu",
                        renames={"init": "weight"}),
        "keras": flavor("keras", {"weight": 0.0, "layout": "element"}, "keras.layers.PReLU",
                        renames={"alpha": "weight"},
                        note="Keras learns one slope per element, initialised to zeros"),
        "keras2": flavor("keras2", {"weight": 0.0, "layout": "element"},
                         "tf.keras.layers.PReLU", "keras2.layers.PReLU",
                         renames={"alpha": "weight"}),
        "flax": flavor("flax", {"weight": 0.01}, "flax.linen.PReLU", "flax.nnx.PReLU",
                       renames={"negative_slope_init": "weight"}, float32=("weight",),
                       derivative=_flax_prelu_derivative,
                       note="one learnable slope, initialised to float32(0.01) (flax's "
                            "param_dtype); where(x >= 0, x, a·x): f'(0) = 1"),
    },
    class_name="PReLU",
)


# --- rrelu ---------------------------------------------------------------------------------
def _rrelu_slope(lower: float, upper: float) -> float:
    return (lower + upper) / 2


RRELU = ActivationSpec(
    name="rrelu",
    family="rectifier",
    summary="Randomized leaky ReLU: random slopes in training, their mean in evaluation.",
    latex=r"f(x) = \begin{cases} x & x \ge 0 \\ a x & x < 0 \end{cases},\ "
          r"a \sim U(l, u) \text{ (training)},\ a = \tfrac{l + u}{2} \text{ (evaluation)}",
    forward=lambda x, lower, upper: _leaky_forward(x, _rrelu_slope(lower, upper)),
    derivative=lambda x, lower, upper: _leaky_derivative(x, _rrelu_slope(lower, upper)),
    second_derivative=lambda x, lower, upper: _zeros(x),
    # F.rrelu(training=False) is leaky_relu with the mean slope, but through
    # rrelu_with_noise, which also saves a noise tensor (8 bytes per element): the same
    # values and gradients for half the memory.
    native=lambda x, lower, upper, inplace=False: F.leaky_relu(
        x, _rrelu_slope(lower, upper), inplace=inplace),
    native_inplace=True,
    train_forward=lambda x, lower, upper: F.rrelu(x, lower, upper, training=True),
    params=(
        Param("lower", 1.0 / 8, "lower bound of the random slope", low=0.0),
        Param("upper", 1.0 / 3, "upper bound of the random slope", low=0.0),
    ),
    check=lambda p: None if p["lower"] <= p["upper"] else "lower must not exceed upper",
    kinks=(0.0,),
    properties=Properties((-INF, INF), monotonic=True, smoothness=0),
    references=("Xu et al. 2015, Empirical Evaluation of Rectified Activations in "
                "Convolutional Network (arXiv:1505.00853)",),
    flavors={"torch": flavor("torch", {}, "torch.nn.RReLU", "torch.nn.functional.rrelu")},
    class_name="RReLU",
    notes="In training mode the module draws a slope per element from U(lower, upper), "
          "exactly as torch.nn.RReLU does.",
)


# --- relu6 ---------------------------------------------------------------------------------
RELU6 = ActivationSpec(
    name="relu6",
    family="rectifier",
    summary="ReLU capped at 6 (MobileNets).",
    latex=r"f(x) = \min(\max(0, x), 6)",
    forward=lambda x: torch.clamp(x, 0, 6),
    derivative=lambda x: heaviside((x > 0) & (x < 6), x),
    second_derivative=lambda x: _zeros(x),
    native=lambda x, inplace=False: F.relu6(x, inplace=inplace),
    native_inplace=True,
    kinks=(0.0, 6.0),
    properties=Properties((0.0, 6.0), (True, True), monotonic=True, smoothness=0,
                          saturation="both"),
    references=("Krizhevsky 2010, Convolutional Deep Belief Networks on CIFAR-10",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.ReLU6", "torch.nn.functional.relu6"),
        "keras": flavor("keras", {}, "keras.activations.relu6", "keras.ops.relu6"),
        "tf": flavor("tf", {}, "tf.nn.relu6"),
        "jax": flavor("jax", {}, "jax.nn.relu6"),
    },
    class_name="ReLU6",
)


# --- threshold (torch Threshold, Keras threshold) -------------------------------------------
def _threshold_forward(x: T, threshold: float, value: float) -> T:
    return torch.where(x > threshold, x, torch.full_like(x, value))


THRESHOLD = ActivationSpec(
    name="threshold",
    family="rectifier",
    summary="Keep values above a threshold, replace the rest by a constant.",
    latex=r"f(x) = \begin{cases} x & x > \theta \\ v & x \le \theta \end{cases}",
    forward=_threshold_forward,
    derivative=lambda x, threshold, value: heaviside(x > threshold, x),
    second_derivative=lambda x, threshold, value: _zeros(x),
    native=lambda x, threshold, value, inplace=False: F.threshold(x, threshold, value,
                                                                  inplace=inplace),
    native_inplace=True,
    params=(
        Param("threshold", doc="θ: values at or below it are replaced", example=1.0),
        Param("value", doc="v: the replacement", example=0.0),
    ),
    kinks=lambda threshold, value: (threshold,),
    properties=Properties((0.0, INF), (True, False), monotonic=True, smoothness=-1,
                          saturation="left"),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Threshold", "torch.nn.functional.threshold"),
        "keras": flavor("keras", {}, "keras.activations.threshold", "keras.ops.threshold",
                        renames={"default_value": "value"}),
    },
    class_name="Threshold",
    notes="Both parameters are required, as in PyTorch and Keras; properties are for "
          "threshold=1, value=0.",
)


THRESHOLDED_RELU = ActivationSpec(
    name="thresholded_relu",
    family="rectifier",
    summary="Keras 2's ThresholdedReLU: x above θ, else 0.",
    latex=r"f(x) = \begin{cases} x & x > \theta \\ 0 & x \le \theta \end{cases}",
    forward=lambda x, theta: _threshold_forward(x, theta, 0.0),
    derivative=lambda x, theta: heaviside(x > theta, x),
    second_derivative=lambda x, theta: _zeros(x),
    native=lambda x, theta: F.threshold(x, theta, 0.0),
    params=(Param("theta", 1.0, "θ, the threshold", low=0.0),),
    kinks=lambda theta: (theta,),
    properties=Properties((0.0, INF), (True, False), monotonic=True, smoothness=-1,
                          saturation="left"),
    references=("Konda, Memisevic & Krueger 2015, Zero-bias autoencoders and the benefits "
                "of co-adapting features (ICLR)",),
    aliases=("ThresholdedReLU",),
    flavors={"keras2": flavor("keras2", {}, "tf.keras.layers.ThresholdedReLU",
                              "keras2.layers.ThresholdedReLU", float32=("theta",),
                              note="θ is kept as a float32 (backend.cast_to_floatx)")},
    class_name="ThresholdedReLU",
)


# --- squared relu, binary step -----------------------------------------------------------
RELU_SQUARED = ActivationSpec(
    name="relu_squared",
    family="rectifier",
    summary="Squared ReLU (Primer): max(0, x)².",
    latex=r"f(x) = \max(0, x)^2",
    forward=lambda x: torch.clamp(x, min=0) ** 2,
    derivative=lambda x: 2 * torch.clamp(x, min=0),
    second_derivative=lambda x: 2 * heaviside(x > 0, x),
    kinks=(0.0,),
    properties=Properties((0.0, INF), (True, False), monotonic=True, smoothness=1,
                          saturation="left"),
    references=("So et al. 2021, Primer: Searching for Efficient Transformers for Language "
                "Modeling (NeurIPS)",),
    aliases=("squared_relu",),
    class_name="ReLUSquared",
)

BINARY_STEP = ActivationSpec(
    name="binary_step",
    family="step",
    summary="The Heaviside step: 1 for x ≥ 0, else 0 (the perceptron's unit).",
    latex=r"f(x) = \begin{cases} 1 & x \ge 0 \\ 0 & x < 0 \end{cases}",
    forward=lambda x: heaviside(x >= 0, x),
    derivative=lambda x: _zeros(x),
    second_derivative=lambda x: _zeros(x),
    kinks=(0.0,),
    properties=Properties((0.0, 1.0), (True, True), monotonic=True, smoothness=-1,
                          saturation="both"),
    references=("Rosenblatt 1958, The perceptron (Psychological Review)",),
    aliases=("heaviside", "step"),
    notes="Its derivative is zero everywhere it exists: gradient descent cannot train it.",
)

SPECS = (IDENTITY, RELU, LEAKY_RELU, PRELU, RRELU, RELU6, THRESHOLD, THRESHOLDED_RELU,
         RELU_SQUARED, BINARY_STEP)
