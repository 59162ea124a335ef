"""A synthetic sequence task for a tiny BERT: do two marker contests have the same winner?

Each example is `[CLS] t1 ... tL`: L tokens drawn uniformly from four markers (A, B, C,
D) and filler tokens, kept when A and B occur a different number of times, and so do C
and D (by at most `margin`). The label is 1 when exactly one of "A beats B" and "C beats
D" holds (an exclusive or). Attention can count the markers; the exclusive or of the
two contests is what the feed-forward layers, and their activation, must compute.

Token ids: 0 padding (never used), 1 [CLS], 2-5 the markers A-D, 6.. fillers.
"""

from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

PAD, CLS, A, B, C, D, FIRST_FILLER = 0, 1, 2, 3, 4, 5, 6


def marker_xor(train: int = 2000, test: int = 500, length: int = 16, vocab: int = 12,
               margin: int = 2, seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) TensorDatasets of token ids (N, 1 + length) and 0/1 labels."""
    if vocab <= FIRST_FILLER:
        raise ValueError(f"vocab must be > {FIRST_FILLER} (padding, [CLS], four markers)")
    if not 1 <= margin <= length:
        raise ValueError(f"margin must lie in [1, length], got {margin}")
    generator = torch.Generator().manual_seed(seed)
    wanted = train + test
    kept_tokens, kept_labels, count = [], [], 0
    while count < wanted:
        tokens = torch.randint(A, vocab, (4 * wanted, length), generator=generator)
        ab = (tokens == A).sum(dim=1) - (tokens == B).sum(dim=1)
        cd = (tokens == C).sum(dim=1) - (tokens == D).sum(dim=1)
        keep = (ab != 0) & (cd != 0) & (ab.abs() <= margin) & (cd.abs() <= margin)
        kept_tokens.append(tokens[keep])
        kept_labels.append(((ab > 0) ^ (cd > 0))[keep].long())
        count += int(keep.sum())
    tokens = torch.cat(kept_tokens)[:wanted]
    labels = torch.cat(kept_labels)[:wanted]
    tokens = torch.cat([torch.full((wanted, 1), CLS), tokens], dim=1)
    return (TensorDataset(tokens[:train], labels[:train]),
            TensorDataset(tokens[train:], labels[train:]))
