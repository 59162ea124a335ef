"""The user's own models, named by reference (`"mymodels.py:tiny_net"`), as registry entries.

Three kinds of factory are understood:

- `factory(act_layer, **options) -> nn.Module`, where `act_layer()` (or
  `act_layer(inplace=True)`) returns a fresh activation module for each site: the
  convention of timm's `act_layer` and torchvision's `activation_layer` (the first
  parameter may be called `act_layer`, `activation_layer`, `act` or `activation`);
- `factory(**options) -> nn.Module` with activation modules of its own (torch.nn,
  transformers, timm): actlab swaps them (`swap_activations`; option `where` picks which);
- a Hugging Face transformers model class (`"transformers:ResNetForImageClassification"`):
  its config is built from the options, with `num_labels` set to the dataset's classes
  and `num_channels` to its input channels where the config has them, and its
  activations are swapped.

A factory that takes `num_classes`, `input_shape` or `in_channels` gets them from the
dataset unless the options set them. The model's output may be logits or an object
holding them (`.logits`, or the first item of a tuple): a forward hook hands the trainer
the logits. Such models train by default with the classifier recipe (Adam 1e-3, batches
of 128, cross-entropy), which a study's [training] overrides.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from actlab.code_references import CodeReferenceError, load_reference, parse_reference
from actlab.errors import ActlabError
from actlab.layers import get
from actlab.models.activation_sites import ActivationFactory
from actlab.models.errors import ModelInputError, ModelOptionError
from actlab.models.swapping import swap_activations

ACT_LAYER_NAMES = ("act_layer", "activation_layer", "act", "activation")
#: What a factory may take from the dataset (unless the options give it).
DATA_ARGUMENTS = ("num_classes", "input_shape", "in_channels")
#: The option that picks the sites to swap (swap_activations' `where`).
WHERE_OPTION = "where"


class ActLayer:
    """What a factory calls at each site: `act_layer()` or `act_layer(inplace=True)`."""

    def __init__(self, factory: ActivationFactory) -> None:
        self.factory = factory

    def __call__(self, inplace: bool = False) -> nn.Module:
        if inplace and self.factory.resolved is not None:
            try:
                return get(self.factory.resolved, inplace=True, **self.factory.params)
            except ActlabError:  # no in-place form: the out-of-place module does the same
                pass
        return self.factory.make()

    def __repr__(self) -> str:
        return f"ActLayer({self.factory.label})"


def _logits(module: nn.Module, inputs: tuple, output: Any) -> Any:
    """Forward hook: the logits of a model that returns more than a tensor."""
    if isinstance(output, torch.Tensor):
        return output
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(output, tuple | list) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    if isinstance(output, dict) and isinstance(output.get("logits"), torch.Tensor):
        return output["logits"]
    raise ModelInputError(f"the model returned {type(output).__name__}; a classifier returns "
                          f"logits (a tensor, or an object with .logits)")


def _is_transformers_model(value: Any) -> bool:
    return isinstance(value, type) and any(
        base.__name__ == "PreTrainedModel" and base.__module__.startswith("transformers")
        for base in value.__mro__)


def _keyword_parameters(function: Callable[..., Any], skip: int = 0
                        ) -> list[inspect.Parameter]:
    parameters = list(inspect.signature(function).parameters.values())[skip:]
    return [p for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _builder_signature(options: list[inspect.Parameter]) -> inspect.Signature:
    """What ModelEntry reads the options from: (factory, input_shape, num_classes, *options)."""
    fixed = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
             for n in ("factory", "input_shape", "num_classes")]
    return inspect.Signature(fixed + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
                                      for p in options])


def _data_arguments(parameters: list[str], options: dict[str, Any],
                    input_shape: tuple[int, ...], num_classes: int) -> dict[str, Any]:
    given = {"num_classes": num_classes, "input_shape": tuple(input_shape),
             "in_channels": input_shape[0] if input_shape else None}
    return {name: given[name] for name in DATA_ARGUMENTS
            if name in parameters and name not in options}


def _checked_module(model: Any, label: str) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise ModelOptionError(f"model factory {label!r} returned {type(model).__name__}, "
                               f"not a torch.nn.Module")
    return model


def _swap_into(model: nn.Module, factory: ActivationFactory, where: str | None,
               label: str) -> nn.Module:
    # The report's functional search runs once per study (describe_model), not per build.
    report = swap_activations(model, factory, where=where, find_functional=False)
    if not report.replaced:
        found = ", ".join(f"{k.names[0]} ({k.type})" for k in report.kept)
        raise ModelInputError(
            f"model {label!r} has no activation module to swap"
            + (f" that `where` = {where!r} selects (it has {found})" if where and found else
               " (none of torch.nn's, transformers', timm's or actlab's)")
            + "; give its factory an act_layer parameter, or pick sites with the model "
              "option `where`")
    return model


def user_model_builder(text: str) -> tuple[str, str, Callable[..., nn.Module]]:
    """(canonical reference, summary, builder) for a model factory named by reference.

    The builder is called as builder(activation_factory, input_shape, num_classes,
    **options); its signature lists the options.
    """
    reference = parse_reference(text, what="model")
    value = load_reference(reference, what="model")
    label = reference.short
    if _is_transformers_model(value):
        return reference.text, f"transformers {value.__name__} built from its config", \
            _transformers_builder(value, label)
    if not callable(value):
        raise CodeReferenceError(f"model {label!r} is a {type(value).__name__}, not a "
                                 f"factory (a function or class that returns a "
                                 f"torch.nn.Module)")
    try:
        parameters = _keyword_parameters(value)
    except (TypeError, ValueError):
        raise CodeReferenceError(f"model {label!r}: its parameters cannot be read") from None
    names = [p.name for p in parameters]
    takes_act_layer = bool(names) and names[0] in ACT_LAYER_NAMES
    options = [p for p in (parameters[1:] if takes_act_layer else parameters)
               if p.name not in DATA_ARGUMENTS]
    if not takes_act_layer:
        if WHERE_OPTION in names:
            raise CodeReferenceError(f"model {label!r} has a parameter {WHERE_OPTION!r}, the "
                                     f"name of actlab's option that picks the sites to swap; "
                                     f"rename it")
        options.append(inspect.Parameter(WHERE_OPTION, inspect.Parameter.KEYWORD_ONLY,
                                         default=None))

    def build(factory: ActivationFactory, input_shape: tuple[int, ...], num_classes: int,
              **chosen: Any) -> nn.Module:
        where = chosen.pop(WHERE_OPTION, None)
        arguments = {**_data_arguments(names, chosen, input_shape, num_classes), **chosen}
        try:
            model = value(ActLayer(factory), **arguments) if takes_act_layer else \
                value(**arguments)
        except TypeError as err:
            raise ModelOptionError(f"model factory {label!r} could not be called: "
                                   f"{str(err).splitlines()[0]}") from err
        model = _checked_module(model, label)
        if not takes_act_layer:
            _swap_into(model, factory, where, label)
        model.register_forward_hook(_logits)
        return model

    build.__signature__ = _builder_signature(options)
    kind = "act_layer factory" if takes_act_layer else "factory (activations swapped)"
    summary = (inspect.getdoc(value) or "").split("\n")[0] or f"the user's {kind}"
    return reference.text, summary, build


def _transformers_builder(model_class: type, label: str) -> Callable[..., nn.Module]:
    config_class = model_class.config_class
    options = [p for p in _keyword_parameters(config_class.__init__, skip=1)
               if p.name != "num_labels"]
    config_names = {p.name for p in options}
    options.append(inspect.Parameter(WHERE_OPTION, inspect.Parameter.KEYWORD_ONLY,
                                     default=None))

    def build(factory: ActivationFactory, input_shape: tuple[int, ...], num_classes: int,
              **chosen: Any) -> nn.Module:
        where = chosen.pop(WHERE_OPTION, None)
        settings = {"num_labels": num_classes, **chosen}
        if "num_channels" in config_names and "num_channels" not in chosen \
                and len(input_shape) == 3:
            settings["num_channels"] = input_shape[0]
        try:
            config = config_class(**settings)
            model = model_class(config)
        except (TypeError, ValueError) as err:
            raise ModelOptionError(f"model {label!r}: its config rejects these options: "
                                   f"{str(err).splitlines()[0]}") from err
        _swap_into(model, factory, where, label)
        model.register_forward_hook(_logits)
        return model

    build.__signature__ = _builder_signature(options)
    return build
