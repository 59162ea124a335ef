"""The Dataset every loader returns: train/test (and optional validation) tensors."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs as float32 tensors (N, *input_shape), labels as int64 class indices (N,)."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...] = ()
    val_x: torch.Tensor | None = None
    val_y: torch.Tensor | None = None
    source: str = ""
    normalization: tuple[float, float] | None = field(default=None)

    @property
    def train_y_one_hot(self) -> torch.Tensor:
        """Training labels as float32 one-hot rows (N, num_classes)."""
        return one_hot(self.train_y, self.num_classes)

    @property
    def test_y_one_hot(self) -> torch.Tensor:
        """Test labels as float32 one-hot rows (N, num_classes)."""
        return one_hot(self.test_y, self.num_classes)

    @property
    def has_validation(self) -> bool:
        """Whether a validation split was held out of the training data."""
        return self.val_x is not None

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.input_shape)
        parts = [f"name={self.name!r}", f"train={len(self.train_x)}"]
        if self.val_x is not None:
            parts.append(f"val={len(self.val_x)}")
        parts += [f"test={len(self.test_x)}", f"input_shape={shape}",
                  f"num_classes={self.num_classes}"]
        return "Dataset(" + ", ".join(parts) + ")"


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Class indices (N,) as float32 one-hot rows (N, num_classes)."""
    return torch.nn.functional.one_hot(labels.long(), num_classes).to(torch.float32)
