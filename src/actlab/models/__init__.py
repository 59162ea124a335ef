"""Networks built around a pluggable activation: seed 000's shallow model, seed 003's CNNs, MLPs.

    >>> from actlab.models import build_model, count_parameters
    >>> model = build_model("mnist_cnn", "relu", input_shape=(1, 28, 28), num_classes=10)
    >>> count_parameters(model)
    3274634
"""

from actlab.models.activation_sites import ActivationFactory, ActivationNetwork
from actlab.models.cifar10_cnn import Cifar10CNN
from actlab.models.errors import ModelInputError, ModelOptionError, UnknownModelError
from actlab.models.initializers import (
    init_layer,
    initializer_names,
    tf_truncated_normal_,
    variance_scaling_,
)
from actlab.models.mean_field_mlp import MeanFieldMLP
from actlab.models.mlp import MLP
from actlab.models.mnist1d_models import Mnist1dCNN, Mnist1dMLP
from actlab.models.mnist_cnn import MnistCNN
from actlab.models.registry import (
    MODELS,
    ModelEntry,
    build_model,
    check_model_input,
    count_parameters,
    model_entry,
    model_names,
)
from actlab.models.shallow import ShallowDense
from actlab.models.tensorflow_layers import SameMaxPool2d, local_response_norm_from_tensorflow

__all__ = [
    "MLP", "MODELS", "ActivationFactory", "ActivationNetwork", "Cifar10CNN", "MeanFieldMLP",
    "Mnist1dCNN", "Mnist1dMLP", "MnistCNN",
    "ModelEntry", "ModelInputError", "ModelOptionError", "SameMaxPool2d", "ShallowDense",
    "UnknownModelError", "build_model", "check_model_input", "count_parameters",
    "init_layer", "initializer_names", "local_response_norm_from_tensorflow", "model_entry",
    "model_names", "tf_truncated_normal_", "variance_scaling_",
]
