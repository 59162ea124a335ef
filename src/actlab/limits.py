"""How much one request may ask for: trials in a study, trainable scalars in a model.

A typo (`seeds = 1000000000000`, `width = 100000000000`) should be one clear sentence,
not hours of work or a machine out of memory, so each request is counted before anything
is allocated and compared with a limit. The defaults suit one machine; an environment
variable raises (or lowers) each:

    ACTLAB_MAX_TRIALS=50000 actlab compare --spec big.toml
    ACTLAB_MAX_PARAMETERS=1000000000 actlab train ...
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from actlab.errors import ActlabError


class LimitError(ActlabError, ValueError):
    """A limit set to something that is not a number, or a request beyond a limit."""


class LimitExceededError(LimitError):
    """A request larger than a configured limit."""


@dataclass(frozen=True)
class Limit:
    """One limit: its environment variable, default and what it counts."""

    variable: str
    default: int
    unit: str

    def value(self) -> int:
        """The limit in force: the environment variable if set, else the default."""
        text = os.environ.get(self.variable, "").strip().replace("_", "")
        if not text:
            return self.default
        if not text.isdigit() or int(text) < 1:
            raise LimitError(f"{self.variable} must be a whole number >= 1, got "
                             f"{os.environ[self.variable][:40]!r}")
        return int(text)

    def check(self, count: int, what: str, unit: str | None = None) -> None:
        """LimitError if `count` exceeds the limit; `what` names the request."""
        limit = self.value()
        if count > limit:
            raise LimitExceededError(f"{what} asks for {_amount(count)} {unit or self.unit}, "
                                     f"more than the limit of {limit:,}; ask for fewer, or "
                                     f"set {self.variable} to allow more")


def _amount(count: int) -> str:
    return f"{count:,}" if count < 10**15 else f"about 10**{len(str(count)) - 1}"


#: Trials of one study (activations x seeds x grid conditions).
MAX_TRIALS = Limit("ACTLAB_MAX_TRIALS", 10_000, "trials")
#: Trainable scalars of one model (100 million float32 weights are 400 MB, x4 with Adam).
MAX_PARAMETERS = Limit("ACTLAB_MAX_PARAMETERS", 100_000_000, "trainable parameters")
